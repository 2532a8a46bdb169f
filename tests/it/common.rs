//! Test harness: servers on ephemeral ports, SDK clients, raw HTTP, error helpers.

use aws_sdk_secretsmanager::config::Credentials;
use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use aws_sdk_secretsmanager::Client;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
pub use localemu::clock::Clock;
use localemu::clock::{ManualClock, RandomIds};
use localemu::config::Config;
use localemu::server::{Deps, Server};
use localemu::store::Store;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

pub const ACCOUNT: &str = "000000000000";
pub const REGION: &str = "us-east-1";
/// 2026-01-15T12:00:00Z: midday, so a day boundary is far away.
pub const START: i64 = 1_768_478_400_000;

/// A client of the SDK crate `$sdk` for the server at `$addr`, in `$region`, signing with
/// `$creds`; retries off, so that every answer is seen.
macro_rules! sdk_client {
    ($sdk:ident, $addr:expr, $region:expr, $creds:expr) => {{
        let conf = $sdk::Config::builder()
            .behavior_version($sdk::config::BehaviorVersion::latest())
            .region($sdk::config::Region::new($region.to_string()))
            .credentials_provider($creds)
            .endpoint_url(format!("http://{}", $addr))
            .retry_config($sdk::config::retry::RetryConfig::disabled())
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build();
        $sdk::Client::from_conf(conf)
    }};
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub clock: Arc<ManualClock>,
}

impl TestServer {
    /// Brings the server's clock to the real time, for signatures made on the real clock
    /// (strict mode checks them against the emulator's).
    pub fn clock_to_real_time(&self) {
        let real = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        self.clock
            .advance(real - localemu::clock::Clock::now(self.clock.as_ref()));
    }

    /// A server of its own, for tests that move its clock.
    pub async fn isolated() -> TestServer {
        Self::configured(Config::default()).await
    }

    /// A server of its own with settings other than the defaults (its port is ephemeral).
    pub async fn configured(config: Config) -> TestServer {
        Self::listening(Config { port: 0, ..config }).await
    }

    /// A server of its own on exactly `config.port`.
    pub async fn listening(config: Config) -> TestServer {
        let (server, clock) = bind_with(config).await;
        let addr = server.local_addr().unwrap();
        tokio::spawn(server.run(std::future::pending()));
        TestServer { addr, clock }
    }

    pub fn client(&self) -> Client {
        client_for(self.addr, "test", REGION)
    }

    pub fn client_as(&self, access_key: &str, region: &str) -> Client {
        client_for(self.addr, access_key, region)
    }
}

impl TestServer {
    /// A server of its own whose clock stands still at [`START`] and whose identifiers come
    /// from a counter, so that its answers are the same bytes on every run.
    pub async fn deterministic() -> TestServer {
        let clock = Arc::new(ManualClock::new(START));
        let deps = Deps {
            clock: clock.clone(),
            ids: Arc::new(localemu::clock::SequentialIds::default()),
            store: Arc::new(Store::new()),
        };
        let config = Config {
            port: 0,
            ..Config::default()
        };
        let server = Server::bind(&config, deps).await.unwrap();
        let addr = server.local_addr().unwrap();
        tokio::spawn(server.run(std::future::pending()));
        TestServer { addr, clock }
    }
}

async fn bind() -> (Server, Arc<ManualClock>) {
    bind_with(Config {
        port: 0,
        ..Config::default()
    })
    .await
}

async fn bind_with(config: Config) -> (Server, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(START));
    let deps = Deps {
        clock: clock.clone(),
        ids: Arc::new(RandomIds),
        store: Arc::new(Store::new()),
    };
    (Server::bind(&config, deps).await.unwrap(), clock)
}

/// One server for the whole test binary, on a thread of its own, for tests that only need
/// unique names. Its clock never moves.
pub fn shared() -> &'static TestServer {
    static SHARED: OnceLock<TestServer> = OnceLock::new();
    SHARED.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let (server, clock) = bind().await;
                tx.send(TestServer {
                    addr: server.local_addr().unwrap(),
                    clock,
                })
                .unwrap();
                server.run(std::future::pending()).await.unwrap();
            });
        });
        rx.recv().unwrap()
    })
}

