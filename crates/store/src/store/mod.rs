//! Where secrets live: per-namespace indexes of individually locked secrets, kept in
//! memory and, with persistence on, journaled to an embedded database.
//!
//! Lock order is always namespace index, then secret. Code holding a secret's lock never
//! takes an index lock, so a reader of one secret never waits behind a writer of another.
//! A change is journaled while the secret's lock is held, so the journal sees the changes
//! of one secret in the order they happened.

mod backend;
mod blobs;
mod cell;
mod cluster;
pub mod durable;
mod embedded;
mod format;
pub mod journal;
mod namespace;
pub mod postgres;
pub mod record;
pub mod root_key;
mod rotating;
pub mod seal;
pub mod table;
pub mod transfer;
mod writer;

use crate::clock::Millis;
use crate::domain::secret::Secret;
use crate::domain::Namespace;
use blobs::Blobs;
use durable::{Durable, Ticket};
use journal::{parse_key, secret_key, Op, Opener, Reverted};
use namespace::Spaces;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, RwLockReadGuard, Weak};

pub use blobs::BlobReverter;
pub use cell::{SecretCell, SecretRead, SecretRefCell, SecretWrite};
pub use format::{BLOBS, DB_FILE, META, SECRETS, VALUES};
pub use namespace::{NamespaceStore, ScanKey, ScanOrder};

/// A service whose state the store keeps as opaque records under one key prefix.
pub trait Records: Send + Sync {
    fn prefix(&self) -> &'static str;
    /// Puts one record back in memory as the store holds it (None: it is not stored).
    fn put_back(&self, key: &str, bytes: Option<&[u8]>) -> Result<(), String>;
}

/// Held while a change is made in memory and journaled; see [`Store::gate`].
pub type Gate<'a> = Option<RwLockReadGuard<'a, ()>>;

/// Every namespace LocalEmu has seen.
pub struct Store {
    journal: Option<Arc<Durable>>,
    spaces: Arc<Spaces>,
    /// Other services' records: found at start-up until claimed, then who puts them back.
    blobs: Arc<Mutex<Blobs>>,
    /// Secrets whose value rows were found in the clear at start-up.
    plain_at_rest: Mutex<Vec<(Namespace, String)>>,
    /// How long a request waits for the database at most (see [`Store::barrier`]).
    wait: std::time::Duration,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            journal: None,
            spaces: Arc::new(Spaces::memory()),
            blobs: Arc::default(),
            plain_at_rest: Mutex::default(),
            wait: crate::wire::DEFAULT_WAIT,
        }
    }
}

impl Store {
    /// State in memory only.
    pub fn new() -> Self {
        Self::default()
    }

    /// State journaled to the database in `dir`, restored from it first.
    pub fn open(dir: &Path) -> Result<Store, String> {
        let (journal, loaded, starter) = Durable::open(dir)?;
        Self::journaled(journal, loaded, starter)
    }

    /// Like [`Store::open`] over the database `opener` opens; tests give it a backend that
    /// fails on demand.
    pub fn open_with(file: &Path, opener: Opener) -> Result<Store, String> {
        let (journal, loaded, starter) = Durable::open_with(file, opener)?;
        Self::journaled(journal, loaded, starter)
    }

    /// An existing data directory's state; refuses a directory that holds no database.
    pub fn open_existing(dir: &Path) -> Result<Store, String> {
        let file = dir.join(format::DB_FILE);
        if !file.is_file() {
            return Err(format!(
                "{} holds no LocalEmu database ({} does not exist)",
                dir.display(),
                file.display()
            ));
        }
        Self::open(dir)
    }

    /// State kept in the PostgreSQL database at `url`, shared with every node that uses it.
    pub fn open_postgres(url: &str) -> Result<Store, String> {
        let (journal, loaded, starter) = Durable::open_postgres(url)?;
        Self::journaled(journal, loaded, starter)
    }

