//! Where secrets live: per-namespace indexes of individually locked secrets, kept in
//! memory and, with persistence on, journaled to an embedded database.
//!
//! Lock order is always namespace index, then secret. Code holding a secret's lock never
//! takes an index lock, so a reader of one secret never waits behind a writer of another.
//! A change is journaled while the secret's lock is held, so the journal sees the changes
//! of one secret in the order they happened.

pub mod durable;
mod format;
pub mod record;
pub mod transfer;

use crate::clock::Millis;
use crate::domain::secret::Secret;
use crate::domain::Namespace;
use durable::{secret_key, Durable, Op, Ticket};
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// One stored secret behind its own lock.
pub struct SecretCell {
    secret: RwLock<Secret>,
    /// Set once the secret left its index; later changes to it are not journaled.
    removed: AtomicBool,
}

impl SecretCell {
    fn new(secret: Secret) -> Self {
        SecretCell {
            secret: RwLock::new(secret),
            removed: AtomicBool::new(false),
        }
    }

    pub fn read(&self) -> RwLockReadGuard<'_, Secret> {
        // A panic while holding the lock cannot leave a Secret half-changed in a way that
        // matters more than refusing every later request, so poisoning is ignored.
        self.secret.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, Secret> {
        self.secret.write().unwrap_or_else(|e| e.into_inner())
    }
}

pub type SecretRefCell = Arc<SecretCell>;

#[derive(Default)]
struct Index {
    by_name: BTreeMap<String, SecretRefCell>,
    /// (CreatedDate, name): the default listing order, stable across inserts.
    by_created: BTreeMap<(Millis, String), SecretRefCell>,
}

/// The secrets of one (account, region).
pub struct NamespaceStore {
    namespace: Namespace,
    journal: Option<Arc<Durable>>,
    index: RwLock<Index>,
}

/// Which index a scan walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanOrder {
    Created,
    Name,
}

/// A position in a scan: (created, name) for `Created`, (0, name) for `Name`.
pub type ScanKey = (Millis, String);

impl NamespaceStore {
    fn new(namespace: Namespace, journal: Option<Arc<Durable>>) -> Self {
        NamespaceStore {
            namespace,
            journal,
            index: RwLock::default(),
        }
    }

    pub fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    fn journal(&self, op: impl FnOnce() -> Op) -> Ticket {
        match &self.journal {
            Some(j) => j.submit(op()),
            None => Ticket::ready(),
        }
    }

    /// Journals `s`, the locked content of `cell`, after a change; `new_values` names the
    /// versions whose values were written by that change.
    pub fn commit(&self, cell: &SecretCell, s: &Secret, new_values: &[&str]) -> Ticket {
        if cell.removed.load(Ordering::SeqCst) {
            return Ticket::ready();
        }
        self.journal(|| durable::upsert(&self.namespace, s, new_values, false))
    }

    fn read(&self) -> RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, name: &str) -> Option<SecretRefCell> {
        self.read().by_name.get(name).cloned()
    }

    /// Inserts and journals `secret` unless its name is taken by a secret for which `keep`
    /// says true.
    pub fn insert_unless(
        &self,
        mut secret: Secret,
        keep: impl FnOnce(&Secret) -> bool,
    ) -> Result<(SecretRefCell, Ticket), SecretRefCell> {
        let mut index = self.write();
        if let Some(existing) = index.by_name.get(&secret.name).cloned() {
            let (created, keep_it) = {
                let s = existing.read();
                (s.created, keep(&s))
            };
            if keep_it {
                return Err(existing);
            }
            let _guard = existing.write();
            existing.removed.store(true, Ordering::SeqCst);
            index.by_created.remove(&(created, secret.name.clone()));
        }
        // Secrets created within one millisecond must still list in creation order.
        if let Some(&(last, _)) = index.by_created.keys().next_back() {
            if secret.created <= last {
                secret.created = last + 1;
                secret.last_changed = secret.last_changed.max(secret.created);
            }
        }
        let ids: Vec<&str> = secret.versions.iter().map(|v| v.id.as_str()).collect();
        // Journaled before the index lock is released, so no later change can overtake it.
        let ticket = self.journal(|| durable::upsert(&self.namespace, &secret, &ids, true));
        let cell = Arc::new(SecretCell::new(secret));
        Self::index_cell(&mut index, &cell);
        Ok((cell, ticket))
    }

    fn index_cell(index: &mut Index, cell: &SecretRefCell) {
        let s = cell.read();
        index.by_name.insert(s.name.clone(), cell.clone());
        index
            .by_created
            .insert((s.created, s.name.clone()), cell.clone());
    }

    /// Removes and journals `cell` if it is still the secret stored under its name.
    pub fn remove(&self, cell: &SecretRefCell) -> Ticket {
        let (name, created) = {
            let s = cell.read();
            (s.name.clone(), s.created)
        };
        let mut index = self.write();
        if !index
            .by_name
            .get(&name)
            .is_some_and(|c| Arc::ptr_eq(c, cell))
        {
            return Ticket::ready();
        }
        index.by_name.remove(&name);
        index.by_created.remove(&(created, name.clone()));
        // Taken after the index lock (the one lock order), so no change to this secret is
        // being journaled while it is marked removed.
        let _guard = cell.write();
        cell.removed.store(true, Ordering::SeqCst);
        self.journal(|| Op::Remove {
            key: secret_key(&self.namespace, &name),
        })
    }

    pub fn len(&self) -> usize {
        self.read().by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Walks secrets in `order` strictly after (or before, when `reverse`) `from`,
    /// until `visit` returns false.
    pub fn scan(
        &self,
        order: ScanOrder,
        reverse: bool,
        from: Option<&ScanKey>,
        mut visit: impl FnMut(&ScanKey, &SecretRefCell) -> bool,
    ) {
        let index = self.read();
        match order {
            ScanOrder::Created => {
                let bound = from.map_or(Bound::Unbounded, Bound::Excluded);
                walk(&index.by_created, bound, reverse, |k, c| visit(k, c));
            }
            ScanOrder::Name => {
                let bound = from.map_or(Bound::Unbounded, |k| Bound::Excluded(&k.1));
                walk(&index.by_name, bound, reverse, |name, c| {
                    visit(&(0, name.clone()), c)
                });
            }
        }
    }

    pub fn all(&self) -> Vec<SecretRefCell> {
        self.read().by_name.values().cloned().collect()
    }
}

