//! Accounts and regions from SigV4 credentials: isolation and access by ARN.

use crate::common::*;

#[tokio::test]
async fn accounts_and_regions_are_separate_namespaces() {
    let server = shared();
    let name = unique("acct/same-name");
    let a = server.client_as("111111111111", "us-east-1");
    let b = server.client_as("222222222222", "us-east-1");
    let a_west = server.client_as("111111111111", "eu-west-1");
    let default = server.client_as("AKIAIOSFODNN7EXAMPLE", "us-east-1");
    let arn_a = create(&a, &name, "a").await;
    assert!(arn_a.contains(":us-east-1:111111111111:secret:"));
    let arn_b = create(&b, &name, "b").await;
    assert!(arn_b.contains(":222222222222:"));
    let arn_w = create(&a_west, &name, "west").await;
    assert!(arn_w.contains(":eu-west-1:111111111111:"));
    let arn_d = create(&default, &name, "default").await;
    assert!(arn_d.contains(":us-east-1:000000000000:"));
    assert_eq!(current_value(&a, &name).await, "a");
    assert_eq!(current_value(&b, &name).await, "b");
    assert_eq!(current_value(&a_west, &name).await, "west");
    assert_eq!(current_value(&default, &name).await, "default");
}

#[tokio::test]
async fn an_arn_addresses_its_own_namespace() {
    let server = shared();
    let owner = server.client_as("333333333333", "us-east-1");
    let west = server.client_as("333333333333", "eu-central-1");
    let other = server.client_as("444444444444", "us-east-1");
    let name = unique("acct/by-arn");
    let arn = create(&owner, &name, "v").await;
    // Same account, another region: the ARN's region wins.
    assert_eq!(current_value(&west, &arn).await, "v");
    // Another account may act on it by ARN only as its resource policy allows.
    let (code, _) = err(other.describe_secret().secret_id(&arn).send().await);
    assert_eq!(code, "AccessDeniedException");
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "444444444444"}, "Action": "secretsmanager:*", "Resource": "*"}]})
    .to_string();
    owner
        .put_resource_policy()
        .secret_id(&name)
        .resource_policy(&policy)
        .send()
        .await
        .unwrap();
    let d = other
        .describe_secret()
        .secret_id(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(d.name(), Some(name.as_str()));
    // Even then, a secret under the default key cannot be read or written from outside.
    let (code, msg) = err(other.get_secret_value().secret_id(&arn).send().await);
    assert_eq!(code, "InvalidRequestException");
    assert_eq!(
        msg,
        "You can't access a secret from a different AWS account if you encrypt the secret with the default KMS service key."
    );
    let (code, _) = err(other
        .put_secret_value()
        .secret_id(&arn)
        .secret_string("x")
        .send()
        .await);
    assert_eq!(code, "InvalidRequestException");
    // With a customer key whose policy lets the other account decrypt, reads work.
    let key_policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": ["333333333333", "444444444444"]}, "Action": "kms:*", "Resource": "*"}]});
    let key = kms_client(server.addr, "333333333333")
        .create_key()
        .policy(key_policy.to_string())
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .arn
        .unwrap();
    let keyed = unique("acct/keyed");
    let keyed_arn = owner
        .create_secret()
        .name(&keyed)
        .kms_key_id(&key)
        .secret_string("shared")
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    owner
        .put_resource_policy()
        .secret_id(&keyed)
        .resource_policy(&policy)
        .send()
        .await
        .unwrap();
    assert_eq!(current_value(&other, &keyed_arn).await, "shared");
    // A bare name never leaves the caller's namespace.
    let (code, _) = err(other.describe_secret().secret_id(&name).send().await);
    assert_eq!(code, "ResourceNotFoundException");
}

#[tokio::test]
async fn list_secrets_shows_only_the_callers_namespace() {
    let server = shared();
    let c = server.client_as("555555555555", "ap-south-1");
    create(&c, &unique("acct/listed"), "v").await;
    let other = server.client_as("555555555555", "ap-south-2");
    assert!(other
        .list_secrets()
        .send()
        .await
        .unwrap()
        .secret_list()
        .is_empty());
    assert_eq!(
        c.list_secrets().send().await.unwrap().secret_list().len(),
        1
    );
}
