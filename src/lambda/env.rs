//! One execution environment: a function's process, and the Runtime API it polls.

use crate::guard::{guard, AllowedHosts};
use axum::body::Body;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::{mpsc, oneshot, watch};

/// Lines of function output kept per environment.
const MAX_LOG_LINES: usize = 4000;
/// Bytes of function output kept per environment; older lines are dropped first.
const MAX_LOG_BYTES: usize = 1024 * 1024;
/// A longer output line is cut here (CloudWatch Logs takes events of at most 256 KB).
pub const MAX_LINE: usize = 256 * 1024;
/// AWS's limit on a synchronous invocation's response (and on error reports).
pub const MAX_RESPONSE: usize = 6_291_556;

/// What the Runtime API hands to the function on `/next`.
pub struct Event {
    pub request_id: String,
    pub payload: Vec<u8>,
    pub deadline_ms: i64,
    pub function_arn: String,
}

/// What the function reported for one invocation.
pub enum Outcome {
    Response(Vec<u8>),
    Error { body: Vec<u8>, kind: Option<String> },
}

/// How one invocation ended, as seen from outside the process.
pub enum RunResult {
    Done(Outcome),
    /// The runtime reported an initialisation error (and exits).
    InitError(Vec<u8>),
    Timeout,
    /// The process ended mid-invocation; the text describes how.
    Exited(String),
}

/// How to start the process.
pub struct Launch {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
    pub function_name: String,
    /// What runs the function, for reports: the program and its version.
    pub runtime: String,
    /// Kept while the process runs, so its code directory stays.
    pub code: Arc<super::CodeDir>,
}

#[derive(Default)]
struct Logs {
    lines: VecDeque<String>,
    /// Lines dropped from the front, so offsets stay absolute.
    dropped: usize,
    /// Bytes held in `lines`.
    bytes: usize,
}

impl Logs {
    fn push(&mut self, line: String) {
        self.bytes += line.len();
        self.lines.push_back(line);
        while self.lines.len() > MAX_LOG_LINES || self.bytes > MAX_LOG_BYTES {
            let Some(old) = self.lines.pop_front() else {
                break;
            };
            self.bytes -= old.len();
            self.dropped += 1;
        }
    }
}

struct Shared {
    events: tokio::sync::Mutex<mpsc::Receiver<Event>>,
    current: Mutex<Option<(String, oneshot::Sender<Outcome>)>>,
    init_error: Mutex<Option<Vec<u8>>>,
    logs: Mutex<Logs>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub struct Env {
    pub generation: u64,
    /// What runs the function (see [`Launch::runtime`]).
    pub runtime: String,
    shared: Arc<Shared>,
    events: mpsc::Sender<Event>,
    exited: watch::Receiver<Option<String>>,
    pid: Option<u32>,
    server: tokio::task::JoinHandle<()>,
    _code: Arc<super::CodeDir>,
    /// This process's share of the limit on running processes; freed when the Env goes.
    _slot: tokio::sync::OwnedSemaphorePermit,
}

impl Drop for Env {
    fn drop(&mut self) {
        self.kill();
        self.server.abort();
    }
}

impl Env {
    /// Starts the Runtime API on an ephemeral loopback port, then the process.
    pub async fn start(
        launch: Launch,
        generation: u64,
        slot: tokio::sync::OwnedSemaphorePermit,
    ) -> Result<Env, String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot open the Runtime API: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let (tx, rx) = mpsc::channel(1);
        let shared = Arc::new(Shared {
            events: tokio::sync::Mutex::new(rx),
            current: Mutex::new(None),
            init_error: Mutex::new(None),
            logs: Mutex::new(Logs::default()),
        });
        let app = runtime_api(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let mut cmd = tokio::process::Command::new(&launch.program);
        cmd.args(&launch.args)
            .current_dir(&launch.cwd)
            .env_clear()
            .envs(launch.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        #[cfg(unix)]
        cmd.process_group(0);
        let mut child = cmd.spawn().map_err(|e| {
            server.abort();
            format!("cannot start {}: {e}", launch.program.display())
        })?;
        let pid = child.id();
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn AsyncRead + Send + Unpin>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn AsyncRead + Send + Unpin>),
        ]
        .into_iter()
        .flatten()
        {
            tokio::spawn(collect_lines(
                stream,
                shared.clone(),
                launch.function_name.clone(),
            ));
        }
        let (exit_tx, exit_rx) = watch::channel(None);
        tokio::spawn(async move {
            let description = match child.wait().await {
                Ok(status) => match status.code() {
                    Some(0) => "Runtime exited without providing a reason".to_string(),
                    Some(code) => format!("Runtime exited with error: exit status {code}"),
                    None => "Runtime exited with error: signal".to_string(),
                },
                Err(e) => format!("Runtime exited with error: {e}"),
            };
            let _ = exit_tx.send(Some(description));
        });
        Ok(Env {
            generation,
            runtime: launch.runtime,
            shared,
            events: tx,
            exited: exit_rx,
            pid,
            server,
            _code: launch.code,
            _slot: slot,
        })
    }

