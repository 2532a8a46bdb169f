//! GetSecretValue, PutSecretValue and BatchGetSecretValue through the SDK.

use crate::common::*;
use aws_sdk_secretsmanager::primitives::Blob;
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType};

#[tokio::test]
async fn put_moves_current_and_previous() {
    let c = shared().client();
    let name = unique("val/put");
    create(&c, &name, "v1").await;
    let first = c.get_secret_value().secret_id(&name).send().await.unwrap();
    let v1 = first.version_id().unwrap().to_string();
    let out = c
        .put_secret_value()
        .secret_id(&name)
        .secret_string("v2")
        .send()
        .await
        .unwrap();
    assert_eq!(out.version_stages(), ["AWSCURRENT"]);
    let v2 = out.version_id().unwrap().to_string();
    assert_eq!(current_value(&c, &name).await, "v2");
    let prev = c
        .get_secret_value()
        .secret_id(&name)
        .version_stage("AWSPREVIOUS")
        .send()
        .await
        .unwrap();
    assert_eq!(prev.version_id(), Some(v1.as_str()));
    assert_eq!(prev.secret_string(), Some("v1"));
    c.put_secret_value()
        .secret_id(&name)
        .secret_string("v3")
        .send()
        .await
        .unwrap();
    let d = c.describe_secret().secret_id(&name).send().await.unwrap();
    let map = d.version_ids_to_stages().unwrap();
    assert_eq!(
        map.len(),
        2,
        "v1 lost its last label and is hidden: {map:?}"
    );
    assert_eq!(map[&v2], ["AWSPREVIOUS"]);
}

#[tokio::test]
async fn custom_stages_leave_current_alone() {
    let c = shared().client();
    let name = unique("val/custom");
    create(&c, &name, "v1").await;
    let out = c
        .put_secret_value()
        .secret_id(&name)
        .secret_string("pending")
        .version_stages("AWSPENDING")
        .send()
        .await
        .unwrap();
    assert_eq!(out.version_stages(), ["AWSPENDING"]);
    assert_eq!(current_value(&c, &name).await, "v1");
    let pending = c
        .get_secret_value()
        .secret_id(&name)
        .version_stage("AWSPENDING")
        .send()
        .await
        .unwrap();
    assert_eq!(pending.secret_string(), Some("pending"));
}

#[tokio::test]
async fn same_token_same_value_is_a_no_op_and_other_value_fails() {
    let c = shared().client();
    let name = unique("val/idem");
    let arn = create(&c, &name, "v1").await;
    let tok = token();
    for _ in 0..2 {
        c.put_secret_value()
            .secret_id(&name)
            .secret_string("v2")
            .client_request_token(&tok)
            .send()
            .await
            .unwrap();
    }
    let versions = c
        .list_secret_version_ids()
        .secret_id(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 2);
    let (code, msg) = err(c
        .put_secret_value()
        .secret_id(&name)
        .secret_string("v3")
        .client_request_token(&tok)
        .send()
        .await);
    assert_eq!(code, "ResourceExistsException");
    assert_eq!(
        msg,
        format!("You can't use ClientRequestToken {tok} because that value is already in use for a version of secret {arn}.")
    );
}

#[tokio::test]
async fn put_needs_exactly_one_value() {
    let c = shared().client();
    let name = unique("val/none");
    create(&c, &name, "v1").await;
    let (code, msg) = err(c.put_secret_value().secret_id(&name).send().await);
    assert_eq!(code, "InvalidRequestException");
    assert_eq!(msg, "You must provide either SecretString or SecretBinary.");
    let (code, _) = err(c
        .put_secret_value()
        .secret_id(&name)
        .secret_string("s")
        .secret_binary(Blob::new(b"b".to_vec()))
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    let (code, _) = err(c
        .put_secret_value()
        .secret_id(unique("val/missing"))
        .secret_string("x")
        .send()
        .await);
    assert_eq!(code, "ResourceNotFoundException");
}

#[tokio::test]
async fn binary_round_trips_byte_exact() {
    let c = shared().client();
    let name = unique("val/bin");
    let bytes: Vec<u8> = (0..=255u8).chain([0, 0, 255]).collect();
    c.create_secret()
        .name(&name)
        .secret_binary(Blob::new(bytes.clone()))
        .send()
        .await
        .unwrap();
    let got = c.get_secret_value().secret_id(&name).send().await.unwrap();
    assert_eq!(got.secret_binary().unwrap().as_ref(), bytes.as_slice());
    let raw = raw_op(
        shared().addr,
        "GetSecretValue",
        &format!("{{\"SecretId\":\"{name}\"}}"),
    )
    .await;
    let mut keys: Vec<&String> = raw.json.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "ARN",
            "CreatedDate",
            "Name",
            "SecretBinary",
            "VersionId",
            "VersionStages"
        ]
    );
}

#[tokio::test]
async fn version_selection_errors() {
    let c = shared().client();
    let name = unique("val/sel");
    create(&c, &name, "v1").await;
    let v1 = c
        .get_secret_value()
        .secret_id(&name)
        .send()
        .await
        .unwrap()
        .version_id
        .unwrap();
    let (code, msg) = err(c
        .get_secret_value()
        .secret_id(&name)
        .version_stage("AWSPENDING")
        .send()
        .await);
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(
        msg,
        "Secrets Manager can't find the specified secret value for staging label: AWSPENDING"
    );
    let missing = token();
    let (code, msg) = err(c
        .get_secret_value()
        .secret_id(&name)
        .version_id(&missing)
        .send()
        .await);
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(
        msg,
        format!("Secrets Manager can't find the specified secret value for VersionId: {missing}")
    );
    let (code, msg) = err(c
        .get_secret_value()
        .secret_id(&name)
        .version_id(&v1)
        .version_stage("AWSPREVIOUS")
        .send()
        .await);
    assert_eq!(code, "InvalidRequestException");
    assert_eq!(
        msg,
        "You provided a VersionStage that is not associated to the provided VersionId."
    );
    let both = c
        .get_secret_value()
        .secret_id(&name)
        .version_id(&v1)
        .version_stage("AWSCURRENT")
        .send()
        .await
        .unwrap();
    assert_eq!(both.secret_string(), Some("v1"));
}

