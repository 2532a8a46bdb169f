//! What the writer thread commits to: the embedded redb file or a shared PostgreSQL
//! database, behind one trait, with the record revisions a shared database checks.

use super::durable::{load, open_row, snapshot, value_range, Job, Op, Opener, Reverted};
use super::format::{BLOBS, SECRETS, VALUES};
use super::record::SecretRecord;
use super::seal::Keyring;
use crate::domain::secret::Secret;
use redb::{Database, ReadableDatabase};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A stored key, as the writer and a shared database's change feed name it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Touched {
    Secret(String),
    Blob(String),
    Everything,
}

pub(super) fn touched(op: &Op) -> Touched {
    match op {
        Op::Upsert { key, .. } | Op::Remove { key } | Op::Invalid { key, blob: false } => {
            Touched::Secret(key.clone())
        }
        Op::PutBlob { key, .. } | Op::RemoveBlob { key } | Op::Invalid { key, blob: true } => {
            Touched::Blob(key.clone())
        }
        Op::Clear => Touched::Everything,
    }
}

/// A record's revision: unique across nodes and time, so a write made on a stale copy never
/// matches what another node stored since.
pub type Rev = i64;

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

/// The embedded file.
pub struct Redb {
    pub(super) db: Option<Database>,
    pub(super) opener: Opener,
    /// The database file, read back from a copy when it cannot be reopened.
    pub(super) path: PathBuf,
}

impl Backend for Redb {
    fn commit(&mut self, batch: &[Job]) -> Result<Vec<usize>, String> {
        match &self.db {
            Some(db) => commit(db, batch)
                .map(|()| Vec::new())
                .map_err(|e| e.to_string()),
            None => Err("the database is not open".to_string()),
        }
    }

    fn close(&mut self) {
        // redb refuses every write after an I/O error until it is reopened.
        drop(self.db.take());
    }

    fn reopen(&mut self) -> Result<(), String> {
        self.db = Some((self.opener)()?);
        Ok(())
    }

    fn is_open(&self) -> bool {
        self.db.is_some()
    }

    /// Read from a copy of the file when it cannot be reopened: that needs no write.
    fn read_back(
        &mut self,
        keys: &HashSet<Touched>,
        keyring: &Keyring,
    ) -> Result<Reverted, String> {
        match &self.db {
            Some(d) => read_back(d, keys, keyring),
            None => snapshot(&self.path).and_then(|d| read_back(&d, keys, keyring)),
        }
    }
}

/// The stored state of every key in `keys`.
fn read_back(
    db: &Database,
    keys: &HashSet<Touched>,
    keyring: &Keyring,
) -> Result<Reverted, String> {
    let path = Path::new("<database>");
    if keys.contains(&Touched::Everything) {
        return Ok(Reverted {
            everything: Some(load(db, path)?),
            ..Reverted::default()
        });
    }
    let txn = db.begin_read().map_err(|e| e.to_string())?;
    let mut out = Reverted::default();
    for key in keys {
        match key {
            Touched::Secret(key) => {
                out.secrets
                    .push((key.clone(), read_secret(&txn, key, keyring)?));
            }
            Touched::Blob(key) => {
                let stored = match txn.open_table(BLOBS) {
                    Ok(t) => t
                        .get(key.as_str())
                        .map_err(|e| e.to_string())?
                        .map(|v| v.value().to_vec()),
                    Err(_) => None,
                };
                out.blobs.push((key.clone(), stored));
            }
            Touched::Everything => {}
        }
    }
    Ok(out)
}

fn read_secret(
    txn: &redb::ReadTransaction,
    key: &str,
    keyring: &Keyring,
) -> Result<Option<Secret>, String> {
    let (Ok(secrets), Ok(values)) = (txn.open_table(SECRETS), txn.open_table(VALUES)) else {
        return Ok(None);
    };
    let Some(raw) = secrets.get(key).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let record: SecretRecord = serde_json::from_slice(raw.value()).map_err(|e| e.to_string())?;
    let mut missing = false;
    let secret = record.into_secret(|id| {
        let row_key = format!("{key}\0{id}");
        let raw = values.get(row_key.as_str()).ok().flatten();
        let value = raw.and_then(|r| open_row(keyring, &row_key, r.value()));
        missing |= value.is_none();
        value
    });
    if missing {
        return Err(format!("a value of {key:?} is missing"));
    }
    Ok(Some(secret))
}

fn commit(db: &Database, batch: &[Job]) -> Result<(), redb::Error> {
    let mut txn = db.begin_write()?;
    txn.set_durability(redb::Durability::Immediate)
        .map_err(|e| redb::Error::Io(std::io::Error::other(e.to_string())))?;
    {
        let mut secrets = txn.open_table(SECRETS)?;
        let mut values = txn.open_table(VALUES)?;
        let mut blobs = txn.open_table(BLOBS)?;
        for job in batch {
            match &job.op {
                Op::PutBlob { key, bytes } => {
                    blobs.insert(key.as_str(), bytes.as_slice())?;
                }
                Op::RemoveBlob { key } => {
                    blobs.remove(key.as_str())?;
                }
                Op::Clear => {
                    blobs.retain(|_, _| false)?;
                    apply(&job.op, &mut secrets, &mut values)?;
                }
                Op::Invalid { key, .. } => {
                    return Err(redb::Error::Io(std::io::Error::other(format!(
                        "the record of {key:?} could not be encoded"
                    ))));
                }
                op => apply(op, &mut secrets, &mut values)?,
            }
        }
    }
    txn.commit()?;
    Ok(())
}

fn apply(
    op: &Op,
    secrets: &mut redb::Table<&str, &[u8]>,
    values: &mut redb::Table<&str, &[u8]>,
) -> Result<(), redb::Error> {
    match op {
        Op::Upsert {
            key,
            record,
            values: rows,
            keep,
            replace,
        } => {
            let (lo, hi) = value_range(key);
            if *replace {
                values.retain_in(lo.as_str()..hi.as_str(), |_, _| false)?;
            }
            secrets.insert(key.as_str(), record.as_slice())?;
            for (id, bytes) in rows {
                values.insert(format!("{key}\0{id}").as_str(), bytes.as_slice())?;
            }
            values.retain_in(lo.as_str()..hi.as_str(), |k, _| {
                k.rsplit('\0')
                    .next()
                    .is_some_and(|id| keep.iter().any(|x| x == id))
            })?;
        }
        Op::Remove { key } => {
            secrets.remove(key.as_str())?;
            let (lo, hi) = value_range(key);
            values.retain_in(lo.as_str()..hi.as_str(), |_, _| false)?;
        }
        Op::Clear => {
            secrets.retain(|_, _| false)?;
            values.retain(|_, _| false)?;
        }
        Op::PutBlob { .. } | Op::RemoveBlob { .. } | Op::Invalid { .. } => {}
    }
    Ok(())
}
