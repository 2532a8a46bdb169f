//! The Lambda subset: a function registry, execution environments that run functions as
//! local processes through the Runtime API, and invocation. Knows nothing of secrets.

pub mod api;
pub mod code;
pub mod env;
mod hosting;
pub use hosting::{Extensions, Wiring};
pub mod functions;
pub mod invoke;
pub mod model;
mod permissions;
mod persist;
#[cfg(test)]
mod tests;

pub use persist::CodeDir;

use crate::clock::{Clock, IdSource};
use crate::domain::Namespace;
use crate::generated::lambda::patterns::FUNCTION_NAME as FUNCTION_NAME_PATTERN;
use crate::generated::lambda::{Error, ErrorCode, Result};
use crate::store::Store;
use env::Env;
use model::FunctionConfig;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::{watch, Semaphore};

const PYTHON_BOOTSTRAP: &str = include_str!("bootstrap.py");
const NODE_BOOTSTRAP: &str = include_str!("bootstrap.mjs");

/// A function: its configuration and code, its policy, and its warm environments.
pub struct Function {
    pub namespace: Namespace,
    state: RwLock<FunctionState>,
    /// Warm environments with the time each became idle.
    idle: Mutex<Vec<(Env, Instant)>>,
    /// The last invocations, newest last (at most [`RECENT`]).
    recent: Mutex<std::collections::VecDeque<Recent>>,
}

/// Invocations kept per function for the console.
pub const RECENT: usize = 20;

/// One invocation as the console lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Recent {
    pub request_id: String,
    /// On the emulator's clock, in milliseconds since the epoch.
    pub at: i64,
    pub duration_ms: f64,
    pub error: Option<String>,
    pub log_tail: String,
}

#[derive(Clone)]
pub struct FunctionState {
    pub config: FunctionConfig,
    pub code_dir: Arc<CodeDir>,
    /// The zip as uploaded, kept so the function can be persisted and restored.
    pub zip: Arc<Vec<u8>>,
    /// Resource-policy statements (AddPermission), as JSON objects.
    pub policy: Vec<serde_json::Value>,
    /// Bumped by every code or configuration change; older environments are retired.
    pub generation: u64,
}

impl Function {
    pub(crate) fn record(&self, r: Recent) {
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if recent.len() >= RECENT {
            recent.pop_front();
        }
        recent.push_back(r);
    }

    /// The recent invocations, newest first.
    pub fn recent(&self) -> Vec<Recent> {
        let recent = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        recent.iter().rev().cloned().collect()
    }

    pub fn snapshot(&self) -> FunctionState {
        self.state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn update<T>(&self, f: impl FnOnce(&mut FunctionState) -> T) -> T {
        let mut state = self
            .state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut state)
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<(Env, Instant)>> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A warm environment of the current generation, if one is idle.
    fn take_idle(&self, generation: u64) -> Option<Env> {
        let mut idle = self.idle();
        idle.retain(|(e, _)| e.is_alive() && e.generation == generation);
        idle.pop().map(|(e, _)| e)
    }

    fn put_idle(&self, env: Env) {
        if env.is_alive() && !env.failed_init() && env.generation == self.snapshot().generation {
            self.idle().push((env, Instant::now()));
        }
    }

    /// Stops every idle environment (busy ones are dropped when their invocation ends).
    fn retire(&self) {
        self.idle().clear();
    }

    /// Stops idle environments idle for longer than `limit`; returns how many.
    fn retire_older_than(&self, limit: Duration) -> usize {
        let mut idle = self.idle();
        let before = idle.len();
        idle.retain(|(e, since)| e.is_alive() && since.elapsed() < limit);
        before - idle.len()
    }

    /// Stops the environment idle the longest, to free its process slot; false if none is.
    fn retire_oldest(&self) -> bool {
        let mut idle = self.idle();
        let oldest = idle
            .iter()
            .enumerate()
            .min_by_key(|(_, (_, since))| *since)
            .map(|(i, _)| i);
        oldest.map(|i| idle.remove(i)).is_some()
    }
}

/// Whether an AWS service (Secrets Manager, EventBridge) may invoke a function, as its
/// resource policy says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Missing,
    Allowed,
    NotGranted,
}

/// How many function processes may run, and for how long an idle one is kept.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_processes: usize,
    pub idle: Duration,
    /// Event invocations waiting for a process at most; more are refused (429).
    pub max_queued_events: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_processes: 16,
            idle: Duration::from_mins(5),
            max_queued_events: 1000,
        }
    }
}

