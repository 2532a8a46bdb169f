//! Replication through region-scoped SDK clients: real replicas that follow their primary.

use crate::common::*;
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType, ReplicaRegionType, Tag};

fn region(r: &str) -> ReplicaRegionType {
    ReplicaRegionType::builder().region(r).build()
}

#[tokio::test]
async fn replicas_are_real_secrets_that_follow_the_primary() {
    let server = TestServer::isolated().await;
    let east = server.client_as("111111111111", "us-east-1");
    let west = server.client_as("111111111111", "eu-west-1");
    let out = east
        .create_secret()
        .name("repl/app")
        .secret_string("v1")
        .add_replica_regions(region("eu-west-1"))
        .send()
        .await
        .unwrap();
    let status = out.replication_status();
    assert_eq!(status.len(), 1);
    assert_eq!(status[0].region(), Some("eu-west-1"));
    assert_eq!(
        status[0]
            .status()
            .map(aws_sdk_secretsmanager::types::StatusType::as_str),
        Some("InSync")
    );
    let primary_arn = out.arn().unwrap().to_string();

    let replica = west
        .describe_secret()
        .secret_id("repl/app")
        .send()
        .await
        .unwrap();
    assert_eq!(replica.primary_region(), Some("us-east-1"));
    assert_eq!(
        replica.arn().unwrap(),
        primary_arn.replace("us-east-1", "eu-west-1")
    );
    assert_eq!(current_value(&west, "repl/app").await, "v1");
    let primary = east
        .describe_secret()
        .secret_id("repl/app")
        .send()
        .await
        .unwrap();
    assert_eq!(primary.primary_region(), Some("us-east-1"));
    assert_eq!(primary.replication_status().len(), 1);

    east.put_secret_value()
        .secret_id("repl/app")
        .secret_string("v2")
        .send()
        .await
        .unwrap();
    east.update_secret()
        .secret_id("repl/app")
        .description("shared")
        .send()
        .await
        .unwrap();
    east.tag_resource()
        .secret_id("repl/app")
        .tags(Tag::builder().key("team").value("db").build())
        .send()
        .await
        .unwrap();
    east.put_resource_policy()
        .secret_id("repl/app")
        .resource_policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(current_value(&west, "repl/app").await, "v2");
    let prev = west
        .get_secret_value()
        .secret_id("repl/app")
        .version_stage("AWSPREVIOUS")
        .send()
        .await
        .unwrap();
    assert_eq!(prev.secret_string(), Some("v1"));
    let replica = west
        .describe_secret()
        .secret_id("repl/app")
        .send()
        .await
        .unwrap();
    assert_eq!(replica.description(), Some("shared"));
    assert_eq!(replica.tags().len(), 1);
    assert!(west
        .get_resource_policy()
        .secret_id("repl/app")
        .send()
        .await
        .unwrap()
        .resource_policy()
        .is_some());

    let refused = "Operation not permitted on a replica secret. Call must be made in primary secret's region.";
    let (code, msg) = err(west
        .put_secret_value()
        .secret_id("repl/app")
        .secret_string("x")
        .send()
        .await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("InvalidParameterException", refused)
    );
    // Every operation that would change the replica is refused the same way.
    let addr = server.addr;
    let id = "\"SecretId\": \"repl/app\"";
    let token = "\"ClientRequestToken\": \"11111111-2222-4333-8444-555555555555\"";
    for (op, body) in [
        ("UpdateSecret", format!("{{{id}, {token}, \"Description\": \"x\"}}")),
        ("PutSecretValue", format!("{{{id}, {token}, \"SecretString\": \"x\"}}")),
        ("TagResource", format!("{{{id}, \"Tags\": [{{\"Key\": \"k\", \"Value\": \"v\"}}]}}")),
        ("UntagResource", format!("{{{id}, \"TagKeys\": [\"k\"]}}")),
        ("PutResourcePolicy", serde_json::json!({
            "SecretId": "repl/app",
            "ResourcePolicy": serde_json::json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}).to_string(),
        }).to_string()),
        ("DeleteResourcePolicy", format!("{{{id}}}")),
        ("DeleteSecret", format!("{{{id}}}")),
        ("RotateSecret", format!("{{{id}, {token}, \"RotationLambdaARN\": \"arn:aws:lambda:eu-west-1:111111111111:function:f\"}}")),
        ("UpdateSecretVersionStage", format!("{{{id}, \"VersionStage\": \"X\", \"MoveToVersionId\": \"11111111-2222-4333-8444-555555555555\"}}")),
    ] {
        let headers = [
            ("x-amz-target", format!("secretsmanager.{op}")),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=111111111111/20260101/eu-west-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=0".to_string(),
            ),
        ];
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = raw(addr, "POST", "/", &headers, body.into_bytes()).await;
        assert_eq!(
            (r.json["__type"].as_str(), r.json["Message"].as_str()),
            (Some("InvalidParameterException"), Some(refused)),
            "{op}"
        );
    }

    let filtered = west
        .list_secrets()
        .filters(
            Filter::builder()
                .key(FilterNameStringType::PrimaryRegion)
                .values("us-east-1")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(filtered.secret_list().len(), 1);
}

