//! AWS's Parameters and Secrets Lambda Extension, locally. Each function with the extension's
//! layer gets its own listener on a free loopback port (so neither two functions nor two
//! emulators contend for 2773); the runtimes send `localhost:2773` there. A listener answers
//! only requests carrying a session token of that function's role, reads as that session
//! (its account, region and permissions), and caches answers as the extension does, on the
//! emulator's clock.

mod cache;

use crate::clock::Clock;
use crate::domain::caller::Caller;
use crate::domain::Namespace;
use crate::error::{Error, Modeled};

/// A service's error as the extension passes it on: either service's, or the shared kinds.
type Failure = Error<Modeled>;
type Answered = std::result::Result<String, Failure>;
use crate::generated::secretsmanager as sm;
use crate::generated::ssm as ps;
use crate::policy::Who;
use crate::secretsmanager::SecretsManager;
use crate::ssm::Ssm;
use crate::sts::identity::{Identities, Resolution};
use cache::{Cache, Settings};
use http_body_util::Full;
use hyper::body::Bytes;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// The header a function sends its session token in.
pub const TOKEN_HEADER: &str = "x-aws-parameters-secrets-token";

/// Starts and keeps the listeners.
pub struct Host {
    secrets: Arc<SecretsManager>,
    ssm: Arc<Ssm>,
    identities: Arc<Identities>,
    clock: Arc<dyn Clock>,
    /// Expired session tokens are refused (strict mode), as the extension's calls would be.
    strict: bool,
    listeners: Mutex<HashMap<(Namespace, String), Arc<Listener>>>,
}

/// One function's extension.
struct Listener {
    port: u16,
    ns: Namespace,
    /// The session ARN the function's credentials stand for.
    session: String,
    cache: Mutex<Cache>,
    /// At most this many requests are answered at once (MAX_CONNECTIONS).
    permits: Arc<tokio::sync::Semaphore>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Host {
    pub fn new(
        secrets: Arc<SecretsManager>,
        ssm: Arc<Ssm>,
        identities: Arc<Identities>,
        clock: Arc<dyn Clock>,
        strict: bool,
    ) -> Arc<Host> {
        Arc::new(Host {
            secrets,
            ssm,
            identities,
            clock,
            strict,
            listeners: Mutex::default(),
        })
    }

    fn listeners(&self) -> std::sync::MutexGuard<'_, HashMap<(Namespace, String), Arc<Listener>>> {
        self.listeners
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn start(
        self: &Arc<Self>,
        ns: &Namespace,
        function: &str,
        role: &str,
        settings: Settings,
    ) -> Option<Arc<Listener>> {
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", 0)).ok()?;
        std_listener.set_nonblocking(true).ok()?;
        let port = std_listener.local_addr().ok()?.port();
        let listener = tokio::net::TcpListener::from_std(std_listener).ok()?;
        let role_name = role
            .rsplit('/')
            .next()
            .filter(|r| !r.is_empty())
            .unwrap_or("lambda-role");
        let session = ns.global_arn("sts", &format!("assumed-role/{role_name}/{function}"));
        let permits = Arc::new(tokio::sync::Semaphore::new(settings.max_connections));
        let weak = Arc::downgrade(self);
        let key = (ns.clone(), function.to_string());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    // Out of descriptors, say: wait rather than spin.
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                };
                let Some(host) = weak.upgrade() else { break };
                let key = key.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let (host, key) = (host.clone(), key.clone());
                        async move { Ok::<_, std::convert::Infallible>(host.answer(&key, req).await) }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                });
            }
        });
        Some(Arc::new(Listener {
            port,
            ns: ns.clone(),
            session,
            cache: Mutex::new(Cache::new(settings)),
            permits,
            task,
        }))
    }

    async fn answer(
        &self,
        key: &(Namespace, String),
        req: hyper::Request<hyper::body::Incoming>,
    ) -> hyper::Response<Full<Bytes>> {
        let Some(l) = self.listeners().get(key).cloned() else {
            return reply(503, "text/plain", "The extension is not running.".into());
        };
        let Ok(_permit) = l.permits.clone().acquire_owned().await else {
            return reply(503, "text/plain", "The extension is shutting down.".into());
        };
        if req.method() != hyper::Method::GET {
            return reply(405, "text/plain", "Only GET requests are served.".into());
        }
        // A web page in a browser on this machine can reach a loopback port too; it is
        // refused before anything else, as the emulator's own port refuses it.
        let loopback = crate::guard::AllowedHosts::new(&[]);
        if let Some(reason) = crate::guard::check(&loopback, req.headers()) {
            return reply(403, "text/plain", reason);
        }
        let caller = match self.session(&l, req.headers().get(TOKEN_HEADER)) {
            Ok(c) => c,
            Err(message) => return reply(401, "text/plain", message.into()),
        };
        let query: BTreeMap<String, String> =
            crate::wire::query::pairs(req.uri().query().unwrap_or_default())
                .into_iter()
                .collect();
        let path = req.uri().path().to_string();
        let kind = match path.as_str() {
            "/secretsmanager/get" => cache::Kind::Secret,
            "/systemsmanager/parameters/get" => cache::Kind::Parameter,
            _ => return reply(404, "text/plain", format!("No such path: {path}")),
        };
        let now = self.clock.now();
        let cache_key = format!("{path}?{query:?}");
        if let Some(hit) = l.cache_get(kind, &cache_key, now) {
            return reply(200, "application/json", hit);
        }
        // Like a request to the emulator's port: never older than a write another node
        // sharing the database acknowledged before it.
        let result = if self.secrets.store().barrier().pass().await {
            match kind {
                cache::Kind::Secret => self.secret(&caller, &query).await,
                cache::Kind::Parameter => self.parameter(&caller, &query),
            }
        } else {
            Err(Failure::internal())
        };
        match result {
            Ok(body) => {
                l.cache_put(kind, cache_key, body.clone(), now);
                reply(200, "application/json", body)
            }
            Err(e) => {
                use crate::error::Code;
                let internal = match kind {
                    cache::Kind::Secret => sm::ErrorCode::INTERNAL,
                    cache::Kind::Parameter => ps::ErrorCode::INTERNAL,
                };
                let naming = crate::error::Naming {
                    protocol: crate::error::Protocol::Json11,
                    internal,
                };
                let status = e.status(naming);
                let body = serde_json::json!({ "__type": e.name(naming), "message": e.message });
                reply(status, "application/json", body.to_string())
            }
        }
    }

    /// The caller a token stands for, if it is a session of this function's role.
    fn session(
        &self,
        l: &Listener,
        token: Option<&hyper::header::HeaderValue>,
    ) -> std::result::Result<Caller, &'static str> {
        let token = token
            .and_then(|t| t.to_str().ok())
            .ok_or("The X-Aws-Parameters-Secrets-Token header is missing.")?;
        let session = self
            .identities
            .minter()
            .open(token)
            .filter(|s| s.arn == l.session && s.account == l.ns.account)
            .ok_or(
                "The X-Aws-Parameters-Secrets-Token header is not this function's session token.",
            )?;
        if self.strict && session.expires <= self.clock.now() {
            return Err("The session token has expired.");
        }
        match self
            .identities
            .resolve(&session.access_key_id, Some(token), &l.ns.region)
        {
            Resolution::Known { who, tags, .. } => Ok(Caller {
                namespace: l.ns.clone(),
                access_key_id: Some(session.access_key_id),
                who,
                secure_transport: false,
                action: None,
                session_tags: tags,
                via: None,
            }),
            _ => Ok(Caller {
                who: Who::Aws {
                    account: session.account.clone(),
                    arn: session.arn.clone(),
                    role: session.role.clone(),
                },
                ..Caller::root(l.ns.clone())
            }),
        }
    }

    async fn secret(&self, caller: &Caller, q: &BTreeMap<String, String>) -> Answered {
        let request = sm::GetSecretValueRequest {
            secret_id: Some(
                q.get("secretId")
                    .cloned()
                    .ok_or_else(|| Failure::validation("secretId is required."))?,
            ),
            version_id: q.get("versionId").cloned(),
            version_stage: q.get("versionStage").cloned(),
        };
        let caller = caller
            .clone()
            .acting("secretsmanager:GetSecretValue".into());
        let ack = { sm::call::get_secret_value(self.secrets.as_ref(), &caller, request)? };
        let limit = self.secrets.store().barrier().limit();
        if ack.ticket.settle_within(limit).await != crate::wire::Outcome::Committed {
            return Err(Failure::internal());
        }
        serde_json::to_string(&ack.output).map_err(|e| Failure::internal().because(e))
    }

    fn parameter(&self, caller: &Caller, q: &BTreeMap<String, String>) -> Answered {
        let name = q
            .get("name")
            .cloned()
            .ok_or_else(|| Failure::validation("name is required."))?;
        let name = match (q.get("version"), q.get("label")) {
            (Some(v), _) => format!("{name}:{v}"),
            (None, Some(l)) => format!("{name}:{l}"),
            (None, None) => name,
        };
        let request = ps::GetParameterRequest {
            name: Some(name),
            with_decryption: Some(
                q.get("withDecryption")
                    .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            ),
        };
        let caller = caller.clone().acting("ssm:GetParameter".into());
        let out = { ps::call::get_parameter(self.ssm.as_ref(), &caller, request)?.output };
        serde_json::to_string(&out).map_err(|e| Failure::internal().because(e))
    }
}