    /// Memory first holds exactly what the database held when it was read (secrets indexed,
    /// other records kept for their services), and only then do the writer and the change
    /// feed start: the feed's first catch-up compares with that copy and brings it up to date.
    fn journaled(
        journal: Durable,
        loaded: journal::Loaded,
        starter: writer::Starter,
    ) -> Result<Store, String> {
        let journal = Arc::new(journal);
        let spaces = Arc::new(Spaces::journaled(journal.clone()));
        for (ns, secret) in loaded.secrets {
            spaces.get_or_create(&ns).load(secret);
        }
        // Records are handed to services opened; the root key check stays the store's.
        let mut checked = false;
        let mut found = Vec::with_capacity(loaded.blobs.len());
        let mut legacy = Vec::new();
        for (key, row) in loaded.blobs {
            if key == root_key::CHECK {
                checked = true;
                continue;
            }
            let plain = journal.keyring().open_record(&key, &row)?;
            if !root_key::is_sealed(&row) {
                legacy.push((key.clone(), plain.clone()));
            }
            found.push((key, plain));
        }
        let blobs = Arc::new(Mutex::new(Blobs::new(found)));
        // Weak: the writer thread must not keep the store (and so itself) alive.
        let (weak_spaces, weak_blobs) = (Arc::downgrade(&spaces), Arc::downgrade(&blobs));
        let keyring = journal.keyring().clone();
        journal.run(
            starter,
            Arc::new(move |r| revert(&weak_spaces, &weak_blobs, &keyring, r)),
        )?;
        let store = Store {
            journal: Some(journal),
            spaces,
            blobs,
            plain_at_rest: Mutex::new(loaded.plain),
            wait: crate::wire::DEFAULT_WAIT,
        };
        if !checked {
            let _ = store.put_blob(root_key::CHECK, Some(root_key::CHECK_TEXT.to_vec()));
        }
        // Records an older version wrote in the clear are written again, sealed.
        for (key, plain) in legacy {
            let _ = store.put_blob(&key, Some(plain));
        }
        Ok(store)
    }

