//! Failed rotations are tried again, as AWS does ("If any rotation step fails, Secrets Manager
//! retries the entire rotation process multiple times"): the same version (the AWSPENDING
//! token) is rotated again [`RETRY_AFTER`] later on the emulator's clock, up to [`ATTEMPTS`]
//! attempts in all, and at once when a RotateSecret is refused because of it ("That rotation
//! will be reattempted"). A retry is dropped as soon as the secret stops waiting on that version.

use super::engine::{lock, Key, RotationEngine};
use super::target::read as read_secret;
use super::Start;
use crate::clock::Millis;
use crate::domain::Namespace;
use std::sync::Arc;

/// Attempts at one rotation, the first included.
pub const ATTEMPTS: u32 = 3;
/// How long after a failed attempt the next one starts (emulator time: `awsemu clock advance`
/// brings it forward).
pub const RETRY_AFTER: Millis = 5 * 60 * 1000;

/// The next attempt at a failed rotation.
#[derive(Debug, Clone)]
pub struct Retry {
    pub arn: String,
    pub token: String,
    pub immediately: bool,
    /// Attempts made so far.
    pub attempts: u32,
    pub due: Millis,
}

impl RotationEngine {
    /// Called when attempt `attempt` of `start` ended: plans the next attempt after a failure,
    /// forgets the rotation otherwise.
    pub(super) fn after_attempt(&self, start: &Start, attempt: u32, failed: bool) {
        let key: Key = (start.namespace.clone(), start.name.clone());
        let mut retries = lock(&self.retries);
        if !failed || attempt >= ATTEMPTS {
            retries.remove(&key);
            return;
        }
        retries.insert(
            key,
            Retry {
                arn: start.arn.clone(),
                token: start.token.clone(),
                immediately: start.immediately,
                attempts: attempt,
                due: self.clock.now() + RETRY_AFTER,
            },
        );
    }

    /// Starts the retries that are due.
    pub(super) fn fire_retries(self: &Arc<Self>) {
        let now = self.clock.now();
        let due: Vec<(Key, Retry)> = lock(&self.retries)
            .iter()
            .filter(|(_, r)| r.due <= now)
            .map(|(k, r)| (k.clone(), r.clone()))
            .collect();
        for (key, retry) in due {
            self.retry(&key, retry);
        }
    }

    /// RotateSecret was refused because a rotation of the secret is pending: try that one
    /// again now, unless it is running.
    pub fn reattempt_pending(self: &Arc<Self>, ns: &Namespace, name: &str, arn: &str) {
        let key: Key = (ns.clone(), name.to_string());
        let planned = lock(&self.retries).get(&key).cloned();
        let pending = read_secret(&self.store, ns, name, arn, |s| {
            s.rotation_pending().map(str::to_string)
        })
        .flatten();
        let Some(token) = pending else {
            return;
        };
        let retry = match planned.filter(|r| r.token == token) {
            Some(r) => r,
            None => Retry {
                arn: arn.to_string(),
                token,
                immediately: true,
                attempts: 1,
                due: self.clock.now(),
            },
        };
        self.retry(&key, retry);
    }

    fn retry(self: &Arc<Self>, key: &Key, retry: Retry) {
        if lock(&self.running).contains(key) {
            return;
        }
        let (ns, name) = key;
        // Still waiting on this version, with rotation on?
        let function = read_secret(&self.store, ns, name, &retry.arn, |s| {
            let waiting = s.rotation_pending() == Some(retry.token.as_str());
            let rotation = s.rotation.as_ref().filter(|r| r.enabled);
            rotation
                .filter(|_| waiting && !s.is_deleted())
                .map(|r| r.lambda_arn.clone())
        })
        .flatten();
        let Some(function) = function else {
            lock(&self.retries).remove(key);
            return;
        };
        lock(&self.retries).remove(key);
        tracing::info!(secret = %retry.arn, version = %retry.token, attempt = retry.attempts + 1, "retrying a failed rotation");
        self.launch(
            Start {
                namespace: ns.clone(),
                name: name.clone(),
                arn: retry.arn,
                function,
                token: retry.token,
                immediately: retry.immediately,
            },
            false,
            retry.attempts + 1,
        );
    }
}