#[tokio::test]
async fn batch_by_ids_reports_errors_per_item() {
    let c = shared().client();
    let a = unique("val/batch-a");
    let b = unique("val/batch-b");
    create(&c, &a, "A").await;
    create(&c, &b, "B").await;
    let missing = unique("val/batch-missing");
    let out = c
        .batch_get_secret_value()
        .secret_id_list(&a)
        .secret_id_list(&missing)
        .secret_id_list(&b)
        .send()
        .await
        .unwrap();
    let values: Vec<_> = out
        .secret_values()
        .iter()
        .map(|v| v.secret_string().unwrap())
        .collect();
    assert_eq!(values, ["A", "B"]);
    assert_eq!(out.errors().len(), 1);
    assert_eq!(out.errors()[0].secret_id(), Some(missing.as_str()));
    assert_eq!(
        out.errors()[0].error_code(),
        Some("ResourceNotFoundException")
    );
}

#[tokio::test]
async fn batch_by_filters_pages() {
    let c = shared().client();
    let prefix = unique("val/bf");
    for i in 0..5 {
        create(&c, &format!("{prefix}/{i}"), &format!("value{i}")).await;
    }
    let filter = Filter::builder()
        .key(FilterNameStringType::Name)
        .values(&prefix)
        .build();
    let mut seen = Vec::new();
    let mut next = None;
    loop {
        let out = c
            .batch_get_secret_value()
            .filters(filter.clone())
            .max_results(2)
            .set_next_token(next)
            .send()
            .await
            .unwrap();
        assert!(out.secret_values().len() <= 2);
        seen.extend(
            out.secret_values()
                .iter()
                .map(|v| v.secret_string().unwrap().to_string()),
        );
        next = out.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    assert_eq!(seen, ["value0", "value1", "value2", "value3", "value4"]);
}

#[tokio::test]
async fn batch_needs_ids_or_filters_but_not_both() {
    let c = shared().client();
    let (code, _) = err(c.batch_get_secret_value().send().await);
    assert_eq!(code, "InvalidParameterException");
    let filter = Filter::builder()
        .key(FilterNameStringType::Name)
        .values("x")
        .build();
    let (code, msg) = err(c
        .batch_get_secret_value()
        .secret_id_list("x")
        .filters(filter)
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        msg,
        "Either 'SecretIdList' or 'Filters' must be provided, but not both."
    );
    let mut too_many = c.batch_get_secret_value();
    for i in 0..21 {
        too_many = too_many.secret_id_list(format!("s{i}"));
    }
    let (code, _) = err(too_many.send().await);
    assert_eq!(code, "ValidationException");
}

#[tokio::test]
async fn the_first_value_of_an_empty_secret_becomes_current_and_the_answer_says_so() {
    let c = shared().client();
    let name = unique("values/empty-first");
    c.create_secret().name(&name).send().await.unwrap();
    let put = c
        .put_secret_value()
        .secret_id(&name)
        .secret_string("first")
        .version_stages("mylabel")
        .send()
        .await
        .unwrap();
    let mut stages = put.version_stages().to_vec();
    stages.sort();
    assert_eq!(stages, ["AWSCURRENT", "mylabel"]);
    assert_eq!(current_value(&c, &name).await, "first");
    // A later value with only its own label does not take AWSCURRENT.
    let later = c
        .put_secret_value()
        .secret_id(&name)
        .secret_string("second")
        .version_stages("other")
        .send()
        .await
        .unwrap();
    assert_eq!(later.version_stages(), ["other"]);
    assert_eq!(current_value(&c, &name).await, "first");
}

#[tokio::test]
async fn versions_are_listed_in_the_order_they_were_created() {
    let addr = shared().addr;
    let name = unique("values/order");
    let (older, newer) = (
        "88888888-8888-4888-8888-888888888888",
        "00000000-0000-4000-8000-000000000000",
    );
    let created = raw_op(
        addr,
        "CreateSecret",
        &format!(
            "{{\"Name\":\"{name}\",\"SecretString\":\"a\",\"ClientRequestToken\":\"{older}\"}}"
        ),
    )
    .await;
    assert_eq!(created.status, 200);
    let put = raw_op(
        addr,
        "PutSecretValue",
        &format!(
            "{{\"SecretId\":\"{name}\",\"SecretString\":\"b\",\"ClientRequestToken\":\"{newer}\"}}"
        ),
    )
    .await;
    assert_eq!(put.status, 200);
    let described = raw_op(
        addr,
        "DescribeSecret",
        &format!("{{\"SecretId\":\"{name}\"}}"),
    )
    .await;
    let ids: Vec<&String> = described.json["VersionIdsToStages"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(ids, [older, newer], "oldest first, not sorted by id");
    let listed = raw_op(
        addr,
        "ListSecrets",
        &format!("{{\"Filters\":[{{\"Key\":\"name\",\"Values\":[\"{name}\"]}}]}}"),
    )
    .await;
    let ids: Vec<&String> = listed.json["SecretList"][0]["SecretVersionsToStages"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(ids, [older, newer]);
}
