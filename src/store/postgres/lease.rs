//! The background lease: the one node that holds it runs the work that must happen once
//! (scheduled rotations, schedule rules, purges). A holder that stops renewing it loses it,
//! and another node takes it over.

use super::connect;
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
}

impl Lease {
    pub(super) fn new(node: String) -> Lease {
        Lease {
            node,
            held_until: Mutex::new(None),
        }
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
    let mut client = None;
    while !stop.load(Ordering::SeqCst) {
        if client.is_none() {
            client = connect(url).ok();
        }
        let asked = Instant::now();
        let held = match client.as_mut().map(|c| c.query_opt(&take, &[&lease.node])) {
            Some(Ok(row)) => row.is_some(),
            Some(Err(_)) => {
                client = None;
                false
            }
            None => false,
        };
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
            "DELETE FROM localemu_leases WHERE name = 'background' AND holder = $1",
            &[&lease.node],
        );
    }
    *lease.slot() = None;
}
