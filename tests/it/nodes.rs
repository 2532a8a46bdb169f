//! Several `awsemu` processes sharing one PostgreSQL database: any node answers any request
//! with one node's semantics, nothing acknowledged is lost when a node is killed, background
//! work happens once, and the database's own failures answer as AWS's do.

use crate::binary::{Emu, BIN};
use crate::common::*;
use crate::pg;
use aws_sdk_secretsmanager::Client;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn node(url: &str) -> Emu {
    let mut command = Command::new(BIN);
    command.args(["start", "--port", "0", "--store", url]);
    Emu::spawn(command)
}

async fn health(addr: SocketAddr) -> RawResponse {
    raw(addr, "GET", "/_awsemu/health", &[], Vec::new()).await
}

/// Waits until `check` holds of the node's health answer.
async fn health_until(addr: SocketAddr, what: &str, check: impl Fn(&serde_json::Value) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let h = health(addr).await;
        if check(&h.json) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: {}", h.json);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn advance(addr: SocketAddr, span: &str) {
    let body = format!("{{\"advance\": \"{span}\"}}").into_bytes();
    assert_eq!(
        raw(addr, "POST", "/_awsemu/clock", &[], body).await.status,
        200
    );
}

/// Every version of `id` with its stages, deprecated ones included.
async fn versions(c: &Client, id: &str) -> Vec<(String, Vec<String>)> {
    c.list_secret_version_ids()
        .secret_id(id)
        .include_deprecated(true)
        .send()
        .await
        .unwrap()
        .versions()
        .iter()
        .map(|v| {
            (
                v.version_id().unwrap().to_string(),
                v.version_stages().to_vec(),
            )
        })
        .collect()
}

fn assert_stage_invariants(list: &[(String, Vec<String>)]) {
    let count = |stage: &str| {
        list.iter()
            .filter(|(_, s)| s.iter().any(|x| x == stage))
            .count()
    };
    assert_eq!(count("AWSCURRENT"), 1, "{list:?}");
    assert!(count("AWSPREVIOUS") <= 1, "{list:?}");
    assert!(count("AWSPENDING") <= 1, "{list:?}");
}

#[derive(Default)]
struct Acked {
    versions: Vec<String>,
    secrets: Vec<String>,
    errors: Vec<String>,
}