pub fn client_for(addr: SocketAddr, access_key: &str, region: &str) -> Client {
    sdk_client!(aws_sdk_secretsmanager, addr, region, test_key(access_key))
}

/// Credentials of `access_key` with the secret every known key of the tests signs with.
pub fn test_key(access_key: &str) -> Credentials {
    Credentials::new(access_key, "test", None, None, "tests")
}

/// A name no other test uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let pid = std::process::id();
    format!("{prefix}-{pid}-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// A fresh ClientRequestToken.
pub fn token() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The (code, message) of a failed SDK call; panics if the call succeeded.
pub fn err<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    r: Result<T, E>,
) -> (String, String) {
    let e = r.expect_err("the call should have failed");
    (
        e.code().unwrap_or("<no code>").to_string(),
        e.message().unwrap_or("<no message>").to_string(),
    )
}

pub async fn create(c: &Client, name: &str, value: &str) -> String {
    c.create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .unwrap()
        .arn
        .unwrap()
}

pub async fn current_value(c: &Client, id: &str) -> String {
    c.get_secret_value()
        .secret_id(id)
        .send()
        .await
        .unwrap()
        .secret_string
        .unwrap()
}

pub struct RawResponse {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub json: serde_json::Value,
    /// The body as sent (XML answers are not JSON).
    pub body: Vec<u8>,
}

/// Sends a hand-made request, for what SDKs never send.
pub async fn raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> RawResponse {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let io = hyper_util::rt::TokioIo::new(stream);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
    tokio::spawn(conn);
    let mut req = hyper::Request::builder().method(method).uri(path);
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req = req.header("host", addr.to_string());
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let response = sender
        .send_request(req.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    RawResponse {
        status,
        headers,
        json,
        body: bytes.to_vec(),
    }
}

/// A raw JSON 1.1 call to a Secrets Manager operation.
pub async fn raw_op(addr: SocketAddr, op: &str, body: &str) -> RawResponse {
    let target = format!("secretsmanager.{op}");
    let headers = [
        ("x-amz-target", target.as_str()),
        ("content-type", "application/x-amz-json-1.1"),
    ];
    raw(addr, "POST", "/", &headers, body.as_bytes().to_vec()).await
}

/// A server over a persistent store in `dir`, stopped by `stop()`.
pub struct PersistentServer {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<()>,
}

/// Where a persistent server keeps its state: the storage tests run on both.
#[derive(Clone)]
pub enum Backing {
    Dir(std::path::PathBuf),
    /// A database of the tests' PostgreSQL cluster.
    Postgres(String),
}

impl Backing {
    pub fn dir(prefix: &str) -> Backing {
        Backing::Dir(temp_dir(prefix))
    }

    pub fn postgres(prefix: &str) -> Backing {
        Backing::Postgres(crate::pg::database(prefix))
    }

    pub fn open(&self) -> Store {
        match self {
            Backing::Dir(dir) => Store::open(dir).expect("open the data directory"),
            Backing::Postgres(url) => Store::open_postgres(url).expect("open the database"),
        }
    }

    /// As `awsemu` takes it on the command line.
    pub fn args(&self) -> Vec<String> {
        match self {
            Backing::Dir(dir) => vec!["--data-dir".into(), dir.display().to_string()],
            Backing::Postgres(url) => vec!["--store".into(), url.clone()],
        }
    }
}

/// Runs each named `async fn(Backing)` of the module as two tests: `embedded::<name>` on a
/// data directory and `postgres::<name>` on a database.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($crate::common::Backing::dir(stringify!($name))).await
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($crate::common::Backing::postgres(stringify!($name))).await
            })*
        }
    };
}

impl PersistentServer {
    pub async fn start(dir: &std::path::Path, clock: Arc<ManualClock>) -> PersistentServer {
        let store = Store::open(dir).expect("open the data directory");
        Self::with_store(store, clock).await
    }