fn walk<K: Ord>(
    map: &BTreeMap<K, SecretRefCell>,
    from: Bound<&K>,
    reverse: bool,
    mut visit: impl FnMut(&K, &SecretRefCell) -> bool,
) {
    if reverse {
        let range = map.range((Bound::Unbounded, from));
        for (k, c) in range.rev() {
            if !visit(k, c) {
                return;
            }
        }
    } else {
        for (k, c) in map.range((from, Bound::Unbounded)) {
            if !visit(k, c) {
                return;
            }
        }
    }
}

/// Every namespace LocalEmu has seen.
#[derive(Default)]
pub struct Store {
    journal: Option<Arc<Durable>>,
    namespaces: RwLock<HashMap<Namespace, Arc<NamespaceStore>>>,
    /// Other services' records found at start-up, handed out once.
    loaded_blobs: std::sync::Mutex<Vec<(String, Vec<u8>)>>,
}

impl Store {
    /// State in memory only.
    pub fn new() -> Self {
        Self::default()
    }

    /// State journaled to the database in `dir`, restored from it first.
    pub fn open(dir: &Path) -> Result<Store, String> {
        let (journal, loaded) = Durable::open(dir)?;
        let store = Store {
            journal: Some(Arc::new(journal)),
            namespaces: RwLock::default(),
            loaded_blobs: std::sync::Mutex::new(loaded.blobs),
        };
        for (ns, secret) in loaded.secrets {
            let ns = store.namespace_or_create(&ns);
            let cell = Arc::new(SecretCell::new(secret));
            NamespaceStore::index_cell(&mut ns.write(), &cell);
        }
        Ok(store)
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
            Some(bytes) => Op::PutBlob { key, bytes },
            None => Op::RemoveBlob { key },
        })
    }

    /// The records of other services found at start-up; empty after the first call.
    pub fn take_loaded_blobs(&self) -> Vec<(String, Vec<u8>)> {
        std::mem::take(&mut *self.loaded_blobs.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn namespace(&self, ns: &Namespace) -> Option<Arc<NamespaceStore>> {
        let map = self.namespaces.read().unwrap_or_else(|e| e.into_inner());
        map.get(ns).cloned()
    }

    pub fn namespace_or_create(&self, ns: &Namespace) -> Arc<NamespaceStore> {
        if let Some(existing) = self.namespace(ns) {
            return existing;
        }
        let mut map = self.namespaces.write().unwrap_or_else(|e| e.into_inner());
        map.entry(ns.clone())
            .or_insert_with(|| Arc::new(NamespaceStore::new(ns.clone(), self.journal.clone())))
            .clone()
    }

    /// Every namespace with its name.
    pub fn namespaces(&self) -> Vec<(Namespace, Arc<NamespaceStore>)> {
        let map = self.namespaces.read().unwrap_or_else(|e| e.into_inner());
        map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// Removes every secret whose recovery window has ended; returns how many.
    pub fn purge_expired(&self, now: Millis) -> usize {
        let mut purged = 0;
        for (_, ns) in self.namespaces() {
            for cell in ns.all() {
                if cell.read().is_purged(now) {
                    ns.remove(&cell);
                    purged += 1;
                }
            }
        }
        purged
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

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
