//! Wiring: builds the services, binds the listener, runs background tasks, shuts down.

mod invoker;
mod process;

use crate::clock::{Clock, IdSource, RandomIds, SystemClock};
use crate::config::Config;
use crate::guard::AllowedHosts;
use crate::kms::Kms;
use crate::lambda::Lambda;
use crate::protocol::auth::Auth;
use crate::protocol::serve::{raise_open_file_limit, serve, Limits};
use crate::protocol::{router, AppState};
use crate::secretsmanager::SecretsManager;
use crate::ssm::Ssm;
use crate::store::Store;
use crate::sts::identity::Identities;
use crate::sts::tokens::Minter;
use crate::sts::Sts;
use invoker::LambdaInvoker;
use process::is_loopback_bind;
pub use process::{private_work_dir, return_large_blocks_to_the_system, shutdown_signal};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How often secrets whose recovery window ended are purged in the background; lookups
/// also purge them on sight, so this only bounds memory.
const PURGE_INTERVAL: Duration = Duration::from_mins(1);
/// How often idle function processes past their idle limit are stopped.
const IDLE_CHECK_INTERVAL: Duration = Duration::from_secs(5);

/// The side effects a server is built with; tests swap in a manual clock.
pub struct Deps {
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    pub store: Arc<Store>,
}

impl Default for Deps {
    fn default() -> Self {
        Deps {
            clock: Arc::new(SystemClock::default()),
            ids: Arc::new(RandomIds),
            store: Arc::new(Store::new()),
        }
    }
}

/// What an embedding program may do to a server while it runs.
#[derive(Clone)]
pub struct Control {
    state: Arc<AppState>,
}

impl Control {
    /// Moves the emulator's clock forward by `by` milliseconds (as `/_awsemu/clock` does),
    /// and starts the rotations that became due.
    pub fn advance(&self, by: crate::clock::Millis) -> Result<(), String> {
        self.state.secretsmanager.clock().try_advance(by)?;
        self.state.secretsmanager.rotation_engine().fire_due();
        self.state.events.fire_due();
        Ok(())
    }

    /// The emulator's current time, in milliseconds since the epoch.
    pub fn now(&self) -> crate::clock::Millis {
        self.state.secretsmanager.clock().now()
    }
}

/// A bound server, ready to be run.
pub struct Server {
    listener: TcpListener,
    state: Arc<AppState>,
    /// Where function code and the runtime are kept.
    work_dir: std::path::PathBuf,
    /// A work directory made for this run only, removed when the server stops.
    scratch: Option<std::path::PathBuf>,
    limits: Limits,
    /// The Parameters and Secrets extension's listeners: Lambda reaches them through a weak
    /// reference (they hold Secrets Manager, which holds Lambda), so the server keeps them.
    extensions: Arc<crate::extension::Host>,
}

