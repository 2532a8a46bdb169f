//! Parameter Store through aws-sdk-ssm: versions, selectors, labels, tiers, patterns, tags,
//! paths and filters, SecureString under KMS, the `/aws/reference/secretsmanager` names, and
//! persistence across a restart.

use crate::common::*;
use aws_sdk_ssm::types::{ParameterStringFilter, ParameterTier, ParameterType, Tag};
use localemu::clock::ManualClock;
use std::net::SocketAddr;
use std::sync::Arc;

fn ssm(addr: SocketAddr, account: &str) -> aws_sdk_ssm::Client {
    sdk_client!(aws_sdk_ssm, addr, REGION, test_key(account))
}

async fn put(c: &aws_sdk_ssm::Client, name: &str, value: &str, kind: ParameterType) -> i64 {
    c.put_parameter()
        .name(name)
        .value(value)
        .r#type(kind)
        .overwrite(true)
        .send()
        .await
        .unwrap()
        .version
}

#[tokio::test]
async fn versions_selectors_and_labels() {
    let c = ssm(shared().addr, "100000000001");
    let name = format!("/{}/db/host", unique("ps"));
    assert_eq!(put(&c, &name, "one", ParameterType::String).await, 1);
    assert_eq!(put(&c, &name, "two", ParameterType::String).await, 2);
    let (code, msg) = err(c
        .put_parameter()
        .name(&name)
        .value("x")
        .r#type(ParameterType::String)
        .send()
        .await);
    assert_eq!(code, "ParameterAlreadyExists");
    assert!(msg.starts_with("The parameter already exists."));
    let current = c
        .get_parameter()
        .name(&name)
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap();
    assert_eq!((current.value(), current.version()), (Some("two"), 2));
    let first = c
        .get_parameter()
        .name(format!("{name}:1"))
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap();
    assert_eq!((first.value(), first.selector()), (Some("one"), Some(":1")));
    let labelled = c
        .label_parameter_version()
        .name(&name)
        .parameter_version(1)
        .labels("stable")
        .labels("9lives")
        .send()
        .await
        .unwrap();
    assert_eq!(labelled.invalid_labels(), ["9lives"]);
    let stable = c
        .get_parameter()
        .name(format!("{name}:stable"))
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap();
    assert_eq!(stable.value(), Some("one"));
    // A label moves: on version 2 now, no longer on 1.
    c.label_parameter_version()
        .name(&name)
        .labels("stable")
        .send()
        .await
        .unwrap();
    let history = c.get_parameter_history().name(&name).send().await.unwrap();
    let labels: Vec<Vec<String>> = history
        .parameters()
        .iter()
        .map(|h| h.labels().to_vec())
        .collect();
    assert_eq!(labels, [vec![], vec!["stable".to_string()]]);
    let (code, _) = err(c.get_parameter().name(format!("{name}:7")).send().await);
    assert_eq!(code, "ParameterVersionNotFound");
    let removed = c
        .unlabel_parameter_version()
        .name(&name)
        .parameter_version(2)
        .labels("stable")
        .labels("never")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (removed.removed_labels(), removed.invalid_labels()),
        (&["stable".to_string()][..], &["never".to_string()][..])
    );
    let many = c
        .get_parameters()
        .names(&name)
        .names(format!("{name}:1"))
        .names("/nothing/here")
        .send()
        .await
        .unwrap();
    assert_eq!(many.parameters().len(), 2);
    assert_eq!(many.invalid_parameters(), ["/nothing/here"]);
    let (code, msg) = err(c.get_parameter().name("/nothing/here").send().await);
    assert_eq!((code.as_str(), msg.as_str()), ("ParameterNotFound", ""));
}

