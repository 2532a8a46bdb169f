//! The Lambda subset: a function registry, execution environments that run functions as
//! local processes through the Runtime API, and invocation. Knows nothing of secrets.

pub mod code;
pub mod env;
pub mod functions;
pub mod invoke;
pub mod model;

use crate::clock::Clock;
use crate::domain::Namespace;
use crate::error::{Error, ErrorCode, Result};
use crate::store::durable::Ticket;
use crate::store::Store;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use env::Env;
use model::FunctionConfig;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

const PYTHON_BOOTSTRAP: &str = include_str!("bootstrap.py");
const NODE_BOOTSTRAP: &str = include_str!("bootstrap.mjs");

/// A function: its configuration and code, its policy, and its warm environments.
pub struct Function {
    pub namespace: Namespace,
    state: RwLock<FunctionState>,
    idle: Mutex<Vec<Env>>,
}

#[derive(Clone)]
pub struct FunctionState {
    pub config: FunctionConfig,
    pub code_dir: PathBuf,
    /// The zip as uploaded, kept so the function can be persisted and restored.
    pub zip: Arc<Vec<u8>>,
    /// Resource-policy statements (AddPermission), as JSON objects.
    pub policy: Vec<serde_json::Value>,
    /// Bumped by every code or configuration change; older environments are retired.
    pub generation: u64,
}

impl Function {
    pub fn snapshot(&self) -> FunctionState {
        self.state.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn update<T>(&self, f: impl FnOnce(&mut FunctionState) -> T) -> T {
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        f(&mut state)
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Env>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A warm environment of the current generation, if one is idle.
    fn take_idle(&self, generation: u64) -> Option<Env> {
        let mut idle = self.idle();
        idle.retain(|e| e.is_alive() && e.generation == generation);
        idle.pop()
    }

    fn put_idle(&self, env: Env) {
        if env.is_alive() && !env.failed_init() && env.generation == self.snapshot().generation {
            self.idle().push(env);
        }
    }

    /// Stops every idle environment (busy ones are dropped when their invocation ends).
    fn retire(&self) {
        self.idle().clear();
    }
}

/// A function as persisted: configuration, policy and code.
#[derive(Serialize, Deserialize)]
struct FunctionRecord {
    account: String,
    region: String,
    config: FunctionConfig,
    policy: Vec<serde_json::Value>,
    zip: String,
}

const RECORD_PREFIX: &str = "lambda\0";

fn record_key(ns: &Namespace, name: &str) -> String {
    format!("{RECORD_PREFIX}{}\0{}\0{}", ns.account, ns.region, name)
}

/// Whether Secrets Manager may invoke a function, as its resource policy says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Missing,
    Allowed,
    NotGranted,
}

pub struct Lambda {
    functions: RwLock<BTreeMap<(Namespace, String), Arc<Function>>>,
    clock: Arc<dyn Clock>,
    /// Where functions are journaled when persistence is on.
    store: Arc<Store>,
    work_dir: PathBuf,
    /// `AWS_ENDPOINT_URL` given to functions: this emulator, once it listens.
    endpoint: RwLock<String>,
}

pub fn function_arn(ns: &Namespace, name: &str) -> String {
    format!(
        "arn:aws:lambda:{}:{}:function:{}",
        ns.region, ns.account, name
    )
}

fn not_found(ns: &Namespace, name: &str) -> Error {
    Error::new(
        ErrorCode::ResourceNotFoundException,
        format!("Function not found: {}", function_arn(ns, name)),
    )
}

/// Splits a FunctionName (name, `name:qualifier`, partial or full ARN) into its namespace and
/// bare name; the qualifier is ignored, as only `$LATEST` exists here.
pub fn parse_function_id(caller: &Namespace, id: &str) -> Option<(Namespace, String)> {
    let parts: Vec<&str> = id.split(':').collect();
    let (ns, name) = match parts.as_slice() {
        [name] | [name, _] => (caller.clone(), *name),
        [account, "function", name] | [account, "function", name, _] => {
            (Namespace::new(*account, caller.region.clone()), *name)
        }
        ["arn", _, "lambda", region, account, "function", name]
        | ["arn", _, "lambda", region, account, "function", name, _] => {
            (Namespace::new(*account, *region), *name)
        }
        _ => return None,
    };
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then(|| (ns, name.to_string()))
}

impl Lambda {
    /// A Lambda service keeping code and runtime files under `work_dir`.
    pub fn new(
        clock: Arc<dyn Clock>,
        store: Arc<Store>,
        work_dir: &Path,
    ) -> std::io::Result<Lambda> {
        let runtime = work_dir.join("runtime");
        std::fs::create_dir_all(&runtime)?;
        std::fs::write(runtime.join("bootstrap.py"), PYTHON_BOOTSTRAP)?;
        std::fs::write(runtime.join("bootstrap.mjs"), NODE_BOOTSTRAP)?;
        Ok(Lambda {
            functions: RwLock::default(),
            clock,
            store,
            work_dir: work_dir.to_path_buf(),
            endpoint: RwLock::new("http://127.0.0.1:4566".into()),
        })
    }

