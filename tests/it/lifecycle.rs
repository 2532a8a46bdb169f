//! CreateSecret, DescribeSecret and UpdateSecret through the SDK.

use crate::common::*;
use aws_sdk_secretsmanager::primitives::Blob;
use aws_sdk_secretsmanager::types::Tag;

#[tokio::test]
async fn create_returns_arn_name_and_version() {
    let c = shared().client();
    let name = unique("lc/create");
    let tok = token();
    let out = c
        .create_secret()
        .name(&name)
        .secret_string("s3cr3t")
        .client_request_token(&tok)
        .send()
        .await
        .unwrap();
    let arn = out.arn().unwrap();
    let prefix = format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-");
    assert!(arn.starts_with(&prefix), "{arn}");
    let suffix = &arn[prefix.len()..];
    assert_eq!(suffix.len(), 6);
    assert!(suffix.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(out.name(), Some(name.as_str()));
    assert_eq!(out.version_id(), Some(tok.as_str()));
}

#[tokio::test]
async fn create_without_value_has_no_version() {
    let c = shared().client();
    let name = unique("lc/novalue");
    let out = c.create_secret().name(&name).send().await.unwrap();
    assert!(out.version_id().is_none());
    let d = c.describe_secret().secret_id(&name).send().await.unwrap();
    assert!(d.version_ids_to_stages().is_none());
    let (code, msg) = err(c.get_secret_value().secret_id(&name).send().await);
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(
        msg,
        "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT"
    );
    let versions = c
        .list_secret_version_ids()
        .secret_id(&name)
        .send()
        .await
        .unwrap();
    assert!(versions.versions().is_empty());
}

#[tokio::test]
async fn describe_only_shows_fields_with_values() {
    let c = shared().client();
    let name = unique("lc/describe");
    c.create_secret()
        .name(&name)
        .description("")
        .secret_string("v")
        .send()
        .await
        .unwrap();
    let d = c.describe_secret().secret_id(&name).send().await.unwrap();
    assert!(d.description().is_none());
    assert!(d.kms_key_id().is_none());
    assert!(d.tags().is_empty() && d.tags.is_none());
    assert!(d.last_accessed_date().is_none());
    assert!(d.deleted_date().is_none());
    assert!(d.rotation_enabled().is_none());
    assert!(d.created_date().is_some());
    assert!(d.last_changed_date().is_some());
    assert_eq!(d.version_ids_to_stages().unwrap().len(), 1);

    c.get_secret_value().secret_id(&name).send().await.unwrap();
    let d = c.describe_secret().secret_id(&name).send().await.unwrap();
    let accessed = d.last_accessed_date().unwrap();
    assert_eq!(accessed.secs() % 86_400, 0, "access dates are whole days");
}

#[tokio::test]
async fn create_with_everything() {
    let c = shared().client();
    let name = unique("lc/full");
    let alias = unique("alias/custom");
    key_with_alias(shared().addr, "000000000000", &alias).await;
    c.create_secret()
        .name(&name)
        .description("the db")
        .kms_key_id(&alias)
        .secret_binary(Blob::new(vec![0u8, 1, 2, 255]))
        .tags(Tag::builder().key("env").value("dev").build())
        .send()
        .await
        .unwrap();
    let d = c.describe_secret().secret_id(&name).send().await.unwrap();
    assert_eq!(d.description(), Some("the db"));
    assert_eq!(d.kms_key_id(), Some(alias.as_str()));
    assert_eq!(d.tags().len(), 1);
    let v = c.get_secret_value().secret_id(&name).send().await.unwrap();
    assert_eq!(v.secret_binary().unwrap().as_ref(), &[0u8, 1, 2, 255]);
    assert!(v.secret_string().is_none());
}

#[tokio::test]
async fn existing_name_fails_even_with_a_fresh_token() {
    let c = shared().client();
    let name = unique("lc/dup");
    create(&c, &name, "one").await;
    let (code, msg) = err(c
        .create_secret()
        .name(&name)
        .secret_string("two")
        .send()
        .await);
    assert_eq!(code, "ResourceExistsException");
    assert_eq!(
        msg,
        format!("The operation failed because the secret {name} already exists.")
    );
}

#[tokio::test]
async fn same_token_is_idempotent_only_with_the_same_value() {
    let c = shared().client();
    let name = unique("lc/idem");
    let tok = token();
    let first = c
        .create_secret()
        .name(&name)
        .secret_string("v")
        .client_request_token(&tok)
        .send()
        .await
        .unwrap();
    let again = c
        .create_secret()
        .name(&name)
        .secret_string("v")
        .client_request_token(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(first.arn(), again.arn());
    assert_eq!(again.version_id(), Some(tok.as_str()));
    let (code, msg) = err(c
        .create_secret()
        .name(&name)
        .secret_string("other")
        .client_request_token(&tok)
        .send()
        .await);
    assert_eq!(code, "ResourceExistsException");
    assert!(msg.contains(&tok), "{msg}");
}

#[tokio::test]
async fn invalid_names_are_rejected_before_lookup() {
    let c = shared().client();
    let expected = "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!";
    let (code, msg) = err(c
        .create_secret()
        .name("bad name")
        .secret_string("x")
        .send()
        .await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("ValidationException", expected)
    );
    let (code, _) = err(c.describe_secret().secret_id("no such;secret").send().await);
    assert_eq!(code, "ValidationException");
    let (code, _) = err(c.get_secret_value().secret_id("bad#name").send().await);
    assert_eq!(code, "ValidationException");
    let long = "a".repeat(513);
    let (code, msg) = err(c.create_secret().name(&long).send().await);
    assert_eq!(code, "ValidationException");
    assert!(
        msg.contains("Member must have length less than or equal to 512"),
        "{msg}"
    );
}

#[tokio::test]
async fn both_value_kinds_are_refused() {
    let c = shared().client();
    let (code, _) = err(c
        .create_secret()
        .name(unique("lc/both"))
        .secret_string("s")
        .secret_binary(Blob::new(b"b".to_vec()))
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
}

#[tokio::test]
async fn values_over_64_kib_are_refused() {
    let c = shared().client();
    let big = "x".repeat(65_537);
    let (code, msg) = err(c
        .create_secret()
        .name(unique("lc/big"))
        .secret_string(big)
        .send()
        .await);
    assert_eq!(code, "ValidationException");
    assert!(
        msg.contains("'secretString'") && !msg.contains("xxx"),
        "{msg}"
    );
    let ok = "x".repeat(65_536);
    c.create_secret()
        .name(unique("lc/max"))
        .secret_string(ok)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn update_metadata_only_returns_no_version() {
    let c = shared().client();
    let name = unique("lc/upd");
    create(&c, &name, "v1").await;
    let before = c.describe_secret().secret_id(&name).send().await.unwrap();
    let out = c
        .update_secret()
        .secret_id(&name)
        .description("now described")
        .send()
        .await
        .unwrap();
    assert!(out.version_id().is_none());
    let after = c.describe_secret().secret_id(&name).send().await.unwrap();
    assert_eq!(after.description(), Some("now described"));
    assert!(after.last_changed_date().unwrap() > before.last_changed_date().unwrap());
}

#[tokio::test]
async fn update_with_value_makes_a_new_current_version() {
    let c = shared().client();
    let name = unique("lc/updval");
    create(&c, &name, "v1").await;
    let out = c
        .update_secret()
        .secret_id(&name)
        .secret_string("v2")
        .send()
        .await
        .unwrap();
    let new_id = out.version_id().unwrap().to_string();
    assert_eq!(current_value(&c, &name).await, "v2");
    let d = c.describe_secret().secret_id(&name).send().await.unwrap();
    let map = d.version_ids_to_stages().unwrap();
    assert_eq!(map[&new_id], vec!["AWSCURRENT".to_string()]);
    assert_eq!(map.len(), 2);
    assert!(map.values().any(|s| s == &vec!["AWSPREVIOUS".to_string()]));
}

#[tokio::test]
async fn update_and_describe_of_missing_secret() {
    let c = shared().client();
    let (code, msg) = err(c
        .update_secret()
        .secret_id(unique("lc/none"))
        .description("d")
        .send()
        .await);
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(msg, "Secrets Manager can't find the specified secret.");
}

#[tokio::test]
async fn lookup_by_full_and_partial_arn() {
    let c = shared().client();
    let name = unique("lc/arn");
    let arn = create(&c, &name, "by-arn").await;
    assert_eq!(current_value(&c, &arn).await, "by-arn");
    let partial = arn[..arn.len() - 7].to_string();
    assert_eq!(current_value(&c, &partial).await, "by-arn");
    let wrong_suffix = format!("{partial}-ZZZZZZ");
    let (code, _) = err(c.get_secret_value().secret_id(wrong_suffix).send().await);
    assert_eq!(code, "ResourceNotFoundException");
}

#[tokio::test]
async fn a_recreated_name_gets_a_new_suffix() {
    let c = shared().client();
    let name = unique("lc/recreate");
    let first = create(&c, &name, "a").await;
    c.delete_secret()
        .secret_id(&name)
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    let second = create(&c, &name, "b").await;
    assert_ne!(first, second);
    let (code, _) = err(c.get_secret_value().secret_id(&first).send().await);
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(current_value(&c, &second).await, "b");
}
