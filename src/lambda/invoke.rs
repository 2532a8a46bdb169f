//! Invoke: picking or starting an environment, running one event, and mapping the outcome to
//! Lambda's payloads (function errors, `Sandbox.Timedout`, `Runtime.ExitError`).

use super::env::{Env, Event, Launch, Outcome, RunResult};
use super::model::{NODE_RUNTIMES, PROVIDED_RUNTIMES, PYTHON_RUNTIMES};
use super::{Function, FunctionState, Lambda};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Lambda returns at most the last 4 KB of an invocation's log.
const LOG_TAIL: usize = 4096;

/// The result of one invocation, as Invoke reports it.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    pub payload: Vec<u8>,
    /// `Unhandled` when the function failed (the HTTP status stays 200).
    pub function_error: Option<String>,
    /// START / output / END / REPORT lines of this invocation.
    pub log: String,
    pub duration: Duration,
    /// What ran the function: the interpreter's path and version (empty if nothing started).
    pub runtime: String,
}

impl Invocation {
    /// `X-Amz-Log-Result`: base64 of the log's last 4 KB.
    pub fn log_tail_base64(&self) -> String {
        let bytes = self.log.as_bytes();
        STANDARD.encode(&bytes[bytes.len().saturating_sub(LOG_TAIL)..])
    }
}

fn platform_error(kind: &str, message: String) -> Vec<u8> {
    json!({ "errorType": kind, "errorMessage": message })
        .to_string()
        .into_bytes()
}

/// An interpreter found on PATH, with what its `--version` says.
#[derive(Clone)]
struct Program {
    path: PathBuf,
    version: String,
}

/// The first of `candidates` on PATH that actually runs: version managers install shims
/// for interpreters that are not there, so being on PATH is not enough. When it is not the
/// first candidate, the log says which one runs instead (once).
fn find_program(candidates: &[&str]) -> Option<Program> {
    static FOUND: std::sync::Mutex<Vec<(String, Option<Program>)>> =
        std::sync::Mutex::new(Vec::new());
    let key = candidates.join(",");
    let mut found = FOUND
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, hit)) = found.iter().find(|(k, _)| *k == key) {
        return hit.clone();
    }
    let path = std::env::var_os("PATH")?;
    let hit = candidates.iter().enumerate().find_map(|(i, name)| {
        let program = std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())?;
        let out = std::process::Command::new(&program)
            .arg("--version")
            .stdin(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())?;
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        let version = text.trim().lines().next().unwrap_or_default().to_string();
        if i > 0 {
            tracing::warn!(
                wanted = candidates[0],
                running = %program.display(),
                %version,
                "{} is missing or does not run; functions of that runtime run with {} ({version}) instead",
                candidates[0],
                program.display()
            );
        }
        Some(Program {
            path: program,
            version,
        })
    });
    found.push((key, hit.clone()));
    hit
}