#[tokio::test]
async fn names_tiers_patterns_and_tags() {
    let c = ssm(shared().addr, "100000000002");
    for bad in ["/aws/mine", "ssm-thing", "no/leading/slash", "/has space"] {
        let (code, _) = err(c
            .put_parameter()
            .name(bad)
            .value("v")
            .r#type(ParameterType::String)
            .send()
            .await);
        assert_eq!(code, "ValidationException", "{bad}");
    }
    let deep = format!("/{}", vec!["l"; 16].join("/"));
    let (code, _) = err(c
        .put_parameter()
        .name(&deep)
        .value("v")
        .r#type(ParameterType::String)
        .send()
        .await);
    assert_eq!(code, "HierarchyLevelLimitExceededException");
    let big = "x".repeat(5000);
    let (code, _) = err(c
        .put_parameter()
        .name("/tiers/big")
        .value(&big)
        .r#type(ParameterType::String)
        .tier(ParameterTier::Standard)
        .send()
        .await);
    assert_eq!(code, "ValidationException");
    let out = c
        .put_parameter()
        .name("/tiers/big")
        .value(&big)
        .r#type(ParameterType::String)
        .tier(ParameterTier::Advanced)
        .send()
        .await
        .unwrap();
    assert_eq!(out.tier().map(ParameterTier::as_str), Some("Advanced"));
    let (code, _) = err(c
        .put_parameter()
        .name("/tiers/big")
        .value("v")
        .overwrite(true)
        .tier(ParameterTier::Standard)
        .send()
        .await);
    assert_eq!(code, "ValidationException", "no downgrade");
    c.put_parameter()
        .name("/pattern/port")
        .value("8080")
        .r#type(ParameterType::String)
        .allowed_pattern("^\\d+$")
        .send()
        .await
        .unwrap();
    let (code, _) = err(c
        .put_parameter()
        .name("/pattern/port")
        .value("eighty")
        .overwrite(true)
        .send()
        .await);
    assert_eq!(code, "ParameterPatternMismatchException");
    // An AMI id is checked after the answer, as AWS does (see `parameter_names`).
    let (code, _) = err(c
        .put_parameter()
        .name("/ami")
        .value("v")
        .r#type(ParameterType::String)
        .data_type("aws:ec2:imag")
        .send()
        .await);
    assert_eq!(code, "ValidationException");
    c.put_parameter()
        .name("/tagged")
        .value("v")
        .r#type(ParameterType::StringList)
        .tags(Tag::builder().key("team").value("core").build().unwrap())
        .send()
        .await
        .unwrap();
    let (code, _) = err(c
        .put_parameter()
        .name("/tagged")
        .value("w")
        .overwrite(true)
        .tags(Tag::builder().key("a").value("b").build().unwrap())
        .send()
        .await);
    assert_eq!(code, "ValidationException", "tags and overwrite");
    c.add_tags_to_resource()
        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
        .resource_id("/tagged")
        .tags(Tag::builder().key("env").value("dev").build().unwrap())
        .send()
        .await
        .unwrap();
    c.remove_tags_from_resource()
        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
        .resource_id("/tagged")
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let tags = c
        .list_tags_for_resource()
        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
        .resource_id("/tagged")
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tag_list().len(), 1);
    assert_eq!(tags.tag_list()[0].key(), "env");
    let (code, _) = err(c
        .list_tags_for_resource()
        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
        .resource_id("/missing")
        .send()
        .await);
    assert_eq!(code, "InvalidResourceId");
}

