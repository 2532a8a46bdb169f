//! Durable state through restarts of an in-process server over the same data directory, and
//! over the same PostgreSQL database.

use crate::common::*;
use aws_sdk_secretsmanager::primitives::Blob;
use aws_sdk_secretsmanager::types::Tag;
use localemu::clock::{ManualClock, DAY_MS};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;

on_both_stores!(
    everything_survives_a_restart,
    a_pending_deletion_keeps_its_deadline_and_is_purged_after_it,
    forced_deletes_recreations_and_resets_are_durable,
    functions_and_rotation_schedules_survive_a_restart
);

/// Everything the API shows about a secret, as raw JSON.
async fn snapshot(addr: SocketAddr, id: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let describe = raw_op(
        addr,
        "DescribeSecret",
        &format!("{{\"SecretId\":\"{id}\"}}"),
    )
    .await;
    out.push(describe.json);
    let versions = raw_op(
        addr,
        "ListSecretVersionIds",
        &format!("{{\"SecretId\":\"{id}\",\"IncludeDeprecated\":true}}"),
    )
    .await;
    out.push(versions.json.clone());
    for v in versions.json["Versions"].as_array().into_iter().flatten() {
        let vid = v["VersionId"].as_str().unwrap();
        let body = format!("{{\"SecretId\":\"{id}\",\"VersionId\":\"{vid}\"}}");
        out.push(raw_op(addr, "GetSecretValue", &body).await.json);
    }
    out
}

async fn everything_survives_a_restart(at: Backing) {
    let clock = Arc::new(ManualClock::new(START));
    let server = PersistentServer::start_at(&at, clock.clone()).await;
    let c = server.client();
    let key = key_with_alias(server.addr, "000000000000", "alias/mine").await;
    c.create_secret()
        .name("full")
        .description("all the fields")
        .kms_key_id("alias/mine")
        .secret_string("v1")
        .tags(Tag::builder().key("env").value("dev").build())
        .send()
        .await
        .unwrap();
    c.put_secret_value()
        .secret_id("full")
        .secret_binary(Blob::new(vec![0, 1, 255]))
        .send()
        .await
        .unwrap();
    c.put_secret_value()
        .secret_id("full")
        .secret_string("v3")
        .send()
        .await
        .unwrap();
    c.put_secret_value()
        .secret_id("full")
        .secret_string("p")
        .version_stages("CUSTOM")
        .send()
        .await
        .unwrap();
    c.get_secret_value().secret_id("full").send().await.unwrap();
    c.create_secret()
        .name("untagged")
        .secret_string("x")
        .tags(Tag::builder().key("a").value("b").build())
        .send()
        .await
        .unwrap();
    c.untag_resource()
        .secret_id("untagged")
        .tag_keys("a")
        .send()
        .await
        .unwrap();
    c.create_secret().name("empty").send().await.unwrap();
    c.create_secret()
        .name("doomed")
        .secret_string("d")
        .send()
        .await
        .unwrap();
    c.delete_secret()
        .secret_id("doomed")
        .recovery_window_in_days(10)
        .send()
        .await
        .unwrap();
    let other = client_for(server.addr, "123456789012", "eu-west-3");
    create(&other, "elsewhere", "far").await;

    let names = ["full", "untagged", "empty", "doomed"];
    let mut before = Vec::new();
    for n in names {
        // The first pass reads every version, which sets access dates; the second is stable.
        snapshot(server.addr, n).await;
        before.push(snapshot(server.addr, n).await);
    }
    server.stop().await;

    let server = PersistentServer::start_at(&at, clock.clone()).await;
    for (n, expected) in names.iter().zip(&before) {
        assert_eq!(&snapshot(server.addr, n).await, expected, "{n}");
    }
    let other = client_for(server.addr, "123456789012", "eu-west-3");
    assert_eq!(current_value(&other, "elsewhere").await, "far");
    // KMS keys and their aliases come back with the secrets that use them.
    let k = kms_client(server.addr, "000000000000");
    let meta = k
        .describe_key()
        .key_id("alias/mine")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(meta.arn(), Some(key.as_str()));
    let listed = server
        .client()
        .list_secrets()
        .include_planned_deletion(true)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.secret_list().len(), 4);
    server.stop().await;
}

