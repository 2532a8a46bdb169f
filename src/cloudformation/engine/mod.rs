//! The engine: runs a stack's operation in the background from what the stack's record says
//! (so a restart can finish or undo it), one resource at a time in dependency order, every
//! step journaled before the next; rolls back what a failed create or update did; cleans up
//! what an update replaced or removed; deletes a stack's resources in reverse order.

mod deploy;
mod teardown;
mod undo;

use super::model::{Event, Stack};
use super::resources::Target;
use super::CloudFormation;
use crate::clock::Millis;
use crate::domain::caller::Caller;
use crate::domain::Namespace;

/// Sets the stack's status and records the stack event for it.
pub(super) fn set_status(
    s: &mut Stack,
    status: &str,
    reason: Option<String>,
    now: Millis,
    event_id: String,
) {
    s.status = status.to_string();
    s.reason.clone_from(&reason);
    let e = Event {
        id: event_id,
        logical: s.name.clone(),
        physical: s.id.clone(),
        type_: "AWS::CloudFormation::Stack".into(),
        status: status.to_string(),
        reason,
        at: now,
        properties: None,
    };
    s.event(e);
}

/// ResourceProperties: the properties as JSON, absent when a resource has none.
fn shown_properties(props: &serde_json::Value) -> Option<String> {
    props
        .as_object()
        .filter(|m| !m.is_empty())
        .map(|m| serde_json::Value::Object(m.clone()).to_string())
}

fn resource_event(
    s: &mut Stack,
    logical: &str,
    status: &str,
    reason: Option<String>,
    now: Millis,
    event_id: String,
) {
    let Some(r) = s.current.resources.get_mut(logical) else {
        return;
    };
    r.status = status.to_string();
    r.reason.clone_from(&reason);
    r.updated = now;
    let e = Event {
        id: event_id,
        logical: logical.to_string(),
        physical: r.physical.clone().unwrap_or_default(),
        type_: r.type_.clone(),
        status: status.to_string(),
        reason,
        at: now,
        properties: shown_properties(&r.properties),
    };
    s.event(e);
}

const REPLACING: &str =
    "Requested update requires the creation of a new physical resource; hence creating one.";

impl CloudFormation {
    /// One journaled step of background work; false if it could not be made durable (the
    /// work stops there, and a restart resumes it from the record).
    async fn step(
        &self,
        ns: &Namespace,
        id: &str,
        f: impl FnOnce(&mut Stack, Millis, &dyn Fn() -> String),
    ) -> bool {
        let now = self.now();
        let ids = || self.new_id();
        let Some(((), ticket)) = self.gated(ns, id, |s| f(s, now, &ids)) else {
            return false;
        };
        if ticket.durable().await {
            true
        } else {
            tracing::error!(stack = %id, "a stack's progress could not be stored; its operation stops until restart");
            false
        }
    }

    fn target<'a>(&'a self, s: &'a Stack) -> Target<'a> {
        Target {
            services: &self.services,
            caller: acting_for(s),
        }
    }

    /// Runs the stack's operation until the stack reaches a settled status.
    pub(super) async fn drive(&self, ns: &Namespace, id: &str) {
        loop {
            let Some(stack) = self.find(ns, id) else {
                return;
            };
            let more = match stack.status.as_str() {
                "CREATE_IN_PROGRESS" | "UPDATE_IN_PROGRESS" => self.deploy(ns, &stack).await,
                "ROLLBACK_IN_PROGRESS" | "UPDATE_ROLLBACK_IN_PROGRESS" => {
                    self.roll_back(ns, &stack).await
                }
                "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
                | "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS" => self.clean_up(ns, &stack).await,
                "DELETE_IN_PROGRESS" => self.delete_all(ns, &stack).await,
                _ => return,
            };
            if !more {
                return;
            }
        }
    }

    /// A create or update failed (at `logical`, or before any resource): roll back, or stop
    /// there when rollback is disabled, or delete the stack when CreateStack asked for that.
    async fn fail(
        &self,
        ns: &Namespace,
        s: &Stack,
        logical: Option<&str>,
        status: &str,
        reason: String,
    ) -> bool {
        let creating = s.status == "CREATE_IN_PROGRESS";
        let on_failure = s.on_failure.clone().unwrap_or_else(|| {
            if s.disable_rollback {
                "DO_NOTHING".into()
            } else {
                "ROLLBACK".into()
            }
        });
        let logical = logical.map(str::to_string);
        self.step(ns, &s.id, |s, now, ids| {
            let stack_reason = match &logical {
                Some(l) => {
                    resource_event(s, l, status, Some(reason.clone()), now, ids());
                    let verb = if creating { "create" } else { "update" };
                    format!("The following resource(s) failed to {verb}: [{l}]. ")
                }
                None => reason.clone(),
            };
            let (next, why) = match (creating, on_failure.as_str()) {
                (true, "DO_NOTHING") => ("CREATE_FAILED", stack_reason),
                (true, "DELETE") => (
                    "DELETE_IN_PROGRESS",
                    format!("{stack_reason}Delete requested by user."),
                ),
                (true, _) => (
                    "ROLLBACK_IN_PROGRESS",
                    format!("{stack_reason}Rollback requested by user."),
                ),
                (false, "DO_NOTHING") => ("UPDATE_FAILED", stack_reason),
                (false, _) => ("UPDATE_ROLLBACK_IN_PROGRESS", stack_reason),
            };
            set_status(s, next, Some(why), now, ids());
        })
        .await
    }
}

/// Whom a stack's calls to other services act as: the service role the stack was given
/// (`RoleARN`), as AWS's CloudFormation assumes it, else the principal who asked for the
/// operation. Each call also names its own action, so it meets the same policies as the
/// same call made directly.
pub(crate) fn acting_for(s: &Stack) -> Caller {
    let mut caller = Caller::root(Namespace::new(&s.account, &s.region));
    caller.via = Some("cloudformation");
    if let Some(role) = &s.role_arn {
        let account = crate::domain::arn::Arn::parse(role)
            .map(|a| a.account)
            .filter(|a| crate::domain::arn::is_account_id(a))
            .unwrap_or(&s.account);
        let name = role.rsplit('/').next().unwrap_or(role);
        caller.who = crate::policy::Who::Aws {
            account: account.to_string(),
            arn: Namespace::new(account, s.region.as_str())
                .global_arn("sts", &format!("assumed-role/{name}/AWSCloudFormation")),
            role: Some(role.clone()),
        };
    } else if let Some(op) = &s.operator {
        caller.who = crate::policy::Who::Aws {
            account: op.account.clone(),
            arn: op.arn.clone(),
            role: op.role.clone(),
        };
    }
    caller
}

/// Drops what a stack's resources were made from once they are gone: a deleted or rolled-back
/// stack is listed for a while, but its evaluated properties (which may hold values copied
/// from parameters) are nobody's business any more.
pub(crate) fn forget_properties(s: &mut Stack) {
    for r in s.current.resources.values_mut() {
        if matches!(r.status.as_str(), "DELETE_COMPLETE" | "DELETE_SKIPPED") {
            r.properties = serde_json::Value::Null;
        }
    }
}
