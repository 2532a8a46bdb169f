//! The rotation engine: runs rotation functions in the background (never holding a secret's
//! lock while a function runs, since the function calls back into Secrets Manager), fires
//! scheduled rotations, and keeps a history of recent rotations.

use super::history::{tail, History, RotationRecord, StepRecord};
use super::target::{finished, read as read_secret, update as update_secret};
use super::{begin, parse_rules, FunctionAccess, Invoker, Start, StepResult};
use crate::clock::{Clock, IdSource};
use crate::domain::versions::AWSPENDING;
use crate::domain::Namespace;
use crate::generated::secretsmanager::{Error, Result};
use crate::secretsmanager::commit::commit;
use crate::store::Store;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often scheduled rotations are looked for.
const TICK: Duration = Duration::from_secs(1);

pub(super) type Key = (Namespace, String);

fn cannot_invoke() -> Error {
    Error::access_denied(
        "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function \
         policy grants access to the principal secretsmanager.amazonaws.com.",
    )
}

pub struct RotationEngine {
    pub(super) store: Arc<Store>,
    pub(super) clock: Arc<dyn Clock>,
    /// Tokens of scheduled rotations and the RotationToken of each step.
    ids: Arc<dyn IdSource>,
    invoker: Arc<dyn Invoker>,
    pub(super) history: History,
    pub(super) running: Mutex<HashSet<Key>>,
    /// How many rotations have ended: tests and `/_awsemu/rotations?wait` await it.
    ended: tokio::sync::watch::Sender<u64>,
    /// The next attempt at each failed rotation (see `retry`).
    pub(super) retries: Mutex<HashMap<Key, super::retry::Retry>>,
    /// Strict mode: a function Secrets Manager may not invoke is refused, not warned about.
    strict_permissions: std::sync::atomic::AtomicBool,
    /// Hears RotationStarted, RotationSucceeded and RotationFailed.
    listener: Arc<crate::secretsmanager::notify::Listener>,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl RotationEngine {
    pub fn new(
        store: Arc<Store>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
        invoker: Arc<dyn Invoker>,
        listener: Arc<crate::secretsmanager::notify::Listener>,
    ) -> Self {
        RotationEngine {
            listener,
            store,
            clock,
            ids,
            invoker,
            history: History::default(),
            ended: tokio::sync::watch::channel(0).0,
            running: Mutex::default(),
            retries: Mutex::default(),
            strict_permissions: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub fn set_strict_permissions(&self, on: bool) {
        self.strict_permissions
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// AWS refuses functions it cannot invoke. Outside strict mode, a function whose policy
    /// does not name Secrets Manager is still used, with a warning.
    pub fn check_access(&self, ns: &Namespace, function: &str) -> Result<()> {
        let strict = self
            .strict_permissions
            .load(std::sync::atomic::Ordering::Relaxed);
        match self.invoker.access(ns, function) {
            FunctionAccess::Allowed => Ok(()),
            FunctionAccess::NotGranted if strict => Err(cannot_invoke()),
            FunctionAccess::NotGranted => {
                tracing::warn!(
                    %function,
                    "the function's policy does not allow secretsmanager.amazonaws.com to invoke it; AWS would refuse this rotation"
                );
                Ok(())
            }
            FunctionAccess::Missing => {
                // AWS answers as for a function it may not invoke; the log says which it is.
                tracing::warn!(
                    %function,
                    account = %ns.account,
                    region = %ns.region,
                    "RotateSecret names a Lambda function that does not exist in this account and region"
                );
                Err(cannot_invoke())
            }
        }
    }

    /// Whether Secrets Manager may invoke `function` now: in strict mode only when its policy
    /// lets `secretsmanager.amazonaws.com` invoke it, as AWS requires (same account too).
    fn may_invoke(&self, ns: &Namespace, function: &str) -> bool {
        let strict = self
            .strict_permissions
            .load(std::sync::atomic::Ordering::Relaxed);
        !strict || matches!(self.invoker.access(ns, function), FunctionAccess::Allowed)
    }

    /// Runs a rotation in the background once its start is stored (`stored` settles). A
    /// start whose commit failed never happened; one that lost a race with another node's
    /// write is made again by its operation, which starts it then: the function must never
    /// run against a secret whose rotation memory no longer holds.
    pub fn start(self: &Arc<Self>, start: Start, stored: crate::wire::Ticket) {
        let engine = self.clone();
        tokio::spawn(async move {
            if stored.durable().await {
                engine.launch(start, false, 1);
            }
        });
    }

    /// Runs attempt `attempt` (1 for a new rotation) of `start` in the background.
    pub(super) fn launch(self: &Arc<Self>, start: Start, scheduled: bool, attempt: u32) {
        let key = (start.namespace.clone(), start.name.clone());
        lock(&self.running).insert(key.clone());
        let engine = self.clone();
        tokio::spawn(async move {
            // Run in a task of its own so that a panic in it still ends here: the outcome is
            // always recorded and the secret released for its next rotation.
            let inner = engine.clone();
            let (arn, token, function) = (
                start.arn.clone(),
                start.token.clone(),
                start.function.clone(),
            );
            let plan = start.clone();
            let record = match tokio::spawn(
                async move { inner.run(&start, scheduled, attempt).await },
            )
            .await
            {
                Ok(record) => record,
                Err(e) => {
                    tracing::error!(secret = %arn, error = %e, "rotation task failed");
                    let now = engine.clock.now();
                    RotationRecord {
                        secret_arn: arn,
                        version_id: token,
                        function,
                        scheduled,
                        started: now,
                        finished: now,
                        outcome: "Failed".into(),
                        error: Some("The rotation stopped on an internal error.".into()),
                        steps: Vec::new(),
                        log_tail: String::new(),
                        runtime: None,
                        attempt,
                    }
                }
            };
            engine.after_attempt(&plan, attempt, record.outcome == "Failed");
            engine.history.remember(&engine.store, &key, record);
            lock(&engine.running).remove(&key);
            engine.ended.send_modify(|n| *n += 1);
        });
    }

    fn still_enabled(&self, s: &Start) -> bool {
        read_secret(&self.store, &s.namespace, &s.name, &s.arn, |x| {
            x.rotation.as_ref().is_some_and(|r| r.enabled)
        })
        .unwrap_or(false)
    }

    async fn run(&self, s: &Start, scheduled: bool, attempt: u32) -> RotationRecord {
        let steps: &[&str] = if s.immediately {
            &["createSecret", "setSecret", "testSecret", "finishSecret"]
        } else {
            &["testSecret"]
        };
        let started = self.clock.now();
        let mut record = RotationRecord {
            secret_arn: s.arn.clone(),
            version_id: s.token.clone(),
            function: s.function.clone(),
            scheduled,
            started,
            finished: started,
            outcome: "Succeeded".into(),
            error: None,
            steps: Vec::new(),
            log_tail: String::new(),
            runtime: None,
            attempt,
        };
        let mut log = String::new();
        if s.immediately {
            self.listener
                .service_event(&s.namespace, "RotationStarted", &s.arn);
        }
        for step in steps {
            if !self.still_enabled(s) {
                record.outcome = "Cancelled".into();
                break;
            }
            let payload = serde_json::json!({
                "Step": step,
                "SecretId": s.arn,
                "ClientRequestToken": s.token,
                "RotationToken": self.ids.version_id(),
            });
            let t0 = Instant::now();
            // Checked before every step, not only when the rotation was asked for: the
            // function's policy may have changed since, and scheduled rotations, retries and
            // stacks' rotations reach this point too.
            let result = if self.may_invoke(&s.namespace, &s.function) {
                self.invoker
                    .invoke(&s.namespace, &s.function, payload.to_string().into_bytes())
                    .await
            } else {
                StepResult {
                    error: Some(cannot_invoke().message),
                    log: String::new(),
                    runtime: None,
                }
            };
            log.push_str(&result.log);
            if result.runtime.is_some() {
                record.runtime.clone_from(&result.runtime);
            }
            record.steps.push(StepRecord {
                step: step.to_string(),
                duration_ms: t0.elapsed().as_millis() as u64,
                error: result.error.clone(),
            });
            if let Some(e) = result.error {
                record.outcome = "Failed".into();
                record.error = Some(format!("{step} failed: {e}"));
                break;
            }
        }
        self.conclude(s, &mut record).await;
        record.finished = self.clock.now();
        match record.outcome.as_str() {
            "Succeeded" if s.immediately => {
                self.listener
                    .service_event(&s.namespace, "RotationSucceeded", &s.arn);
            }
            "Failed" => self
                .listener
                .service_event(&s.namespace, "RotationFailed", &s.arn),
            _ => {}
        }
        record.log_tail = tail(&log, 4096).to_string();
        match record.outcome.as_str() {
            "Succeeded" => {
                tracing::info!(secret = %s.arn, version = %s.token, "rotation succeeded");
            }
            "Failed" => {
                let error = record.error.as_deref().unwrap_or("unknown error");
                tracing::warn!(
                    "rotation of {} failed: {error}. Its version {} keeps AWSPENDING, so the \
                     next rotation is refused until you fix the function, then remove the label \
                     (awsemu secretsmanager update-secret-version-stage --secret-id {} \
                     --version-stage AWSPENDING --remove-from-version-id {}) and rotate again; \
                     awsemu rotations --secret {} shows the function's log",
                    s.arn,
                    s.token,
                    s.name,
                    s.token,
                    s.name
                );
            }
            outcome => {
                tracing::warn!(secret = %s.arn, version = %s.token, %outcome, error = ?record.error, "rotation did not succeed");
            }
        }
        record
    }

    /// Records the result on the secret: dates after a success, and the test version's
    /// AWSPENDING removed after a RotateImmediately=false test.
    async fn conclude(&self, s: &Start, record: &mut RotationRecord) {
        let now = self.clock.now();
        if !s.immediately {
            update_secret(&self.store, &s.namespace, &s.name, &s.arn, |x| {
                let _ = x.versions.update_stage(AWSPENDING, Some(&s.token), None);
            })
            .await;
            return;
        }
        if record.outcome != "Succeeded" {
            return;
        }
        let done = read_secret(&self.store, &s.namespace, &s.name, &s.arn, |x| {
            finished(x, &s.token)
        });
        if done != Some(true) {
            record.outcome = "Failed".into();
            record.error = Some("finishSecret did not move AWSCURRENT to the new version.".into());
            return;
        }
        update_secret(&self.store, &s.namespace, &s.name, &s.arn, |x| {
            let Some(r) = x.rotation.as_mut() else { return };
            r.last_rotated = Some(now);
            let plan = r
                .rules
                .as_ref()
                .and_then(|rules| parse_rules(rules).ok().flatten());
            let window = plan.map(|p| p.next_window(now));
            r.next_due = window.map(|w| w.start);
            r.next_rotation = window.map(|w| w.end);
        })
        .await;
    }

    /// Recent rotations of every secret, newest last.
    pub fn history(&self) -> Vec<RotationRecord> {
        self.history.all()
    }

    /// Counts the rotations that have ended, changing as each one does.
    pub fn ended(&self) -> tokio::sync::watch::Receiver<u64> {
        self.ended.subscribe()
    }

    /// Starts every scheduled rotation that is due.
    pub fn fire_due(self: &Arc<Self>) {
        let now = self.clock.now();
        // Scheduled rotations start on one node only (see `Store::leads`); retries planned
        // here are this node's own.
        let leads = self.store.leads();
        for (namespace, space) in self.store.namespaces().into_iter().filter(|_| leads) {
            for cell in space.rotating() {
                let due = {
                    let s = cell.read();
                    let due = s
                        .rotation
                        .as_ref()
                        .is_some_and(|r| r.enabled && r.next_due.is_some_and(|d| d <= now));
                    let key = (namespace.clone(), s.name.clone());
                    (due && !s.is_deleted()
                        && s.rotation_pending().is_none()
                        && !lock(&self.running).contains(&key))
                    .then(|| {
                        (
                            s.name.clone(),
                            s.rotation.as_ref().map(|r| r.lambda_arn.clone()),
                        )
                    })
                };
                let Some((name, Some(function))) = due else {
                    continue;
                };
                let token = self.ids.version_id();
                let _gate = self.store.gate();
                if let Err(e) = self.check_access(&namespace, &function) {
                    tracing::warn!(secret = %name, error = %e, "scheduled rotation cannot start");
                    // Looked at again in an hour; journaled like any other change.
                    let mut s = cell.write();
                    if let Some(r) = s.rotation.as_mut() {
                        r.next_due = Some(now + 3_600_000);
                    }
                    let _ = commit(&self.store, &space, &cell, &s, &[]);
                    continue;
                }
                let (arn, ticket) = {
                    let mut s = cell.write();
                    let rules = s.rotation.as_ref().and_then(|r| r.rules.clone());
                    if begin(&mut s, &function, rules, &token, true, now).is_err() {
                        continue;
                    }
                    let ticket = commit(&self.store, &space, &cell, &s, &[token.as_str()]);
                    (s.arn.clone(), ticket)
                };
                tracing::info!(secret = %name, "scheduled rotation is due");
                let start = Start {
                    namespace: namespace.clone(),
                    name,
                    arn,
                    function,
                    token,
                    immediately: true,
                };
                // Only a rotation whose start is stored runs: with a shared database another
                // node may have changed the secret first, and then this start never happened.
                let engine = self.clone();
                tokio::spawn(async move {
                    if ticket.durable().await {
                        engine.launch(start, true, 1);
                    }
                });
            }
        }
        self.fire_retries();
    }

    /// Looks for due rotations once a second until the server stops.
    pub fn spawn_scheduler(self: Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(TICK);
            loop {
                tick.tick().await;
                self.fire_due();
            }
        })
    }
}
