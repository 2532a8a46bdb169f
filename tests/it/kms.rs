//! KMS as AWS answers it: the error body's members, key id and ARN refusals, tag rules,
//! key material ids, and the key operations beyond create and use.

use crate::common::*;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::Tag;
use std::net::SocketAddr;

async fn kms_raw(addr: SocketAddr, op: &str, body: &str) -> RawResponse {
    let target = format!("TrentService.{op}");
    let headers = [
        ("x-amz-target", target.as_str()),
        ("content-type", "application/x-amz-json-1.1"),
    ];
    raw(addr, "POST", "/", &headers, body.as_bytes().to_vec()).await
}

/// An expected (code, message), as `err` gives them.
fn pair(code: &str, message: &str) -> (String, String) {
    (code.to_string(), message.to_string())
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().tag_key(k).tag_value(v).build().unwrap()
}

#[tokio::test]
async fn errors_carry_the_members_aws_sends_and_aws_wording() {
    let server = TestServer::isolated().await;
    let addr = server.addr;
    // KMS's error shapes spell the member `message`; Secrets Manager's `Message`.
    let r = kms_raw(addr, "DescribeKey", r#"{"KeyId": "not-a-key"}"#).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["__type"], "NotFoundException");
    assert_eq!(r.json["message"], "Invalid keyId 'not-a-key'");
    assert!(r.json.get("Message").is_none(), "{}", r.json);
    let r = kms_raw(addr, "GenerateRandom", "{}").await;
    assert_eq!(r.json["__type"], "ValidationException");
    assert_eq!(r.json["message"], "NumberOfBytes is required.");
    let r = raw_op(addr, "DescribeSecret", r#"{"SecretId": "missing"}"#).await;
    assert!(r.json.get("Message").is_some(), "{}", r.json);

    let k = kms_client(addr, ACCOUNT);
    let key = k.create_key().send().await.unwrap().key_metadata.unwrap();
    // A key ARN of another region: this region's KMS cannot reach it.
    let elsewhere = key.arn().unwrap().replace(REGION, "eu-west-1");
    let e = k.describe_key().key_id(elsewhere).send().await;
    assert_eq!(err(e), pair("NotFoundException", "Invalid arn eu-west-1"));
    let e = k
        .create_alias()
        .alias_name("no-prefix")
        .target_key_id(key.key_id())
        .send()
        .await;
    assert_eq!(
        err(e),
        pair(
            "ValidationException",
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
        )
    );
}

#[tokio::test]
async fn tags_are_checked_as_aws_checks_them() {
    let server = TestServer::isolated().await;
    let k = kms_client(server.addr, ACCOUNT);
    for (tags, message) in [
        (
            vec![tag("a", "1"), tag("a", "2")],
            "Duplicate tag keys".to_string(),
        ),
        (
            vec![tag("AWS:owner", "x")],
            "Tags beginning with aws: are reserved.".to_string(),
        ),
        (
            (0..51).map(|i| tag(&format!("k{i}"), "v")).collect(),
            "Too many tags".to_string(),
        ),
    ] {
        let e = k.create_key().set_tags(Some(tags)).send().await;
        assert_eq!(err(e), pair("TagException", &message));
    }
    let key = k.create_key().send().await.unwrap().key_metadata.unwrap();
    let e = k
        .tag_resource()
        .key_id(key.key_id())
        .tags(tag("Aws:x", "y"))
        .send()
        .await;
    assert_eq!(err(e).0, "TagException");
    let listed = k.list_keys().send().await.unwrap().keys.unwrap_or_default();
    assert_eq!(listed.len(), 1, "a refused CreateKey makes no key");
}

#[tokio::test]
async fn key_material_ids_and_descriptions() {
    let server = TestServer::isolated().await;
    let k = kms_client(server.addr, ACCOUNT);
    let key = k
        .create_key()
        .description("first")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let material = key.current_key_material_id().unwrap().to_string();
    assert_eq!(material.len(), 64);
    assert!(material.chars().all(|c| c.is_ascii_hexdigit()));
    let other = k.create_key().send().await.unwrap().key_metadata.unwrap();
    assert_ne!(other.current_key_material_id(), Some(material.as_str()));

    let sealed = k
        .encrypt()
        .key_id(key.key_id())
        .plaintext(Blob::new("p"))
        .send()
        .await
        .unwrap();
    let opened = k
        .decrypt()
        .ciphertext_blob(sealed.ciphertext_blob.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(opened.key_material_id(), Some(material.as_str()));
    let data = k
        .generate_data_key()
        .key_id(key.key_id())
        .number_of_bytes(32)
        .send()
        .await
        .unwrap();
    assert_eq!(data.key_material_id(), Some(material.as_str()));
    let moved = k
        .re_encrypt()
        .ciphertext_blob(data.ciphertext_blob.unwrap())
        .destination_key_id(other.key_id())
        .send()
        .await
        .unwrap();
    assert_eq!(moved.source_key_material_id(), Some(material.as_str()));
    assert_eq!(
        moved.destination_key_material_id(),
        other.current_key_material_id()
    );

    k.update_key_description()
        .key_id(key.key_id())
        .description("second")
        .send()
        .await
        .unwrap();
    let now = k.describe_key().key_id(key.key_id()).send().await.unwrap();
    let now = now.key_metadata.unwrap();
    assert_eq!(now.description(), Some("second"));
    assert_eq!(now.current_key_material_id(), Some(material.as_str()));
    let e = k
        .update_key_description()
        .key_id("alias/aws/secretsmanager")
        .description("x")
        .send()
        .await;
    assert_ne!(err(e).0, "", "an AWS managed key's description is AWS's");
}

#[tokio::test]
async fn rotated_keys_still_decrypt_what_they_encrypted_before() {
    let server = TestServer::isolated().await;
    let k = kms_client(server.addr, ACCOUNT);
    let key = k.create_key().send().await.unwrap().key_metadata.unwrap();
    let id = key.key_id().to_string();
    let first = key.current_key_material_id().unwrap().to_string();
    let encrypt = |text: &'static str| k.encrypt().key_id(&id).plaintext(Blob::new(text)).send();
    let old = encrypt("before").await.unwrap().ciphertext_blob.unwrap();

    k.enable_key_rotation()
        .key_id(&id)
        .rotation_period_in_days(90)
        .send()
        .await
        .unwrap();
    let status = k
        .get_key_rotation_status()
        .key_id(&id)
        .send()
        .await
        .unwrap();
    assert!(status.key_rotation_enabled);
    assert_eq!(status.rotation_period_in_days, Some(90));
    assert!(status.next_rotation_date.is_some());

    k.rotate_key_on_demand().key_id(&id).send().await.unwrap();
    let now = k.describe_key().key_id(&id).send().await.unwrap();
    let second = now.key_metadata.unwrap().current_key_material_id.unwrap();
    assert_ne!(second, first);
    let rotations = k.list_key_rotations().key_id(&id).send().await.unwrap();
    let listed = rotations.rotations();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0]
            .rotation_type()
            .map(aws_sdk_kms::types::RotationType::as_str),
        Some("ON_DEMAND")
    );
    assert_eq!(listed[0].key_material_id(), Some(second.as_str()));
    let status = k
        .get_key_rotation_status()
        .key_id(&id)
        .send()
        .await
        .unwrap();
    assert!(status.on_demand_rotation_start_date.is_some());

    // What was encrypted before decrypts with the material it was sealed under.
    let opened = k.decrypt().ciphertext_blob(old).send().await.unwrap();
    assert_eq!(opened.key_material_id(), Some(first.as_str()));
    assert_eq!(opened.plaintext.unwrap().as_ref(), b"before");
    let new = encrypt("after").await.unwrap().ciphertext_blob.unwrap();
    let opened = k
        .decrypt()
        .ciphertext_blob(new.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(opened.key_material_id(), Some(second.as_str()));

    // The period passes: the key has rotated again, on its own.
    server.clock.advance(91 * 86_400_000);
    let third = k.describe_key().key_id(&id).send().await.unwrap();
    let third = third.key_metadata.unwrap().current_key_material_id.unwrap();
    assert!(third != first && third != second);
    let rotations = k.list_key_rotations().key_id(&id).send().await.unwrap();
    assert_eq!(rotations.rotations().len(), 2);
    let opened = k.decrypt().ciphertext_blob(new).send().await.unwrap();
    assert_eq!(opened.plaintext.unwrap().as_ref(), b"after");

    k.disable_key_rotation().key_id(&id).send().await.unwrap();
    let status = k
        .get_key_rotation_status()
        .key_id(&id)
        .send()
        .await
        .unwrap();
    assert!(!status.key_rotation_enabled);

    // Only symmetric encryption keys rotate.
    let signing = k
        .create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::EccNistP256)
        .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let e = k
        .rotate_key_on_demand()
        .key_id(signing.key_id())
        .send()
        .await;
    assert_eq!(err(e).0, "UnsupportedOperationException");
}

#[tokio::test]
async fn multi_region_keys_share_their_material_across_regions() {
    let server = TestServer::isolated().await;
    let addr = server.addr;
    let account = "100000000041";
    let east = kms_client(addr, account);
    let west = sdk_client!(aws_sdk_kms, addr, "eu-west-1", test_key(account));
    let plain = east
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let e = east
        .replicate_key()
        .key_id(plain.key_id())
        .replica_region("eu-west-1")
        .send()
        .await;
    assert_eq!(err(e).0, "UnsupportedOperationException");

    let key = east
        .create_key()
        .multi_region(true)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let id = key.key_id().to_string();
    assert!(id.starts_with("mrk-") && id.len() == 36, "{id}");
    assert_eq!(key.multi_region(), Some(true));
    let config = key.multi_region_configuration().unwrap();
    assert_eq!(config.multi_region_key_type().unwrap().as_str(), "PRIMARY");
    assert!(config.replica_keys().is_empty());

    let replica = east
        .replicate_key()
        .key_id(&id)
        .replica_region("eu-west-1")
        .description("west copy")
        .send()
        .await
        .unwrap();
    let meta = replica.replica_key_metadata().unwrap();
    assert_eq!(meta.key_id(), id);
    assert!(meta.arn().unwrap().contains(":eu-west-1:"));
    assert_eq!(meta.key_state().unwrap().as_str(), "Creating");
    let e = east
        .replicate_key()
        .key_id(&id)
        .replica_region("eu-west-1")
        .send()
        .await;
    assert_eq!(err(e).0, "AlreadyExistsException");

    let described = west
        .describe_key()
        .key_id(&id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(described.key_state().unwrap().as_str(), "Enabled");
    assert_eq!(described.description(), Some("west copy"));
    let config = described.multi_region_configuration().unwrap();
    assert_eq!(config.multi_region_key_type().unwrap().as_str(), "REPLICA");
    assert_eq!(config.primary_key().unwrap().region(), Some(REGION));
    assert_eq!(config.replica_keys()[0].region(), Some("eu-west-1"));
    // A replica cannot be replicated: only its primary can.
    let e = west
        .replicate_key()
        .key_id(&id)
        .replica_region("ap-southeast-1")
        .send()
        .await;
    assert_eq!(
        err(e),
        (
            "UnsupportedOperationException".to_string(),
            format!(
                "{} is not a multi-region primary key.",
                described.arn().unwrap()
            )
        )
    );

    // A ciphertext made in one region opens in the other.
    let blob = east
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new("everywhere"))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let opened = west.decrypt().ciphertext_blob(blob).send().await.unwrap();
    assert_eq!(opened.plaintext().unwrap().as_ref(), b"everywhere");

    // The primary moves; the old primary becomes a replica.
    east.update_primary_region()
        .key_id(&id)
        .primary_region("eu-west-1")
        .send()
        .await
        .unwrap();
    let config = east
        .describe_key()
        .key_id(&id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .multi_region_configuration
        .unwrap();
    assert_eq!(config.multi_region_key_type().unwrap().as_str(), "REPLICA");
    assert_eq!(config.primary_key().unwrap().region(), Some("eu-west-1"));

    // Rotation happens on the primary, and its replicas share it.
    let e = east.rotate_key_on_demand().key_id(&id).send().await;
    assert_eq!(err(e).0, "UnsupportedOperationException");
    west.rotate_key_on_demand()
        .key_id(&id)
        .send()
        .await
        .unwrap();
    let material = |c: aws_sdk_kms::Client| {
        let id = id.clone();
        async move {
            c.describe_key()
                .key_id(id)
                .send()
                .await
                .unwrap()
                .key_metadata
                .unwrap()
                .current_key_material_id
                .unwrap()
        }
    };
    assert_eq!(material(east.clone()).await, material(west.clone()).await);

    // A secret replicated to the other region is sealed there under the replica key.
    let sm = client_for(addr, account, REGION);
    let replica_arn = described.arn().unwrap().to_string();
    sm.create_secret()
        .name("mrk-secret")
        .secret_string("shared")
        .kms_key_id(&id)
        .add_replica_regions(
            aws_sdk_secretsmanager::types::ReplicaRegionType::builder()
                .region("eu-west-1")
                .kms_key_id(&replica_arn)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let there = client_for(addr, account, "eu-west-1");
    let v = there
        .get_secret_value()
        .secret_id("mrk-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(v.secret_string(), Some("shared"));
    let d = there
        .describe_secret()
        .secret_id("mrk-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(d.kms_key_id(), Some(replica_arn.as_str()));
}
