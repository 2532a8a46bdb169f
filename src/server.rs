//! Wiring: builds the services, binds the listener, runs background tasks, shuts down.

use crate::clock::{Clock, IdSource, RandomIds, SystemClock};
use crate::config::Config;
use crate::protocol::{router, AppState};
use crate::secretsmanager::SecretsManager;
use crate::store::Store;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How often secrets whose recovery window ended are purged in the background; lookups
/// also purge them on sight, so this only bounds memory.
const PURGE_INTERVAL: Duration = Duration::from_secs(60);

/// The side effects a server is built with; tests swap in a manual clock.
pub struct Deps {
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    pub store: Arc<Store>,
}

impl Default for Deps {
    fn default() -> Self {
        Deps {
            clock: Arc::new(SystemClock),
            ids: Arc::new(RandomIds),
            store: Arc::new(Store::new()),
        }
    }
}

/// A bound server, ready to be run.
pub struct Server {
    listener: TcpListener,
    state: Arc<AppState>,
}

impl Server {
    pub async fn bind(config: &Config, deps: Deps) -> std::io::Result<Server> {
        let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
        let state = Arc::new(AppState {
            secretsmanager: SecretsManager::new(deps.store, deps.clock, deps.ids),
            default_region: config.default_region.clone(),
        });
        Ok(Server { listener, state })
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
        let app = router(self.state);
        let result = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
        purger.abort();
        // Waiting for the task to go drops its share of the state now, which closes the
        // database before this returns.
        let _ = purger.await;
        result
    }
}

fn spawn_purger(state: Arc<AppState>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PURGE_INTERVAL);
        loop {
            tick.tick().await;
            let sm = &state.secretsmanager;
            let purged = sm.store().purge_expired(sm.clock().now());
            if purged > 0 {
                tracing::info!(purged, "purged secrets whose recovery window ended");
            }
        }
    })
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
