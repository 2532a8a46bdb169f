//! UpdateSecretVersionStage and ListSecretVersionIds through the SDK.

use crate::common::*;
use aws_sdk_secretsmanager::Client;
use std::collections::HashMap;

async fn stages(c: &Client, name: &str) -> HashMap<String, Vec<String>> {
    c.describe_secret()
        .secret_id(name)
        .send()
        .await
        .unwrap()
        .version_ids_to_stages
        .unwrap_or_default()
}

async fn put(c: &Client, name: &str, value: &str, labels: &[&str]) -> String {
    let mut req = c.put_secret_value().secret_id(name).secret_string(value);
    for l in labels {
        req = req.version_stages(*l);
    }
    req.send().await.unwrap().version_id.unwrap()
}

#[tokio::test]
async fn moving_current_keeps_pending_and_demotes_the_old_version() {
    let c = shared().client();
    let name = unique("st/move");
    create(&c, &name, "v1").await;
    let v1 = stages(&c, &name).await.into_keys().next().unwrap();
    let v2 = put(&c, &name, "v2", &["AWSPENDING", "PUT0"]).await;
    c.update_secret_version_stage()
        .secret_id(&name)
        .version_stage("AWSCURRENT")
        .remove_from_version_id(&v1)
        .move_to_version_id(&v2)
        .send()
        .await
        .unwrap();
    let map = stages(&c, &name).await;
    assert_eq!(map[&v2], ["AWSPENDING", "PUT0", "AWSCURRENT"]);
    assert_eq!(map[&v1], ["AWSPREVIOUS"]);
    assert_eq!(current_value(&c, &name).await, "v2");
}