#[tokio::test]
async fn paths_filters_pages_and_deletes() {
    let c = ssm(shared().addr, "100000000003");
    for name in [
        "/app/a",
        "/app/b",
        "/app/nested/c",
        "/app/nested/deeper/d",
        "/other/e",
    ] {
        put(&c, name, "v", ParameterType::String).await;
    }
    put(&c, "/app/secret", "s", ParameterType::SecureString).await;
    let names = |r: &[aws_sdk_ssm::types::Parameter]| -> Vec<String> {
        r.iter()
            .filter_map(|p| p.name().map(str::to_string))
            .collect()
    };
    let one_level = c
        .get_parameters_by_path()
        .path("/app")
        .send()
        .await
        .unwrap();
    assert_eq!(
        names(one_level.parameters()),
        ["/app/a", "/app/b", "/app/secret"]
    );
    let all = c
        .get_parameters_by_path()
        .path("/app/")
        .recursive(true)
        .send()
        .await
        .unwrap();
    assert_eq!(all.parameters().len(), 5);
    let secure = c
        .get_parameters_by_path()
        .path("/app")
        .recursive(true)
        .parameter_filters(
            ParameterStringFilter::builder()
                .key("Type")
                .values("SecureString")
                .build()
                .unwrap(),
        )
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(names(secure.parameters()), ["/app/secret"]);
    assert_eq!(secure.parameters()[0].value(), Some("s"));
    let (code, _) = err(c
        .get_parameters_by_path()
        .path("/app")
        .parameter_filters(
            ParameterStringFilter::builder()
                .key("Name")
                .values("x")
                .build()
                .unwrap(),
        )
        .send()
        .await);
    assert_eq!(code, "InvalidFilterKey");
    // Pages of two, followed to the end.
    let (mut seen, mut next) = (Vec::new(), None::<String>);
    loop {
        let page = c
            .get_parameters_by_path()
            .path("/app")
            .recursive(true)
            .max_results(2)
            .set_next_token(next.clone())
            .send()
            .await
            .unwrap();
        seen.extend(names(page.parameters()));
        next = page.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), 5);
    let (code, _) = err(c
        .get_parameters_by_path()
        .path("/app")
        .next_token("bogus")
        .send()
        .await);
    assert_eq!(code, "InvalidNextToken");
    let described = c
        .describe_parameters()
        .parameter_filters(
            ParameterStringFilter::builder()
                .key("Path")
                .option("Recursive")
                .values("/app/nested")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let found: Vec<&str> = described
        .parameters()
        .iter()
        .filter_map(|p| p.name())
        .collect();
    assert_eq!(found, ["/app/nested/c", "/app/nested/deeper/d"]);
    let meta = &described.parameters()[0];
    assert_eq!(
        meta.last_modified_user(),
        Some("arn:aws:iam::100000000003:root")
    );
    let begins = c
        .describe_parameters()
        .parameter_filters(
            ParameterStringFilter::builder()
                .key("Name")
                .option("BeginsWith")
                .values("/other")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(begins.parameters().len(), 1);
    let deleted = c
        .delete_parameters()
        .names("/other/e")
        .names("/other/none")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (deleted.deleted_parameters(), deleted.invalid_parameters()),
        (
            &["/other/e".to_string()][..],
            &["/other/none".to_string()][..]
        )
    );
    c.delete_parameter().name("/app/a").send().await.unwrap();
    let (code, _) = err(c.delete_parameter().name("/app/a").send().await);
    assert_eq!(code, "ParameterNotFound");
}

#[tokio::test]
async fn secure_strings_are_encrypted_under_their_key() {
    let addr = shared().addr;
    let c = ssm(addr, "100000000004");
    let key = key_with_alias(addr, "100000000004", "alias/params").await;
    c.put_parameter()
        .name("/secure/token")
        .value("t0ken")
        .r#type(ParameterType::SecureString)
        .key_id("alias/params")
        .send()
        .await
        .unwrap();
    let hidden = c
        .get_parameter()
        .name("/secure/token")
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap();
    assert_ne!(
        hidden.value(),
        Some("t0ken"),
        "encrypted unless WithDecryption"
    );
    let plain = c
        .get_parameter()
        .name("/secure/token")
        .with_decryption(true)
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap();
    assert_eq!(plain.value(), Some("t0ken"));
    let meta = c.describe_parameters().send().await.unwrap();
    assert_eq!(meta.parameters()[0].key_id(), Some("alias/params"));
    // A disabled key stops both the write and the read.
    kms_client(addr, "100000000004")
        .disable_key()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    let (code, _) = err(c
        .get_parameter()
        .name("/secure/token")
        .with_decryption(true)
        .send()
        .await);
    assert_eq!(code, "InvalidKeyId");
    let (code, _) = err(c
        .put_parameter()
        .name("/secure/other")
        .value("x")
        .r#type(ParameterType::SecureString)
        .key_id("alias/params")
        .send()
        .await);
    assert_eq!(code, "InvalidKeyId");
    let (code, _) = err(c
        .put_parameter()
        .name("/plain")
        .value("x")
        .r#type(ParameterType::String)
        .key_id("alias/params")
        .send()
        .await);
    assert_eq!(code, "ValidationException");
}

