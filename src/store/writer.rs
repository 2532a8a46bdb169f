//! The writer thread: group-commits journal entries, and after a failed commit puts memory
//! back to what the disk holds and reopens the database (see `Durable`).

use super::durable::{
    load, open_row, snapshot, value_range, Job, Op, Reconciler, Reverted, Starter, BLOBS,
    MAX_BATCH, SECRETS, VALUES,
};
use super::record::SecretRecord;
use super::seal::Keyring;
use crate::domain::secret::Secret;
use redb::{Database, ReadableDatabase};
use std::collections::HashSet;
use std::path::Path;
use std::sync::mpsc;

/// A key whose memory may differ from the disk after a failed commit.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Touched {
    Secret(String),
    Blob(String),
    Everything,
}

fn touched(op: &Op) -> Touched {
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

/// How long the writer waits between attempts to reopen a database it lost.
const REOPEN_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

pub(super) fn run(starter: Starter, reconcile: Reconciler) {
    let Starter {
        db,
        opener,
        path,
        rx,
        gate,
        health,
        keyring,
    } = starter;
    let mut db = Some(db);
    // Keys changed in memory by writes that failed, not yet put back from the disk.
    let mut unreconciled: HashSet<Touched> = HashSet::default();
    loop {
        let first = if db.is_some() {
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
        let result = match &db {
            Some(db) => commit(db, &batch).map_err(|e| e.to_string()),
            None => Err("the database is not open".to_string()),
        };
        let ok = match result {
            Ok(()) => true,
            Err(e) => {
                if !batch.is_empty() {
                    tracing::error!(error = %e, writes = batch.len(), "database commit failed");
                }
                // No change can reach memory while the gate is held exclusively, so every
                // change made since the failed ones is in the batch or the queue: they all
                // fail, and memory is put back to what the disk holds before anyone is
                // answered.
                let _exclusive = gate
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                while let Ok(job) = rx.try_recv() {
                    batch.push(job);
                }
                unreconciled.extend(batch.iter().map(|job| touched(&job.op)));
                // redb refuses every write after an I/O error until it is reopened.
                drop(db.take());
                db = match opener() {
                    Ok(d) => Some(d),
                    Err(e) => {
                        if health.writable() {
                            tracing::warn!(error = %e, "cannot reopen the database yet");
                        }
                        None
                    }
                };
                // Memory is put back even when the database cannot be reopened for writing:
                // the file is then read from a copy, which needs no write.
                let reverted = match &db {
                    _ if unreconciled.is_empty() => Ok(None),
                    Some(d) => read_back(d, &unreconciled, &keyring).map(Some),
                    None => snapshot(&path)
                        .and_then(|d| read_back(&d, &unreconciled, &keyring))
                        .map(Some),
                };
                match reverted {
                    Ok(r) => {
                        unreconciled.clear();
                        if let Some(r) = r {
                            reconcile(r);
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot read the database back");
                        db = None;
                    }
                }
                match (&db, health.writable()) {
                    (Some(_), false) => tracing::info!("the database is writable again"),
                    (None, true) => tracing::error!(
                        "the database cannot take writes; refusing them until it can"
                    ),
                    _ => {}
                }
                health.set_writable(db.is_some());
                false
            }
        };
        for job in batch {
            if let Some(done) = job.done {
                let _ = done.send(ok);
            }
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
            secrets: Vec::new(),
            blobs: Vec::new(),
            everything: Some(load(db, path)?),
        });
    }
    let txn = db.begin_read().map_err(|e| e.to_string())?;
    let mut secrets = Vec::new();
    let mut blobs = Vec::new();
    for key in keys {
        match key {
            Touched::Secret(key) => {
                secrets.push((key.clone(), read_secret(&txn, key, keyring)?));
            }
            Touched::Blob(key) => {
                let stored = match txn.open_table(BLOBS) {
                    Ok(t) => t
                        .get(key.as_str())
                        .map_err(|e| e.to_string())?
                        .map(|v| v.value().to_vec()),
                    Err(_) => None,
                };
                blobs.push((key.clone(), stored));
            }
            Touched::Everything => {}
        }
    }
    Ok(Reverted {
        secrets,
        blobs,
        everything: None,
    })
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