pub struct Lambda {
    functions: RwLock<BTreeMap<(Namespace, String), Arc<Function>>>,
    limits: Limits,
    /// One permit per running function process.
    processes: Arc<Semaphore>,
    /// Event invocations accepted and not yet finished.
    queued_events: Arc<std::sync::atomic::AtomicUsize>,
    /// Becomes true when the server stops: running invocations end at once.
    closing: watch::Sender<bool>,
    clock: Arc<dyn Clock>,
    /// Revision ids.
    ids: Arc<dyn IdSource>,
    /// Where functions are journaled when persistence is on.
    store: Arc<Store>,
    work_dir: PathBuf,
    /// Where functions reach the emulator, their processes' credentials, strict mode.
    wiring: Wiring,
    /// Set once after construction: the extension's host needs Secrets Manager, which
    /// invokes rotation functions through this Lambda.
    extensions: RwLock<Option<Arc<dyn Extensions>>>,
}

pub use crate::domain::arn::function_arn;
use crate::domain::arn::parse_function_id_within;

/// The longest name a function has; a longer one in a lookup is a function that is not there.
const MAX_NAME: usize = 64;

fn not_found(ns: &Namespace, name: &str) -> Error {
    Error::new(
        ErrorCode::ResourceNotFoundException,
        format!("Function not found: {}", function_arn(ns, name)),
    )
}

/// The qualifier a function name carries (`name:1`, `123456789012:function:name:alias`, or a
/// qualified ARN), if it carries one.
pub(super) fn qualifier_in(id: &str) -> Option<&str> {
    let parts: Vec<&str> = id.split(':').collect();
    match parts.as_slice() {
        [_, q] | [_, "function", _, q] | ["arn", _, "lambda", _, _, "function", _, q] => Some(q),
        _ => None,
    }
}

/// Parses a FunctionName, refusing one that does not match the model's pattern (or names an
/// account or region that cannot be one) before it is used for anything.
pub fn check_function_name(caller: &Namespace, id: &str) -> Result<(Namespace, String)> {
    // The model bounds the whole FunctionName (170 characters); a name part longer than
    // `MAX_NAME` within it is looked up like any other.
    parse_function_id_within(caller, id, id.len()).ok_or_else(|| {
        let mut v = crate::wire::Violations::new();
        let at = crate::wire::At::new("", "functionName");
        v.mismatch(at, Some(&id), FUNCTION_NAME_PATTERN);
        v.finish()
            .err()
            .map_or_else(|| Error::validation("Invalid function name."), Error::from)
    })
}

