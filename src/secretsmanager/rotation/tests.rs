//! The rotation engine's logic with a fake function: steps and their order, failures and
//! retries on the clock, cancellation mid-rotation, schedules. No process is started; the
//! end-to-end rotation tests (tests/it/rotation.rs) run real functions.

use super::super::{Caller, SecretsManager};
use super::retry::RETRY_AFTER;
use super::{FunctionAccess, Invoker, StepResult};
use crate::clock::{Clock, ManualClock, SequentialIds, DAY_MS};
use crate::domain::Namespace;
use crate::generated::secretsmanager as sm;
#[allow(clippy::wildcard_imports, reason = "the tests call every operation")]
use crate::generated::secretsmanager::handlers::*;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::Notify;

const START: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

/// A rotation function that does what a real one does, in process: createSecret puts the new
/// value under AWSPENDING, finishSecret moves AWSCURRENT to it.
#[derive(Default)]
struct FakeFunction {
    sm: OnceLock<Arc<SecretsManager>>,
    calls: Mutex<Vec<String>>,
    /// Steps that fail, once each.
    fail_once: Mutex<Vec<&'static str>>,
    /// When set, setSecret signals the first on entry and waits for the second.
    hold: Option<(Arc<Notify>, Arc<Notify>)>,
    /// Its policy no longer lets Secrets Manager invoke it.
    revoked: std::sync::atomic::AtomicBool,
}

impl FakeFunction {
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    fn step(&self, caller: &Caller, payload: &serde_json::Value) -> Option<String> {
        let step = payload["Step"].as_str().unwrap_or_default().to_string();
        self.calls.lock().unwrap().push(step.clone());
        {
            let mut fail = self.fail_once.lock().unwrap();
            if let Some(i) = fail.iter().position(|s| *s == step) {
                fail.remove(i);
                return Some(format!("Exception: {step} broke"));
            }
        }
        let sm = self.sm.get()?;
        let id = payload["SecretId"].as_str().map(str::to_string);
        let token = payload["ClientRequestToken"].as_str().map(str::to_string);
        let result = match step.as_str() {
            "createSecret" => sm
                .put_secret_value(
                    caller,
                    sm::PutSecretValueRequest {
                        secret_id: id,
                        client_request_token: token.clone(),
                        secret_string: Some(format!("rotated-{}", token.unwrap_or_default())),
                        version_stages: Some(vec!["AWSPENDING".into()]),
                        ..Default::default()
                    },
                )
                .map(|_| ()),
            "finishSecret" => {
                let current = sm
                    .get_secret_value(
                        caller,
                        sm::GetSecretValueRequest {
                            secret_id: id.clone(),
                            ..Default::default()
                        },
                    )
                    .ok()
                    .map(|a| a.output)
                    .and_then(|v| v.version_id);
                sm.update_secret_version_stage(
                    caller,
                    sm::UpdateSecretVersionStageRequest {
                        secret_id: id,
                        version_stage: Some("AWSCURRENT".into()),
                        move_to_version_id: token,
                        remove_from_version_id: current,
                    },
                )
                .map(|_| ())
            }
            _ => Ok(()),
        };
        result.err().map(|e| e.to_string())
    }
}

struct FakeInvoker(Arc<FakeFunction>);

impl Invoker for FakeInvoker {
    fn access(&self, _: &Namespace, function: &str) -> FunctionAccess {
        if self.0.revoked.load(std::sync::atomic::Ordering::SeqCst) {
            FunctionAccess::NotGranted
        } else if function == "rotator" {
            FunctionAccess::Allowed
        } else {
            FunctionAccess::Missing
        }
    }

    fn invoke(
        &self,
        caller: &Namespace,
        _: &str,
        payload: Vec<u8>,
    ) -> Pin<Box<dyn Future<Output = StepResult> + Send>> {
        let f = self.0.clone();
        let caller = Caller::root(caller.clone());
        Box::pin(async move {
            let payload: serde_json::Value = serde_json::from_slice(&payload).unwrap();
            if payload["Step"] == "setSecret" {
                if let Some((entered, release)) = &f.hold {
                    entered.notify_one();
                    release.notified().await;
                }
            }
            StepResult {
                error: f.step(&caller, &payload),
                log: String::new(),
                runtime: None,
            }
        })
    }
}

struct Fixture {
    sm: Arc<SecretsManager>,
    clock: Arc<ManualClock>,
    function: Arc<FakeFunction>,
    caller: Caller,
}

