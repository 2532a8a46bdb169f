//! The one way a change to a secret becomes durable: its journal entry, then its replicas
//! brought up to date. Every operation, the rotation engine and the scheduler go through it.

use crate::domain::secret::Secret;
use crate::store::{NamespaceStore, SecretRefCell, Store};
use crate::wire::Ticket;

/// Journals `s` (the locked secret in `cell`) with the versions whose values are new, and
/// syncs its replicas; the ticket resolves when the change is durable.
pub(crate) fn commit(
    store: &Store,
    ns: &NamespaceStore,
    cell: &SecretRefCell,
    s: &Secret,
    new_values: &[&str],
) -> Ticket {
    let ticket = ns.commit(cell, s, new_values);
    if !s.replicas.is_empty() {
        super::replication::sync(store, &ns.namespace().account, s, new_values);
    }
    ticket
}
