//! LocalEmu's benchmark: a load generator of our own (keep-alive connections, SigV4-signed
//! requests like an SDK's, fixed duration) that starts the release `awsemu` itself and prints
//! a table. `--compare-moto` runs the same scenarios against moto's server too.
//!
//! Run: `cargo bench --bench load` (options after `--`: `--seconds S`, `--big N`,
//! `--connections 1,32`, `--compare-moto`, `--nodes-only`, `--ratios`, with `--only NAME`).
//! `--ratios` measures the request pipeline alone: each in-memory figure beside a bare hyper
//! server's on the same requests, answering as many bytes, in one sitting.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test or benchmark that cannot go on fails loudly"
)]

mod support;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use rand::Rng;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use support::{connect, request, start, start_with, stop, Sender};

struct Opts {
    seconds: f64,
    big: usize,
    compare_moto: bool,
}

/// The connection counts every scenario runs at (`--connections 1,32`).
fn connection_counts() -> Vec<usize> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--connections")
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect::<Vec<usize>>()
        })
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| vec![1, 32])
}

fn opts() -> Opts {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<f64>().ok())
    };
    Opts {
        seconds: value("--seconds").unwrap_or(3.0),
        big: value("--big").unwrap_or(100_000.0) as usize,
        compare_moto: args.iter().any(|a| a == "--compare-moto"),
    }
}

/// Signs one JSON 1.1 request as an SDK does.
fn signed(addr: SocketAddr, op: &str, body: String) -> hyper::Request<Full<Bytes>> {
    // Made once, as an SDK client holds its credentials; every request is still signed anew.
    static IDENTITY: std::sync::OnceLock<aws_smithy_runtime_api::client::identity::Identity> =
        std::sync::OnceLock::new();
    let identity =
        IDENTITY.get_or_init(|| Credentials::new("test", "test", None, None, "bench").into());
    let params = v4::SigningParams::builder()
        .identity(identity)
        .region("us-east-1")
        .name(if op.starts_with("AmazonSSM.") {
            "ssm"
        } else {
            "secretsmanager"
        })
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    // `AmazonSSM.<Operation>` names its target in full; others are Secrets Manager's.
    let target = if op.contains('.') {
        op.to_string()
    } else {
        format!("secretsmanager.{op}")
    };
    let host = addr.to_string();
    let headers = [
        ("host", host.as_str()),
        ("content-type", "application/x-amz-json-1.1"),
        ("x-amz-target", target.as_str()),
    ];
    let url = format!("http://{addr}/");
    let signable = SignableRequest::new(
        "POST",
        &url,
        headers.into_iter(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut req = hyper::Request::post("/");
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let mut req = req.body(Full::new(Bytes::from(body))).unwrap();
    instructions.apply_to_request_http1x(&mut req);
    req
}

async fn send(sender: &mut Sender, addr: SocketAddr, op: &str, body: String) -> u16 {
    if sender.ready().await.is_err() {
        *sender = connect(addr).await;
    }
    let resp = sender.send_request(signed(addr, op, body)).await.unwrap();
    let status = resp.status().as_u16();
    resp.into_body().collect().await.unwrap();
    status
}

/// The process's own CPU time in seconds (user + system), from /proc.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

struct Result {
    rps: f64,
    p50: f64,
    p99: f64,
    p999: f64,
    client_cpu: f64,
    /// Requests answered with anything but 200: not counted in `rps`, and a sign that the
    /// scenario measures something else than it says (a name taken by an earlier run, say).
    refused: usize,
}

type Make = Arc<dyn Fn(u64) -> (&'static str, String) + Send + Sync>;

/// Runs `make` on `connections` keep-alive connections for `seconds`.
async fn load(addr: SocketAddr, connections: usize, seconds: f64, make: Make) -> Result {
    let counter = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let cpu0 = cpu_seconds();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (make, counter) = (make.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            let mut sender = connect(addr).await;
            let mut latencies: Vec<u32> = Vec::with_capacity(100_000);
            let mut refused = 0;
            while Instant::now() < deadline {
                let (op, body) = make(counter.fetch_add(1, Ordering::Relaxed));
                let t = Instant::now();
                // Only answered requests count; an emulator that refuses an operation scores 0.
                if send(&mut sender, addr, op, body).await == 200 {
                    latencies.push(t.elapsed().as_micros() as u32);
                } else {
                    refused += 1;
                }
            }
            (latencies, refused)
        }));
    }
    let mut all = Vec::new();
    let mut refused = 0;
    for t in tasks {
        let (latencies, r) = t.await.unwrap();
        all.extend(latencies);
        refused += r;
    }
    let wall = started.elapsed().as_secs_f64();
    all.sort_unstable();
    let pct = |p: f64| {
        f64::from(
            all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
                .copied()
                .unwrap_or(0),
        ) / 1000.0
    };
    Result {
        rps: all.len() as f64 / wall,
        p50: pct(0.50),
        p99: pct(0.99),
        p999: pct(0.999),
        client_cpu: (cpu_seconds() - cpu0) / wall,
        refused,
    }
}

