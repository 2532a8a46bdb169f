//! Several nodes on one PostgreSQL database where timing matters: a node restarted while
//! another writes, a database that stops answering, and writes made inside other operations
//! (CloudFormation's provider calls, the AWS managed key made on first use) racing another
//! node's writes.

use crate::binary::{Emu, BIN};
use crate::common::*;
use crate::pg;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn node(url: &str, extra: &[&str]) -> Emu {
    let mut command = Command::new(BIN);
    command
        .args(["start", "--port", "0", "--store", url])
        .args(extra);
    Emu::spawn(command)
}

/// Puts values into `names` through `c` until `stop` is set.
fn keep_writing(
    c: aws_sdk_secretsmanager::Client,
    names: Vec<String>,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let mut n = 0;
        while !stop.load(Ordering::SeqCst) {
            let name = &names[n % names.len()];
            let _ = c
                .put_secret_value()
                .secret_id(name)
                .secret_string(format!("busy-{n}"))
                .send()
                .await;
            n += 1;
        }
        n
    })
}

/// Tags `name` through `c` until `stop` is set: a change of the secret that is not a value.
fn keep_tagging(
    c: aws_sdk_secretsmanager::Client,
    name: String,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let mut n = 0;
        while !stop.load(Ordering::SeqCst) {
            let tag = aws_sdk_secretsmanager::types::Tag::builder()
                .key("touched")
                .value(n.to_string())
                .build();
            let _ = c.tag_resource().secret_id(&name).tags(tag).send().await;
            n += 1;
        }
        n
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_restarted_while_another_writes_acknowledges_only_what_it_commits() {
    let url = pg::database("races-restart");
    let mut a = node(&url, &[]);
    let b = node(&url, &[]);
    let cb = b.client();
    let busy: Vec<String> = (0..6).map(|i| format!("busy-{i}")).collect();
    for name in &busy {
        create(&cb, name, "v").await;
    }
    create(&cb, "mine", "v0").await;
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|_| keep_writing(b.client(), busy.clone(), stop.clone()))
        .collect();
    for round in 0..4 {
        a.kill();
        // Node B commits all along: the restarted node's start-up copy is stale at once.
        a = node(&url, &[]);
        let ca = a.client();
        for j in 0..8 {
            let value = format!("r{round}-{j}");
            let out = ca
                .put_secret_value()
                .secret_id("mine")
                .secret_string(&value)
                .send()
                .await
                .unwrap();
            // Acknowledged means committed: the other node reads it at once.
            let seen = cb
                .get_secret_value()
                .secret_id("mine")
                .send()
                .await
                .unwrap();
            assert_eq!(
                (seen.version_id(), seen.secret_string()),
                (out.version_id(), Some(value.as_str())),
                "round {round}: node B does not see what the restarted node acknowledged"
            );
        }
        // And the restarted node reads what B wrote after it started.
        let last = cb
            .put_secret_value()
            .secret_id("busy-0")
            .secret_string(format!("last-{round}"))
            .send()
            .await
            .unwrap();
        ca.get_secret_value()
            .secret_id("busy-0")
            .version_id(last.version_id().unwrap())
            .send()
            .await
            .unwrap_or_else(|e| panic!("round {round}: a stale read after restart: {e:?}"));
    }
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        assert!(w.await.unwrap() > 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_paused_database_answers_internal_error_within_the_limit() {
    let (url, dir) = pg::start_cluster("races-pause");
    let a = node(&url, &["--store-timeout", "1"]);
    let b = node(&url, &["--store-timeout", "1"]);
    let (ca, cb) = (a.client(), b.client());
    create(&ca, "paused", "v0").await;
    pg::pause(&dir, true);
    let began = Instant::now();
    let read = ca.get_secret_value().secret_id("paused").send().await;
    let put = cb
        .put_secret_value()
        .secret_id("paused")
        .secret_string("v1")
        .send()
        .await;
    let health = raw(a.addr, "GET", "/_awsemu/health", &[], Vec::new()).await;
    let waited = began.elapsed();
    pg::pause(&dir, false);
    assert_eq!(err(read).0, "InternalServiceError");
    assert_eq!(err(put).0, "InternalServiceError");
    assert_eq!(health.status, 503, "{}", health.json);
    assert_eq!(health.json["database"]["answering"], false);
    // Two requests and a health check, each bounded by the one-second limit (with slack for
    // a loaded machine), where each would otherwise wait for the database to come back.
    assert!(
        waited < Duration::from_secs(8),
        "waited {waited:?} on a paused database"
    );
    // Once it answers again, so do both nodes, and they agree on what was stored.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let h = raw(a.addr, "GET", "/_awsemu/health", &[], Vec::new()).await;
        if h.status == 200 && h.json["database"]["answering"] == true {
            break;
        }
        assert!(Instant::now() < deadline, "{}", h.json);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (va, vb) = (
        current_value(&ca, "paused").await,
        current_value(&cb, "paused").await,
    );
    assert_eq!(va, vb);
    assert_eq!(va, "v0", "the refused put changed nothing");
    let out = cb
        .put_secret_value()
        .secret_id("paused")
        .secret_string("v2")
        .send()
        .await
        .unwrap();
    let seen = ca
        .get_secret_value()
        .secret_id("paused")
        .send()
        .await
        .unwrap();
    assert_eq!(seen.version_id(), out.version_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stacks_provider_calls_that_race_another_node_are_made_again() {
    let url = pg::database("races-stack");
    let (a, b) = (node(&url, &[]), node(&url, &[]));
    let account = crate::stacks::ACCOUNT;
    let cb = client_for(b.addr, account, REGION);
    let targets: Vec<String> = (0..4).map(|i| format!("raced-{i}")).collect();
    for name in &targets {
        create(&cb, name, "v").await;
    }
    // Node B changes every target all the time; node A's stacks set their policies.
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = targets
        .iter()
        .map(|t| {
            keep_writing(
                client_for(b.addr, account, REGION),
                vec![t.clone()],
                stop.clone(),
            )
        })
        .collect();
    let mut body = String::from("Resources:\n");
    for (i, name) in targets.iter().enumerate() {
        body.push_str(&format!(
            "  Policy{i}:\n    Type: AWS::SecretsManager::ResourcePolicy\n    Properties:\n      \
             SecretId: {name}\n      ResourcePolicy:\n        Version: '2012-10-17'\n        \
             Statement:\n          - Effect: Allow\n            Principal: {{AWS: 'arn:aws:iam::{account}:root'}}\n            \
             Action: secretsmanager:GetSecretValue\n            Resource: '*'\n"
        ));
    }
    let cfn = crate::stacks::cfn(a.addr);
    for n in 0..3 {
        let (id, status) = crate::stacks::deploy(&cfn, &format!("raced-{n}"), &body, &[]).await;
        assert_eq!(
            status,
            "CREATE_COMPLETE",
            "stack raced-{n}: {:?}",
            crate::stacks::events(&cfn, &id).await
        );
    }
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        assert!(w.await.unwrap() > 0);
    }
    for name in &targets {
        let p = cb
            .get_resource_policy()
            .secret_id(name)
            .send()
            .await
            .unwrap();
        assert!(p.resource_policy().is_some(), "{name} has its policy");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_making_the_aws_managed_key_at_once_leave_one() {
    let url = pg::database("races-managed-key");
    let (a, b) = (node(&url, &[]), node(&url, &[]));
    for n in 0..4 {
        // A fresh account each round: its first secrets make its aws/secretsmanager key.
        let account = format!("31415926{n:04}");
        let mut calls = Vec::new();
        for i in 0..6 {
            for (side, emu) in [("a", &a), ("b", &b)] {
                let c = client_for(emu.addr, &account, REGION);
                let name = format!("first-{side}-{i}");
                calls.push(tokio::spawn(async move {
                    c.create_secret()
                        .name(&name)
                        .secret_string(format!("value of {name}"))
                        .send()
                        .await
                        .unwrap();
                    name
                }));
            }
        }
        let mut names = Vec::new();
        for call in calls {
            names.push(call.await.unwrap());
        }
        // One AWS managed key, the one its alias names, on both nodes.
        for emu in [&a, &b] {
            let kms = kms_client(emu.addr, &account);
            let deadline = Instant::now() + Duration::from_secs(10);
            let keys = loop {
                let keys = kms.list_keys().send().await.unwrap();
                let keys: Vec<String> = keys
                    .keys()
                    .iter()
                    .filter_map(|k| k.key_id().map(str::to_string))
                    .collect();
                if keys.len() == 1 || Instant::now() > deadline {
                    break keys;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            assert_eq!(keys.len(), 1, "account {account}: {keys:?}");
            let aliases = kms.list_aliases().send().await.unwrap();
            let alias = aliases
                .aliases()
                .iter()
                .find(|x| x.alias_name() == Some("alias/aws/secretsmanager"))
                .unwrap();
            assert_eq!(alias.target_key_id(), Some(keys[0].as_str()));
            // Every value stays readable, whichever node's key sealed it.
            let c = client_for(emu.addr, &account, REGION);
            for name in &names {
                assert_eq!(current_value(&c, name).await, format!("value of {name}"));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rotation_finishing_while_another_node_writes_its_secret_is_recorded() {
    use crate::rotation::{outcome, rotate, rotation_function};
    let url = pg::database("races-rotation");
    let (a, b) = (node(&url, &[]), node(&url, &[]));
    let (ca, cb) = (a.client(), b.client());
    let function = rotation_function(a.addr, &[], 30).await;
    let names: Vec<String> = (0..4).map(|i| format!("spun-{i}")).collect();
    for name in &names {
        create(&cb, name, "v0").await;
    }
    // Node B tags every secret all the time; node A's rotation engine records each finished
    // rotation on a secret B has just changed.
    let stop = Arc::new(AtomicBool::new(false));
    let taggers: Vec<_> = names
        .iter()
        .map(|name| keep_tagging(b.client(), name.clone(), stop.clone()))
        .collect();
    for name in &names {
        let version = rotate(&ca, name, Some(&function), None).await;
        let record = outcome(a.addr, &version).await;
        assert_eq!(record["outcome"], "Succeeded", "{record}");
    }
    stop.store(true, Ordering::SeqCst);
    for t in taggers {
        assert!(t.await.unwrap() > 0);
    }
    for c in [&ca, &cb] {
        for name in &names {
            let d = c.describe_secret().secret_id(name).send().await.unwrap();
            assert!(
                d.last_rotated_date().is_some(),
                "{name}: the finished rotation left no LastRotatedDate"
            );
            assert_eq!(d.rotation_enabled(), Some(true));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_run_again_after_a_lost_race_publishes_one_event() {
    let url = pg::database("races-events");
    let (a, b) = (node(&url, &[]), node(&url, &[]));
    let account = "717171717171";
    let (rx, rx_addr) = crate::events::Receiver::start().await;
    crate::events::put_calls_to(a.addr, account, rx_addr, "/calls").await;
    let (ca, cb) = (
        client_for(a.addr, account, REGION),
        client_for(b.addr, account, REGION),
    );
    create(&ca, "evented", "v0").await;
    // Node B changes the secret all the time (no PutSecretValue of its own): node A's puts
    // lose races and are run again.
    let stop = Arc::new(AtomicBool::new(false));
    let tagger = keep_tagging(cb, "evented".into(), stop.clone());
    let mut versions = Vec::new();
    for i in 0..20 {
        let out = ca
            .put_secret_value()
            .secret_id("evented")
            .secret_string(format!("v{i}"))
            .send()
            .await
            .unwrap();
        versions.push(out.version_id.unwrap());
    }
    stop.store(true, Ordering::SeqCst);
    assert!(tagger.await.unwrap() > 0);
    let got = rx.wait("/calls", versions.len()).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let got = rx.wait("/calls", got.len()).await;
    let mut seen: Vec<String> = got
        .iter()
        .map(|s| {
            let e: serde_json::Value = serde_json::from_str(&s.body).unwrap();
            e["detail"]["responseElements"]["versionId"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    seen.sort();
    versions.sort();
    assert_eq!(seen, versions, "one event per acknowledged write");
}
