//! The background lease: the one node that holds it runs the work that must happen once
//! (scheduled rotations, schedule rules, purges, stacks a dead node was running). A holder
//! that stops renewing it loses it, and another node takes it over. Every node also renews a
//! row of its own, so that the others can tell which nodes are alive.

use super::connect;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the database keeps the lease for a holder that stops renewing it.
const TERM: &str = "10 seconds";
/// How long the holder acts on a renewal: well inside the term, so that it has stopped
/// before another node can take over.
const TRUST: Duration = Duration::from_secs(6);
const RENEW: Duration = Duration::from_secs(2);

pub struct Lease {
    node: String,
    held_until: Mutex<Option<Instant>>,
    /// The nodes whose own rows were current at the last renewal (this one included).
    live: Mutex<HashSet<String>>,
    /// Set once the first renewal was tried: the node is known to the others from then on.
    started: AtomicBool,
}

impl Lease {
    pub(super) fn new(node: String) -> Lease {
        Lease {
            node,
            held_until: Mutex::new(None),
            live: Mutex::default(),
            started: AtomicBool::new(false),
        }
    }

    /// The nodes alive at the last renewal, as far as this node could tell.
    pub fn live(&self) -> HashSet<String> {
        self.live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(super) fn started(&self) -> bool {
        self.started.load(Ordering::SeqCst)
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.held_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether this node holds the lease now.
    pub fn held(&self) -> bool {
        self.slot().is_some_and(|until| Instant::now() < until)
    }
}

pub fn spawn(lease: Arc<Lease>, url: String, stop: Arc<AtomicBool>) -> Result<(), String> {
    std::thread::Builder::new()
        .name("localemu-lease".into())
        .spawn(move || run(&lease, &url, &stop))
        .map(|_| ())
        .map_err(|e| format!("cannot start the lease keeper: {e}"))
}

fn run(lease: &Lease, url: &str, stop: &AtomicBool) {
    let take = format!(
        "INSERT INTO localemu_leases VALUES ('background', $1, now() + interval '{TERM}') \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires \
         WHERE localemu_leases.holder = excluded.holder OR localemu_leases.expires < now() \
         RETURNING holder"
    );
    let alive = format!(
        "INSERT INTO localemu_leases VALUES ($1, $2, now() + interval '{TERM}') \
         ON CONFLICT (name) DO UPDATE SET expires = excluded.expires"
    );
    let own = format!("node:{}", lease.node);
    let mut client = None;
    while !stop.load(Ordering::SeqCst) {
        if client.is_none() {
            client = connect(url).ok();
        }
        let asked = Instant::now();
        let renewed = client.as_mut().map(|c| {
            c.execute(&alive, &[&own, &lease.node])?;
            let live = c.query(
                "SELECT holder FROM localemu_leases WHERE name LIKE 'node:%' AND expires > now()",
                &[],
            )?;
            let held = c.query_opt(&take, &[&lease.node])?.is_some();
            Ok::<_, postgres::Error>((held, live))
        });
        let held = match renewed {
            Some(Ok((held, live))) => {
                *lease
                    .live
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) =
                    live.into_iter().map(|row| row.get(0)).collect();
                held
            }
            Some(Err(_)) => {
                client = None;
                false
            }
            None => false,
        };
        lease.started.store(true, Ordering::SeqCst);
        let was = lease.held();
        *lease.slot() = held.then_some(asked + TRUST);
        if held && !was {
            tracing::info!("this node runs the background work (scheduled rotations, purges)");
        }
        let next = Instant::now() + RENEW;
        while Instant::now() < next && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    // Handed on at once rather than when the term ends.
    if let Some(c) = client.as_mut() {
        let _ = c.execute(
            "DELETE FROM localemu_leases WHERE holder = $1 AND name IN ('background', $2)",
            &[&lease.node, &own],
        );
    }
    *lease.slot() = None;
}
