//! One stored secret behind its own lock, with what its reads and changes carry along: the
//! listing entry kept as JSON, and the mark a change leaves for the rotation scheduler.

use super::rotating::Rotating;
use crate::domain::secret::Secret;
use serde_json::value::RawValue;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// One stored secret behind its own lock.
pub struct SecretCell {
    held: RwLock<Held>,
    /// Set once the secret left its index; later changes to it are not journaled.
    pub(super) removed: AtomicBool,
    /// Its namespace's names of secrets with rotation enabled, which its changes mark.
    rotating: Arc<Rotating>,
}

/// The secret and its listing entry as JSON, made on the first listing after a change. Both
/// sit under one lock so an entry made from a secret can never outlive a change to it.
struct Held {
    secret: Secret,
    listed: OnceLock<Arc<RawValue>>,
}

/// A read of one secret; the lock is held while it lives.
pub struct SecretRead<'a>(RwLockReadGuard<'a, Held>);

impl SecretRead<'_> {
    /// The secret's listing entry, made by `make` unless it is already kept. Listing a page
    /// copies kept entries instead of building and encoding each one again.
    pub fn listed(
        &self,
        make: impl FnOnce(&Secret) -> Option<Arc<RawValue>>,
    ) -> Option<Arc<RawValue>> {
        if let Some(kept) = self.0.listed.get() {
            return Some(Arc::clone(kept));
        }
        let made = make(&self.0.secret)?;
        // Readers of one secret may race to keep it; they made the same entry.
        let _ = self.0.listed.set(Arc::clone(&made));
        Some(made)
    }
}

impl Deref for SecretRead<'_> {
    type Target = Secret;
    fn deref(&self) -> &Secret {
        &self.0.secret
    }
}

/// A change to one secret; taking it drops the kept listing entry, and a change that leaves
/// rotation enabled marks the secret for the scheduler.
pub struct SecretWrite<'a>(RwLockWriteGuard<'a, Held>, &'a Rotating);

impl Drop for SecretWrite<'_> {
    fn drop(&mut self) {
        let s = &self.0.secret;
        if s.rotation.as_ref().is_some_and(|r| r.enabled) {
            self.1.mark(&s.name);
        }
    }
}

impl Deref for SecretWrite<'_> {
    type Target = Secret;
    fn deref(&self) -> &Secret {
        &self.0.secret
    }
}

impl DerefMut for SecretWrite<'_> {
    fn deref_mut(&mut self) -> &mut Secret {
        &mut self.0.secret
    }
}

impl SecretCell {
    pub(super) fn new(secret: Secret, rotating: Arc<Rotating>) -> Self {
        if secret.rotation.as_ref().is_some_and(|r| r.enabled) {
            rotating.mark(&secret.name);
        }
        SecretCell {
            held: RwLock::new(Held {
                secret,
                listed: OnceLock::new(),
            }),
            removed: AtomicBool::new(false),
            rotating,
        }
    }

    pub fn read(&self) -> SecretRead<'_> {
        // A panic while holding the lock cannot leave a Secret half-changed in a way that
        // matters more than refusing every later request, so poisoning is ignored.
        SecretRead(
            self.held
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    pub fn write(&self) -> SecretWrite<'_> {
        let mut held = self
            .held
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        held.listed.take();
        SecretWrite(held, &self.rotating)
    }
}

pub type SecretRefCell = Arc<SecretCell>;