    pub fn set_endpoint(&self, url: String) {
        *self.endpoint.write().unwrap_or_else(|e| e.into_inner()) = url;
    }

    fn endpoint(&self) -> String {
        self.endpoint
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn runtime_file(&self, name: &str) -> PathBuf {
        self.work_dir.join("runtime").join(name)
    }

    /// Journals the function's current state; the ticket resolves when it is durable.
    fn save(&self, f: &Function) -> Ticket {
        let s = f.snapshot();
        let record = FunctionRecord {
            account: f.namespace.account.clone(),
            region: f.namespace.region.clone(),
            config: s.config.clone(),
            policy: s.policy.clone(),
            zip: STANDARD.encode(s.zip.as_slice()),
        };
        let bytes = serde_json::to_vec(&record).unwrap_or_default();
        self.store
            .put_blob(&record_key(&f.namespace, &s.config.name), Some(bytes))
    }

    fn forget(&self, ns: &Namespace, name: &str) -> Ticket {
        self.store.put_blob(&record_key(ns, name), None)
    }

    /// Brings back the functions persisted in the store, unpacking their code again.
    pub fn restore(&self) {
        for (key, bytes) in self.store.take_loaded_blobs() {
            if !key.starts_with(RECORD_PREFIX) {
                continue;
            }
            let Ok(record) = serde_json::from_slice::<FunctionRecord>(&bytes) else {
                tracing::error!(%key, "skipping a function record that cannot be read");
                continue;
            };
            let ns = Namespace::new(record.account, record.region);
            let zip = STANDARD.decode(record.zip).unwrap_or_default();
            let name = record.config.name.clone();
            match self.store_code(&ns, &name, &zip) {
                Ok(code_dir) => {
                    self.insert(ns, record.config, code_dir, zip, record.policy);
                }
                Err(e) => {
                    tracing::error!(function = %name, error = %e, "cannot restore function code")
                }
            }
        }
    }

    fn insert(
        &self,
        ns: Namespace,
        config: FunctionConfig,
        code_dir: PathBuf,
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
        });
        let mut map = self.functions.write().unwrap_or_else(|e| e.into_inner());
        map.insert(key, function.clone());
        function
    }

    /// Forgets every function (their idle processes stop).
    pub fn reset(&self) {
        let mut map = self.functions.write().unwrap_or_else(|e| e.into_inner());
        for f in map.values() {
            f.retire();
        }
        map.clear();
    }

    /// Looks a function up by any form of FunctionName.
    pub fn find(&self, caller: &Namespace, id: &str) -> Result<Arc<Function>> {
        let (ns, name) = parse_function_id(caller, id).ok_or_else(|| not_found(caller, id))?;
        let map = self.functions.read().unwrap_or_else(|e| e.into_inner());
        map.get(&(ns.clone(), name.clone()))
            .cloned()
            .ok_or_else(|| not_found(&ns, &name))
    }

    /// Whether `secretsmanager.amazonaws.com` may invoke the function named by `id`.
    pub fn secretsmanager_permission(&self, caller: &Namespace, id: &str) -> Permission {
        let Ok(f) = self.find(caller, id) else {
            return Permission::Missing;
        };
        let allowed = f.snapshot().policy.iter().any(|s| {
            let principal = s["Principal"]["Service"]
                .as_str()
                .or(s["Principal"].as_str());
            let action = s["Action"].as_str().unwrap_or_default();
            matches!(principal, Some("secretsmanager.amazonaws.com") | Some("*"))
                && matches!(action, "lambda:InvokeFunction" | "lambda:*" | "*")
        });
        if allowed {
            Permission::Allowed
        } else {
            Permission::NotGranted
        }
    }
}
