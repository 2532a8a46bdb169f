//! The durable journal: a redb database that one writer thread group-commits, so every
//! acknowledged write is on disk (fsync'd) and concurrent writers share each fsync.

use super::backend::{Backend, Rev, Revisions, Touched};
use super::embedded::{load, validate, Redb};
use super::format::{check_format, open_database};
use super::record::{encode_value, SecretRecord};
use super::seal::Keyring;
use crate::domain::secret::Secret;
use crate::domain::Namespace;
use redb::Database;
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, RwLock, RwLockReadGuard};
use tokio::sync::oneshot;

pub use super::format::{BLOBS, DB_FILE, META, SECRETS, VALUES};
/// Writes committed together at most; bounds the latency of one group commit.
pub(super) const MAX_BATCH: usize = 4096;

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
    /// A change to `key` that could not be encoded: its group commit fails, so memory is put
    /// back and the caller gets an error, instead of a damaged record reaching the disk.
    Invalid {
        key: String,
        /// Another service's record rather than a secret.
        blob: bool,
    },
}

/// What a data directory held at start-up.
pub struct Loaded {
    pub secrets: Vec<(Namespace, Secret)>,
    pub blobs: Vec<(String, Vec<u8>)>,
    /// The key material value rows are sealed with.
    pub keyring: Arc<Keyring>,
    /// Secrets with value rows still written in the clear (by an older format or an import),
    /// to be sealed once KMS can name their keys.
    pub plain: Vec<(Namespace, String)>,
    /// The revision of every record, from a shared database (empty for the embedded file).
    pub revs: HashMap<Touched, Rev>,
}

impl Loaded {
    pub(super) fn empty() -> Loaded {
        Loaded {
            secrets: Vec::new(),
            blobs: Vec::new(),
            keyring: Arc::default(),
            plain: Vec::new(),
            revs: HashMap::new(),
        }
    }
}

pub(super) struct Job {
    pub(super) op: Op,
    pub(super) done: Option<oneshot::Sender<crate::wire::Outcome>>,
    /// For a shared database: the revision the change was made on, and the one it stores.
    pub(super) rev: Option<(Option<Rev>, Rev)>,
    /// Its place in the queue (see [`crate::wire::Progress`]).
    pub(super) n: u64,
}

pub use crate::wire::Ticket;

/// Opens the database: the file in the data directory, or a test's failing backend.
pub type Opener = Box<dyn Fn() -> Result<Database, String> + Send>;

/// What the database holds for the keys a failed group commit touched (or another node
/// changed), handed to the store so that memory can be made to match it.
#[derive(Default)]
pub struct Reverted {
    /// Secret record keys with the secret as stored (None: not stored).
    pub secrets: Vec<(String, Option<Secret>)>,
    /// Other services' record keys with their stored bytes.
    pub blobs: Vec<(String, Option<Vec<u8>>)>,
    /// A reset failed: every key must be reloaded, and these are all that is stored.
    pub everything: Option<Loaded>,
    /// From a shared database: the revision of each key read (None: not stored).
    pub revs: Vec<(Touched, Option<Rev>)>,
}

/// Applies a [`Reverted`] to memory; installed by the store.
pub type Reconciler = Arc<dyn Fn(Reverted) + Send + Sync>;

/// Whether the database can take writes; shared with the health answer, which can wait for
/// it to change.
pub struct Health {
    unavailable: AtomicBool,
    writable: tokio::sync::watch::Sender<bool>,
}

impl Default for Health {
    fn default() -> Self {
        Health {
            unavailable: AtomicBool::new(false),
            writable: tokio::sync::watch::channel(true).0,
        }
    }
}

impl Health {
    pub fn writable(&self) -> bool {
        !self.unavailable.load(Ordering::SeqCst)
    }

    pub(super) fn set_writable(&self, writable: bool) {
        self.unavailable.store(!writable, Ordering::SeqCst);
        self.writable
            .send_if_modified(|w| std::mem::replace(w, writable) != writable);
    }

    /// Changes when the database starts or stops taking writes.
    pub fn watch(&self) -> tokio::sync::watch::Receiver<bool> {
        self.writable.subscribe()
    }
}

pub struct Durable {
    tx: Option<mpsc::Sender<Job>>,
    writer: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Held (shared) by everything that changes memory and journals the change; the writer
    /// holds it exclusively while it puts memory back after a failed commit.
    gate: Arc<RwLock<()>>,
    health: Arc<Health>,
    keyring: Arc<Keyring>,
    progress: Arc<crate::wire::Progress>,
    /// Set for a shared database: revisions checked at commit, the change feed, the lease.
    shared: Option<super::postgres::Shared>,
}

impl Drop for Durable {
    /// Lets the writer finish what was queued and close the database before returning, so
    /// the data directory can be opened again at once.
    fn drop(&mut self) {
        if let Some(shared) = &self.shared {
            shared.stop();
        }
        drop(self.tx.take());
        let writer = self
            .writer
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(writer) = writer {
            let _ = writer.join();
        }
    }
}

/// The key of a secret's record; names never contain NUL.
pub fn secret_key(ns: &Namespace, name: &str) -> String {
    format!("{}\0{}\0{}", ns.account, ns.region, name)
}

pub fn parse_key(key: &str) -> Option<(Namespace, String)> {
    let mut parts = key.splitn(3, '\0');
    let (account, region, name) = (parts.next()?, parts.next()?, parts.next()?);
    Some((Namespace::new(account, region), name.to_string()))
}

pub(super) fn value_range(key: &str) -> (String, String) {
    (format!("{key}\0"), format!("{key}\u{1}"))
}

