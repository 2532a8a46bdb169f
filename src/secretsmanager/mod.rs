//! The Secrets Manager operations as plain methods: typed input in, typed output out.
//! Nothing here knows about HTTP; one module per operation family.

mod access;
pub(crate) mod api;
mod commit;
mod deletion;
mod describe;
#[cfg(test)]
mod family_tests;
mod keys;
mod lifecycle;
mod listing;
pub mod model;
pub mod notify;
mod password;
pub mod policy;
pub mod replication;
pub mod rotation;
mod stages;
mod tags;
mod values;

use crate::clock::{Clock, IdSource, Millis};
use crate::domain::arn::SecretRef;
use crate::domain::validate::check_secret_id;
use crate::domain::versions::SecretValue;
use crate::domain::Namespace;
use crate::generated::secretsmanager::{Error, Result};
use crate::store::{NamespaceStore, SecretRefCell, Store};
pub use crate::wire::{Ack, Ticket};
use std::sync::Arc;

pub use crate::domain::caller::Caller;

/// The Secrets Manager service with its injected store, clock and id source.
pub struct SecretsManager {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    engine: Arc<rotation::RotationEngine>,
    strict: crate::config::Strict,
    kms: Option<Arc<crate::kms::Kms>>,
    /// Who hears of writes and service events (EventBridge), once the server plugs it in.
    listener: Arc<notify::Listener>,
}

/// A secret found by SecretId, with the namespace it lives in.
pub(crate) struct Found {
    pub ns: Arc<NamespaceStore>,
    pub cell: SecretRefCell,
    /// The AWS service the caller is acting as, if any (`events`): the only one that may change
    /// a secret it owns.
    pub by_service: Option<String>,
}

/// The service a caller acts as (`events` for `events.amazonaws.com`), for secrets that
/// services own.
pub(crate) fn acting_service(caller: &Caller) -> Option<String> {
    match &caller.who {
        crate::policy::Who::Service(principal) => {
            principal.strip_suffix(".amazonaws.com").map(str::to_string)
        }
        crate::policy::Who::Aws { .. } => None,
    }
}

/// AWS's refusal of a change to a secret another service owns.
pub(crate) fn owned_elsewhere(service: &str) -> Error {
    Error::invalid_request(format!(
        "You can't modify this secret because it's managed by another service ({service}). Use that service to update it."
    ))
}

impl SecretsManager {
    pub fn new(
        store: Arc<Store>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
        invoker: Arc<dyn rotation::Invoker>,
    ) -> Self {
        let listener = Arc::new(notify::Listener::default());
        let engine = Arc::new(rotation::RotationEngine::new(
            store.clone(),
            clock.clone(),
            ids.clone(),
            invoker,
            listener.clone(),
        ));
        // Brings back the rotation history the store holds, and follows its changes.
        if let Err(e) = store.attach(&engine) {
            tracing::error!(error = %e, "cannot read the stored rotation history");
        }
        SecretsManager {
            store,
            clock,
            ids,
            engine,
            strict: crate::config::Strict::default(),
            kms: None,
            listener,
        }
    }

    /// Sends writes and service events to `n` from now on.
    pub fn notify(&self, n: Arc<dyn notify::Notify>) {
        self.listener.set(n);
    }

    /// Tells the listener a write operation's change was committed (the protocol pipeline
    /// calls it once, after the commit, with the request and response bodies).
    pub fn after_write(&self, caller: &Caller, operation: &str, request: &[u8], response: &[u8]) {
        self.listener.api_call(caller, operation, request, response);
    }

    /// Removes the secrets whose recovery window ended (each an EndSecretVersionDelete);
    /// returns how many.
    pub fn purge_expired(&self) -> usize {
        let purged = self.store.purge_expired(self.now());
        for (ns, arn) in &purged {
            self.listener
                .service_event(ns, "EndSecretVersionDelete", arn);
        }
        purged.len()
    }

    pub(crate) fn listener(&self) -> &notify::Listener {
        &self.listener
    }

    /// Uses `kms` for the keys secrets name (without one, key ids are taken on trust).
    #[must_use]
    pub fn with_kms(mut self, kms: Arc<crate::kms::Kms>) -> Self {
        self.kms = Some(kms);
        self
    }

    /// Turns on what strict mode enforces.
    #[must_use]
    pub fn with_strict(mut self, strict: crate::config::Strict) -> Self {
        self.strict = strict;
        self.engine.set_strict_permissions(strict.permissions);
        self
    }

    pub fn strict(&self) -> crate::config::Strict {
        self.strict
    }

    pub fn rotation_engine(&self) -> &Arc<rotation::RotationEngine> {
        &self.engine
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Journals a change to `s` (the locked secret `found` names) and brings its replicas up
    /// to date; the ticket resolves when the change is durable.
    pub(crate) fn commit(
        &self,
        found: &Found,
        s: &crate::domain::secret::Secret,
        new_values: &[&str],
    ) -> Ticket {
        commit::commit(&self.store, &found.ns, &found.cell, s, new_values)
    }

    /// Held around an operation that may change state; see [`Store::gate`].
    pub fn gate(&self) -> crate::store::Gate<'_> {
        self.store.gate()
    }

    /// False while the database cannot take writes.
    pub fn writable(&self) -> bool {
        self.store.writable()
    }