impl Server {
    pub async fn bind(config: &Config, deps: Deps) -> std::io::Result<Server> {
        let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
        let port = listener.local_addr()?.port();
        if !is_loopback_bind(&config.host) {
            tracing::warn!(
                host = %config.host,
                "listening beyond this machine: anyone who can reach this address can read and \
                 change every secret and run code on this machine through Lambda functions"
            );
        }
        let files = raise_open_file_limit();
        let work_dir = match &config.work_dir {
            Some(dir) => dir.clone(),
            None => private_work_dir("localemu")?,
        };
        let session_key = crate::sts::key::KeptKey::load(&deps.store).await?;
        let identities = Arc::new(Identities::new(
            Minter::new(session_key.material()),
            config.credentials.clone(),
        ));
        // The console's token: a fresh one every start, never written anywhere.
        let console_token = uuid::Uuid::new_v4().simple().to_string();
        let auth = Auth::new(
            identities.clone(),
            deps.clock.clone(),
            config.strict.signatures,
            &config.default_region,
        )
        .with_console(&console_token);
        let sts = Arc::new(
            Sts::new(deps.clock.clone(), identities, session_key)
                .with_strict_saml(config.strict.signatures),
        );
        let issuer = sts.clone();
        // Functions run on this machine, so they reach the emulator over loopback.
        let host = match config.host.as_str() {
            "0.0.0.0" | "::" | "[::]" => "127.0.0.1",
            h => h,
        };
        let lambda = Arc::new(Lambda::new(
            deps.clock.clone(),
            deps.ids.clone(),
            deps.store.clone(),
            &work_dir,
            crate::lambda::Limits {
                max_processes: config.max_function_processes,
                idle: config.function_idle,
                ..crate::lambda::Limits::default()
            },
            crate::lambda::Wiring {
                endpoint: format!("http://{host}:{port}"),
                credentials: Some(Box::new(move |ns, role, name| {
                    let issued = issuer.function_credentials(role, &ns.account, name);
                    (
                        issued.access_key_id,
                        issued.secret_access_key,
                        issued.session_token,
                    )
                })),
                strict_permissions: config.strict.permissions,
            },
        )?);
        lambda.restore().map_err(std::io::Error::other)?;
        let invoker = Arc::new(LambdaInvoker(lambda.clone()));
        let kms = Arc::new(
            Kms::new(deps.clock.clone(), deps.ids.clone(), deps.store.clone())
                .with_strict(config.strict),
        );
        deps.store.attach(&kms).map_err(std::io::Error::other)?;
        deps.store
            .seal_with(Arc::new(crate::kms::AtRest(Arc::downgrade(&kms))));
        let secretsmanager = Arc::new(
            SecretsManager::new(
                deps.store.clone(),
                deps.clock.clone(),
                deps.ids.clone(),
                invoker,
            )
            .with_strict(config.strict)
            .with_kms(kms.clone()),
        );
        let clock = deps.clock.clone();
        let ssm = Arc::new(Ssm::new(
            deps.clock,
            deps.store.clone(),
            kms.clone(),
            secretsmanager.clone(),
        ));
        deps.store.attach(&ssm).map_err(std::io::Error::other)?;
        let events = crate::events::Events::new(
            clock.clone(),
            deps.ids.clone(),
            deps.store.clone(),
            secretsmanager.clone(),
            lambda.clone(),
        );
        deps.store.attach(&events).map_err(std::io::Error::other)?;
        events.adopt_archive_rules();
        secretsmanager.notify(Arc::new(crate::events::Publisher(Arc::downgrade(&events))));
        let cloudformation = crate::cloudformation::CloudFormation::new(
            clock.clone(),
            deps.store.clone(),
            crate::cloudformation::resources::Services {
                secrets: secretsmanager.clone(),
                lambda: lambda.clone(),
                kms: kms.clone(),
                ssm: ssm.clone(),
                events: events.clone(),
                ids: deps.ids.clone(),
            },
        );
        deps.store
            .attach(&cloudformation)
            .map_err(std::io::Error::other)?;
        // Stack operations a stop cut short end as AWS shows failed ones.
        // With a shared database the node holding the lease recovers, once it holds it: a
        // node starting beside others must not touch the stacks they are running.
        if !deps.store.is_shared() {
            cloudformation.recover(Duration::ZERO);
        }
        let extensions = crate::extension::Host::new(
            secretsmanager.clone(),
            ssm.clone(),
            sts.identities().clone(),
            clock.clone(),
            config.strict.signatures,
        );
        lambda.set_extensions(Arc::new(crate::extension::HostRef(Arc::downgrade(
            &extensions,
        ))));
        let state = Arc::new(AppState {
            secretsmanager,
            ssm,
            sts,
            kms,
            cloudformation,
            events,
            lambda,
            auth,
            allowed_hosts: Arc::new(
                AllowedHosts::new(&config.allowed_hosts).with_console(&console_token),
            ),
            console_token,
            barrier: deps.store.barrier(),
            init: Arc::default(),
            admin_token: config.strict.signatures.then(|| {
                config
                    .admin_token
                    .clone()
                    .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
            }),
        });
        if !state.secretsmanager.seal_plain_at_rest().await {
            return Err(std::io::Error::other(
                "cannot write the secrets found in the clear again, sealed",
            ));
        }
        let scratch = config.work_dir.is_none().then(|| work_dir.clone());
        // Leave half the descriptors to function processes, the database and pipes.
        let max_connections = config.max_connections.min((files / 2) as usize).max(64);
        Ok(Server {
            listener,
            state,
            extensions,
            work_dir,
            scratch,
            limits: Limits {
                max_connections,
                ..Limits::default()
            },
        })
    }