impl Durable {
    /// Queues `op`; the ticket resolves when its group commit is on disk.
    pub fn submit(&self, op: Op) -> Ticket {
        let (tx, ticket) = Ticket::pending();
        let rev = self.shared.as_ref().map(|s| s.revisions.advance(&op));
        let sent = self.progress.submit(|n| {
            let job = Job {
                op,
                done: Some(tx),
                rev,
                n,
            };
            self.tx.as_ref().is_some_and(|tx| tx.send(job).is_ok())
        });
        if sent {
            ticket
        } else {
            // The writer is gone: the ticket resolves as failed.
            Ticket::pending().1
        }
    }

    pub fn gate(&self) -> RwLockReadGuard<'_, ()> {
        self.gate
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn health(&self) -> &Health {
        &self.health
    }

    /// How far the writer has got, for reads to check that what they saw was stored.
    pub fn progress(&self) -> &Arc<crate::wire::Progress> {
        &self.progress
    }

    /// The shared database's feed, barrier and lease; None for the embedded file.
    pub fn shared(&self) -> Option<&super::postgres::Shared> {
        self.shared.as_ref()
    }

    /// The key material value rows are sealed with.
    pub fn keyring(&self) -> &Arc<Keyring> {
        &self.keyring
    }

    /// Opens (or creates) the database in `dir` and returns it with every stored secret; the
    /// file is checked in full before anything is written to it.
    pub fn open(dir: &Path) -> Result<Opened, String> {
        let path = dir.join(DB_FILE);
        let loaded = validate(dir)?;
        let db = open_database(dir)?;
        check_format(&db, &path)?;
        let dir = dir.to_path_buf();
        let opener: Opener = Box::new(move || open_database(&dir));
        Ok(Self::start(db, opener, path, loaded))
    }

    /// Opens the database file `path` through `opener` (which is called again to reopen it
    /// after a failed commit), as tests do with a backend that fails on demand.
    pub fn open_with(path: &Path, opener: Opener) -> Result<Opened, String> {
        let db = opener()?;
        check_format(&db, path)?;
        let loaded = load(&db, path)?;
        Ok(Self::start(db, opener, path.to_path_buf(), loaded))
    }

    fn start(db: Database, opener: Opener, path: std::path::PathBuf, loaded: Loaded) -> Opened {
        let backend = Redb {
            db: Some(db),
            opener,
            path,
        };
        Self::with_backend(Box::new(backend), loaded, None)
    }

    pub(super) fn with_backend(
        backend: Box<dyn Backend>,
        loaded: Loaded,
        shared: Option<super::postgres::Shared>,
    ) -> Opened {
        let (tx, rx) = mpsc::channel();
        let gate: Arc<RwLock<()>> = Arc::default();
        let health: Arc<Health> = Arc::default();
        let progress: Arc<crate::wire::Progress> = Arc::default();
        let revisions = shared.as_ref().map(|s| s.revisions.clone());
        if let Some(r) = &revisions {
            r.replace_all(loaded.revs.clone());
        }
        let starter = Starter {
            backend,
            rx,
            gate: gate.clone(),
            health: health.clone(),
            keyring: loaded.keyring.clone(),
            revisions,
            progress: progress.clone(),
        };
        let durable = Durable {
            tx: Some(tx),
            writer: std::sync::Mutex::default(),
            gate,
            health,
            keyring: loaded.keyring.clone(),
            progress,
            shared,
        };
        (durable, loaded, starter)
    }

    /// Starts the writer thread (and a shared database's change feed); `reconcile` puts
    /// memory back after a failed commit or a change made by another node. Called once the
    /// store's memory holds what the database held at start-up: the feed's first catch-up
    /// brings that copy up to date, never the other way round.
    pub fn run(&self, starter: Starter, reconcile: Reconciler) -> Result<(), String> {
        if let Some(shared) = &self.shared {
            shared.start(
                starter.gate.clone(),
                self.keyring.clone(),
                reconcile.clone(),
            )?;
        }
        let writer = std::thread::Builder::new()
            .name("localemu-writer".into())
            .spawn(move || super::writer::run(starter, reconcile))
            .map_err(|e| format!("cannot start the database writer: {e}"))?;
        *self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(writer);
        Ok(())
    }
}

/// A journal just opened: the journal, what the database held, and its writer's needs.
pub type Opened = (Durable, Loaded, Starter);

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

/// Builds the journal entry for a secret after a change; `new_values` names the versions
/// whose value rows must be (re)written, sealed under the secret's key when `keyring` can.
pub fn upsert(
    ns: &Namespace,
    s: &Secret,
    new_values: &[&str],
    replace: bool,
    keyring: Option<&Keyring>,
) -> Op {
    let key = secret_key(ns, &s.name);
    let record = match serde_json::to_vec(&SecretRecord::of(s)) {
        Ok(record) => record,
        Err(e) => {
            tracing::error!(error = %e, "cannot encode a secret's record");
            return Op::Invalid { key, blob: false };
        }
    };
    let values = s
        .versions
        .iter()
        .filter(|v| new_values.contains(&v.id.as_str()))
        .filter_map(|v| {
            let plain = encode_value(v.value.as_ref()?);
            let row_key = format!("{key}\0{}", v.id);
            let row = keyring
                .and_then(|k| k.seal(ns, s.kms_key_id.as_deref(), &row_key, &plain))
                .unwrap_or(plain);
            Some((v.id.clone(), row))
        })
        .collect();
    let keep = s
        .versions
        .iter()
        .filter(|v| v.value.is_some())
        .map(|v| v.id.clone())
        .collect();
    Op::Upsert {
        key,
        record,
        values,
        keep,
        replace,
    }
}