impl Listener {
    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn cache_get(&self, kind: cache::Kind, key: &str, now: i64) -> Option<String> {
        self.cache().get(kind, key, now)
    }

    fn cache_put(&self, kind: cache::Kind, key: String, body: String, now: i64) {
        self.cache().put(kind, key, body, now);
    }
}

fn reply(status: u16, content_type: &'static str, body: String) -> hyper::Response<Full<Bytes>> {
    let mut r = hyper::Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::BAD_REQUEST);
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    r
}

/// What Lambda holds: the host, weakly, since the host reaches Secrets Manager, whose
/// rotations reach Lambda; the server keeps the host itself.
pub struct HostRef(pub std::sync::Weak<Host>);

impl crate::lambda::Extensions for HostRef {
    fn port(
        &self,
        ns: &Namespace,
        function: &str,
        role: &str,
        env: &BTreeMap<String, String>,
    ) -> Option<u16> {
        self.0.upgrade()?.port(ns, function, role, env)
    }

    fn forget(&self, ns: &Namespace, function: &str) {
        if let Some(host) = self.0.upgrade() {
            host.listeners().remove(&(ns.clone(), function.to_string()));
        }
    }
}

impl Host {
    fn port(
        self: &Arc<Self>,
        ns: &Namespace,
        function: &str,
        role: &str,
        env: &BTreeMap<String, String>,
    ) -> Option<u16> {
        let settings = Settings::from_env(env);
        let key = (ns.clone(), function.to_string());
        if let Some(l) = self.listeners().get(&key) {
            // A new execution role means new sessions: the listener starts afresh then.
            if l.session.ends_with(&format!(
                "/{}/{function}",
                role.rsplit('/').next().unwrap_or_default()
            )) {
                l.cache().configure(settings);
                return Some(l.port);
            }
        }
        let l = self.start(ns, function, role, settings)?;
        let port = l.port;
        self.listeners().insert(key, l);
        Some(port)
    }
}