/// Writers on both nodes at once, on one secret and on secrets of their own.
async fn write(c: Client, writer: usize, acked: Arc<Mutex<Acked>>) {
    for j in 0..15 {
        let put = c
            .put_secret_value()
            .secret_id("shared")
            .secret_string(format!("w{writer}-{j}"))
            .send()
            .await;
        let name = format!("own-{writer}-{j}");
        let created = c
            .create_secret()
            .name(&name)
            .secret_string("x")
            .send()
            .await;
        let mut a = acked.lock().unwrap();
        match put {
            Ok(out) => a.versions.push(out.version_id.unwrap()),
            Err(e) => a.errors.push(format!("{e:?}")),
        }
        match created {
            Ok(_) => a.secrets.push(name),
            Err(e) => a.errors.push(format!("{e:?}")),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_on_two_nodes_lose_nothing_when_one_is_killed() {
    let url = pg::database("nodes-writers");
    let a = node(&url);
    let b = node(&url);
    create(&a.client(), "shared", "v0").await;
    let survivor = Arc::new(Mutex::new(Acked::default()));
    let victim = Arc::new(Mutex::new(Acked::default()));
    let mut tasks = Vec::new();
    for w in 0..3 {
        tasks.push(tokio::spawn(write(a.client(), w, survivor.clone())));
        tasks.push(tokio::spawn(write(b.client(), 10 + w, victim.clone())));
    }
    // SIGKILL one node while both are writing.
    let deadline = Instant::now() + Duration::from_mins(1);
    while victim.lock().unwrap().versions.len() < 10 {
        assert!(Instant::now() < deadline, "the writers made no progress");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    b.kill();
    for t in tasks {
        t.await.unwrap();
    }
    let survivor = survivor.lock().unwrap().clone_out();
    let victim = victim.lock().unwrap().clone_out();
    // The surviving node's writers never noticed.
    assert!(survivor.errors.is_empty(), "{:?}", survivor.errors);
    assert!(
        !victim.errors.is_empty(),
        "the killed node's writers saw it die"
    );

    let b = node(&url);
    for c in [a.client(), b.client()] {
        let list = versions(&c, "shared").await;
        assert_stage_invariants(&list);
        let stored: HashSet<&str> = list.iter().map(|(id, _)| id.as_str()).collect();
        for id in survivor.versions.iter().chain(&victim.versions) {
            assert!(
                stored.contains(id.as_str()),
                "acknowledged version {id} was lost"
            );
        }
        for name in survivor.secrets.iter().chain(&victim.secrets) {
            c.describe_secret().secret_id(name).send().await.unwrap();
        }
    }
}

impl Acked {
    fn clone_out(&self) -> Acked {
        Acked {
            versions: self.versions.clone(),
            secrets: self.secrets.clone(),
            errors: self.errors.clone(),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn any_node_reads_its_own_and_other_nodes_writes() {
    let url = pg::database("nodes-reads");
    let (first_node, second_node) = (node(&url), node(&url));
    let (ca, cb) = (first_node.client(), second_node.client());
    create(&ca, "ryw", "v0").await;
    for i in 0..30 {
        let (writer, reader) = if i % 2 == 0 { (&ca, &cb) } else { (&cb, &ca) };
        writer
            .put_secret_value()
            .secret_id("ryw")
            .secret_string(format!("v{i}"))
            .send()
            .await
            .unwrap();
        assert_eq!(current_value(reader, "ryw").await, format!("v{i}"));
    }
    // ClientRequestToken idempotency holds across nodes: the retry on the other node
    // answers with the same version and adds none.
    let token = token();
    let put = |c: &Client, value: &str| {
        c.put_secret_value()
            .secret_id("ryw")
            .secret_string(value)
            .client_request_token(&token)
            .send()
    };
    let first = put(&ca, "same").await.unwrap();
    let count = versions(&ca, "ryw").await.len();
    let again = put(&cb, "same").await.unwrap();
    assert_eq!(again.version_id(), first.version_id());
    assert_eq!(versions(&cb, "ryw").await.len(), count);
    let refused = err(put(&cb, "different").await);
    assert_eq!(refused.0, "ResourceExistsException", "{refused:?}");
    // A deletion on one node is seen by the other, with its recovery window.
    cb.delete_secret()
        .secret_id("ryw")
        .recovery_window_in_days(7)
        .send()
        .await
        .unwrap();
    let d = ca.describe_secret().secret_id("ryw").send().await.unwrap();
    assert!(d.deleted_date().is_some());
    let gone = err(ca.get_secret_value().secret_id("ryw").send().await);
    assert_eq!(gone.0, "InvalidRequestException", "{gone:?}");
    // Replication: a replica made through one node is a secret of its region on the other,
    // and follows its primary's writes made through either.
    ca.create_secret()
        .name("replicated")
        .secret_string("r1")
        .add_replica_regions(
            aws_sdk_secretsmanager::types::ReplicaRegionType::builder()
                .region("eu-west-1")
                .build(),
        )
        .send()
        .await
        .unwrap();
    cb.put_secret_value()
        .secret_id("replicated")
        .secret_string("r2")
        .send()
        .await
        .unwrap();
    let west = client_for(first_node.addr, "test", "eu-west-1");
    let replica = west
        .describe_secret()
        .secret_id("replicated")
        .send()
        .await
        .unwrap();
    assert_eq!(replica.primary_region(), Some(REGION));
    assert_eq!(current_value(&west, "replicated").await, "r2");
    // KMS keys, parameters and functions are shared too.
    let key = key_with_alias(first_node.addr, "000000000000", "alias/shared").await;
    let k = kms_client(second_node.addr, "000000000000");
    let meta = k
        .describe_key()
        .key_id("alias/shared")
        .send()
        .await
        .unwrap();
    assert_eq!(meta.key_metadata().unwrap().arn(), Some(key.as_str()));
    // Both nodes started at once, and seal session tokens with the one key they agreed on.
    let session = crate::identity::assume(
        first_node.addr,
        "000000000000",
        "arn:aws:iam::000000000000:role/Shared",
    )
    .await;
    assert_eq!(
        crate::identity::caller_arn(second_node.addr, session).await,
        "arn:aws:sts::000000000000:assumed-role/Shared/session-1"
    );
    // A reset on one node empties every node.
    let reset = raw(first_node.addr, "POST", "/_awsemu/reset", &[], Vec::new()).await;
    assert_eq!(reset.status, 200);
    let listed = cb
        .list_secrets()
        .include_planned_deletion(true)
        .send()
        .await
        .unwrap();
    assert!(listed.secret_list().is_empty(), "{listed:?}");
    let gone = err(k.describe_key().key_id("alias/shared").send().await);
    assert_eq!(gone.0, "NotFoundException", "{gone:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_scheduled_rotation_fires_once_and_survives_its_leader() {
    use crate::rotation::{outcome, rotate, rotation_function};
    let url = pg::database("nodes-rotation");
    let a = node(&url);
    health_until(a.addr, "the first node leads", |h| {
        h["database"]["leader"] == true
    })
    .await;
    let b = node(&url);
    let function = rotation_function(a.addr, &[], 10).await;
    let cb = b.client();
    let arn = create(&cb, "scheduled", "v1").await;
    let first = rotate(&cb, "scheduled", Some(&function), Some(1)).await;
    assert_eq!(outcome(b.addr, &first).await["outcome"], "Succeeded");
    assert_eq!(versions(&cb, "scheduled").await.len(), 2);

    // Both nodes' clocks pass the schedule; one rotation runs, on the lease holder.
    advance(a.addr, "2d").await;
    advance(b.addr, "2d").await;
    wait_for_versions(&cb, 3).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        versions(&cb, "scheduled").await.len(),
        3,
        "rotated more than once"
    );
    // The rotation history is shared: both nodes show the one run.
    runs_reach(a.addr, &arn, 1).await;
    runs_reach(b.addr, &arn, 1).await;

    // The holder dies: the other node takes the lease over and runs the next one.
    a.kill();
    health_until(b.addr, "the survivor leads", |h| {
        h["database"]["leader"] == true
    })
    .await;
    advance(b.addr, "2d").await;
    wait_for_versions(&cb, 4).await;
    runs_reach(b.addr, &arn, 2).await;
    assert_stage_invariants(&versions(&cb, "scheduled").await);
}

async fn wait_for_versions(c: &Client, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while versions(c, "scheduled").await.len() < n {
        assert!(Instant::now() < deadline, "no scheduled rotation");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the node at `addr` shows `n` succeeded scheduled rotations of `arn`, and no
/// more.
async fn runs_reach(addr: SocketAddr, arn: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let runs = scheduled_runs(addr, arn).await;
        assert!(runs <= n, "{runs} scheduled rotations, {n} expected");
        if runs == n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{runs} scheduled rotations, {n} expected"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Scheduled rotations the node at `addr` shows that succeeded.
async fn scheduled_runs(addr: SocketAddr, arn: &str) -> usize {
    let path = format!("/_awsemu/rotations?secret={arn}");
    let r = raw(addr, "GET", &path, &[], Vec::new()).await;
    r.json["Rotations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["scheduled"] == true && x["outcome"] == "Succeeded")
        .count()
}

#[tokio::test]
async fn values_are_sealed_in_the_database() {
    let url = pg::database("nodes-sealed");
    let server = PersistentServer::start_at(&Backing::Postgres(url.clone()), clock()).await;
    create(&server.client(), "sealed", "marker-5f1c0d").await;
    let rows = pg::bytes(
        &url,
        "SELECT bytes FROM localemu_values UNION ALL SELECT record FROM localemu_secrets",
    );
    assert!(rows.len() >= 2);
    for row in rows {
        assert!(!String::from_utf8_lossy(&row).contains("marker-5f1c0d"));
    }
    server.stop().await;
}

fn clock() -> Arc<localemu::clock::ManualClock> {
    Arc::new(localemu::clock::ManualClock::new(START))
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let url = pg::database("nodes-schema");
    let server = PersistentServer::start_at(&Backing::Postgres(url.clone()), clock()).await;
    server.stop().await;
    pg::execute(
        &url,
        "UPDATE localemu_meta SET value = '99' WHERE name = 'schema'",
    );
    let out = Command::new(BIN)
        .args(["start", "--port", "0", "--store", &url])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("schema version 99, newer than this awsemu"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lost_connection_fails_requests_as_aws_does_and_heals() {
    let url = pg::database("nodes-cut");
    let a = node(&url);
    let c = a.client();
    create(&c, "cut", "v0").await;
    let (_, name) = url.rsplit_once('/').unwrap();
    // Every connection of the node dropped under it, as when the database restarts.
    pg::execute(
        pg::cluster(),
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{name}' AND application_name = 'awsemu'"
        ),
    );
    let mut acked = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match c
            .put_secret_value()
            .secret_id("cut")
            .secret_string("after")
            .send()
            .await
        {
            Ok(out) => {
                acked.push(out.version_id.unwrap());
                break;
            }
            Err(e) => {
                let e = e.into_service_error();
                assert_eq!(e.meta().code(), Some("InternalServiceError"), "{e:?}");
            }
        }
        assert!(Instant::now() < deadline, "the node did not reconnect");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    health_until(a.addr, "connected again", |h| {
        h["database"]["connected"] == true
    })
    .await;
    let b = node(&url);
    assert_eq!(current_value(&b.client(), "cut").await, "after");
    let stored: Vec<String> = versions(&b.client(), "cut")
        .await
        .into_iter()
        .map(|v| v.0)
        .collect();
    assert!(stored.contains(&acked[0]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_that_goes_away_is_reported_and_waited_for() {
    let (url, dir) = pg::start_cluster("down");
    let a = node(&url);
    let c = a.client();
    create(&c, "down", "v0").await;
    pg::ctl(&dir, "stop");
    // Every request answers AWS's internal error at once (never a hang, never an answer
    // that might be stale), and health says why.
    health_until(a.addr, "the database is down", |h| {
        h["database"]["connected"] == false && h["storage"] == "unavailable"
    })
    .await;
    assert_eq!(health(a.addr).await.status, 503);
    let started = Instant::now();
    for e in [
        err(c.get_secret_value().secret_id("down").send().await),
        err(c
            .put_secret_value()
            .secret_id("down")
            .secret_string("x")
            .send()
            .await),
    ] {
        assert_eq!(e.0, "InternalServiceError", "{e:?}");
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    pg::ctl(&dir, "start");
    health_until(a.addr, "connected again", |h| {
        h["database"]["connected"] == true
    })
    .await;
    c.put_secret_value()
        .secret_id("down")
        .secret_string("back")
        .send()
        .await
        .unwrap();
    assert_eq!(current_value(&c, "down").await, "back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rotation_whose_node_dies_is_left_as_a_failed_one_and_taken_up_again() {
    use crate::rotation::{outcome, rotate, rotation_function};
    let url = pg::database("nodes-cut-rotation");
    let (a, b) = (node(&url), node(&url));
    let function = rotation_function(b.addr, &[("SLEEP_AT", "setSecret")], 60).await;
    let ca = a.client();
    create(&ca, "cut-short", "v1").await;
    let token = rotate(&b.client(), "cut-short", Some(&function), None).await;
    // The function made the pending value on node b, then b dies in the middle of setSecret.
    let deadline = Instant::now() + Duration::from_secs(30);
    while ca
        .get_secret_value()
        .secret_id("cut-short")
        .version_stage("AWSPENDING")
        .send()
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "createSecret did not run");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    b.kill();
    // As AWS leaves a rotation that did not finish: the old value current, the new one pending.
    assert_eq!(current_value(&ca, "cut-short").await, "v1");
    let list = versions(&ca, "cut-short").await;
    assert_stage_invariants(&list);
    assert!(list
        .iter()
        .any(|(id, stages)| *id == token && stages == &["AWSPENDING"]));
    let d = ca
        .describe_secret()
        .secret_id("cut-short")
        .send()
        .await
        .unwrap();
    assert_eq!(d.rotation_enabled(), Some(true));
    assert!(d.last_rotated_date().is_none());
    // The next RotateSecret, on the surviving node, is told so and finishes that version.
    let name = function.rsplit(':').next().unwrap();
    lambda_client(a.addr)
        .update_function_configuration()
        .function_name(name)
        .environment(aws_sdk_lambda::types::Environment::builder().build())
        .send()
        .await
        .unwrap();
    let refused = err(ca.rotate_secret().secret_id("cut-short").send().await);
    assert_eq!(refused.0, "InvalidRequestException", "{refused:?}");
    assert_eq!(outcome(a.addr, &token).await["outcome"], "Succeeded");
    let now = ca
        .get_secret_value()
        .secret_id("cut-short")
        .send()
        .await
        .unwrap();
    assert_eq!(now.version_id(), Some(token.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stack_operation_whose_node_dies_is_finished_by_the_lease_holder() {
    use crate::stack_recovery::{big_create_under_way, parameters_under};
    use crate::stacks::{cfn, events, settle};
    let url = pg::database("nodes-stack");
    let a = node(&url);
    health_until(a.addr, "the first node leads", |h| {
        h["database"]["leader"] == true
    })
    .await;
    let b = node(&url);
    // A large create on node b; node a, which leads, leaves it alone while b runs it.
    let ca = cfn(a.addr);
    let (cut, id) = big_create_under_way(&cfn(b.addr), &ca).await;
    b.kill();
    // Once b is seen dead, a rolls the create back as a restart would.
    let (status, _) = settle(&ca, &id).await;
    assert_eq!(status, "ROLLBACK_COMPLETE");
    let ev = events(&ca, &id).await;
    let rollback = ev.iter().find(|e| e.1 == "ROLLBACK_IN_PROGRESS").unwrap();
    assert!(rollback.2.contains("interrupted"), "{rollback:?}");
    assert_eq!(parameters_under(a.addr, &format!("/{cut}")).await, 0);
}
