//! The secret a rotation works on, looked up again at each step by its ARN (it may have been
//! deleted, or deleted and re-created, while the function ran). Changes go through the one
//! commit path, and are made again on the stored version when another node sharing the
//! database changed the secret first.

use crate::domain::secret::Secret;
use crate::domain::versions::AWSCURRENT;
use crate::domain::Namespace;
use crate::store::Store;
use crate::wire::{Outcome, Ticket, CONFLICT_RETRIES};

/// Applies `f` to the secret `arn` names and commits the change; false if it is gone or the
/// change could not be stored. The engine's changes (dates after a success, a test version's
/// AWSPENDING removed) only set fields, so making one again on another node's newer version
/// is safe, and without it a rotation that succeeded would show no LastRotatedDate and be
/// run again at its old due time.
pub async fn update(
    store: &Store,
    ns: &Namespace,
    name: &str,
    arn: &str,
    f: impl Fn(&mut Secret),
) -> bool {
    for lost in 0..=CONFLICT_RETRIES {
        let Some(ticket) = change(store, ns, name, arn, &f) else {
            return false;
        };
        match ticket.settle().await {
            Outcome::Committed => return true,
            Outcome::Conflict => crate::wire::after_lost_race(lost + 1).await,
            Outcome::Failed => break,
        }
    }
    tracing::error!(secret = %arn, "a rotation's result could not be stored");
    false
}

fn change(
    store: &Store,
    ns: &Namespace,
    name: &str,
    arn: &str,
    f: &impl Fn(&mut Secret),
) -> Option<Ticket> {
    let _gate = store.gate();
    let space = store.namespace(ns)?;
    let cell = space.get(name)?;
    let mut s = cell.write();
    if s.arn != arn {
        return None;
    }
    f(&mut s);
    Some(crate::secretsmanager::commit::commit(
        store,
        &space,
        &cell,
        &s,
        &[],
    ))
}

/// Reads the secret `arn` names, if it still exists.
pub fn read<T>(
    store: &Store,
    ns: &Namespace,
    name: &str,
    arn: &str,
    f: impl FnOnce(&Secret) -> T,
) -> Option<T> {
    let cell = store.namespace(ns)?.get(name)?;
    let s = cell.read();
    (s.arn == arn).then(|| f(&s))
}

/// Did the rotation's finishSecret put AWSCURRENT on `token`?
pub fn finished(s: &Secret, token: &str) -> bool {
    s.versions
        .get(token)
        .is_some_and(|v| v.has_stage(AWSCURRENT))
}
