//! RotateSecret and CancelRotateSecret: validating and recording a rotation, then running the
//! rotation function's four steps in the background through the `Invoker`.

use super::{secret_id, Ack, Caller, SecretsManager};
use crate::clock::Millis;
use crate::domain::schedule::{plan, Plan};
use crate::domain::secret::{Rotation, RotationRules, Secret};
use crate::domain::versions::AWSPENDING;
use crate::domain::Namespace;
use crate::generated::secretsmanager as sm;
use crate::generated::secretsmanager::{Error, Result};
use std::future::Future;
use std::pin::Pin;

mod engine;
mod history;
mod retry;
mod target;
#[cfg(test)]
mod tests;

pub use engine::RotationEngine;

/// Whether a rotation function exists and lets Secrets Manager invoke it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionAccess {
    Missing,
    Allowed,
    NotGranted,
}

/// The outcome of one step: `error` is `errorType: errorMessage` when the function failed.
#[derive(Debug, Clone, Default)]
pub struct StepResult {
    pub error: Option<String>,
    pub log: String,
    /// What ran the function (interpreter and version), when it started.
    pub runtime: Option<String>,
}

/// How Secrets Manager reaches Lambda; tests and other wirings can supply their own.
pub trait Invoker: Send + Sync {
    fn access(&self, caller: &Namespace, function: &str) -> FunctionAccess;
    fn invoke(
        &self,
        caller: &Namespace,
        function: &str,
        payload: Vec<u8>,
    ) -> Pin<Box<dyn Future<Output = StepResult> + Send>>;
}

pub const PREVIOUS_NOT_COMPLETE: &str =
    "A previous rotation isn't complete. That rotation will be reattempted.";

/// Checks RotationRules against the model and AWS's schedule rules.
pub fn parse_rules(rules: &RotationRules) -> Result<Option<Plan>> {
    plan(
        rules.automatically_after_days,
        rules.schedule_expression.as_deref(),
        rules.duration.as_deref(),
    )
    .map_err(Error::invalid_parameter)
}

/// What a rotation will run, decided under the secret's lock.
#[derive(Clone)]
pub struct Start {
    pub namespace: Namespace,
    pub name: String,
    pub arn: String,
    pub function: String,
    pub token: String,
    pub immediately: bool,
}

/// Records a new rotation on `s`: the configuration, and the AWSPENDING version the function
/// will fill (RotateImmediately) or a copy of AWSCURRENT to test (otherwise).
pub fn begin(
    s: &mut Secret,
    function: &str,
    rules: Option<RotationRules>,
    token: &str,
    immediately: bool,
    now: Millis,
) -> Result<()> {
    if s.is_deleted() {
        return Err(Error::marked_for_deletion());
    }
    if s.rotation_pending().is_some() {
        return Err(Error::invalid_request(PREVIOUS_NOT_COMPLETE));
    }
    if s.versions.get(token).is_some() {
        return Err(super::token_in_use(token, &s.arn));
    }
    let plan = rules.as_ref().map(parse_rules).transpose()?.flatten();
    let last = s.rotation.as_ref().and_then(|r| r.last_rotated);
    let window = plan.as_ref().map(|p| p.next_window(now));
    let rules = rules.map(|mut r| {
        r.automatically_after_days = r
            .automatically_after_days
            .or(plan.as_ref().and_then(Plan::days));
        r
    });
    s.versions.add_placeholder(token, AWSPENDING, now)?;
    if !immediately {
        let current = s.versions.current().and_then(|v| v.value.clone());
        if let Some(v) = s.versions.get_mut(token) {
            v.value = current;
        }
    }
    s.rotation = Some(Rotation {
        enabled: true,
        lambda_arn: function.to_string(),
        rules,
        last_rotated: last,
        next_due: window.map(|w| w.start),
        next_rotation: window.map(|w| w.end),
    });
    s.touch_changed(now);
    Ok(())
}

impl sm::RotateSecret for SecretsManager {
    fn rotate_secret(
        &self,
        caller: &Caller,
        input: sm::RotateSecretRequest,
    ) -> Result<Ack<sm::RotateSecretResponse>> {
        let token = input.client_request_token.clone().ok_or_else(|| {
            Error::invalid_parameter(
                "You must provide a ClientRequestToken value. We recommend a UUID-type value.",
            )
        })?;
        let id = secret_id(input.secret_id)?;
        let given_rules = input.rotation_rules.as_ref().map(|r| RotationRules {
            automatically_after_days: r.automatically_after_days,
            schedule_expression: r.schedule_expression.clone(),
            duration: r.duration.clone(),
        });
        if let Some(r) = &given_rules {
            parse_rules(r)?;
        }
        let found = self.find(caller, &id)?;
        let (function, rules) = {
            let s = found.cell.read();
            found.check_owner(&s)?;
            if s.is_deleted() {
                return Err(Error::marked_for_deletion());
            }
            if s.is_replica() {
                return Err(super::policy::replica_refused());
            }
            let stored = s.rotation.as_ref();
            let function = input
                .rotation_lambda_arn
                .clone()
                .filter(|a| !a.is_empty())
                .or_else(|| stored.map(|r| r.lambda_arn.clone()))
                .ok_or_else(|| {
                    Error::invalid_request(
                        "No Lambda rotation function ARN is associated with this secret.",
                    )
                })?;
            (
                function,
                given_rules.or_else(|| stored.and_then(|r| r.rules.clone())),
            )
        };
        self.engine.check_access(found.namespace(), &function)?;
        let immediately = input.rotate_immediately.unwrap_or(true);
        let now = self.now();
        let mut s = found.cell.write();
        if let Err(e) = begin(&mut s, &function, rules, &token, immediately, now) {
            let (name, arn) = (s.name.clone(), s.arn.clone());
            drop(s);
            if e.message == PREVIOUS_NOT_COMPLETE {
                // AWS's answer promises the pending rotation will be reattempted: it is.
                self.engine
                    .reattempt_pending(found.namespace(), &name, &arn);
            }
            return Err(e);
        }
        let (ticket, stored) = self.commit(&found, &s, &[token.as_str()]).fork();
        let output = sm::RotateSecretResponse {
            arn: Some(s.arn.clone()),
            name: Some(s.name.clone()),
            version_id: Some(token.clone()),
        };
        self.engine.start(
            Start {
                namespace: found.namespace().clone(),
                name: s.name.clone(),
                arn: s.arn.clone(),
                function,
                token,
                immediately,
            },
            stored,
        );
        Ok(Ack::new(output, ticket))
    }
}

impl sm::CancelRotateSecret for SecretsManager {
    fn cancel_rotate_secret(
        &self,
        caller: &Caller,
        input: sm::CancelRotateSecretRequest,
    ) -> Result<Ack<sm::CancelRotateSecretResponse>> {
        let id = secret_id(input.secret_id)?;
        let found = self.find(caller, &id)?;
        let mut s = found.writable()?;
        let pending = s.rotation_pending().map(str::to_string);
        let Some(rotation) = s.rotation.as_mut() else {
            return Err(Error::invalid_request(
                "You tried to cancel rotation on a secret that doesn't have rotation configured.",
            ));
        };
        rotation.enabled = false;
        rotation.next_due = None;
        rotation.next_rotation = None;
        s.touch_changed(self.now());
        let ticket = self.commit(&found, &s, &[]);
        let output = sm::CancelRotateSecretResponse {
            arn: Some(s.arn.clone()),
            name: Some(s.name.clone()),
            version_id: pending,
        };
        Ok(Ack::new(output, ticket))
    }
}
