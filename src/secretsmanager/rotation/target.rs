//! The secret a rotation works on, looked up again at each step by its ARN (it may have been
//! deleted, or deleted and re-created, while the function ran). Changes go through the one
//! commit path; they are not awaited, as no caller waits on a background rotation.

use crate::domain::secret::Secret;
use crate::domain::versions::AWSCURRENT;
use crate::domain::Namespace;
use crate::store::Store;

/// Applies `f` to the secret `arn` names and commits the change; false if it is gone.
pub fn update(
    store: &Store,
    ns: &Namespace,
    name: &str,
    arn: &str,
    f: impl FnOnce(&mut Secret),
) -> bool {
    let Some(space) = store.namespace(ns) else {
        return false;
    };
    let Some(cell) = space.get(name) else {
        return false;
    };
    let mut s = cell.write();
    if s.arn != arn {
        return false;
    }
    f(&mut s);
    let _ = crate::secretsmanager::commit::commit(store, &space, &cell, &s, &[]);
    true
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
