//! The durable journal: a redb database that one writer thread group-commits, so every
//! acknowledged write is on disk (fsync'd) and concurrent writers share each fsync.

use super::format::{check_format, damaged, open_database};
use super::record::{decode_value, encode_value, SecretRecord};
use crate::domain::secret::Secret;
use crate::domain::Namespace;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use std::path::Path;
use std::sync::mpsc;
use tokio::sync::oneshot;

pub(super) const META: TableDefinition<&str, &str> = TableDefinition::new("meta");
pub(super) const SECRETS: TableDefinition<&str, &[u8]> = TableDefinition::new("secrets");
const VALUES: TableDefinition<&str, &[u8]> = TableDefinition::new("values");
/// Other services' records (Lambda functions), opaque to the store: key to bytes.
const BLOBS: TableDefinition<&str, &[u8]> = TableDefinition::new("blobs");
pub const DB_FILE: &str = "localemu.redb";
/// Writes committed together at most; bounds the latency of one group commit.
const MAX_BATCH: usize = 4096;

/// One change to the persisted state.
pub enum Op {
    /// Stores a secret's record and its new value rows; value rows of versions no longer
    /// listed are dropped. `replace` first drops every value row of the key.
    Upsert {
        key: String,
        record: Vec<u8>,
        values: Vec<(String, Vec<u8>)>,
        keep: Vec<String>,
        replace: bool,
    },
    Remove {
        key: String,
    },
    /// Stores or replaces an opaque record of another service.
    PutBlob {
        key: String,
        bytes: Vec<u8>,
    },
    RemoveBlob {
        key: String,
    },
    Clear,
}

/// What a data directory held at start-up.
pub struct Loaded {
    pub secrets: Vec<(Namespace, Secret)>,
    pub blobs: Vec<(String, Vec<u8>)>,
}

struct Job {
    op: Op,
    done: Option<oneshot::Sender<bool>>,
}

/// Resolves once a write is durable (true) or failed to commit (false).
pub struct Ticket(Option<oneshot::Receiver<bool>>);

impl Ticket {
    pub fn ready() -> Ticket {
        Ticket(None)
    }

    pub async fn durable(self) -> bool {
        match self.0 {
            None => true,
            Some(rx) => rx.await.unwrap_or(false),
        }
    }
}

pub struct Durable {
    tx: Option<mpsc::Sender<Job>>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Durable {
    /// Lets the writer finish what was queued and close the database before returning, so
    /// the data directory can be opened again at once.
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// The key of a secret's record; names never contain NUL.
pub fn secret_key(ns: &Namespace, name: &str) -> String {
    format!("{}\0{}\0{}", ns.account, ns.region, name)
}

fn parse_key(key: &str) -> Option<(Namespace, String)> {
    let mut parts = key.splitn(3, '\0');
    let (account, region, name) = (parts.next()?, parts.next()?, parts.next()?);
    Some((Namespace::new(account, region), name.to_string()))
}

fn value_range(key: &str) -> (String, String) {
    (format!("{key}\0"), format!("{key}\u{1}"))
}

impl Durable {
    /// Queues `op`; the ticket resolves when its group commit is on disk.
    pub fn submit(&self, op: Op) -> Ticket {
        let (tx, rx) = oneshot::channel();
        let job = Job { op, done: Some(tx) };
        match self.tx.as_ref().map(|tx| tx.send(job)) {
            Some(Ok(())) => Ticket(Some(rx)),
            _ => Ticket(Some(oneshot::channel().1)),
        }
    }

    /// Opens (or creates) the database in `dir` and returns it with every stored secret.
    pub fn open(dir: &Path) -> Result<(Durable, Loaded), String> {
        let db = open_database(dir)?;
        let path = dir.join(DB_FILE);
        check_format(&db, &path)?;
        let secrets = load(&db, &path)?;
        let blobs = load_blobs(&db, &path)?;
        let (tx, rx) = mpsc::channel();
        let writer = std::thread::Builder::new()
            .name("localemu-writer".into())
            .spawn(move || writer(db, rx))
            .map_err(|e| format!("cannot start the database writer: {e}"))?;
        let durable = Durable {
            tx: Some(tx),
            writer: Some(writer),
        };
        Ok((durable, Loaded { secrets, blobs }))
    }
}

fn load(db: &Database, path: &Path) -> Result<Vec<(Namespace, Secret)>, String> {
    let txn = db.begin_read().map_err(|e| damaged(path, e))?;
    let secrets = txn.open_table(SECRETS);
    let values = txn.open_table(VALUES);
    let (secrets, values) = match (secrets, values) {
        (Ok(s), Ok(v)) => (s, v),
        _ => return Ok(Vec::new()),
    };
    let mut out = Vec::new();
    for row in secrets.iter().map_err(|e| damaged(path, e))? {
        let (k, v) = row.map_err(|e| damaged(path, e))?;
        let key = k.value();
        let (ns, _) = parse_key(key).ok_or_else(|| damaged(path, "a malformed key"))?;
        let record: SecretRecord =
            serde_json::from_slice(v.value()).map_err(|e| damaged(path, e))?;
        let mut missing = None;
        let secret = record.into_secret(|id| {
            let raw = values.get(format!("{key}\0{id}").as_str()).ok().flatten();
            let value = raw.and_then(|r| decode_value(r.value()));
            if value.is_none() {
                missing = Some(id.to_string());
            }
            value
        });
        if let Some(id) = missing {
            return Err(damaged(
                path,
                format!("the value of version {id} is missing"),
            ));
        }
        out.push((ns, secret));
    }
    Ok(out)
}

fn load_blobs(db: &Database, path: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let txn = db.begin_read().map_err(|e| damaged(path, e))?;
    let Ok(table) = txn.open_table(BLOBS) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for row in table.iter().map_err(|e| damaged(path, e))? {
        let (k, v) = row.map_err(|e| damaged(path, e))?;
        out.push((k.value().to_string(), v.value().to_vec()));
    }
    Ok(out)
}

fn writer(db: Database, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let ok = match commit(&db, &batch) {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, writes = batch.len(), "database commit failed");
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
        Op::PutBlob { .. } | Op::RemoveBlob { .. } => {}
    }
    Ok(())
}

/// Builds the journal entry for a secret after a change; `new_values` names the versions
/// whose value rows must be (re)written.
pub fn upsert(ns: &Namespace, s: &Secret, new_values: &[&str], replace: bool) -> Op {
    let record = serde_json::to_vec(&SecretRecord::of(s)).unwrap_or_default();
    let values = s
        .versions
        .iter()
        .filter(|v| new_values.contains(&v.id.as_str()))
        .filter_map(|v| {
            v.value
                .as_ref()
                .map(|val| (v.id.clone(), encode_value(val)))
        })
        .collect();
    let keep = s
        .versions
        .iter()
        .filter(|v| v.value.is_some())
        .map(|v| v.id.clone())
        .collect();
    Op::Upsert {
        key: secret_key(ns, &s.name),
        record,
        values,
        keep,
        replace,
    }
}
