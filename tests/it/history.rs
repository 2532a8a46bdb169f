//! A fault-injection history check on both stores: several clients per node run a mixed
//! workload (puts with recorded tokens, reads, stage moves, creates, force deletes) while
//! nodes are killed and restarted and, on PostgreSQL, connections are terminated and the
//! database is paused and restarted. Every call is recorded and the history checked
//! ([`check`]): no acknowledged write lost, no read older than a write acknowledged before
//! it began, one AWSCURRENT per secret, the nodes equal at the end.
//!
//! `HISTORY_SECONDS` lengthens the run (scripts/soak.sh runs it for minutes).

mod check;
mod workload;

use crate::binary::{Emu, BIN};
use crate::common::*;
use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use aws_sdk_secretsmanager::Client;
use check::{Call, Ended, Op};
use std::process::Command;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use workload::{Shared, Worker, STABLE};

const CLIENTS_PER_NODE: usize = 4;

/// One node: its process and the client its workers use (None while it is down).
pub struct Node {
    args: Vec<String>,
    emu: Mutex<Option<Emu>>,
    client: RwLock<Option<Client>>,
}

impl Node {
    fn start(args: Vec<String>) -> Arc<Node> {
        let node = Arc::new(Node {
            args,
            emu: Mutex::default(),
            client: RwLock::default(),
        });
        node.restart();
        node
    }

    fn restart(&self) {
        let mut command = Command::new(BIN);
        command.args(&self.args);
        let emu = Emu::spawn(command);
        *self.client.write().unwrap() = Some(emu.client());
        *self.emu.lock().unwrap() = Some(emu);
    }

    fn kill(&self) {
        *self.client.write().unwrap() = None;
        if let Some(emu) = self.emu.lock().unwrap().take() {
            emu.kill();
        }
    }

    pub fn client(&self) -> Option<Client> {
        self.client.read().unwrap().clone()
    }
}

/// One fault at a moment of the run.
enum Fault {
    Kill(usize),
    Start(usize),
    Terminate,
    Pause(bool),
    Restart,
}

struct Faults {
    /// For PostgreSQL: the cluster's URL and directory.
    database: Option<(String, std::path::PathBuf)>,
    plan: Vec<(f64, Fault)>,
}

async fn inject(nodes: Vec<Arc<Node>>, faults: Faults, t0: Instant, span: f64) -> usize {
    let mut n = 0;
    for (at, fault) in faults.plan {
        let when = t0 + Duration::from_secs_f64(at * span);
        tokio::time::sleep_until(when.into()).await;
        let nodes = nodes.clone();
        let db = faults.database.clone();
        tokio::task::spawn_blocking(move || match fault {
            Fault::Kill(i) => nodes[i].kill(),
            Fault::Start(i) => nodes[i].restart(),
            Fault::Terminate => crate::pg::terminate_connections(&db.unwrap().0),
            Fault::Pause(on) => crate::pg::pause(&db.unwrap().1, on),
            Fault::Restart => {
                let dir = db.unwrap().1;
                crate::pg::ctl(&dir, "stop");
                crate::pg::ctl(&dir, "start");
            }
        })
        .await
        .unwrap();
        n += 1;
    }
    n
}

/// Each stable and churn secret as one node shows it: versions with stages and values.
async fn snapshot(c: &Client, names: &[String]) -> Vec<(String, Vec<(String, Vec<String>)>)> {
    let mut all = Vec::new();
    for name in names {
        let list = match c
            .list_secret_version_ids()
            .secret_id(name)
            .include_deprecated(true)
            .send()
            .await
        {
            Ok(list) => list,
            Err(e) => {
                assert_eq!(e.code(), Some("ResourceNotFoundException"), "{e:?}");
                all.push((name.clone(), Vec::new()));
                continue;
            }
        };
        let mut versions: Vec<(String, Vec<String>)> = list
            .versions()
            .iter()
            .map(|v| {
                let mut stages = v.version_stages().to_vec();
                stages.sort();
                (v.version_id().unwrap().to_string(), stages)
            })
            .collect();
        versions.sort();
        let holders = |s: &str| {
            versions
                .iter()
                .filter(|(_, x)| x.iter().any(|y| y == s))
                .count()
        };
        assert_eq!(holders("AWSCURRENT"), 1, "{name}: {versions:?}");
        assert!(holders("AWSPREVIOUS") <= 1, "{name}: {versions:?}");
        assert!(holders("AWSPENDING") <= 1, "{name}: {versions:?}");
        all.push((name.clone(), versions));
    }
    all
}