async fn a_pending_deletion_keeps_its_deadline_and_is_purged_after_it(at: Backing) {
    let server = PersistentServer::start_at(&at, Arc::new(ManualClock::new(START))).await;
    create(&server.client(), "later", "v").await;
    server
        .client()
        .delete_secret()
        .secret_id("later")
        .recovery_window_in_days(7)
        .send()
        .await
        .unwrap();
    server.stop().await;

    let server =
        PersistentServer::start_at(&at, Arc::new(ManualClock::new(START + 6 * DAY_MS))).await;
    let d = server
        .client()
        .describe_secret()
        .secret_id("later")
        .send()
        .await
        .unwrap();
    assert!(d.deleted_date().is_some());
    let (code, _) = err(server
        .client()
        .get_secret_value()
        .secret_id("later")
        .send()
        .await);
    assert_eq!(code, "InvalidRequestException");
    server.stop().await;

    let after = Arc::new(ManualClock::new(START + 7 * DAY_MS + 1));
    let server = PersistentServer::start_at(&at, after.clone()).await;
    let (code, _) = err(server
        .client()
        .describe_secret()
        .secret_id("later")
        .send()
        .await);
    assert_eq!(code, "ResourceNotFoundException");
    server.stop().await;

    let server = PersistentServer::start_at(&at, after).await;
    let (code, _) = err(server
        .client()
        .describe_secret()
        .secret_id("later")
        .send()
        .await);
    assert_eq!(code, "ResourceNotFoundException", "the purge was persisted");
    create(&server.client(), "later", "again").await;
    server.stop().await;
}

async fn forced_deletes_recreations_and_resets_are_durable(at: Backing) {
    let clock = Arc::new(ManualClock::new(START));
    let server = PersistentServer::start_at(&at, clock.clone()).await;
    let c = server.client();
    let first = create(&c, "reborn", "old").await;
    for i in 0..5 {
        c.put_secret_value()
            .secret_id("reborn")
            .secret_string(format!("old{i}"))
            .send()
            .await
            .unwrap();
    }
    c.delete_secret()
        .secret_id("reborn")
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    let second = create(&c, "reborn", "new").await;
    assert_ne!(first, second);
    server.stop().await;

    let server = PersistentServer::start_at(&at, clock.clone()).await;
    let c = server.client();
    assert_eq!(current_value(&c, "reborn").await, "new");
    let versions = c
        .list_secret_version_ids()
        .secret_id("reborn")
        .include_deprecated(true)
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 1);
    let role = "arn:aws:iam::000000000000:role/Kept";
    let before = crate::identity::assume(server.addr, "000000000000", role).await;
    let reset = raw(server.addr, "POST", "/_awsemu/reset", &[], Vec::new()).await;
    assert_eq!(reset.status, 200);
    let after = crate::identity::assume(server.addr, "000000000000", role).await;
    assert!(c
        .list_secrets()
        .send()
        .await
        .unwrap()
        .secret_list()
        .is_empty());
    server.stop().await;

    let server = PersistentServer::start_at(&at, clock).await;
    assert!(server
        .client()
        .list_secrets()
        .send()
        .await
        .unwrap()
        .secret_list()
        .is_empty());
    // A reset forgets every resource but not STS's key: sessions issued on either side of
    // it still say who they are after the restart.
    for session in [before, after] {
        assert_eq!(
            crate::identity::caller_arn(server.addr, session).await,
            "arn:aws:sts::000000000000:assumed-role/Kept/session-1"
        );
    }
    server.stop().await;
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("persist-perms");
    let server = PersistentServer::start(&dir, Arc::new(ManualClock::new(START))).await;
    server.stop().await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("localemu.redb")), 0o600);
}

async fn functions_and_rotation_schedules_survive_a_restart(at: Backing) {
    use crate::rotation::{outcome, rotation_function, rotations_of};
    let clock = Arc::new(ManualClock::new(START));
    let server = PersistentServer::start_at(&at, clock.clone()).await;
    let function = rotation_function(server.addr, &[], 10).await;
    let c = server.client();
    let arn = create(&c, "rotating", "v1").await;
    let token = crate::rotation::rotate(&c, "rotating", Some(&function), Some(3)).await;
    assert_eq!(outcome(server.addr, &token).await["outcome"], "Succeeded");
    snapshot(server.addr, "rotating").await;
    let before = snapshot(server.addr, "rotating").await;
    server.stop().await;

    let server = PersistentServer::start_at(&at, clock.clone()).await;
    assert_eq!(snapshot(server.addr, "rotating").await, before);
    let l = lambda_client(server.addr);
    let name = function.rsplit(':').next().unwrap();
    let conf = l
        .get_function_configuration()
        .function_name(name)
        .send()
        .await
        .unwrap();
    assert_eq!(conf.handler(), Some("rotation.handler"));
    assert!(l
        .get_policy()
        .function_name(name)
        .send()
        .await
        .unwrap()
        .policy()
        .unwrap()
        .contains("secretsmanager"));
    // The schedule survived too: moving the clock past it rotates with the restored function.
    let moved = raw(
        server.addr,
        "POST",
        "/_awsemu/clock",
        &[],
        br#"{"advance": "4d"}"#.to_vec(),
    )
    .await;
    assert_eq!(moved.status, 200);
    // The history survived as well: the first rotation, then the scheduled one.
    let list = rotations_of(server.addr, &arn, 2).await;
    assert_eq!(list[0]["version_id"], token.as_str());
    assert_eq!(list[1]["scheduled"], true);
    assert_eq!(list[1]["outcome"], "Succeeded", "{}", list[1]);
    server.stop().await;
}