    pub fn is_alive(&self) -> bool {
        self.exited.borrow().is_none()
    }

    /// True once the runtime reported that it could not initialise.
    pub fn failed_init(&self) -> bool {
        lock(&self.shared.init_error).is_some()
    }

    /// Kills the whole process group, so helpers the function started die too, even when
    /// the main process has already ended.
    pub fn kill(&self) {
        #[cfg(unix)]
        if let Some(pid) = self.pid {
            let pgid = nix::unistd::Pid::from_raw(pid as i32);
            let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGKILL);
        }
    }

    /// The absolute position of the next log line.
    pub fn log_mark(&self) -> usize {
        let logs = lock(&self.shared.logs);
        logs.dropped + logs.lines.len()
    }

    /// Log lines written since `mark`.
    pub fn logs_since(&self, mark: usize) -> Vec<String> {
        let logs = lock(&self.shared.logs);
        let skip = mark.saturating_sub(logs.dropped);
        logs.lines.iter().skip(skip).cloned().collect()
    }

    /// Hands `event` to the function and waits for its answer, the deadline, or its exit.
    pub async fn run(&self, event: Event, timeout: Duration) -> RunResult {
        let (tx, rx) = oneshot::channel();
        *lock(&self.shared.current) = Some((event.request_id.clone(), tx));
        if let Some(body) = lock(&self.shared.init_error).clone() {
            return RunResult::InitError(body);
        }
        let mut exited = self.exited.clone();
        let mut watcher = self.exited.clone();
        if self.events.send(event).await.is_err() {
            return RunResult::Exited("Runtime exited without providing a reason".into());
        }
        tokio::select! {
            outcome = rx => match outcome {
                Ok(o) => RunResult::Done(o),
                Err(_) => RunResult::Exited("Runtime exited without providing a reason".into()),
            },
            () = tokio::time::sleep(timeout) => {
                self.kill();
                RunResult::Timeout
            }
            () = async { drop(watcher.wait_for(std::option::Option::is_some).await) } => {
                // Give a report the process posted just before exiting the chance to land.
                tokio::time::sleep(Duration::from_millis(20)).await;
                if let Some(body) = lock(&self.shared.init_error).clone() {
                    return RunResult::InitError(body);
                }
                let description = exited.borrow_and_update().clone().unwrap_or_default();
                RunResult::Exited(description)
            }
        }
    }
}

/// Reads a function's output line by line, whatever its bytes: invalid UTF-8 is replaced and
/// a line longer than [`MAX_LINE`] is cut (the rest of it is read and dropped), so the pipe
/// stays open and memory stays bounded.
async fn collect_lines(
    stream: Box<dyn AsyncRead + Send + Unpin>,
    shared: Arc<Shared>,
    name: String,
) {
    let mut reader = BufReader::new(stream);
    let mut line: Vec<u8> = Vec::new();
    let mut cut = false;
    loop {
        let chunk = match reader.fill_buf().await {
            Ok([]) | Err(_) => break,
            Ok(chunk) => chunk,
        };
        let (part, ends_line) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (&chunk[..i], true),
            None => (chunk, false),
        };
        let room = MAX_LINE.saturating_sub(line.len());
        if part.len() > room {
            cut = true;
        }
        line.extend_from_slice(&part[..part.len().min(room)]);
        let used = part.len() + usize::from(ends_line);
        reader.consume(used);
        if ends_line {
            emit(&shared, &name, &mut line, &mut cut);
        }
    }
    if !line.is_empty() {
        emit(&shared, &name, &mut line, &mut cut);
    }
}

