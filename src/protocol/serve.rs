//! The HTTP/1.1 listener: accepts connections, bounds how many stay open and how long a client
//! may take to send its headers, keeps accepting when file descriptors run out, and shuts down
//! within a fixed grace period whatever clients are doing.

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

/// How the listener protects itself.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Open connections at most; at the limit the oldest idle connection is closed to make room.
    pub max_connections: usize,
    /// A client must send a request's headers within this time, and an idle keep-alive
    /// connection is closed after it.
    pub header_timeout: Duration,
    /// After shutdown begins, connections get this long to finish before they are dropped.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 2048,
            header_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(3),
        }
    }
}

/// One open connection, as the accept loop sees it.
struct Slot {
    /// Requests being handled on it; 0 means it is idle and may be closed.
    busy: Arc<AtomicUsize>,
    close: Arc<Notify>,
    /// Already asked to close; not counted against the limit any more.
    closing: bool,
}

type Registry = Arc<Mutex<BTreeMap<u64, Slot>>>;

fn lock(r: &Registry) -> std::sync::MutexGuard<'_, BTreeMap<u64, Slot>> {
    r.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Decrements a connection's busy count when a request ends, even if it is dropped midway.
struct Busy(Arc<AtomicUsize>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Removes a connection from the registry when its task ends, however it ends.
struct Registered(Registry, u64);

impl Drop for Registered {
    fn drop(&mut self) {
        lock(&self.0).remove(&self.1);
    }
}

/// Asks the oldest idle connection to close; false when every connection is busy.
fn evict_idle(registry: &Registry) -> bool {
    let mut map = lock(registry);
    let idle = map
        .values_mut()
        .find(|s| !s.closing && s.busy.load(Ordering::SeqCst) == 0);
    match idle {
        Some(slot) => {
            slot.closing = true;
            slot.close.notify_one();
            true
        }
        None => false,
    }
}

/// Connections open and not already closing.
fn open_connections(registry: &Registry) -> usize {
    lock(registry).values().filter(|s| !s.closing).count()
}

/// Serves `app` on `listener` until `shutdown` completes, then closes every connection within
/// `limits.shutdown_grace`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let registry: Registry = Arc::default();
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let mut next_id = 0u64;
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        while tasks.try_join_next().is_some() {}
        let tcp = match accepted {
            Ok((tcp, _)) => tcp,
            Err(e) => {
                // Out of file descriptors (or a connection reset before it was accepted):
                // make room by closing an idle connection, then try again shortly.
                tracing::warn!(error = %e, "cannot accept a connection");
                evict_idle(&registry);
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Answers are small: send them at once rather than waiting to coalesce segments.
        let _ = tcp.set_nodelay(true);
        if open_connections(&registry) >= limits.max_connections && !evict_idle(&registry) {
            // Every connection is in use: refuse this one rather than exceed the limit.
            drop(tcp);
            continue;
        }
        let id = next_id;
        next_id += 1;
        let slot = Slot {
            busy: Arc::default(),
            close: Arc::default(),
            closing: false,
        };
        let (busy, close) = (slot.busy.clone(), slot.close.clone());
        lock(&registry).insert(id, slot);
        let registered = Registered(registry.clone(), id);
        let service = TowerToHyperService::new(app.clone());
        let service = hyper::service::service_fn(move |request| {
            busy.fetch_add(1, Ordering::SeqCst);
            let guard = Busy(busy.clone());
            let answer = hyper::service::Service::call(&service, request);
            async move {
                let answer = answer.await;
                drop(guard);
                answer
            }
        });
        let mut stop = stop_rx.clone();
        let header_timeout = limits.header_timeout;
        tasks.spawn(async move {
            let _registered = registered;
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                // A client may send its request and then shut down its side; it still gets
                // its answer.
                .half_close(true)
                .keep_alive(true);
            let conn = builder.serve_connection(TokioIo::new(tcp), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = stop.wait_for(|s| *s) => {}
                () = close.notified() => {}
            }
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::info!(
            connections = tasks.len(),
            "closing connections that did not finish in time"
        );
    }
    tasks.shutdown().await;
    Ok(())
}

/// Raises the soft limit on open files to the hard limit, so that many clients and function
/// processes fit; returns the limit in effect.
pub fn raise_open_file_limit() -> u64 {
    #[cfg(unix)]
    {
        use nix::sys::resource::{getrlimit, setrlimit, Resource};
        if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
            let wanted = hard.min(65_536);
            if wanted > soft && setrlimit(Resource::RLIMIT_NOFILE, wanted, hard).is_ok() {
                return wanted;
            }
            return soft;
        }
    }
    1024
}