    pub async fn start_at(at: &Backing, clock: Arc<ManualClock>) -> PersistentServer {
        Self::with_store(at.open(), clock).await
    }

    /// A server over `store`, however it was opened.
    pub async fn with_store(store: Store, clock: Arc<ManualClock>) -> PersistentServer {
        let deps = Deps {
            clock,
            ids: Arc::new(RandomIds),
            store: Arc::new(store),
        };
        let config = Config {
            port: 0,
            ..Config::default()
        };
        let server = Server::bind(&config, deps).await.unwrap();
        let addr = server.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let done = tokio::spawn(async move {
            server
                .run(async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
        PersistentServer {
            addr,
            stop: Some(tx),
            done,
        }
    }

    pub fn client(&self) -> Client {
        client_for(self.addr, "test", REGION)
    }

    /// Stops the server and waits until its database is closed.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        (&mut self.done).await.unwrap();
    }
}

/// Reads an `awsemu start`'s stdout up to its `Ready.` line: the lines printed, and the
/// address from its `Listening on` line.
pub fn read_until_ready(out: impl std::io::Read) -> (Vec<String>, Option<SocketAddr>) {
    use std::io::BufRead;
    let mut out = std::io::BufReader::new(out);
    let (mut lines, mut addr) = (Vec::new(), None);
    loop {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let line = line.trim().to_string();
        if let Some(a) = line.strip_prefix("Listening on http://") {
            addr = a.parse().ok();
        }
        let ready = line == "Ready.";
        lines.push(line);
        if ready {
            break;
        }
    }
    (lines, addr)
}

/// A fresh, empty directory under the target directory.
pub fn temp_dir(prefix: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(unique(prefix));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

pub fn lambda_client(addr: SocketAddr) -> aws_sdk_lambda::Client {
    sdk_client!(aws_sdk_lambda, addr, REGION, test_key("test"))
}

/// A zip archive of `(name, contents, unix mode)` entries.
pub fn zip_of(files: &[(&str, &[u8], u32)]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body, mode) in files {
        let options = zip::write::SimpleFileOptions::default().unix_permissions(*mode);
        w.start_file(*name, options).unwrap();
        w.write_all(body).unwrap();
    }
    w.finish().unwrap().into_inner()
}

pub const ROLE: &str = "arn:aws:iam::000000000000:role/lambda-role";

/// Creates a function from one source file; returns its ARN.
pub async fn create_function(
    c: &aws_sdk_lambda::Client,
    name: &str,
    runtime: &str,
    handler: &str,
    files: &[(&str, &[u8], u32)],
    env: &[(&str, &str)],
    timeout: i32,
) -> String {
    use aws_sdk_lambda::types::{Environment, FunctionCode, Runtime};
    let mut vars = Environment::builder();
    for (k, v) in env {
        vars = vars.variables(*k, *v);
    }
    c.create_function()
        .function_name(name)
        .runtime(Runtime::from(runtime))
        .role(ROLE)
        .handler(handler)
        .timeout(timeout)
        .environment(vars.build())
        .code(
            FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(zip_of(files)))
                .build(),
        )
        .send()
        .await
        .unwrap()
        .function_arn
        .unwrap()
}

/// A KMS client signed as `account`'s root.
pub fn kms_client(addr: SocketAddr, account: &str) -> aws_sdk_kms::Client {
    sdk_client!(aws_sdk_kms, addr, REGION, test_key(account))
}

/// A new customer managed key with `alias`, in `account`; returns the key's ARN.
pub async fn key_with_alias(addr: SocketAddr, account: &str, alias: &str) -> String {
    let k = kms_client(addr, account);
    let meta = k.create_key().send().await.unwrap().key_metadata.unwrap();
    k.create_alias()
        .alias_name(alias)
        .target_key_id(meta.key_id())
        .send()
        .await
        .unwrap();
    meta.arn.unwrap()
}