#[tokio::test]
async fn moving_current_requires_the_right_remove_from() {
    let c = shared().client();
    let name = unique("st/req");
    create(&c, &name, "v1").await;
    let v1 = stages(&c, &name).await.into_keys().next().unwrap();
    let v2 = put(&c, &name, "v2", &["X"]).await;
    let (code, msg) = err(c
        .update_secret_version_stage()
        .secret_id(&name)
        .version_stage("AWSCURRENT")
        .move_to_version_id(&v2)
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        msg,
        format!("The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version {v1}, so you must explicitly reference that version in RemoveFromVersionId.")
    );
    let (code, _) = err(c
        .update_secret_version_stage()
        .secret_id(&name)
        .version_stage("AWSCURRENT")
        .remove_from_version_id(&v2)
        .move_to_version_id(&v2)
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    let (code, _) = err(c
        .update_secret_version_stage()
        .secret_id(&name)
        .version_stage("X")
        .remove_from_version_id(&v2)
        .move_to_version_id(token())
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
}

#[tokio::test]
async fn removing_a_custom_label_deprecates_the_version() {
    let c = shared().client();
    let name = unique("st/remove");
    create(&c, &name, "v1").await;
    let v2 = put(&c, &name, "v2", &["PENDING"]).await;
    c.update_secret_version_stage()
        .secret_id(&name)
        .version_stage("PENDING")
        .remove_from_version_id(&v2)
        .send()
        .await
        .unwrap();
    let map = stages(&c, &name).await;
    assert!(!map.contains_key(&v2));
    let listed = c
        .list_secret_version_ids()
        .secret_id(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.versions().len(), 1);
    let all = c
        .list_secret_version_ids()
        .secret_id(&name)
        .include_deprecated(true)
        .send()
        .await
        .unwrap();
    assert_eq!(all.versions().len(), 2);
    let deprecated = all
        .versions()
        .iter()
        .find(|v| v.version_id() == Some(v2.as_str()))
        .unwrap();
    assert!(
        deprecated.version_stages.is_none(),
        "no VersionStages key, not an empty list"
    );
}

#[tokio::test]
async fn the_first_version_always_gets_current() {
    let c = shared().client();
    let name = unique("st/first");
    c.create_secret().name(&name).send().await.unwrap();
    let v = put(&c, &name, "only", &["AWSPENDING"]).await;
    assert_eq!(stages(&c, &name).await[&v], ["AWSPENDING", "AWSCURRENT"]);
    c.update_secret_version_stage()
        .secret_id(&name)
        .version_stage("AWSPENDING")
        .remove_from_version_id(&v)
        .send()
        .await
        .unwrap();
    assert_eq!(stages(&c, &name).await[&v], ["AWSCURRENT"]);
}

#[tokio::test]
async fn list_version_ids_shape() {
    let c = shared().client();
    let name = unique("st/list");
    let arn = create(&c, &name, "v1").await;
    put(&c, &name, "v2", &["AWSCURRENT"]).await;
    c.get_secret_value().secret_id(&name).send().await.unwrap();
    let out = c
        .list_secret_version_ids()
        .secret_id(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(out.arn(), Some(arn.as_str()));
    assert_eq!(out.name(), Some(name.as_str()));
    let vs = out.versions();
    assert_eq!(vs.len(), 2);
    // Oldest first, as AWS lists them.
    assert_eq!(vs[1].version_stages(), ["AWSCURRENT"], "oldest first");
    assert!(vs[1].created_date().unwrap() > vs[0].created_date().unwrap());
    assert!(
        vs[1].last_accessed_date().is_some(),
        "the current version was read"
    );
    assert!(vs[0].last_accessed_date().is_none());
    for v in vs {
        assert_eq!(v.kms_key_ids(), ["DefaultEncryptionKey"]);
    }
}

#[tokio::test]
async fn list_version_ids_pages_and_prunes_past_100_deprecated() {
    let c = shared().client();
    let name = unique("st/many");
    create(&c, &name, "v0").await;
    for i in 1..130 {
        put(&c, &name, &format!("v{i}"), &["AWSCURRENT"]).await;
    }
    let mut ids = Vec::new();
    let mut next = None;
    loop {
        let out = c
            .list_secret_version_ids()
            .secret_id(&name)
            .include_deprecated(true)
            .max_results(25)
            .set_next_token(next)
            .send()
            .await
            .unwrap();
        ids.extend(
            out.versions()
                .iter()
                .map(|v| v.version_id().unwrap().to_string()),
        );
        next = out.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    assert_eq!(
        ids.len(),
        102,
        "AWSCURRENT, AWSPREVIOUS and 100 deprecated versions"
    );
    let unique_ids: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique_ids.len(), 102);
    // Without MaxResults, all of them in one answer, as recorded against AWS.
    let all = c
        .list_secret_version_ids()
        .secret_id(&name)
        .include_deprecated(true)
        .send()
        .await
        .unwrap();
    assert_eq!(all.versions().len(), 102);
    assert_eq!(all.next_token(), None);
    let default = c
        .list_secret_version_ids()
        .secret_id(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(default.versions().len(), 2);
}

#[tokio::test]
async fn list_version_ids_rejects_bad_tokens() {
    let c = shared().client();
    let name = unique("st/tok");
    create(&c, &name, "v").await;
    let (code, _) = err(c
        .list_secret_version_ids()
        .secret_id(&name)
        .next_token("not-a-token!")
        .send()
        .await);
    assert_eq!(code, "InvalidNextTokenException");
}

#[tokio::test]
async fn a_hundred_unlabelled_versions_are_kept_besides_the_labelled_ones() {
    let c = shared().client();
    let name = unique("stages/many");
    create(&c, &name, "v0").await;
    for i in 1..130 {
        c.put_secret_value()
            .secret_id(&name)
            .secret_string(format!("v{i}"))
            .send()
            .await
            .unwrap();
    }
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let page = c
            .list_secret_version_ids()
            .secret_id(&name)
            .include_deprecated(true)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        all.extend(page.versions().iter().cloned());
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(all.len(), 102);
    let labelled = all
        .iter()
        .filter(|v| !v.version_stages().is_empty())
        .count();
    assert_eq!(labelled, 2);
}