    /// Taken (shared) around every change to memory that is journaled, from before the
    /// change until it is submitted. A failed commit takes it exclusively to put memory back
    /// to what the disk holds, so no change can slip in between. Never take it twice on one
    /// thread, nor after a namespace or secret lock.
    pub fn gate(&self) -> Gate<'_> {
        self.journal.as_ref().map(|j| j.gate())
    }

    /// False once the database failed and could not be reopened: writes are refused.
    pub fn writable(&self) -> bool {
        self.journal.as_ref().is_none_or(|j| j.health().writable())
    }

    /// Says when writability changes; None for a store without a database (always writable).
    pub fn writable_watch(&self) -> Option<tokio::sync::watch::Receiver<bool>> {
        self.journal.as_ref().map(|j| j.health().watch())
    }

    /// Restores `service`'s records found at start-up, and has it put its records back after
    /// a failed commit or another node's change (holding it weakly: it holds the store).
    pub fn attach<R: Records + 'static>(&self, service: &Arc<R>) -> Result<(), String> {
        let weak = Arc::downgrade(service);
        self.claim(
            service.prefix(),
            |key, bytes| service.put_back(key, Some(bytes)),
            Some(Box::new(move |key, stored| {
                let Some(service) = weak.upgrade() else {
                    return;
                };
                if let Err(e) = service.put_back(key, stored.as_deref()) {
                    tracing::error!(error = %e, %key, "cannot put a record back");
                }
            })),
        )
    }

    /// Hands the records under `prefix` to `restore`, and every later version the database
    /// holds of one to `reverter`. Nothing arriving meanwhile can slip between the two: a
    /// change another node makes while the records are restored waits for them.
    pub fn claim(
        &self,
        prefix: &str,
        mut restore: impl FnMut(&str, &[u8]) -> Result<(), String>,
        reverter: Option<BlobReverter>,
    ) -> Result<(), String> {
        let mut blobs = lock(&self.blobs);
        for (key, bytes) in blobs.claim(prefix, reverter) {
            restore(&key, &bytes)?;
        }
        Ok(())
    }

    pub fn is_durable(&self) -> bool {
        self.journal.is_some()
    }

    /// Journals another service's record under `key` (None removes it).
    pub fn put_blob(&self, key: &str, bytes: Option<Vec<u8>>) -> Ticket {
        let Some(journal) = &self.journal else {
            return Ticket::ready();
        };
        let key = key.to_string();
        journal.submit(match bytes {
            Some(bytes) => Op::PutBlob {
                bytes: journal.keyring().seal_record(&key, &bytes),
                key,
            },
            None => Op::RemoveBlob { key },
        })
    }

    /// Fails the journal entry of another service's record that could not be encoded, so the
    /// change is undone like any failed write.
    pub fn invalid(&self, key: &str) -> Ticket {
        match &self.journal {
            Some(journal) => journal.submit(Op::Invalid {
                key: key.to_string(),
                blob: true,
            }),
            None => Ticket::ready(),
        }
    }

    /// The records of other services found at start-up under `prefix`, for a caller that keeps
    /// no copy to put back; each is handed out once.
    pub fn take_loaded_blobs(&self, prefix: &str) -> Vec<(String, Vec<u8>)> {
        lock(&self.blobs).claim(prefix, None)
    }

    pub fn namespace(&self, ns: &Namespace) -> Option<Arc<NamespaceStore>> {
        self.spaces.get(ns)
    }

    pub fn namespace_or_create(&self, ns: &Namespace) -> Arc<NamespaceStore> {
        self.spaces.get_or_create(ns)
    }

    /// Every namespace with its name.
    pub fn namespaces(&self) -> Vec<(Namespace, Arc<NamespaceStore>)> {
        self.spaces.all()
    }

    /// Removes every secret whose recovery window has ended; returns their namespaces and ARNs.
    pub fn purge_expired(&self, now: Millis) -> Vec<(Namespace, String)> {
        let mut purged = Vec::new();
        for (name, ns) in self.namespaces() {
            // Checked again under the gate: a restore may have come in between.
            for cell in ns.select(|s| s.is_purged(now)) {
                let _gate = self.gate();
                let arn = {
                    let s = cell.read();
                    s.is_purged(now).then(|| s.arn.clone())
                };
                if let Some(arn) = arn {
                    ns.remove(&cell);
                    purged.push((name.clone(), arn));
                }
            }
        }
        purged
    }

    /// Lets the store seal value rows under the keys `resolver` names (see [`seal`]).
    pub fn seal_with(&self, resolver: Arc<dyn seal::KeyResolver>) {
        if let Some(j) = &self.journal {
            j.keyring().set_resolver(resolver);
        }
    }

    /// Journals a KMS key's material, which sealed rows need to be read back; in memory only
    /// nothing is sealed, so nothing is kept.
    pub fn put_key_material(&self, key_id: &str, material: &[u8]) -> Ticket {
        let Some(j) = &self.journal else {
            return Ticket::ready();
        };
        j.keyring().insert(key_id, material.to_vec());
        self.put_blob(
            &format!("{}{key_id}", seal::MATERIAL_PREFIX),
            Some(seal::Keyring::encode_material(material)),
        )
    }

    /// The material of a key journaled with [`Store::put_key_material`].
    pub fn key_material(&self, key_id: &str) -> Option<Vec<u8>> {
        self.journal
            .as_ref()
            .and_then(|j| j.keyring().get(key_id))
            .map(|m| m.as_ref().clone())
    }

    /// The secrets found with value rows in the clear (an older format, or an import); each
    /// is handed out once, to be written again sealed.
    pub fn take_plain_at_rest(&self) -> Vec<(Namespace, String)> {
        std::mem::take(
            &mut *self
                .plain_at_rest
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Forgets every secret of every namespace.
    pub fn reset(&self) -> Ticket {
        for (_, ns) in self.namespaces() {
            for cell in ns.all() {
                ns.remove(&cell);
            }
        }
        match &self.journal {
            Some(j) => j.submit(Op::Clear),
            None => Ticket::ready(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Makes memory match the database after a failed commit, a lost race or another node's
/// change; runs while the gate is held exclusively.
fn revert(
    spaces: &Weak<Spaces>,
    blobs: &Weak<Mutex<Blobs>>,
    keyring: &seal::Keyring,
    reverted: Reverted,
) {
    let Some(spaces) = spaces.upgrade() else {
        return;
    };
    let mut secrets = reverted.secrets;
    let mut blob_rows = reverted.blobs;
    if let Some(all) = reverted.everything {
        // A reset failed: every secret in memory or on disk is put back as stored.
        let mut on_disk: HashMap<String, Secret> = all
            .secrets
            .into_iter()
            .map(|(ns, s)| (secret_key(&ns, &s.name), s))
            .collect();
        for (ns, space) in spaces.all() {
            for cell in space.all() {
                let key = secret_key(&ns, &cell.read().name);
                let stored = on_disk.remove(&key);
                secrets.push((key, stored));
            }
        }
        secrets.extend(on_disk.into_iter().map(|(k, s)| (k, Some(s))));
        blob_rows = all.blobs.into_iter().map(|(k, v)| (k, Some(v))).collect();
    }
    for (key, stored) in secrets {
        let Some((ns, name)) = parse_key(&key) else {
            continue;
        };
        let space = match spaces.get(&ns) {
            Some(space) => space,
            // A namespace another node made.
            None if stored.is_some() => spaces.get_or_create(&ns),
            None => continue,
        };
        space.put_back(&name, stored);
    }
    let Some(blobs) = blobs.upgrade() else {
        return;
    };
    let mut blobs = lock(&blobs);
    for (key, stored) in blob_rows {
        if key == root_key::CHECK {
            continue;
        }
        let stored = match stored.map(|row| keyring.open_record(&key, &row)) {
            Some(Ok(plain)) => Some(plain),
            None => None,
            Some(Err(e)) => {
                tracing::error!(error = %e, "a stored record cannot be read");
                continue;
            }
        };
        blobs.stored(&key, stored);
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