fn token(i: u64) -> String {
    format!(
        "{:08x}-0000-4000-8000-{:012x}",
        rand::rng().random::<u32>(),
        i
    )
}

async fn fill(addr: SocketAddr, prefix: &str, count: usize, value_len: usize) {
    let value = "x".repeat(value_len);
    let prefix = prefix.to_string();
    let make: Make = Arc::new(move |i| {
        (
            "CreateSecret",
            format!(
                r#"{{"Name":"{prefix}/{i:06}","SecretString":"{value}","ClientRequestToken":"{}"}}"#,
                token(i)
            ),
        )
    });
    let done = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (make, done) = (make.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut s = connect(addr).await;
            loop {
                let i = done.fetch_add(1, Ordering::Relaxed);
                if i >= count as u64 {
                    break;
                }
                let (op, body) = make(i);
                send(&mut s, addr, op, body).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// Says on stderr when a scenario's requests were refused: its figure then counts fewer
/// requests than the server answered, and the scenario needs fixing before it is believed.
fn warn_refused(name: &str, conns: usize, r: &Result) {
    if r.refused > 0 {
        eprintln!(
            "warning: {name} at {conns} connections: {} requests refused (not counted)",
            r.refused
        );
    }
}

fn row(name: &str, conns: usize, r: &Result, moto: Option<&Result>) {
    warn_refused(name, conns, r);
    let ratio = moto
        .map(|m| format!(" {:.0}x |", r.rps / m.rps.max(0.001)))
        .unwrap_or_default();
    println!(
        "| {name} | {conns} | {:.0} | {:.3} | {:.3} | {:.3} | {:.0}% |{ratio}",
        r.rps,
        r.p50,
        r.p99,
        r.p999,
        r.client_cpu * 100.0
    );
}

async fn read_scenarios(
    addr: SocketAddr,
    secs: f64,
    big: Option<usize>,
) -> Vec<(String, usize, Result)> {
    let mut out = Vec::new();
    let ns = if big.is_some() { "big" } else { "k" };
    let list: Make = Arc::new(|_| ("ListSecrets", r#"{"MaxResults":100}"#.into()));
    if let Some(big) = big {
        for c in connection_counts() {
            out.push((
                format!("ListSecrets, 100/page, {big} secrets"),
                c,
                load(addr, c, secs, list.clone()).await,
            ));
        }
        return out;
    }
    let get: Make = Arc::new(move |_| {
        (
            "GetSecretValue",
            format!(
                r#"{{"SecretId":"{ns}/{:06}"}}"#,
                rand::rng().random_range(0..1000)
            ),
        )
    });
    let describe: Make = Arc::new(move |_| {
        (
            "DescribeSecret",
            format!(
                r#"{{"SecretId":"{ns}/{:06}"}}"#,
                rand::rng().random_range(0..1000)
            ),
        )
    });
    let batch: Make = Arc::new(move |_| {
        let start = rand::rng().random_range(0..980);
        let ids: Vec<String> = (start..start + 20)
            .map(|i| format!("\"{ns}/{i:06}\""))
            .collect();
        (
            "BatchGetSecretValue",
            format!(r#"{{"SecretIdList":[{}]}}"#, ids.join(",")),
        )
    });
    for (name, make) in [
        ("GetSecretValue, 1,000 secrets", get),
        ("DescribeSecret", describe),
        ("ListSecrets, 100/page, 1,000 secrets", list),
        ("BatchGetSecretValue of 20", batch),
    ] {
        for c in connection_counts() {
            out.push((name.to_string(), c, load(addr, c, secs, make.clone()).await));
        }
    }
    out
}

/// GetParameter (String and SecureString) over 1,000 parameters.
async fn parameter_reads(addr: SocketAddr, secs: f64) -> Vec<(String, usize, Result)> {
    let mut s = connect(addr).await;
    for i in 0..1000 {
        let kind = if i % 2 == 0 { "String" } else { "SecureString" };
        let body = format!(
            r#"{{"Name":"/bench/p{i:04}","Value":"{}","Type":"{kind}"}}"#,
            "x".repeat(64)
        );
        assert_eq!(
            send(&mut s, addr, "AmazonSSM.PutParameter", body).await,
            200
        );
    }
    let get: Make = Arc::new(|_| {
        let i = rand::rng().random_range(0..1000);
        (
            "AmazonSSM.GetParameter",
            format!(r#"{{"Name":"/bench/p{i:04}","WithDecryption":true}}"#),
        )
    });
    let mut out = Vec::new();
    for c in connection_counts() {
        out.push((
            "GetParameter, 1,000 parameters, half SecureString".to_string(),
            c,
            load(addr, c, secs, get.clone()).await,
        ));
    }
    out
}

/// Reads through the extension from inside a Python function: cached, then with the cache's
/// TTL at 0. Returns (reads per second, p50 ms) of each.
async fn extension_reads(addr: SocketAddr) -> [(f64, f64); 2] {
    use base64::Engine;
    use std::io::Write;
    let mut s = connect(addr).await;
    let body = format!(
        r#"{{"Name":"bench/ext","SecretString":"v","ClientRequestToken":"{}"}}"#,
        token(7)
    );
    assert_eq!(send(&mut s, addr, "CreateSecret", body).await, 200);
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("reader.py", zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(include_bytes!("extension_reader.py")).unwrap();
    let zip = base64::engine::general_purpose::STANDARD.encode(w.finish().unwrap().into_inner());
    let mut results = [(0.0, 0.0); 2];
    for (i, ttl) in ["300", "0"].iter().enumerate() {
        let name = format!("bench-ext-{i}");
        let create = serde_json::json!({"FunctionName": name, "Runtime": "python3.12", "Handler": "reader.handler",
            "Role": "arn:aws:iam::000000000000:role/bench", "Timeout": 60, "Code": {"ZipFile": zip},
            "Layers": ["arn:aws:lambda:us-east-1:177933569100:layer:AWS-Parameters-and-Secrets-Lambda-Extension:12"],
            "Environment": {"Variables": {"SECRETS_MANAGER_TTL": ttl}}});
        let (status, _) = request(
            &mut s,
            addr,
            "POST",
            "/2015-03-31/functions",
            create.to_string().into_bytes(),
        )
        .await;
        assert_eq!(status, 201);
        let event =
            serde_json::json!({"n": 5000, "path": "/secretsmanager/get?secretId=bench/ext"});
        let path = format!("/2015-03-31/functions/{name}/invocations");
        let (status, out) =
            request(&mut s, addr, "POST", &path, event.to_string().into_bytes()).await;
        assert_eq!(status, 200);
        let out: serde_json::Value = serde_json::from_slice(&out).unwrap();
        results[i] = (
            out["per_second"].as_f64().unwrap_or(0.0),
            out["p50_ms"].as_f64().unwrap_or(0.0),
        );
    }
    results
}

/// GetSecretValue against a server that verifies every signature.
async fn strict_reads(addr: SocketAddr, secs: f64) -> Vec<(String, usize, Result)> {
    let get: Make = Arc::new(move |_| {
        (
            "GetSecretValue",
            format!(
                r#"{{"SecretId":"k/{:06}"}}"#,
                rand::rng().random_range(0..1000)
            ),
        )
    });
    let mut out = Vec::new();
    for c in connection_counts() {
        out.push((
            "GetSecretValue, strict (signatures verified)".to_string(),
            c,
            load(addr, c, secs, get.clone()).await,
        ));
    }
    out
}

/// Microseconds to seal and to open one 1 KB value row, as the store does at rest.
fn envelope_cost() -> (f64, f64) {
    use localemu::store::seal::{KeyResolver, Keyring};
    struct One;
    impl KeyResolver for One {
        fn key_for(&self, _: &localemu::domain::Namespace, _: Option<&str>) -> Option<String> {
            Some("11111111-2222-3333-4444-555555555555".into())
        }
    }
    let ring = Keyring::default();
    ring.insert(
        "11111111-2222-3333-4444-555555555555",
        localemu::crypto::random_bytes(32),
    );
    ring.set_resolver(Arc::new(One));
    let ns = localemu::domain::Namespace::new("000000000000", "us-east-1");
    let value = vec![b'x'; 1024];
    let n = 20_000;
    let t = Instant::now();
    let mut row = Vec::new();
    for _ in 0..n {
        row = ring.seal(&ns, None, "row", &value).unwrap();
    }
    let seal = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    let t = Instant::now();
    for _ in 0..n {
        assert_eq!(ring.open("row", &row).unwrap().len(), 1024);
    }
    let open = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    (seal, open)
}

async fn write_scenarios(addr: SocketAddr, secs: f64, label: &str) -> Vec<(String, usize, Result)> {
    let mut out = Vec::new();
    for c in connection_counts() {
        let prefix = format!("w{c}");
        let create: Make = Arc::new(move |i| {
            (
                "CreateSecret",
                format!(
                    r#"{{"Name":"{prefix}/{i}","SecretString":"v","ClientRequestToken":"{}"}}"#,
                    token(i)
                ),
            )
        });
        out.push((
            format!("CreateSecret, {label}"),
            c,
            load(addr, c, secs, create).await,
        ));
        let put: Make = Arc::new(move |i| {
            (
                "PutSecretValue",
                format!(
                    r#"{{"SecretId":"k/{:06}","SecretString":"p{i}","ClientRequestToken":"{}"}}"#,
                    i % 1000,
                    token(i)
                ),
            )
        });
        out.push((
            format!("PutSecretValue, {label}"),
            c,
            load(addr, c, secs, put).await,
        ));
    }
    out
}

async fn moto(opts: &Opts) -> Option<Vec<(String, usize, Result)>> {
    let venv = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("moto-venv");
    if !venv.join("bin/moto_server").exists() {
        eprintln!("installing moto[server] into {} ...", venv.display());
        let ok = std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success())
            && std::process::Command::new(venv.join("bin/pip"))
                .args(["install", "-q", "moto[server]"])
                .status()
                .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("could not install moto; skipping the comparison");
            return None;
        }
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(venv.join("bin/moto_server"))
        .args(["-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    fill(addr, "k", 1000, 1024).await;
    let mut result = read_scenarios(addr, opts.seconds, None).await;
    result.extend(write_scenarios(addr, opts.seconds, "in memory").await);
    let _ = child.kill();
    Some(result)
}

/// Time from spawning the process until a request succeeds.
async fn started_and_answering(
    dir: Option<&std::path::Path>,
    op: &str,
    body: &str,
) -> (support::Emu, Duration) {
    let (emu, spawned) = start(dir);
    let mut s = connect(emu.addr).await;
    while send(&mut s, emu.addr, op, body.to_string()).await != 200
        && spawned.elapsed() < Duration::from_secs(5)
    {}
    (emu, spawned.elapsed())
}

/// A throwaway PostgreSQL cluster (fsync on: durable writes are really durable) for the
/// two-node scenarios; it stops when this process ends.
fn postgres_cluster() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("localemu-bench-pg-{}", std::process::id()));
    let out = std::process::Command::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/pg-cluster.sh"
    ))
    .arg(&dir)
    .arg(port.to_string())
    .arg(std::process::id().to_string())
    .arg("fsync")
    .output()
    .unwrap();
    assert!(out.status.success(), "cannot start PostgreSQL");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The same load on two nodes at once: each node's result.
async fn on_both(
    addrs: [SocketAddr; 2],
    connections: usize,
    secs: f64,
    make: impl Fn(usize) -> Make,
) -> [Result; 2] {
    let (a, b) = tokio::join!(
        load(addrs[0], connections, secs, make(0)),
        load(addrs[1], connections, secs, make(1))
    );
    [a, b]
}

/// Two nodes on one PostgreSQL database: GetSecretValue on each (both loaded at once), and
/// durable writes on both (each node on its own half of the secrets).
async fn two_nodes(secs: f64) -> Vec<(String, usize, Result)> {
    let url = postgres_cluster();
    let (a, _) = start_with(None, &["--store", &url]);
    let (b, _) = start_with(None, &["--store", &url]);
    fill(a.addr, "k", 1000, 1024).await;
    let addrs = [a.addr, b.addr];
    let mut out = Vec::new();
    for c in connection_counts() {
        let get = |_node: usize| -> Make {
            Arc::new(move |_| {
                (
                    "GetSecretValue",
                    format!(
                        r#"{{"SecretId":"k/{:06}"}}"#,
                        rand::rng().random_range(0..1000)
                    ),
                )
            })
        };
        // Each node alone (the other up and idle), then both loaded at once.
        for (n, addr) in addrs.iter().enumerate() {
            let r = load(*addr, c, secs, get(n)).await;
            out.push((
                format!("two nodes: GetSecretValue, node {} alone", n + 1),
                c,
                r,
            ));
        }
        let [ra, rb] = on_both(addrs, c, secs, get).await;
        out.push((
            "two nodes: GetSecretValue both at once, node 1".to_string(),
            c,
            ra,
        ));
        out.push((
            "two nodes: GetSecretValue both at once, node 2".to_string(),
            c,
            rb,
        ));
        let put = |node: usize| -> Make {
            Arc::new(move |i| {
                (
                    "PutSecretValue",
                    format!(
                        r#"{{"SecretId":"k/{:06}","SecretString":"p{i}","ClientRequestToken":"{}"}}"#,
                        node * 500 + (i as usize % 500),
                        token(i)
                    ),
                )
            })
        };
        let [wa, wb] = on_both(addrs, c, secs, put).await;
        out.push(("two nodes: PutSecretValue, node 1".to_string(), c, wa));
        out.push(("two nodes: PutSecretValue, node 2".to_string(), c, wb));
        let create = |node: usize| -> Make {
            Arc::new(move |i| {
                (
                    "CreateSecret",
                    format!(
                        r#"{{"Name":"n{node}c{c}/{i}","SecretString":"v","ClientRequestToken":"{}"}}"#,
                        token(i)
                    ),
                )
            })
        };
        let [ca, cb] = on_both(addrs, c, secs, create).await;
        out.push(("two nodes: CreateSecret, node 1".to_string(), c, ca));
        out.push(("two nodes: CreateSecret, node 2".to_string(), c, cb));
    }
    stop(a);
    stop(b);
    out
}

fn print_two_nodes(nodes: &[(String, usize, Result)], embedded: &[(String, usize, Result)]) {
    for (name, c, r) in nodes {
        row(name, *c, r, None);
    }
    for c in connection_counts() {
        let of = |prefix: &str| -> Vec<f64> {
            nodes
                .iter()
                .filter(|(n, k, _)| n.starts_with(prefix) && *k == c)
                .map(|(_, _, r)| r.rps)
                .collect()
        };
        let alone = of("two nodes: GetSecretValue, node");
        let both = of("two nodes: GetSecretValue both");
        let base = embedded
            .iter()
            .find(|(n, k, _)| n.starts_with("GetSecretValue") && *k == c)
            .map(|(_, _, r)| r.rps);
        if let (Some(base), Some(worst)) = (base, alone.iter().copied().reduce(f64::min)) {
            println!(
                "two nodes, {c} connections: GetSecretValue per node at least {:.0}% of the embedded \
                 store's {base:.0}/s; both loaded at once {:.0}/s in total ({:.0}%)",
                worst / base.max(0.001) * 100.0,
                both.iter().sum::<f64>(),
                both.iter().sum::<f64>() / base.max(0.001) * 100.0
            );
        }
        println!(
            "two nodes, {c} connections each: durable writes in total PutSecretValue {:.0}/s, CreateSecret {:.0}/s",
            of("two nodes: PutSecretValue").iter().sum::<f64>(),
            of("two nodes: CreateSecret").iter().sum::<f64>()
        );
    }
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--bare-server") {
        let bytes = std::env::args()
            .find_map(|a| a.strip_prefix("--body-bytes=").and_then(|n| n.parse().ok()));
        support::ceiling::serve(bytes).await;
        return;
    }
    let opts = opts();
    if std::env::args().any(|a| a == "--ratios") {
        ratios(opts.seconds).await;
        return;
    }
    if std::env::args().any(|a| a == "--nodes-only") {
        // The two-node scenarios alone, against this run's embedded reads.
        let (emu, _) = start(None);
        fill(emu.addr, "k", 1000, 1024).await;
        let reads = read_scenarios(emu.addr, opts.seconds, None).await;
        stop(emu);
        let nodes = two_nodes(opts.seconds).await;
        print_two_nodes(&nodes, &reads);
        return;
    }
    // Reads and in-memory writes, 1,000 secrets of 1 KB.
    let (emu, startup) = started_and_answering(None, "ListSecrets", "{}").await;
    let idle = rss_mib(emu.child.id());
    fill(emu.addr, "k", 1000, 1024).await;
    let mut reads = read_scenarios(emu.addr, opts.seconds, None).await;
    let writes = write_scenarios(emu.addr, opts.seconds, "in memory").await;
    stop(emu);
    // Parameter Store, and the Parameters and Secrets extension as a function reads it.
    let (emu, _) = start(None);
    let parameters = parameter_reads(emu.addr, opts.seconds).await;
    let extension = extension_reads(emu.addr).await;
    stop(emu);
    // Strict mode: the same signed requests, every signature verified.
    let (emu, _) = start_with(None, &["--strict"]);
    fill(emu.addr, "k", 1000, 1024).await;
    let strict = strict_reads(emu.addr, opts.seconds).await;
    stop(emu);
    // Memory and listing with many secrets.
    let (emu, _) = start(None);
    fill(emu.addr, "big", opts.big, 1024).await;
    let loaded = rss_mib(emu.child.id());
    reads.extend(read_scenarios(emu.addr, opts.seconds, Some(opts.big)).await);
    stop(emu);
    // Durable writes, then a restart over many persisted secrets.
    let dir = std::env::temp_dir().join(format!("localemu-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (emu, _) = start(Some(&dir));
    fill(emu.addr, "k", 1000, 1024).await;
    let durable = write_scenarios(emu.addr, opts.seconds, "durable (fsync)").await;
    fill(emu.addr, "big", opts.big, 1024).await;
    stop(emu);
    let (emu, restart) =
        started_and_answering(Some(&dir), "GetSecretValue", r#"{"SecretId":"big/000000"}"#).await;
    stop(emu);
    let _ = std::fs::remove_dir_all(&dir);

    let nodes = two_nodes(opts.seconds).await;
    let rotation = rotation_time().await;
    let (stack_create, stack_delete) = stack_time().await;
    let moto = if opts.compare_moto {
        moto(&opts).await
    } else {
        None
    };
    let header = if moto.is_some() { " vs moto |" } else { "" };
    println!("\n| scenario | connections | requests/s | p50 ms | p99 ms | p99.9 ms | load generator CPU |{header}");
    println!(
        "|---|---|---|---|---|---|---|{}",
        if moto.is_some() { "---|" } else { "" }
    );
    let find = |name: &str, c: usize| {
        moto.as_ref()
            .and_then(|m| m.iter().find(|(n, k, _)| n == name && *k == c))
            .map(|(_, _, r)| r)
    };
    for (name, c, r) in reads
        .iter()
        .chain(parameters.iter())
        .chain(strict.iter())
        .chain(writes.iter())
        .chain(durable.iter())
    {
        row(name, *c, r, find(name, *c));
    }
    println!();
    print_two_nodes(&nodes, &reads);
    for (_, c, s) in &strict {
        let lenient = reads
            .iter()
            .find(|(n, k, _)| n.starts_with("GetSecretValue") && k == c);
        if let Some((_, _, l)) = lenient {
            println!(
                "strict mode GetSecretValue at {c} connections: {:.0}% of lenient",
                s.rps / l.rps.max(0.001) * 100.0
            );
        }
    }
    for (label, (rate, p50)) in ["cached", "uncached (SECRETS_MANAGER_TTL=0)"]
        .iter()
        .zip(extension)
    {
        println!(
            "extension read from inside a Python function, {label}: {rate:.0} reads/s, p50 {p50:.3} ms (one keep-alive connection)"
        );
    }
    let (seal_us, open_us) = envelope_cost();
    // The latency of one durable write, at the fewest connections measured.
    let put_p50 = durable
        .iter()
        .filter(|(n, _, _)| n.starts_with("PutSecretValue"))
        .min_by_key(|(_, k, _)| *k)
        .map_or(0.0, |(_, _, r)| r.p50);
    println!(
        "envelope encryption of a 1 KB value: seal {seal_us:.1} us (data key + two AES-256-GCM), \
         open {open_us:.1} us; {:.1}% of a durable PutSecretValue (p50 {put_p50:.3} ms); \
         GetSecretValue opens nothing (values are opened once, at start-up: see the restart figure)",
        seal_us / (put_p50 * 1000.0).max(0.001) * 100.0
    );
    println!(
        "start-up to first answer: {:.1} ms",
        startup.as_secs_f64() * 1000.0
    );
    println!(
        "resident memory: idle {idle:.1} MiB, with {} secrets of 1 KB {loaded:.1} MiB",
        opts.big
    );
    println!(
        "restart with {} persisted secrets: first answer after {:.3} s",
        opts.big + 1000,
        restart.as_secs_f64()
    );
    println!(
        "full four-step rotation, warm Python function: p50 {:.1} ms over 20 rotations",
        rotation.as_secs_f64() * 1000.0
    );
    println!(
        "CloudFormation, a stack of {STACK_RESOURCES} SSM parameters on a durable store: CreateStack to \
         CREATE_COMPLETE {:.0} ms, DeleteStack to DELETE_COMPLETE {:.0} ms (median of 5)",
        stack_create.as_secs_f64() * 1000.0,
        stack_delete.as_secs_f64() * 1000.0
    );
    println!(
        "(load generator CPU: share of one core used by this process; 200% would be both cores)"
    );
}

const STACK_RESOURCES: usize = 100;

/// The median times a stack of [`STACK_RESOURCES`] parameters takes to create and to delete,
/// every step journaled (a durable store).
async fn stack_time() -> (Duration, Duration) {
    let dir = std::env::temp_dir().join(format!("localemu-bench-stack-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (emu, _) = start(Some(&dir));
    let addr = emu.addr;
    let mut s = connect(addr).await;
    let mut template = String::from("Resources:\n");
    for i in 0..STACK_RESOURCES {
        template.push_str(&format!(
            "  P{i}:\n    Type: AWS::SSM::Parameter\n    Properties: {{Type: String, Value: v{i}}}\n"
        ));
    }
    let encoded: String =
        percent_encoding::utf8_percent_encode(&template, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    let wait = async |s: &mut Sender, name: &str, done: &str| loop {
        let body = format!("Action=DescribeStacks&Version=2010-05-15&StackName={name}");
        let (_, out) = request(s, addr, "POST", "/", body.into_bytes()).await;
        if String::from_utf8_lossy(&out).contains(&format!("<StackStatus>{done}</StackStatus>")) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let (mut creates, mut deletes) = (Vec::new(), Vec::new());
    for i in 0..5 {
        let name = format!("bench-stack-{i}");
        let started = Instant::now();
        let body = format!(
            "Action=CreateStack&Version=2010-05-15&StackName={name}&TemplateBody={encoded}"
        );
        let (status, out) = request(&mut s, addr, "POST", "/", body.into_bytes()).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&out));
        let id = String::from_utf8_lossy(&out)
            .split("<StackId>")
            .nth(1)
            .and_then(|t| t.split('<').next())
            .unwrap()
            .to_string();
        wait(&mut s, &name, "CREATE_COMPLETE").await;
        creates.push(started.elapsed());
        let started = Instant::now();
        let body = format!("Action=DeleteStack&Version=2010-05-15&StackName={name}");
        assert_eq!(
            request(&mut s, addr, "POST", "/", body.into_bytes())
                .await
                .0,
            200
        );
        let id = percent_encoding::utf8_percent_encode(&id, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
        wait(&mut s, &id, "DELETE_COMPLETE").await;
        deletes.push(started.elapsed());
    }
    stop(emu);
    let _ = std::fs::remove_dir_all(&dir);
    creates.sort();
    deletes.sort();
    (creates[2], deletes[2])
}

const ROTATION_FUNCTION: &[u8] = include_bytes!("../tests/it/fixtures/rotation.py");

/// The median time from RotateSecret to a recorded successful outcome, with a warm function.
async fn rotation_time() -> Duration {
    use base64::Engine;
    use std::io::Write;
    let (emu, _) = start(None);
    let addr = emu.addr;
    let mut s = connect(addr).await;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("rotation.py", zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(ROTATION_FUNCTION).unwrap();
    let zip = base64::engine::general_purpose::STANDARD.encode(w.finish().unwrap().into_inner());
    let create = serde_json::json!({"FunctionName": "bench-rotator", "Runtime": "python3.12", "Handler": "rotation.handler",
        "Role": "arn:aws:iam::000000000000:role/bench", "Timeout": 30, "Code": {"ZipFile": zip}});
    assert_eq!(
        request(
            &mut s,
            addr,
            "POST",
            "/2015-03-31/functions",
            create.to_string().into_bytes()
        )
        .await
        .0,
        201
    );
    let permission = serde_json::json!({"StatementId": "sm", "Action": "lambda:InvokeFunction", "Principal": "secretsmanager.amazonaws.com"});
    let path = "/2015-03-31/functions/bench-rotator/policy";
    assert_eq!(
        request(
            &mut s,
            addr,
            "POST",
            path,
            permission.to_string().into_bytes()
        )
        .await
        .0,
        201
    );
    let body = format!(
        r#"{{"Name":"bench/rotated","SecretString":"v0","ClientRequestToken":"{}"}}"#,
        token(u64::MAX >> 16)
    );
    assert_eq!(send(&mut s, addr, "CreateSecret", body).await, 200);
    let mut timings = Vec::new();
    for i in 0..=20u64 {
        let version = token(i);
        let body = format!(
            r#"{{"SecretId":"bench/rotated","ClientRequestToken":"{version}","RotationLambdaARN":"arn:aws:lambda:us-east-1:000000000000:function:bench-rotator"}}"#
        );
        let started = Instant::now();
        assert_eq!(send(&mut s, addr, "RotateSecret", body).await, 200);
        loop {
            let (_, out) = request(&mut s, addr, "GET", "/_awsemu/rotations", Vec::new()).await;
            let out: serde_json::Value = serde_json::from_slice(&out).unwrap();
            let record = out["Rotations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["version_id"] == version.as_str())
                .cloned();
            if let Some(record) = record {
                assert_eq!(record["outcome"], "Succeeded", "{record}");
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // The first rotation starts the function's process; the rest find it warm.
        if i > 0 {
            timings.push(started.elapsed());
        }
    }
    stop(emu);
    timings.sort();
    timings[timings.len() / 2]
}

/// Whether `--only SUBSTRING` (absent: every scenario) selects this scenario.
fn only(name: &str) -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .is_none_or(|s| name.contains(s.as_str()))
}

/// Each in-memory figure as a share of a bare hyper server's on the same requests, the two
/// measured alternately in one sitting.
async fn ratios(secs: f64) {
    let (emu, _) = start(None);
    fill(emu.addr, "k", 1000, 1024).await;
    let bare = support::ceiling::start(None);
    // A page of 100 entries is some 24 KB: its ceiling writes as many bytes per answer.
    let page_bytes = {
        let mut s = connect(emu.addr).await;
        let req = signed(emu.addr, "ListSecrets", r#"{"MaxResults":100}"#.into());
        let resp = s.send_request(req).await.unwrap();
        assert_eq!(resp.status(), 200);
        resp.into_body().collect().await.unwrap().to_bytes().len()
    };
    let bare_page = support::ceiling::start(Some(page_bytes));
    let get: Make = Arc::new(|_| {
        (
            "GetSecretValue",
            format!(
                r#"{{"SecretId":"k/{:06}"}}"#,
                rand::rng().random_range(0..1000)
            ),
        )
    });
    let list: Make = Arc::new(|_| ("ListSecrets", r#"{"MaxResults":100}"#.into()));
    let put: Make = Arc::new(|i| {
        (
            "PutSecretValue",
            format!(
                r#"{{"SecretId":"k/{:06}","SecretString":"p{i}","ClientRequestToken":"{}"}}"#,
                i % 1000,
                token(i)
            ),
        )
    });
    println!("\n| scenario | connections | requests/s | bare hyper requests/s | share |");
    println!("|---|---|---|---|---|");
    for c in connection_counts() {
        // Each connection count creates names of its own: a name an earlier run created is
        // (rightly) refused, and refused requests are not counted.
        let create: Make = Arc::new(move |i| {
            (
                "CreateSecret",
                format!(
                    r#"{{"Name":"r{c}/{i}","SecretString":"v","ClientRequestToken":"{}"}}"#,
                    token(i)
                ),
            )
        });
        for (name, make, ceiling) in [
            ("GetSecretValue", &get, &bare),
            ("ListSecrets, 100/page", &list, &bare_page),
            ("PutSecretValue, in memory", &put, &bare),
            ("CreateSecret, in memory", &create, &bare),
        ] {
            if !only(name) {
                continue;
            }
            let before = load(ceiling.addr, c, secs, make.clone()).await;
            let r = load(emu.addr, c, secs, make.clone()).await;
            let after = load(ceiling.addr, c, secs, make.clone()).await;
            let ceiling = f64::midpoint(before.rps, after.rps);
            warn_refused(name, c, &r);
            println!(
                "| {name} | {c} | {:.0} | {ceiling:.0} | {:.2} |",
                r.rps,
                r.rps / ceiling.max(0.001)
            );
        }
    }
    stop(emu);
}