#[tokio::test]
async fn secret_references_read_secrets_as_aws_does() {
    let addr = shared().addr;
    let account = "100000000005";
    let c = ssm(addr, account);
    let secrets = client_for(addr, account, REGION);
    let name = unique("ref/db");
    let arn = create(&secrets, &name, "first").await;
    secrets
        .put_secret_value()
        .secret_id(&name)
        .secret_string("second")
        .send()
        .await
        .unwrap();
    let reference = format!("/aws/reference/secretsmanager/{name}");
    let p = c
        .get_parameter()
        .name(&reference)
        .with_decryption(true)
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap();
    assert_eq!(p.r#type().map(ParameterType::as_str), Some("SecureString"));
    assert_eq!(
        (p.value(), p.version(), p.arn()),
        (Some("second"), 0, Some(arn.as_str()))
    );
    let source: serde_json::Value = serde_json::from_str(p.source_result().unwrap()).unwrap();
    // Parameter Store names the members in lower camel case, except ARN.
    assert_eq!(source["name"], name.as_str());
    assert_eq!(source["ARN"], arn.as_str());
    assert_eq!(source["versionStages"][0], "AWSCURRENT");
    assert_eq!(source["secretString"], "second");
    let previous = c
        .get_parameter()
        .name(format!("{reference}:AWSPREVIOUS"))
        .with_decryption(true)
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap();
    assert_eq!(
        (previous.value(), previous.selector()),
        (Some("first"), Some(":AWSPREVIOUS"))
    );
    let by_arn = c
        .get_parameter()
        .name(format!("/aws/reference/secretsmanager/{arn}"))
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(by_arn.parameter.unwrap().value(), Some("second"));
    let (code, msg) = err(c.get_parameter().name(&reference).send().await);
    assert_eq!(code, "ValidationException");
    assert_eq!(
        msg,
        "WithDecryption flag must be True for retrieving a Secret Manager secret."
    );
    let (code, msg) = err(c
        .get_parameter()
        .name("/aws/reference/secretsmanager/missing")
        .with_decryption(true)
        .send()
        .await);
    assert_eq!(code, "ParameterNotFound");
    assert_eq!(
        msg,
        "Secret /aws/reference/secretsmanager/missing not found."
    );
    // Another account's secret without a policy: refused as Secrets Manager refuses it.
    let (code, msg) = err(ssm(addr, "100000000006")
        .get_parameter()
        .name(format!("/aws/reference/secretsmanager/{arn}"))
        .with_decryption(true)
        .send()
        .await);
    assert_eq!(code, "AccessDeniedException", "{msg}");
    // Reference names are read-only and not listed.
    let (code, _) = err(c
        .put_parameter()
        .name(&reference)
        .value("x")
        .r#type(ParameterType::String)
        .send()
        .await);
    assert_eq!(code, "ValidationException");
    let (code, _) = err(c.delete_parameter().name(&reference).send().await);
    assert_eq!(code, "ValidationException");
    let (code, _) = err(c.get_parameter_history().name(&reference).send().await);
    assert_eq!(code, "ValidationException");
    let both = c
        .get_parameters()
        .names(&reference)
        .names("/none")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(both.parameters().len(), 1);
}

#[tokio::test]
async fn parameters_survive_a_restart() {
    let dir = temp_dir("ssm-restart");
    let clock = Arc::new(ManualClock::new(START));
    let server = PersistentServer::start(&dir, clock.clone()).await;
    let c = ssm(server.addr, ACCOUNT);
    put(&c, "/kept/plain", "p1", ParameterType::String).await;
    put(&c, "/kept/plain", "p2", ParameterType::String).await;
    put(
        &c,
        "/kept/secure",
        "s3cret-at-rest",
        ParameterType::SecureString,
    )
    .await;
    c.label_parameter_version()
        .name("/kept/plain")
        .parameter_version(1)
        .labels("old")
        .send()
        .await
        .unwrap();
    server.stop().await;
    let bytes = std::fs::read(dir.join(localemu::store::DB_FILE)).unwrap();
    assert!(
        !bytes.windows(14).any(|w| w == b"s3cret-at-rest"),
        "a SecureString reached the disk in the clear"
    );
    let server = PersistentServer::start(&dir, clock).await;
    let c = ssm(server.addr, ACCOUNT);
    let old = c
        .get_parameter()
        .name("/kept/plain:old")
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap();
    assert_eq!(old.value(), Some("p1"));
    let secure = c
        .get_parameter()
        .name("/kept/secure")
        .with_decryption(true)
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap();
    assert_eq!(secure.value(), Some("s3cret-at-rest"));
    server.stop().await;
}

#[tokio::test]
async fn reset_forgets_parameters() {
    let server = TestServer::isolated().await;
    let c = ssm(server.addr, ACCOUNT);
    put(&c, "/reset/me", "v", ParameterType::String).await;
    raw(server.addr, "POST", "/_awsemu/reset", &[], Vec::new()).await;
    let (code, _) = err(c.get_parameter().name("/reset/me").send().await);
    assert_eq!(code, "ParameterNotFound");
}
