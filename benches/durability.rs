//! Durability benchmark: durable write throughput under concurrency and restart time with
//! many persisted secrets. Starts the release `awsemu` itself.
//!
//! Run: `cargo bench --bench durability` (options after `--`: `--secrets N`, `--seconds S`).

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_awsemu");
const CONNECTIONS: usize = 32;

struct Emu {
    child: Child,
    addr: SocketAddr,
}

/// Starts the binary; the Instant is when the process was spawned.
fn start(dir: Option<&Path>) -> (Emu, Instant) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = Command::new(BIN);
    cmd.args(["start", "--port", &port.to_string()])
        .env("AWSEMU_LOG", "warn");
    if let Some(dir) = dir {
        cmd.arg("--persist").arg("--data-dir").arg(dir);
    }
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "Ready.");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    (Emu { child, addr }, started)
}

fn stop(mut emu: Emu) {
    let _ = Command::new("kill")
        .args(["-TERM", &emu.child.id().to_string()])
        .status();
    emu.child.wait().unwrap();
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> Sender {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    sender
}

async fn call(sender: &mut Sender, addr: SocketAddr, op: &str, body: String) -> u16 {
    let req = hyper::Request::post("/")
        .header("host", addr.to_string())
        .header("x-amz-target", format!("secretsmanager.{op}"))
        .header("content-type", "application/x-amz-json-1.1")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/secretsmanager/aws4_request, \
             SignedHeaders=host, Signature=0",
        )
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let resp = sender.send_request(req).await.unwrap();
    let status = resp.status().as_u16();
    resp.into_body().collect().await.unwrap();
    status
}

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
