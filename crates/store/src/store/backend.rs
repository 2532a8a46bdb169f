//! What the writer thread commits to: the embedded redb file or a shared PostgreSQL
//! database, behind one trait, with the record revisions a shared database checks.

use super::journal::{touched, Job, Op, Rev, Reverted, Touched};
use super::seal::Keyring;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// The revision this node believes each stored record has: the one its memory was made from.
/// A write names it, and a shared database applies the write only if it still holds it. Also
/// counts the writes of each record submitted and not yet settled: another node's change is
/// not put in memory over one of those (the write's own outcome settles the record).
#[derive(Default)]
pub struct Revisions(Mutex<Known>);

#[derive(Default)]
struct Known {
    revs: HashMap<Touched, Rev>,
    pending: HashMap<Touched, u32>,
}

impl Revisions {
    fn map(&self) -> std::sync::MutexGuard<'_, Known> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Called as a change is submitted (in the order memory changed): the revision the change
    /// was made on, and the one it stores.
    pub fn advance(&self, op: &Op) -> (Option<Rev>, Rev) {
        let key = touched(op);
        let mut known = self.map();
        if key == Touched::Everything {
            known.revs.clear();
            return (None, 0);
        }
        *known.pending.entry(key.clone()).or_default() += 1;
        let new: Rev = rand::random::<i64>().abs().max(1);
        let removes = matches!(op, Op::Remove { .. } | Op::RemoveBlob { .. });
        let before = if removes {
            known.revs.remove(&key)
        } else {
            known.revs.insert(key, new)
        };
        (before, new)
    }

    /// The writes of `keys` (one each) were committed, failed or lost.
    pub fn settled<'a>(&self, keys: impl Iterator<Item = &'a Touched>) {
        let mut known = self.map();
        for key in keys {
            if let Some(n) = known.pending.get_mut(key) {
                *n -= 1;
                if *n == 0 {
                    known.pending.remove(key);
                }
            }
        }
    }

    /// Whether a write of `key` was submitted and has not settled.
    pub fn pending(&self, key: &Touched) -> bool {
        self.map().pending.contains_key(key)
    }

    pub fn get(&self, key: &Touched) -> Option<Rev> {
        self.map().revs.get(key).copied()
    }

    /// Records what the database holds (None: nothing).
    pub fn set(&self, key: Touched, rev: Option<Rev>) {
        let mut known = self.map();
        match rev {
            Some(r) => known.revs.insert(key, r),
            None => known.revs.remove(&key),
        };
    }

    pub fn replace_all(&self, all: HashMap<Touched, Rev>) {
        self.map().revs = all;
    }

    pub fn snapshot(&self) -> HashMap<Touched, Rev> {
        self.map().revs.clone()
    }
}

/// The database the writer thread commits batches to.
pub trait Backend: Send {
    /// Commits `batch` in one transaction; returns the positions of the jobs that lost a race
    /// with another node (not applied), or an error when nothing was committed.
    fn commit(&mut self, batch: &[Job]) -> Result<Vec<usize>, String>;
    /// Drops a connection or file that failed; `reopen` brings it back.
    fn close(&mut self);
    fn reopen(&mut self) -> Result<(), String>;
    fn is_open(&self) -> bool;
    /// What the database holds for `keys`, even when it cannot take writes if it can.
    fn read_back(&mut self, keys: &HashSet<Touched>, keyring: &Keyring)
        -> Result<Reverted, String>;
}

/// Records the revisions a read-back found, before memory is made to match it.
pub(super) fn note_revisions(revisions: Option<&Revisions>, r: &Reverted) {
    let Some(revisions) = revisions else {
        return;
    };
    if let Some(all) = &r.everything {
        revisions.replace_all(all.revs.clone());
    }
    for (key, rev) in &r.revs {
        revisions.set(key.clone(), *rev);
    }
}