fn fixture(function: FakeFunction) -> Fixture {
    let clock = Arc::new(ManualClock::new(START));
    let function = Arc::new(function);
    let sm = Arc::new(SecretsManager::new(
        Arc::new(crate::store::Store::new()),
        clock.clone(),
        Arc::new(SequentialIds::default()),
        Arc::new(FakeInvoker(function.clone())),
    ));
    let _ = function.sm.set(sm.clone());
    let caller = Caller::root(Namespace::new("000000000000", "us-east-1"));
    sm.create_secret(
        &caller,
        sm::CreateSecretRequest {
            name: Some("db".into()),
            client_request_token: Some("v1-token-00000000000000000000000000".into()),
            secret_string: Some("v1".into()),
            ..Default::default()
        },
    )
    .unwrap();
    Fixture {
        sm,
        clock,
        function,
        caller,
    }
}

impl Fixture {
    fn rotate(
        &self,
        token: &str,
        immediately: bool,
    ) -> crate::generated::secretsmanager::Result<()> {
        self.sm
            .rotate_secret(
                &self.caller,
                sm::RotateSecretRequest {
                    secret_id: Some("db".into()),
                    client_request_token: Some(token.into()),
                    rotation_lambda_arn: Some("rotator".into()),
                    rotation_rules: Some(sm::RotationRulesType {
                        automatically_after_days: Some(1),
                        ..Default::default()
                    }),
                    rotate_immediately: Some(immediately),
                    ..Default::default()
                },
            )
            .map(|_| ())
    }

    /// Waits (on the engine's event, not by polling) until `n` rotations have ended.
    async fn ended(&self, n: u64) -> Vec<super::history::RotationRecord> {
        let mut ended = self.sm.rotation_engine().ended();
        ended.wait_for(|count| *count >= n).await.unwrap();
        self.sm.rotation_engine().history()
    }

    fn current(&self) -> String {
        self.sm
            .get_secret_value(
                &self.caller,
                sm::GetSecretValueRequest {
                    secret_id: Some("db".into()),
                    ..Default::default()
                },
            )
            .unwrap()
            .output
            .secret_string
            .unwrap()
    }

    fn describe(&self) -> sm::DescribeSecretResponse {
        self.sm
            .describe_secret(
                &self.caller,
                sm::DescribeSecretRequest {
                    secret_id: Some("db".into()),
                },
            )
            .unwrap()
            .output
    }
}

const TOKEN: &str = "rotation-token-0000000000000000000001";
const STEPS: [&str; 4] = ["createSecret", "setSecret", "testSecret", "finishSecret"];

#[tokio::test]
async fn a_rotation_runs_the_four_steps_in_order_and_moves_the_labels() {
    let f = fixture(FakeFunction::default());
    f.rotate(TOKEN, true).unwrap();
    let history = f.ended(1).await;
    assert_eq!(f.function.calls(), STEPS);
    let record = &history[0];
    assert_eq!(record.outcome, "Succeeded");
    assert_eq!(record.version_id, TOKEN);
    assert!(!record.scheduled);
    assert_eq!(f.current(), format!("rotated-{TOKEN}"));
    let d = f.describe();
    assert_eq!(d.last_rotated_date, Some(START as f64 / 1000.0));
    let next = d.next_rotation_date.unwrap();
    assert!(next > d.last_rotated_date.unwrap() && next <= (START + 2 * DAY_MS) as f64 / 1000.0);
    let stages = d.version_ids_to_stages.unwrap();
    // As on AWS, the template's finishSecret leaves AWSPENDING beside AWSCURRENT.
    assert_eq!(stages[TOKEN], ["AWSPENDING", "AWSCURRENT"]);
    assert_eq!(
        stages["v1-token-00000000000000000000000000"],
        ["AWSPREVIOUS"]
    );
}

#[tokio::test]
async fn a_failed_step_keeps_awspending_and_is_retried_on_the_clock() {
    let f = fixture(FakeFunction {
        fail_once: Mutex::new(vec!["setSecret"]),
        ..Default::default()
    });
    f.rotate(TOKEN, true).unwrap();
    let history = f.ended(1).await;
    assert_eq!(history[0].outcome, "Failed");
    assert_eq!(
        history[0].error.as_deref(),
        Some("setSecret failed: Exception: setSecret broke")
    );
    assert_eq!(f.current(), "v1");
    // A new rotation is refused while AWSPENDING waits on the failed version.
    let refused = f.rotate("another-token-000000000000000000000000", true);
    assert_eq!(refused.unwrap_err().message, super::PREVIOUS_NOT_COMPLETE);
    // The refusal reattempts the pending rotation at once (attempt 2), which now succeeds.
    let history = f.ended(2).await;
    assert_eq!(
        (history[1].attempt, history[1].outcome.as_str()),
        (2, "Succeeded")
    );
    assert_eq!(f.current(), format!("rotated-{TOKEN}"));
}