impl Lambda {
    /// A Lambda service keeping code and runtime files under `work_dir`.
    pub fn new(
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
        store: Arc<Store>,
        work_dir: &Path,
        limits: Limits,
        wiring: Wiring,
    ) -> std::io::Result<Lambda> {
        // Processes run in their code's directory: every path handed to them must be absolute.
        let work_dir = &std::path::absolute(work_dir)?;
        let runtime = work_dir.join("runtime");
        std::fs::create_dir_all(&runtime)?;
        // Code, runtime and function homes are this user's alone: another user who could
        // change them would run code as this one.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(work_dir, std::fs::Permissions::from_mode(0o700))?;
        }
        for (name, text) in [
            ("bootstrap.py", PYTHON_BOOTSTRAP),
            ("bootstrap.mjs", NODE_BOOTSTRAP),
        ] {
            let path = runtime.join(name);
            std::fs::write(&path, text)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
            }
        }
        Ok(Lambda {
            functions: RwLock::default(),
            processes: Arc::new(Semaphore::new(limits.max_processes.max(1))),
            limits,
            queued_events: Arc::default(),
            closing: watch::channel(false).0,
            clock,
            ids,
            store,
            work_dir: work_dir.clone(),
            wiring,
            extensions: RwLock::new(None),
        })
    }

    /// `AWS_ENDPOINT_URL` as functions are given it.
    fn endpoint(&self) -> &str {
        &self.wiring.endpoint
    }

    /// The address (host part) of the endpoint functions are given.
    fn endpoint_address(&self) -> String {
        let endpoint = self.endpoint();
        let rest = endpoint.trim_start_matches("http://");
        let host = match rest.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or("127.0.0.1"),
            None => rest.rsplit_once(':').map_or(rest, |(h, _)| h),
        };
        host.to_string()
    }

    /// The port LocalEmu listens on, for functions that name it by LocalStack's 4566.
    fn endpoint_port(&self) -> String {
        let endpoint = self.endpoint();
        endpoint
            .rsplit_once(':')
            .map(|(_, p)| p.trim_end_matches('/').to_string())
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or_else(|| "4566".into())
    }

    fn runtime_file(&self, name: &str) -> PathBuf {
        self.work_dir.join("runtime").join(name)
    }

    /// Held around a change to a function and its journal entry; see `Store::gate`.
    fn gate(&self) -> crate::store::Gate<'_> {
        self.store.gate()
    }

    fn insert(
        &self,
        ns: Namespace,
        config: FunctionConfig,
        code_dir: Arc<CodeDir>,
        zip: Vec<u8>,
        policy: Vec<serde_json::Value>,
    ) -> Arc<Function> {
        let key = (ns.clone(), config.name.clone());
        let function = Arc::new(Function {
            namespace: ns,
            state: RwLock::new(FunctionState {
                config,
                code_dir,
                zip: Arc::new(zip),
                policy,
                generation: 0,
            }),
            idle: Mutex::new(Vec::new()),
            recent: Mutex::default(),
        });
        let mut map = self
            .functions
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.insert(key, function.clone());
        function
    }

    /// Queues an Event invocation; refused when too many are already waiting.
    pub fn invoke_event(self: &Arc<Self>, f: Arc<Function>, payload: Vec<u8>) -> Result<()> {
        use std::sync::atomic::Ordering;
        let queued = self.queued_events.fetch_add(1, Ordering::SeqCst);
        if queued >= self.limits.max_queued_events {
            self.queued_events.fetch_sub(1, Ordering::SeqCst);
            return Err(Error::new(
                ErrorCode::TooManyRequestsException,
                "Rate Exceeded.",
            ));
        }
        let lambda = self.clone();
        tokio::spawn(async move {
            lambda.invoke(&f, payload).await;
            lambda.queued_events.fetch_sub(1, Ordering::SeqCst);
        });
        Ok(())
    }

    /// How long an environment may stay idle.
    pub fn idle_limit(&self) -> Duration {
        self.limits.idle
    }

    /// Stops environments idle for longer than the configured limit.
    pub fn retire_idle(&self) {
        let functions: Vec<Arc<Function>> = self
            .functions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        let retired: usize = functions
            .iter()
            .map(|f| f.retire_older_than(self.limits.idle))
            .sum();
        if retired > 0 {
            tracing::debug!(retired, "stopped idle function processes");
        }
    }

    /// Stops the idle environment (of any function) idle the longest; false if none is idle.
    fn retire_one_idle(&self) -> bool {
        let map = self
            .functions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let oldest = map
            .values()
            .filter_map(|f| {
                f.idle()
                    .iter()
                    .map(|(_, since)| *since)
                    .min()
                    .map(|s| (s, f))
            })
            .min_by_key(|(since, _)| *since)
            .map(|(_, f)| f.clone());
        drop(map);
        oldest.is_some_and(|f| f.retire_oldest())
    }

    /// Ends every invocation and stops every process, for shutdown.
    pub fn shutdown(&self) {
        let _ = self.closing.send(true);
        let map = self
            .functions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for f in map.values() {
            f.retire();
        }
    }

    /// Forgets every function (their idle processes stop).
    pub fn reset(&self) {
        let mut map = self
            .functions
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for f in map.values() {
            f.retire();
        }
        map.clear();
    }

    /// Looks a function up by any form of FunctionName.
    pub fn find(&self, caller: &Namespace, id: &str) -> Result<Arc<Function>> {
        self.find_version(caller, id, None)
    }

    /// Looks a function up for a call that names a version: not found, AWS names the
    /// version it looked for (`qualifier`, else the one in `id`).
    pub fn find_version(
        &self,
        caller: &Namespace,
        id: &str,
        qualifier: Option<&str>,
    ) -> Result<Arc<Function>> {
        let (ns, name) = check_function_name(caller, id)?;
        let map = self
            .functions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(&(ns.clone(), name.clone()))
            .cloned()
            .ok_or_else(|| match qualifier {
                None => not_found(&ns, &name),
                Some(q) => Error::new(
                    ErrorCode::ResourceNotFoundException,
                    format!("Function not found: {}:{q}", function_arn(&ns, &name)),
                ),
            })
    }
}