#[tokio::test]
async fn conflicts_removal_and_deletion() {
    let server = TestServer::isolated().await;
    let east = server.client_as("222222222222", "us-east-1");
    let west = server.client_as("222222222222", "us-west-2");
    create(&east, "repl/db", "primary-value").await;
    create(&west, "repl/db", "local-value").await;
    let out = east
        .replicate_secret_to_regions()
        .secret_id("repl/db")
        .add_replica_regions(region("us-west-2"))
        .send()
        .await
        .unwrap();
    let status = &out.replication_status()[0];
    assert_eq!(
        status
            .status()
            .map(aws_sdk_secretsmanager::types::StatusType::as_str),
        Some("Failed")
    );
    assert!(status.status_message().unwrap().contains("already exists"));
    assert_eq!(
        current_value(&west, "repl/db").await,
        "local-value",
        "nothing is overwritten"
    );
    let out = east
        .replicate_secret_to_regions()
        .secret_id("repl/db")
        .add_replica_regions(region("us-west-2"))
        .force_overwrite_replica_secret(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.replication_status()[0]
            .status()
            .map(aws_sdk_secretsmanager::types::StatusType::as_str),
        Some("InSync")
    );
    assert_eq!(current_value(&west, "repl/db").await, "primary-value");

    let (code, _) = err(east
        .replicate_secret_to_regions()
        .secret_id("repl/db")
        .add_replica_regions(region("us-east-1"))
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    let (code, msg) = err(east.delete_secret().secret_id("repl/db").send().await);
    assert_eq!(code, "InvalidParameterException");
    assert!(msg.contains("us-west-2"), "{msg}");

    let out = east
        .remove_regions_from_replication()
        .secret_id("repl/db")
        .remove_replica_regions("us-west-2")
        .send()
        .await
        .unwrap();
    assert!(out.replication_status().is_empty());
    let (code, _) = err(west.describe_secret().secret_id("repl/db").send().await);
    assert_eq!(code, "ResourceNotFoundException");
    let d = east
        .describe_secret()
        .secret_id("repl/db")
        .send()
        .await
        .unwrap();
    assert!(d.primary_region().is_none() && d.replication_status().is_empty());
    east.delete_secret()
        .secret_id("repl/db")
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn stopping_replication_makes_a_standalone_secret() {
    let server = TestServer::isolated().await;
    let east = server.client_as("333333333333", "us-east-1");
    let south = server.client_as("333333333333", "ap-south-1");
    east.create_secret()
        .name("repl/stop")
        .secret_string("v")
        .add_replica_regions(region("ap-south-1"))
        .add_replica_regions(region("eu-central-1"))
        .send()
        .await
        .unwrap();
    let (code, _) = err(east
        .stop_replication_to_replica()
        .secret_id("repl/stop")
        .send()
        .await);
    assert_eq!(
        code, "InvalidRequestException",
        "only a replica can be stopped"
    );
    south
        .stop_replication_to_replica()
        .secret_id("repl/stop")
        .send()
        .await
        .unwrap();
    let d = south
        .describe_secret()
        .secret_id("repl/stop")
        .send()
        .await
        .unwrap();
    assert!(d.primary_region().is_none());
    south
        .put_secret_value()
        .secret_id("repl/stop")
        .secret_string("independent")
        .send()
        .await
        .unwrap();
    let primary = east
        .describe_secret()
        .secret_id("repl/stop")
        .send()
        .await
        .unwrap();
    let regions: Vec<_> = primary
        .replication_status()
        .iter()
        .map(|r| r.region().unwrap())
        .collect();
    assert_eq!(regions, ["eu-central-1"]);
    east.put_secret_value()
        .secret_id("repl/stop")
        .secret_string("v2")
        .send()
        .await
        .unwrap();
    assert_eq!(current_value(&south, "repl/stop").await, "independent");
}

#[tokio::test]
async fn a_primary_with_replicas_cannot_be_deleted() {
    let server = TestServer::isolated().await;
    let east = server.client_as("333333333333", "us-east-1");
    let arn = east
        .create_secret()
        .name("repl/keep")
        .secret_string("v")
        .add_replica_regions(region("eu-west-1"))
        .add_replica_regions(region("ap-south-1"))
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let (code, message) = err(east.delete_secret().secret_id("repl/keep").send().await);
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        message,
        format!(
            "You can't delete secret {arn} that still has replica regions [eu-west-1, ap-south-1]."
        )
    );
}