impl Lambda {
    /// Works out how to start a process for the function's runtime.
    fn launch(&self, f: &Function, s: &FunctionState) -> Result<Launch, String> {
        let c = &s.config;
        let runtime = c.runtime.as_str();
        let (program, args) = if PYTHON_RUNTIMES.contains(&runtime) {
            let program = find_program(&[runtime, "python3"])
                .ok_or_else(|| format!("{runtime} needs python3 on PATH, and none was found"))?;
            let script = self.runtime_file("bootstrap.py");
            (
                program,
                vec!["-u".to_string(), script.display().to_string()],
            )
        } else if NODE_RUNTIMES.contains(&runtime) {
            let program = find_program(&["node", "nodejs"])
                .ok_or_else(|| format!("{runtime} needs node on PATH, and none was found"))?;
            (
                program,
                vec![self.runtime_file("bootstrap.mjs").display().to_string()],
            )
        } else {
            let program = s.code_dir.path().join("bootstrap");
            if !program.is_file() {
                return Err(format!(
                    "{runtime} needs an executable named bootstrap in the code"
                ));
            }
            let program = Program {
                path: program,
                version: format!("{runtime} bootstrap"),
            };
            (program, Vec::new())
        };
        let ns = &f.namespace;
        let task_root = s.code_dir.path().display().to_string();
        let home = self.work_dir.join("home");
        let _ = std::fs::create_dir_all(&home);
        let mut env: Vec<(String, String)> = c.environment.clone().into_iter().collect();
        let stream = format!("2026/01/01/[$LATEST]{}", uuid::Uuid::new_v4().simple());
        let (key, secret, token) = self.credentials_for(ns, &c.role, &c.name);
        env.extend(
            [
                ("_HANDLER", c.handler.clone()),
                ("AWS_REGION", ns.region.clone()),
                ("AWS_DEFAULT_REGION", ns.region.clone()),
                ("AWS_EXECUTION_ENV", format!("AWS_Lambda_{runtime}")),
                ("AWS_LAMBDA_FUNCTION_NAME", c.name.clone()),
                ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", c.memory_size.to_string()),
                ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
                ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
                (
                    "AWS_LAMBDA_LOG_GROUP_NAME",
                    format!("/aws/lambda/{}", c.name),
                ),
                ("AWS_LAMBDA_LOG_STREAM_NAME", stream),
                // A session of the function's role in its account, as on AWS.
                ("AWS_ACCESS_KEY_ID", key),
                ("AWS_SECRET_ACCESS_KEY", secret),
                ("AWS_SESSION_TOKEN", token),
                ("LAMBDA_TASK_ROOT", task_root),
                (
                    "LAMBDA_RUNTIME_DIR",
                    self.work_dir.join("runtime").display().to_string(),
                ),
                ("TZ", ":UTC".into()),
                ("LANG", "en_US.UTF-8".into()),
                ("PATH", std::env::var("PATH").unwrap_or_default()),
                ("HOME", home.display().to_string()),
                ("AWS_CONFIG_FILE", "/dev/null".into()),
                ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v)),
        );
        if !c.environment.contains_key("AWS_ENDPOINT_URL") {
            env.push(("AWS_ENDPOINT_URL".into(), self.endpoint().to_string()));
        }
        // Where the runtimes send the Docker-style names of the emulator (read and removed
        // by the bootstrap before the function's code runs).
        env.push(("_LOCALEMU_ADDRESS".into(), self.endpoint_address()));
        // And LocalStack's port, 4566, on those names, to the port LocalEmu listens on.
        env.push(("_LOCALEMU_PORT".into(), self.endpoint_port()));
        // The Parameters and Secrets extension: the Python and Node bootstraps send
        // connections to its port (PARAMETERS_SECRETS_EXTENSION_HTTP_PORT, else 2773) to this
        // function's own listener, and refuse them without the layer, as on AWS. Other
        // runtimes are told the listener's port in the variable itself.
        let port = self.extension_port(ns, c);
        env.push((
            "_LOCALEMU_EXTENSION_PORT".into(),
            port.map(|p| p.to_string()).unwrap_or_default(),
        ));
        if let (Some(p), false) = (
            port,
            c.environment
                .contains_key("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"),
        ) {
            if PROVIDED_RUNTIMES.contains(&runtime) {
                env.push((
                    "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT".into(),
                    p.to_string(),
                ));
            }
        }
        Ok(Launch {
            runtime: format!("{} ({})", program.path.display(), program.version),
            program: program.path,
            args,
            cwd: s.code_dir.path().to_path_buf(),
            code: s.code_dir.clone(),
            env,
            function_name: c.name.clone(),
        })
    }

    /// Invokes `f` synchronously with `payload` (RequestResponse).
    pub async fn invoke(&self, f: &Arc<Function>, payload: Vec<u8>) -> Invocation {
        self.invoke_as(f, payload, uuid::Uuid::new_v4().to_string())
            .await
    }

    /// Invokes `f` as request `request_id`, the id the function's context shows, and keeps
    /// a summary among the function's recent invocations (the console shows them).
    pub async fn invoke_as(
        &self,
        f: &Arc<Function>,
        payload: Vec<u8>,
        request_id: String,
    ) -> Invocation {
        let out = self.run_as(f, payload, request_id).await;
        f.record(super::Recent {
            request_id: out.request_id.clone(),
            at: self.clock.now(),
            duration_ms: out.duration.as_secs_f64() * 1000.0,
            // The function's own error (`ValueError: ...`) rather than the bare error kind.
            error: out.function_error.as_ref().map(|kind| {
                let body: serde_json::Value =
                    serde_json::from_slice(&out.payload).unwrap_or_default();
                match (body["errorType"].as_str(), body["errorMessage"].as_str()) {
                    (Some(t), Some(m)) => format!("{t}: {m}"),
                    (Some(t), None) => t.to_string(),
                    _ => kind.clone(),
                }
            }),
            log_tail: tail(&out.log, 2048),
        });
        out
    }

    async fn run_as(&self, f: &Arc<Function>, payload: Vec<u8>, request_id: String) -> Invocation {
        let state = f.snapshot();
        let started = Instant::now();
        let timeout = Duration::from_secs(state.config.timeout.max(1));
        let env = match f.take_idle(state.generation) {
            Some(env) => Ok(env),
            None => match self.launch(f, &state) {
                Ok(launch) => match self.process_slot().await {
                    Some(slot) => Env::start(launch, state.generation, slot).await,
                    None => Err("LocalEmu is shutting down".to_string()),
                },
                Err(e) => Err(e),
            },
        };
        let env = match env {
            Ok(env) => env,
            Err(message) => {
                tracing::warn!(function = %state.config.name, %message, "cannot start the function");
                let payload = platform_error("Runtime.InvalidEntrypoint", message);
                let mut out = Self::finish(&state, request_id, started, Err(payload), Vec::new());
                out.runtime = String::new();
                return out;
            }
        };
        let mark = env.log_mark();
        let deadline_ms = Self::clock_wall_ms() + timeout.as_millis() as i64;
        let event = Event {
            request_id: request_id.clone(),
            payload: if payload.is_empty() {
                b"{}".to_vec()
            } else {
                payload
            },
            deadline_ms,
            function_arn: state.config.arn.clone(),
        };
        let mut closing = self.closing.subscribe();
        let result = tokio::select! {
            result = env.run(event, timeout) => result,
            _ = closing.wait_for(|c| *c) => {
                env.kill();
                RunResult::Exited("Runtime exited with error: LocalEmu is shutting down".into())
            }
        };
        let id = &request_id;
        let outcome = match result {
            RunResult::Done(Outcome::Response(body)) => Ok(body),
            RunResult::Done(Outcome::Error { body, kind }) if body.is_empty() => {
                let kind = kind.unwrap_or_else(|| "Unknown".into());
                Err(platform_error(&kind, String::new()))
            }
            RunResult::Done(Outcome::Error { body, .. }) | RunResult::InitError(body) => Err(body),
            RunResult::Timeout => Err(platform_error(
                "Sandbox.Timedout",
                format!(
                    "RequestId: {id} Error: Task timed out after {}.00 seconds",
                    timeout.as_secs()
                ),
            )),
            RunResult::Exited(how) => Err(platform_error(
                "Runtime.ExitError",
                format!("RequestId: {id} Error: {how}"),
            )),
        };
        // Give the output readers a moment to catch the last lines the function wrote.
        tokio::time::sleep(Duration::from_millis(5)).await;
        let lines = env.logs_since(mark);
        let runtime = env.runtime.clone();
        f.put_idle(env);
        let mut out = Self::finish(&state, request_id, started, outcome, lines);
        out.runtime = runtime;
        out
    }

    /// A permit to run one more function process: at the limit, the environment idle the
    /// longest is stopped to make room, else this waits for a process to end. None once the
    /// server is stopping.
    async fn process_slot(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let mut closing = self.closing.subscribe();
        loop {
            if *closing.borrow() {
                return None;
            }
            if let Ok(slot) = self.processes.clone().try_acquire_owned() {
                return Some(slot);
            }
            if self.retire_one_idle() {
                continue;
            }
            // Environments can become idle while this waits, so look again now and then.
            tokio::select! {
                slot = self.processes.clone().acquire_owned() => return slot.ok(),
                _ = closing.wait_for(|c| *c) => return None,
                () = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
        }
    }

    /// Deadlines handed to functions are wall-clock epoch milliseconds.
    fn clock_wall_ms() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    }

    fn finish(
        state: &FunctionState,
        request_id: String,
        started: Instant,
        outcome: Result<Vec<u8>, Vec<u8>>,
        lines: Vec<String>,
    ) -> Invocation {
        let duration = started.elapsed();
        let ms = duration.as_secs_f64() * 1000.0;
        let memory = state.config.memory_size;
        let mut log = format!("START RequestId: {request_id} Version: $LATEST\n");
        for line in &lines {
            log.push_str(line);
            log.push('\n');
        }
        log.push_str(&format!("END RequestId: {request_id}\n"));
        log.push_str(&format!(
            "REPORT RequestId: {request_id}\tDuration: {ms:.2} ms\tBilled Duration: {} ms\t\
             Memory Size: {memory} MB\tMax Memory Used: {memory} MB\n",
            ms.ceil() as u64
        ));
        let failed = outcome.is_err();
        tracing::info!(
            function = %state.config.name,
            %request_id,
            duration_ms = format!("{ms:.1}"),
            failed,
            "invocation"
        );
        let (payload, function_error) = match outcome {
            Ok(p) => (p, None),
            Err(p) => (p, Some("Unhandled".to_string())),
        };
        Invocation {
            request_id,
            payload,
            function_error,
            log,
            duration,
            runtime: String::new(),
        }
    }
}

/// The last `max` bytes of `log`, cut at a character boundary.
fn tail(log: &str, max: usize) -> String {
    let mut start = log.len().saturating_sub(max);
    while !log.is_char_boundary(start) {
        start += 1;
    }
    log[start..].to_string()
}
