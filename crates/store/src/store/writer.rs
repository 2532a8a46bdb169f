//! The writer thread: group-commits journal entries, and after a failed commit (or one that
//! lost a race with another node) puts memory back to what the database holds, reopening it
//! when it failed (see `Durable`).

use super::backend::{note_revisions, Backend, Revisions};
use super::journal::{touched, Touched};
use super::journal::{Health, Job, Reconciler, MAX_BATCH};
use super::seal::Keyring;
use crate::wire::Outcome;
use std::collections::HashSet;
use std::sync::{mpsc, Arc, RwLock};

/// How long the writer waits between attempts to reopen a database it lost.
const REOPEN_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// What the writer thread needs, handed over once the store can reconcile.
pub struct Starter {
    pub(super) backend: Box<dyn Backend>,
    pub(super) rx: mpsc::Receiver<Job>,
    pub(super) gate: Arc<RwLock<()>>,
    pub(super) health: Arc<Health>,
    pub(super) keyring: Arc<Keyring>,
    pub(super) revisions: Option<Arc<Revisions>>,
    pub(super) progress: Arc<crate::wire::Progress>,
}

pub(super) fn run(starter: Starter, reconcile: Reconciler) {
    let Starter {
        mut backend,
        rx,
        gate,
        health,
        keyring,
        revisions,
        progress,
    } = starter;
    // Keys changed in memory by writes that failed, not yet put back from the database.
    let mut unreconciled: HashSet<Touched> = HashSet::default();
    loop {
        let first = if backend.is_open() {
            match rx.recv() {
                Ok(job) => Some(job),
                Err(_) => break,
            }
        } else {
            match rx.recv_timeout(REOPEN_INTERVAL) {
                Ok(job) => Some(job),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        };
        let mut batch: Vec<Job> = first.into_iter().collect();
        while !batch.is_empty() && batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let result = if backend.is_open() {
            backend.commit(&batch)
        } else {
            Err("the database is not open".to_string())
        };
        let outcomes: Vec<Outcome> = match result {
            Ok(lost) if lost.is_empty() => vec![Outcome::Committed; batch.len()],
            Ok(lost) => {
                // Another node stored these records first: memory takes its versions, and
                // the callers run their operations again on them.
                let _exclusive = gate
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let keys: HashSet<Touched> = lost.iter().map(|&i| touched(&batch[i].op)).collect();
                match backend.read_back(&keys, &keyring) {
                    Ok(r) => {
                        note_revisions(revisions.as_deref(), &r);
                        progress.put_back();
                        reconcile(r);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot read the database back");
                        unreconciled.extend(keys);
                        backend.close();
                        health.set_writable(false);
                    }
                }
                let mut outcomes = vec![Outcome::Committed; batch.len()];
                for i in lost {
                    outcomes[i] = Outcome::Conflict;
                }
                outcomes
            }
            Err(e) => {
                if !batch.is_empty() {
                    tracing::error!(error = %e, writes = batch.len(), "database commit failed");
                }
                // No change can reach memory while the gate is held exclusively, so every
                // change made since the failed ones is in the batch or the queue: they all
                // fail, and memory is put back to what the database holds before anyone is
                // answered.
                let _exclusive = gate
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                while let Ok(job) = rx.try_recv() {
                    batch.push(job);
                }
                unreconciled.extend(batch.iter().map(|job| touched(&job.op)));
                backend.close();
                if let Err(e) = backend.reopen() {
                    if health.writable() {
                        tracing::warn!(error = %e, "cannot reopen the database yet");
                    }
                }
                // Memory is put back even when the embedded file cannot be reopened for
                // writing: it is then read from a copy, which needs no write.
                let reverted = if unreconciled.is_empty() {
                    Ok(None)
                } else {
                    backend.read_back(&unreconciled, &keyring).map(Some)
                };
                match reverted {
                    Ok(r) => {
                        unreconciled.clear();
                        if let Some(r) = r {
                            note_revisions(revisions.as_deref(), &r);
                            progress.put_back();
                            reconcile(r);
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot read the database back");
                        backend.close();
                    }
                }
                match (backend.is_open(), health.writable()) {
                    (true, false) => tracing::info!("the database is writable again"),
                    (false, true) => tracing::error!(
                        "the database cannot take writes; refusing them until it can"
                    ),
                    _ => {}
                }
                health.set_writable(backend.is_open());
                vec![Outcome::Failed; batch.len()]
            }
        };
        if let Some(revisions) = revisions.as_deref() {
            let keys: Vec<Touched> = batch
                .iter()
                .filter(|job| job.rev.is_some())
                .map(|job| touched(&job.op))
                .collect();
            revisions.settled(keys.iter());
        }
        if let Some(last) = batch.last() {
            progress.settled(last.n);
        }
        for (job, outcome) in batch.into_iter().zip(outcomes) {
            if let Some(done) = job.done {
                let _ = done.send(outcome);
            }
        }
    }
}