fn emit(shared: &Shared, name: &str, line: &mut Vec<u8>, cut: &mut bool) {
    let mut text = String::from_utf8_lossy(line).into_owned();
    if std::mem::take(cut) {
        text.push_str(" [line truncated]");
    }
    line.clear();
    tracing::debug!(target: "localemu::function", function = %name, "{text}");
    lock(&shared.logs).push(text);
}

fn runtime_api(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(respond),
        )
        .route(
            "/2018-06-01/runtime/invocation/{id}/error",
            post(report_error),
        )
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .layer(DefaultBodyLimit::disable())
        .with_state(shared)
        // The port is on loopback, but a web page could still guess it.
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(AllowedHosts::default()),
            guard,
        ))
}

fn accepted() -> Response {
    (
        StatusCode::ACCEPTED,
        [("content-type", "application/json")],
        "{\"status\":\"OK\"}",
    )
        .into_response()
}

fn refused(message: &str) -> Response {
    let body = serde_json::json!({"errorMessage": message, "errorType": "InvalidRequestID"});
    (
        StatusCode::BAD_REQUEST,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    let mut events = shared.events.lock().await;
    let Some(event) = events.recv().await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "environment closed").into_response();
    };
    let headers = [
        ("content-type", "application/json".to_string()),
        ("lambda-runtime-aws-request-id", event.request_id),
        ("lambda-runtime-deadline-ms", event.deadline_ms.to_string()),
        ("lambda-runtime-invoked-function-arn", event.function_arn),
        (
            "lambda-runtime-trace-id",
            "Root=1-00000000-000000000000000000000000;Sampled=0".into(),
        ),
    ];
    (StatusCode::OK, headers, event.payload).into_response()
}

fn finish(shared: &Shared, id: &str, outcome: Outcome) -> Response {
    let mut current = lock(&shared.current);
    match current.take() {
        Some((expected, tx)) if expected == id => {
            let _ = tx.send(outcome);
            accepted()
        }
        other => {
            *current = other;
            refused("Invalid request ID")
        }
    }
}

/// Reads a report from the function of at most [`MAX_RESPONSE`] bytes; None when larger.
async fn read_report(body: Body) -> Option<Bytes> {
    axum::body::to_bytes(body, MAX_RESPONSE).await.ok()
}

fn too_large() -> Response {
    let body = serde_json::json!({
        "errorMessage": format!("Payload size exceeded maximum allowed payload size ({MAX_RESPONSE} bytes)."),
        "errorType": "RequestEntityTooLarge",
    });
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn respond(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let Some(body) = read_report(body).await else {
        // As on AWS: the invocation fails, and the runtime is told why.
        let error = serde_json::json!({
            "errorMessage": format!("Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE} bytes)."),
            "errorType": "Function.ResponseSizeTooLarge",
        });
        let outcome = Outcome::Error {
            body: error.to_string().into_bytes(),
            kind: Some("Function.ResponseSizeTooLarge".into()),
        };
        finish(&shared, &id, outcome);
        return too_large();
    };
    finish(&shared, &id, Outcome::Response(body.to_vec()))
}

async fn report_error(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(body) = read_report(body).await else {
        return too_large();
    };
    let kind = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    finish(
        &shared,
        &id,
        Outcome::Error {
            body: body.to_vec(),
            kind,
        },
    )
}

async fn init_error(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> Response {
    let Some(body) = read_report(body).await else {
        return too_large();
    };
    let body = if body.is_empty() {
        let kind = headers
            .get("lambda-runtime-function-error-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("Runtime.Unknown");
        serde_json::json!({"errorType": kind, "errorMessage": ""})
            .to_string()
            .into_bytes()
    } else {
        body.to_vec()
    };
    *lock(&shared.init_error) = Some(body.clone());
    if let Some((_, tx)) = lock(&shared.current).take() {
        let _ = tx.send(Outcome::Error { body, kind: None });
    }
    accepted()
}
