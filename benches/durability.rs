//! Durability benchmark: durable write throughput under concurrency and restart time with
//! many persisted secrets. Starts the release `awsemu` itself.
//!
//! Run: `cargo bench --bench durability` (options after `--`: `--secrets N`, `--seconds S`).

#[allow(dead_code)]
mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{call, connect, start, stop};

const CONNECTIONS: usize = 32;

static SEQ: AtomicU64 = AtomicU64::new(0);

fn token() -> String {
    format!(
        "{:032x}",
        SEQ.fetch_add(1, Ordering::Relaxed) as u128 + (1u128 << 100)
    )
}

fn create_body(name: &str, value: &str) -> String {
    format!(
        r#"{{"Name":"{name}","SecretString":"{value}","ClientRequestToken":"{}"}}"#,
        token()
    )
}

/// Runs `make_body` requests on 32 connections; returns the number of successes.
async fn load(
    addr: SocketAddr,
    op: &'static str,
    count: Option<usize>,
    secs: f64,
    make: fn(u64) -> String,
) -> (u64, Duration) {
    let done = Arc::new(AtomicU64::new(0));
    let issued = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (done, issued) = (done.clone(), issued.clone());
        tasks.push(tokio::spawn(async move {
            let mut sender = connect(addr).await;
            loop {
                let n = issued.fetch_add(1, Ordering::Relaxed);
                let over = match count {
                    Some(c) => n >= c as u64,
                    None => Instant::now() >= deadline,
                };
                if over {
                    break;
                }
                if call(&mut sender, addr, op, make(n)).await == 200 {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    (done.load(Ordering::Relaxed), started.elapsed())
}

fn value_1k() -> String {
    "x".repeat(1024)
}

fn arg(name: &str, default: f64) -> f64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("localemu-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn row(name: &str, ops: u64, took: Duration) {
    println!(
        "| {name} | {ops} | {:.0} |",
        ops as f64 / took.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let secrets = arg("--secrets", 100_000.0) as usize;
    let secs = arg("--seconds", 5.0);
    let dir = temp_dir();
    println!("| scenario (32 connections) | requests | per second |");
    println!("|---|---|---|");

    let (emu, _) = start(None);
    let (n, t) = load(emu.addr, "CreateSecret", None, secs, |i| {
        create_body(&format!("mem/{i}"), "v")
    })
    .await;
    row("CreateSecret, in memory", n, t);
    stop(emu);

    let (emu, _) = start(Some(&dir));
    let (n, t) = load(emu.addr, "CreateSecret", None, secs, |i| {
        create_body(&format!("durable/{i}"), "v")
    })
    .await;
    row("CreateSecret, durable (fsync)", n, t);
    let (n, t) = load(emu.addr, "PutSecretValue", None, secs, |i| {
        format!(
            r#"{{"SecretId":"durable/{}","SecretString":"p{i}","ClientRequestToken":"{}"}}"#,
            i % 1000,
            token()
        )
    })
    .await;
    row("PutSecretValue, durable (fsync)", n, t);
    stop(emu);
    let _ = std::fs::remove_dir_all(&dir);

    let (emu, _) = start(Some(&dir));
    let (n, t) = load(emu.addr, "CreateSecret", Some(secrets), 0.0, |i| {
        create_body(&format!("restart/{i:06}"), &value_1k())
    })
    .await;
    row(
        &format!("CreateSecret 1 KB, durable, filling {secrets}"),
        n,
        t,
    );
    stop(emu);
    let (emu, spawned) = start(Some(&dir));
    let mut sender = connect(emu.addr).await;
    let body = r#"{"SecretId":"restart/000000"}"#.to_string();
    let status = call(&mut sender, emu.addr, "GetSecretValue", body).await;
    let first = spawned.elapsed();
    assert_eq!(status, 200);
    println!();
    println!(
        "restart with {n} persisted secrets (1 KB values): first GetSecretValue answered {:.3} s \
         after the process was started",
        first.as_secs_f64()
    );
    stop(emu);
    let _ = std::fs::remove_dir_all(&dir);
}