    /// Creates what an init document names (see [`crate::init`]).
    pub async fn seed(
        &self,
        doc: &crate::init::Document,
        base: &std::path::Path,
        trial: bool,
    ) -> Result<crate::init::Applied, String> {
        let services = crate::init::apply::Services {
            secrets: &self.state.secretsmanager,
            lambda: &self.state.lambda,
            kms: &self.state.kms,
            ssm: &self.state.ssm,
            default_region: self.state.auth.default_region(),
            trial,
        };
        crate::init::apply(&services, doc, base).await
    }

    /// Where function code and the runtime files are kept.
    pub fn work_dir(&self) -> &std::path::Path {
        &self.work_dir
    }

    /// Start-up's stages, which the ready.d scripts report to (see `/_localstack/init`).
    pub fn init_status(&self) -> Arc<crate::init::hooks::Status> {
        self.state.init.clone()
    }

    /// The token the admin endpoints require, in strict mode.
    pub fn admin_token(&self) -> Option<&str> {
        self.state.admin_token.as_deref()
    }

    /// A handle on the running server's clock, for code that embeds it.
    pub fn control(&self) -> Control {
        Control {
            state: self.state.clone(),
        }
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let purger = spawn_purger(self.state.clone());
        let scheduler = self
            .state
            .secretsmanager
            .rotation_engine()
            .clone()
            .spawn_scheduler();
        let rules = self.state.events.clone().spawn_scheduler();
        let lambda = self.state.lambda.clone();
        let app = router(self.state);
        let result = serve(self.listener, app, self.limits, shutdown).await;
        // Function processes stop with the server, busy or not.
        lambda.shutdown();
        purger.abort();
        scheduler.abort();
        rules.abort();
        let _ = scheduler.await;
        let _ = rules.await;
        // Waiting for the task to go drops its share of the state now, which closes the
        // database before this returns.
        let _ = purger.await;
        drop(self.extensions);
        if let Some(dir) = self.scratch {
            let _ = std::fs::remove_dir_all(dir);
        }
        result
    }
}

/// How long a stack operation must look abandoned before the lease holder finishes it: more
/// than the 2 s in which a new node's liveness is seen by the others.
const ORPHAN_PATIENCE: Duration = Duration::from_secs(5);

fn spawn_purger(state: Arc<AppState>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = IDLE_CHECK_INTERVAL.min(state.lambda.idle_limit() / 2);
        let mut tick = tokio::time::interval(every.max(Duration::from_millis(100)));
        let mut last_purge = std::time::Instant::now();
        let store = state.secretsmanager.store().clone();
        loop {
            tick.tick().await;
            state.lambda.retire_idle();
            // Work that must happen once across nodes sharing a database: its lease holder's.
            let leads = store.leads();
            if leads && store.is_shared() {
                // Stacks whose node died, dead for longer than liveness takes to be seen.
                state.cloudformation.recover(ORPHAN_PATIENCE);
            }
            if last_purge.elapsed() < PURGE_INTERVAL || !leads {
                continue;
            }
            last_purge = std::time::Instant::now();
            let sm = &state.secretsmanager;
            let purged = sm.purge_expired();
            if purged > 0 {
                tracing::info!(purged, "purged secrets whose recovery window ended");
            }
        }
    })
}
