//! The journal's vocabulary, shared by the writer and every backend: the changes (`Op`),
//! what a database held (`Loaded`), what a failed commit or another node's change puts back
//! (`Reverted`), and how secrets' records are keyed.

use super::record::{encode_value, SecretRecord, SecretRecords};
use super::seal::Keyring;
use crate::domain::secret::Secret;
use crate::domain::Namespace;
use redb::Database;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::oneshot;

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
    let record = match super::table::encode::<SecretRecords>(&SecretRecord::of(s)) {
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