#[tokio::test]
async fn a_failed_rotation_is_retried_once_the_clock_reaches_its_time() {
    let f = fixture(FakeFunction {
        fail_once: Mutex::new(vec!["testSecret"]),
        ..Default::default()
    });
    f.rotate(TOKEN, true).unwrap();
    f.ended(1).await;
    f.sm.rotation_engine().fire_due();
    assert_eq!(f.sm.rotation_engine().history().len(), 1, "not due yet");
    f.clock.advance(RETRY_AFTER);
    f.sm.rotation_engine().fire_due();
    let history = f.ended(2).await;
    assert_eq!(history[1].attempt, 2);
    assert_eq!(history[1].outcome, "Succeeded");
}

#[tokio::test]
async fn cancelling_stops_the_steps_that_remain() {
    let (entered, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let f = fixture(FakeFunction {
        hold: Some((entered.clone(), release.clone())),
        ..Default::default()
    });
    f.rotate(TOKEN, true).unwrap();
    // Once setSecret is running (held), cancel, then let it return.
    entered.notified().await;
    f.sm.cancel_rotate_secret(
        &f.caller,
        sm::CancelRotateSecretRequest {
            secret_id: Some("db".into()),
        },
    )
    .unwrap();
    release.notify_one();
    let history = f.ended(1).await;
    assert_eq!(history[0].outcome, "Cancelled");
    assert_eq!(f.function.calls(), ["createSecret", "setSecret"]);
    assert_eq!(f.describe().rotation_enabled, Some(false));
}

#[tokio::test]
async fn a_schedule_starts_a_rotation_when_the_clock_reaches_it() {
    let f = fixture(FakeFunction::default());
    // RotateImmediately=false only tests the current value, and sets the schedule.
    f.rotate(TOKEN, false).unwrap();
    let history = f.ended(1).await;
    assert_eq!(f.function.calls(), ["testSecret"]);
    assert_eq!(history[0].outcome, "Succeeded");
    assert_eq!(f.current(), "v1");
    f.sm.rotation_engine().fire_due();
    assert_eq!(f.function.calls().len(), 1, "not due before its window");
    f.clock.advance(2 * DAY_MS);
    f.sm.rotation_engine().fire_due();
    let history = f.ended(2).await;
    assert!(history[1].scheduled);
    assert_eq!(history[1].outcome, "Succeeded");
    assert_eq!(f.function.calls()[1..], STEPS);
    assert!(f.current().starts_with("rotated-"));
}

#[tokio::test]
async fn a_function_that_does_not_exist_is_refused_before_anything_changes() {
    let f = fixture(FakeFunction::default());
    let e =
        f.sm.rotate_secret(
            &f.caller,
            sm::RotateSecretRequest {
                secret_id: Some("db".into()),
                client_request_token: Some(TOKEN.into()),
                rotation_lambda_arn: Some("missing".into()),
                ..Default::default()
            },
        )
        .err()
        .unwrap();
    assert_eq!(e.code, crate::error::Common::AccessDenied);
    assert_eq!(f.describe().rotation_enabled, None);
    assert!(f.function.calls().is_empty());
}

#[tokio::test]
async fn in_strict_mode_a_step_runs_only_while_the_function_allows_it() {
    let (entered, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let f = fixture(FakeFunction {
        hold: Some((entered.clone(), release.clone())),
        ..Default::default()
    });
    f.sm.rotation_engine().set_strict_permissions(true);
    f.rotate(TOKEN, true).unwrap();
    // The permission is withdrawn while setSecret runs: no later step is invoked.
    entered.notified().await;
    f.function
        .revoked
        .store(true, std::sync::atomic::Ordering::SeqCst);
    release.notify_one();
    let history = f.ended(1).await;
    assert_eq!(history[0].outcome, "Failed");
    assert!(
        history[0]
            .error
            .as_deref()
            .is_some_and(|e| e.starts_with("testSecret failed: Secrets Manager cannot invoke")),
        "{:?}",
        history[0].error
    );
    assert_eq!(f.function.calls(), ["createSecret", "setSecret"]);
}