    /// Forgets all state, for test isolation between runs.
    pub fn reset(&self) -> Ticket {
        self.store.reset()
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    fn now(&self) -> Millis {
        self.clock.now()
    }

    /// Finds the secret a SecretId names (name, full ARN or partial ARN); a secret whose
    /// recovery window has ended is purged on the spot and reported as missing.
    pub(crate) fn find(&self, caller: &Caller, id: &str) -> Result<Found> {
        self.find_with(caller, id, &[])
    }

    /// [`SecretsManager::find`] for a request whose members are condition keys too.
    pub(crate) fn find_with(
        &self,
        caller: &Caller,
        id: &str,
        keys: &[(&str, &str)],
    ) -> Result<Found> {
        let mut found = self.locate(caller, id)?;
        self.authorize(caller, &found, keys)?;
        found.by_service = acting_service(caller);
        Ok(found)
    }

    fn locate(&self, caller: &Caller, id: &str) -> Result<Found> {
        check_secret_id(id)?;
        if !id.starts_with("arn:") {
            // The common case, a bare name, needs no parsing.
            let ns = self
                .store
                .namespace(&caller.namespace)
                .ok_or_else(Error::not_found)?;
            let cell = ns.get(id).ok_or_else(Error::not_found)?;
            return self.unless_purged(ns, cell);
        }
        let r = SecretRef::parse(id).ok_or_else(Error::not_found)?;
        let ns = self
            .store
            .namespace(r.namespace(&caller.namespace))
            .ok_or_else(Error::not_found)?;
        for (name, suffix) in r.candidates() {
            let Some(cell) = ns.get(name) else { continue };
            let suffix_ok = suffix.is_none_or(|sfx| {
                let s = cell.read();
                s.arn.len() > sfx.len() && s.arn.ends_with(sfx) && {
                    let cut = s.arn.len() - sfx.len() - 1;
                    s.arn.as_bytes()[cut] == b'-'
                }
            });
            if suffix_ok {
                return self.unless_purged(ns, cell);
            }
        }
        Err(Error::not_found())
    }

    /// A secret whose recovery window has ended is purged on the spot and reported missing.
    fn unless_purged(&self, ns: Arc<NamespaceStore>, cell: SecretRefCell) -> Result<Found> {
        let purged = cell.read().is_purged(self.now());
        if purged {
            // Not awaited: a purge is repeated at start-up if it was not written.
            let _ = ns.remove(&cell);
            let arn = cell.read().arn.clone();
            self.listener
                .service_event(ns.namespace(), "EndSecretVersionDelete", &arn);
            return Err(Error::not_found());
        }
        Ok(Found {
            ns,
            cell,
            by_service: None,
        })
    }
}

impl Found {
    /// The (account, region) the secret lives in.
    pub(crate) fn namespace(&self) -> &Namespace {
        self.ns.namespace()
    }

    /// Refuses a change to a secret another service owns unless that service makes it: a
    /// rotation, restore or replication change made by anyone else could not be undone by
    /// the owner (EventBridge cannot cancel a rotation it never asked for).
    pub(crate) fn check_owner(&self, s: &crate::domain::secret::Secret) -> Result<()> {
        match s.owning_service.as_deref() {
            Some(owner) if self.by_service.as_deref() != Some(owner) => Err(owned_elsewhere(owner)),
            _ => Ok(()),
        }
    }

    /// Locks the secret for a change that AWS refuses on secrets pending deletion and on
    /// replicas.
    pub(crate) fn writable(&self) -> Result<crate::store::SecretWrite<'_>> {
        let s = self.cell.write();
        self.check_owner(&s)?;
        if s.is_deleted() {
            return Err(Error::marked_for_deletion());
        }
        if s.is_replica() {
            return Err(policy::replica_refused());
        }
        Ok(s)
    }
}

/// The SecretId of a request whose model constraints passed (so it is present), checked
/// for name syntax unless it is an ARN.
pub(crate) fn secret_id(id: Option<String>) -> Result<String> {
    let id = id.unwrap_or_default();
    check_secret_id(&id)?;
    Ok(id)
}

/// A secret value holds at most 64 KiB.
const MAX_VALUE_BYTES: usize = 65_536;

/// Exactly one of SecretString / SecretBinary, as AWS requires for a new version.
pub(crate) fn value_of(
    string: Option<String>,
    binary: Option<Vec<u8>>,
) -> Result<Option<SecretValue>> {
    match (string, binary) {
        (Some(_), Some(_)) => Err(Error::invalid_parameter(
            "You can't specify both a binary secret value and a string secret value in the same secret.",
        )),
        (Some(s), None) if s.len() > MAX_VALUE_BYTES => {
            // The model bounds the length; the service quota counts bytes.
            let mut v = crate::wire::Violations::new();
            let at = crate::wire::At::new("", "secretString");
            v.length(at, None, s.len(), Some(1), Some(MAX_VALUE_BYTES as i64));
            v.finish()?;
            Ok(None)
        }
        (Some(s), None) => Ok(Some(SecretValue::String(s))),
        (None, Some(b)) => Ok(Some(SecretValue::Binary(b))),
        (None, None) => Ok(None),
    }
}

pub(crate) fn token_in_use(token: &str, arn: &str) -> Error {
    Error::new(
        crate::generated::secretsmanager::ErrorCode::ResourceExistsException,
        format!(
            "You can't use ClientRequestToken {token} because that value is already in use for \
             a version of secret {arn}."
        ),
    )
}