async fn run(nodes: Vec<Arc<Node>>, faults: Faults, span: f64) {
    let c = nodes[0].client().unwrap();
    let shared = Arc::new(Shared {
        puts: Mutex::new(vec![1; STABLE]),
        churn: Mutex::default(),
    });
    let t0 = Instant::now();
    let mut setup = Vec::new();
    for secret in 0..STABLE {
        let version = uuid::Uuid::new_v4().to_string();
        c.create_secret()
            .name(format!("stable-{secret}"))
            .secret_string(&version)
            .client_request_token(&version)
            .send()
            .await
            .unwrap();
        setup.push(Op {
            call: Call::Put {
                secret,
                version,
                current: true,
            },
            start: Duration::ZERO,
            end: t0.elapsed(),
            ended: Ended::Acked,
        });
    }
    let workers = nodes.len() * CLIENTS_PER_NODE;
    for id in 0..workers {
        shared.churn.lock().unwrap().push(format!("churn-{id}-0"));
    }
    let until = Instant::now() + Duration::from_secs_f64(span);
    let faulting = tokio::spawn(inject(nodes.clone(), faults, Instant::now(), span));
    let mut tasks = Vec::new();
    for id in 0..workers {
        let w = Worker {
            id,
            node: nodes[id % nodes.len()].clone(),
            shared: shared.clone(),
            t0,
            ops: Vec::new(),
            churn: (0, false),
        };
        tasks.push(tokio::spawn(w.run(until, id as u64)));
    }
    let mut ops = setup;
    for t in tasks {
        ops.extend(t.await.unwrap());
    }
    let injected = faulting.await.unwrap();
    // Every node up and following again, then final reads join the history.
    for node in &nodes {
        let addr = node.emu.lock().unwrap().as_ref().unwrap().addr;
        let deadline = Instant::now() + Duration::from_secs(30);
        while raw(addr, "GET", "/_awsemu/health", &[], Vec::new())
            .await
            .status
            != 200
        {
            assert!(Instant::now() < deadline, "a node did not recover");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let mut names: Vec<String> = (0..STABLE).map(|s| format!("stable-{s}")).collect();
    names.extend(shared.churn.lock().unwrap().iter().cloned());
    let mut finals = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let c = node.client().unwrap();
        let mut w = Worker {
            id: 1000 + i,
            node: node.clone(),
            shared: shared.clone(),
            t0,
            ops: Vec::new(),
            churn: (0, false),
        };
        for secret in 0..STABLE {
            w.read(&c, secret).await.expect("a final read");
        }
        for name in &names[STABLE..] {
            w.look(&c, name).await;
        }
        ops.extend(w.ops);
        finals.push(snapshot(&c, &names).await);
    }
    let violations = check::violations(&ops);
    // Every acknowledged put is there, with its value, on every node.
    let mut lost = Vec::new();
    for op in ops.iter().filter(|op| op.ended == Ended::Acked) {
        if let Call::Put {
            secret, version, ..
        } = &op.call
        {
            for (n, snap) in finals.iter().enumerate() {
                if !snap[*secret].1.iter().any(|(v, _)| v == version) {
                    lost.push(format!("node {n}: stable-{secret} lost {version}"));
                }
            }
        }
    }
    let acked = ops.iter().filter(|op| op.ended == Ended::Acked).count();
    let unknown = ops.iter().filter(|op| op.ended == Ended::Unknown).count();
    eprintln!(
        "history: {} calls ({acked} acknowledged, {unknown} without an answer) from {workers} \
         clients on {} node(s), {injected} faults, {} violations, {} lost writes",
        ops.len(),
        nodes.len(),
        violations.len(),
        lost.len()
    );
    assert!(violations.is_empty(), "{violations:#?}");
    assert!(lost.is_empty(), "{lost:#?}");
    for (n, snap) in finals.iter().enumerate().skip(1) {
        assert!(*snap == finals[0], "node {n} differs from node 0");
    }
    assert!(
        acked > 500,
        "the workload made too little progress: {acked}"
    );
}

fn span(default: f64) -> f64 {
    std::env::var("HISTORY_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn embedded_history_holds_through_kills() {
    let dir = temp_dir("history");
    let args = ["start", "--persist", "--port", "0", "--data-dir"]
        .iter()
        .map(ToString::to_string)
        .chain([dir.display().to_string()])
        .collect();
    let node = Node::start(args);
    let mut plan = Vec::new();
    for k in 0..5 {
        let at = 0.1 + 0.17 * f64::from(k);
        plan.push((at, Fault::Kill(0)));
        plan.push((at + 0.03, Fault::Start(0)));
    }
    let faults = Faults {
        database: None,
        plan,
    };
    run(vec![node], faults, span(15.0)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_history_holds_through_node_and_database_faults() {
    let (url, dir) = crate::pg::start_cluster("history");
    let args: Vec<String> = ["start", "--port", "0", "--store", &url]
        .iter()
        .map(ToString::to_string)
        .collect();
    let nodes = vec![Node::start(args.clone()), Node::start(args)];
    let plan = vec![
        (0.10, Fault::Kill(0)),
        (0.16, Fault::Start(0)),
        (0.30, Fault::Terminate),
        (0.42, Fault::Pause(true)),
        (0.50, Fault::Pause(false)),
        (0.60, Fault::Restart),
        (0.75, Fault::Kill(1)),
        (0.81, Fault::Start(1)),
        (0.88, Fault::Terminate),
    ];
    let faults = Faults {
        database: Some((url, dir)),
        plan,
    };
    run(nodes, faults, span(24.0)).await;
}
