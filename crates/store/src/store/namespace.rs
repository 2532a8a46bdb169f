//! One namespace's secrets: each behind its own lock, indexed by name and by creation, and
//! journaled through the store's database when it has one; and the set of namespaces, the only
//! maker of a namespace, so that every namespace journals to its store's database.

use super::cell::{SecretCell, SecretRefCell};
use super::durable::{Durable, Ticket};
use super::journal::{self, secret_key, Op};
use super::rotating::Rotating;
use crate::clock::Millis;
use crate::domain::secret::Secret;
use crate::domain::Namespace;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

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
    rotating: Arc<Rotating>,
}

/// Which index a scan walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanOrder {
    Created,
    Name,
}

/// A position in a scan: (created, name) for `Created`, (0, name) for `Name`.
pub type ScanKey = (Millis, String);

/// Every namespace of a store, with the journal they all write to: fixed when the set is
/// made, so a namespace created later (by a request, or by a change another node made)
/// cannot be one whose writes are acknowledged without reaching the database.
pub struct Spaces {
    journal: Option<Arc<Durable>>,
    map: RwLock<HashMap<Namespace, Arc<NamespaceStore>>>,
}

impl Spaces {
    /// Namespaces kept in memory only.
    pub(super) fn memory() -> Spaces {
        Spaces {
            journal: None,
            map: RwLock::default(),
        }
    }

    /// Namespaces whose every change goes to `journal`.
    pub(super) fn journaled(journal: Arc<Durable>) -> Spaces {
        Spaces {
            journal: Some(journal),
            map: RwLock::default(),
        }
    }

    pub(super) fn get(&self, ns: &Namespace) -> Option<Arc<NamespaceStore>> {
        self.map
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(ns)
            .cloned()
    }

    pub(super) fn get_or_create(&self, ns: &Namespace) -> Arc<NamespaceStore> {
        if let Some(existing) = self.get(ns) {
            return existing;
        }
        self.map
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(ns.clone())
            .or_insert_with(|| Arc::new(NamespaceStore::new(ns.clone(), self.journal.clone())))
            .clone()
    }

    /// Every namespace with its name.
    pub(super) fn all(&self) -> Vec<(Namespace, Arc<NamespaceStore>)> {
        self.map
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

impl NamespaceStore {
    fn new(namespace: Namespace, journal: Option<Arc<Durable>>) -> Self {
        NamespaceStore {
            namespace,
            journal,
            index: RwLock::default(),
            rotating: Arc::default(),
        }
    }

    pub fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    fn journal(&self, op: impl FnOnce(&Durable) -> Op) -> Ticket {
        match &self.journal {
            Some(j) => j.submit(op(j)),
            None => Ticket::ready(),
        }
    }

    /// Journals `s`, the locked content of `cell`, after a change; `new_values` names the
    /// versions whose values were written by that change.
    pub fn commit(&self, cell: &SecretCell, s: &Secret, new_values: &[&str]) -> Ticket {
        if cell.removed.load(Ordering::SeqCst) {
            return Ticket::ready();
        }
        self.journal(|j| journal::upsert(&self.namespace, s, new_values, false, Some(j.keyring())))
    }

    fn read(&self) -> RwLockReadGuard<'_, Index> {
        self.index
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Index> {
        self.index
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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
        let ticket = self
            .journal(|j| journal::upsert(&self.namespace, &secret, &ids, true, Some(j.keyring())));
        let cell = Arc::new(SecretCell::new(secret, self.rotating.clone()));
        Self::index_cell(&mut index, &cell);
        Ok((cell, ticket))
    }

    /// Indexes a secret read from the database at start-up (nothing to journal).
    pub(super) fn load(&self, secret: Secret) {
        let cell = Arc::new(SecretCell::new(secret, self.rotating.clone()));
        Self::index_cell(&mut self.write(), &cell);
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
        self.journal(|_| Op::Remove {
            key: secret_key(&self.namespace, &name),
        })
    }

    /// Replaces what memory holds under `name` with `stored` (None: nothing), without
    /// journaling: used only to make memory match the disk.
    pub(super) fn put_back(&self, name: &str, stored: Option<Secret>) {
        let mut index = self.write();
        let current = index.by_name.get(name).cloned();
        if let Some(cell) = &current {
            let created = cell.read().created;
            index.by_created.remove(&(created, name.to_string()));
            index.by_name.remove(name);
        }
        match (current, stored) {
            (Some(cell), Some(secret)) => {
                *cell.write() = secret;
                cell.removed.store(false, Ordering::SeqCst);
                Self::index_cell(&mut index, &cell);
            }
            (Some(cell), None) => {
                let _guard = cell.write();
                cell.removed.store(true, Ordering::SeqCst);
            }
            (None, Some(secret)) => {
                let cell = Arc::new(SecretCell::new(secret, self.rotating.clone()));
                Self::index_cell(&mut index, &cell);
            }
            (None, None) => {}
        }
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

    /// The secrets for which `keep` says true. A look at each secret costs no allocation, so a
    /// periodic search (expired deletions) stays cheap in a namespace of many secrets.
    pub fn select(&self, mut keep: impl FnMut(&Secret) -> bool) -> Vec<SecretRefCell> {
        let index = self.read();
        index
            .by_name
            .values()
            .filter(|cell| keep(&cell.read()))
            .cloned()
            .collect()
    }

    /// The secrets that have rotation enabled (and no others), found without a look at the rest.
    pub fn rotating(&self) -> Vec<SecretRefCell> {
        let mut found = Vec::new();
        for (name, mark) in self.rotating.marked() {
            match self.get(&name) {
                Some(c) if c.read().rotation.as_ref().is_some_and(|r| r.enabled) => found.push(c),
                _ => self.rotating.forget(&name, mark),
            }
        }
        found
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
