//! CreateStack, UpdateStack, DeleteStack, DescribeStacks and ListStacks.

use super::{check_name, invalid, seconds, shown_parameters, shown_tags, Ask};
use crate::cloudformation::engine::set_status;
use crate::cloudformation::model::{stack_arn, Deployment, Operator, Stack};
use crate::cloudformation::plan::Place;
use crate::cloudformation::CloudFormation;
use crate::domain::caller::Caller;
use crate::generated::cloudformation::Answer;
use crate::generated::cloudformation::{self as g, handlers as h};
use crate::generated::cloudformation::{Error, ErrorCode, Result};
use crate::wire::{answer, Ack};
use indexmap::IndexMap;

/// The stack policies an update brings: a new one for the stack, and one for its own run.
#[derive(Default)]
pub(super) struct Policies {
    pub stack: Option<String>,
    pub during_update: Option<String>,
}

/// Statuses from which a stack can be updated.
pub(super) const UPDATABLE: [&str; 3] = [
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
];

pub(super) fn cannot_update(s: &Stack) -> Error {
    invalid(format!(
        "Stack:{} is in {} state and can not be updated.",
        s.id, s.status
    ))
}

impl CloudFormation {
    /// A new stack record (not yet inserted) for `name` in the caller's namespace.
    pub(super) fn blank(&self, cx: &Caller, name: &str, status: &str) -> Stack {
        let id = stack_arn(cx.account(), &cx.namespace.region, name, &self.new_id());
        let mut s = Stack {
            id,
            name: name.to_string(),
            account: cx.account().to_string(),
            region: cx.namespace.region.clone(),
            status: String::new(),
            reason: None,
            created: self.now(),
            updated: None,
            deleted: None,
            disable_rollback: false,
            on_failure: None,
            termination_protection: false,
            change_set_id: None,
            role_arn: None,
            notification_arns: Vec::new(),
            timeout: None,
            delete_requested: false,
            policy: None,
            update_policy: None,
            current: Deployment::default(),
            previous: None,
            events: Vec::new(),
            change_sets: IndexMap::new(),
            driver: None,
            operator: Operator::of(cx),
        };
        let created = s.created;
        set_status(
            &mut s,
            status,
            Some("User Initiated".into()),
            created,
            self.new_id(),
        );
        s
    }

    /// Starts an update of `s` to `target` (its status, events and record), and the engine.
    pub(super) fn start_update(
        &self,
        cx: &Caller,
        s: &Stack,
        target: Deployment,
        policies: Policies,
    ) -> Result<crate::wire::Ticket> {
        let now = self.now();
        let event = self.new_id();
        let ns = crate::domain::Namespace::new(&s.account, &s.region);
        let ((), ticket) = self
            .edit(&ns, &s.id, |s| {
                s.operator = Operator::of(cx);
                if policies.stack.is_some() {
                    s.policy = policies.stack;
                }
                s.update_policy = policies.during_update;
                s.previous = Some(std::mem::replace(&mut s.current, target));
                s.updated = Some(now);
                set_status(
                    s,
                    "UPDATE_IN_PROGRESS",
                    Some("User Initiated".into()),
                    now,
                    event,
                );
            })
            .ok_or_else(|| super::super::missing(&s.name))?;
        self.spawn(ns, s.id.clone());
        Ok(ticket)
    }
}

impl h::CreateStack for CloudFormation {
    fn create_stack(&self, cx: &Caller, i: g::CreateStackInput) -> Answer<g::CreateStackOutput> {
        let name = i.stack_name.unwrap_or_default();
        check_name(&name)?;
        if self.find(&cx.namespace, &name).is_some() {
            return Err(Error::new(
                ErrorCode::AlreadyExistsException,
                format!("Stack [{name}] already exists"),
            ));
        }
        self.check_stack_quota(cx)?;
        if i.on_failure.is_some() && i.disable_rollback.is_some() {
            return Err(invalid(
                "You cannot specify both DisableRollback and OnFailure.",
            ));
        }
        let policy = super::policy_text("StackPolicy", i.stack_policy_body, i.stack_policy_url)?;
        let mut s = self.blank(cx, &name, "CREATE_IN_PROGRESS");
        s.policy = policy;
        let (deployment, _) = self.prepare(
            cx,
            Ask {
                template_body: i.template_body,
                template_url: i.template_url,
                use_previous_template: false,
                parameters: i.parameters,
                capabilities: i.capabilities,
                tags: i.tags,
            },
            None,
            &Place::of(&s),
        )?;
        s.current = deployment;
        s.previous = Some(Deployment::default());
        s.disable_rollback = i.disable_rollback.unwrap_or(false);
        s.on_failure = i.on_failure;
        s.termination_protection = i.enable_termination_protection.unwrap_or(false);
        s.role_arn = i.role_arn;
        s.notification_arns = i.notification_ar_ns.unwrap_or_default();
        s.timeout = i.timeout_in_minutes;
        let id = s.id.clone();
        let ticket = self.insert(s);
        self.spawn(cx.namespace.clone(), id.clone());
        answer(
            g::CreateStackOutput {
                stack_id: Some(id),
                operation_id: None,
            },
            ticket,
        )
    }
}

impl h::UpdateStack for CloudFormation {
    fn update_stack(&self, cx: &Caller, i: g::UpdateStackInput) -> Answer<g::UpdateStackOutput> {
        let name = i.stack_name.unwrap_or_default();
        let s = self.stack(&cx.namespace, &name)?;
        if !UPDATABLE.contains(&s.status.as_str()) {
            return Err(cannot_update(&s));
        }
        let policies = Policies {
            stack: super::policy_text("StackPolicy", i.stack_policy_body, i.stack_policy_url)?,
            during_update: super::policy_text(
                "StackPolicyDuringUpdate",
                i.stack_policy_during_update_body,
                i.stack_policy_during_update_url,
            )?,
        };
        let (target, frame) = self.prepare(
            cx,
            Ask {
                template_body: i.template_body,
                template_url: i.template_url,
                use_previous_template: i.use_previous_template.unwrap_or(false),
                parameters: i.parameters,
                capabilities: i.capabilities,
                tags: i.tags,
            },
            Some(&s.current),
            &Place::of(&s),
        )?;
        let changes = frame.changes(&s.current.resources).map_err(invalid)?;
        let outputs = frame
            .preview_outputs(&s.current.resources)
            .map_err(invalid)?;
        if changes.is_empty() && outputs == s.current.outputs && target.tags == s.current.tags {
            return Err(invalid("No updates are to be performed."));
        }
        let ticket = self.start_update(cx, &s, target, policies)?;
        answer(
            g::UpdateStackOutput {
                stack_id: Some(s.id),
                operation_id: None,
            },
            ticket,
        )
    }
}

impl h::DeleteStack for CloudFormation {
    fn delete_stack(&self, cx: &Caller, i: g::DeleteStackInput) -> Answer<()> {
        let name = i.stack_name.unwrap_or_default();
        // Deleting a stack that does not exist succeeds, as on AWS.
        let Some(s) = self.find(&cx.namespace, &name) else {
            return Ok(Ack::ready(()));
        };
        if s.is_deleted() || s.status == "DELETE_IN_PROGRESS" {
            return Ok(Ack::ready(()));
        }
        if s.termination_protection {
            return Err(invalid(format!(
                "Stack [{}] cannot be deleted while TerminationProtection is enabled",
                s.name
            )));
        }
        // A create is stopped before its next resource and the stack deleted, as AWS cancels
        // a create; other operations must end first.
        if s.in_progress() && s.status != "CREATE_IN_PROGRESS" {
            return Err(invalid(format!(
                "Stack [{}] cannot be deleted while in status {}",
                s.name, s.status
            )));
        }
        let retain = i.retain_resources.unwrap_or_default();
        if !retain.is_empty() && s.status != "DELETE_FAILED" {
            return Err(invalid(
                "Invalid operation on stack: RetainResources can only be specified when the stack is in the DELETE_FAILED state",
            ));
        }
        let now = self.now();
        let event = self.new_id();
        let event2 = self.new_id();
        let (started, ticket) = self
            .edit(&cx.namespace, &s.id, |s| {
                s.operator = Operator::of(cx);
                // Decided on the record as it is now: the create may have ended meanwhile.
                if s.status == "CREATE_IN_PROGRESS" {
                    s.delete_requested = true;
                    return false;
                }
                let review = s.status == "REVIEW_IN_PROGRESS";
                for r in &retain {
                    if let Some(res) = s.current.resources.get_mut(r) {
                        res.deletion_policy = Some("Retain".into());
                    }
                }
                set_status(
                    s,
                    "DELETE_IN_PROGRESS",
                    Some("User Initiated".into()),
                    now,
                    event,
                );
                if review {
                    s.deleted = Some(now);
                    set_status(s, "DELETE_COMPLETE", None, now, event2);
                    return false;
                }
                true
            })
            .ok_or_else(|| super::super::missing(&name))?;
        if started {
            self.spawn(cx.namespace.clone(), s.id);
        }
        answer((), ticket)
    }
}

/// A stack as DescribeStacks shows it.
pub(super) fn described(s: &Stack) -> g::Stack {
    g::Stack {
        stack_id: Some(s.id.clone()),
        stack_name: Some(s.name.clone()),
        description: s.current.description.clone(),
        parameters: Some(shown_parameters(s)).filter(|p| !p.is_empty()),
        creation_time: Some(seconds(s.created)),
        deletion_time: s.deleted.map(seconds),
        last_updated_time: s.updated.map(seconds),
        rollback_configuration: Some(g::RollbackConfiguration::default()),
        stack_status: Some(s.status.clone()),
        stack_status_reason: s.reason.clone(),
        disable_rollback: Some(s.disable_rollback),
        notification_ar_ns: Some(s.notification_arns.clone()),
        timeout_in_minutes: s.timeout,
        capabilities: Some(s.current.capabilities.clone()).filter(|c| !c.is_empty()),
        outputs: Some(
            s.current
                .outputs
                .iter()
                .map(|o| g::Output {
                    output_key: Some(o.key.clone()),
                    output_value: Some(o.value.clone()),
                    description: o.description.clone(),
                    export_name: o.export.clone(),
                })
                .collect::<Vec<_>>(),
        )
        .filter(|o| !o.is_empty()),
        role_arn: s.role_arn.clone(),
        // AWS shows Tags even when there are none.
        tags: Some(shown_tags(&s.current.tags).unwrap_or_default()),
        change_set_id: s.change_set_id.clone(),
        // A deleted stack no longer shows its termination protection.
        enable_termination_protection: (!s.is_deleted()).then_some(s.termination_protection),
        drift_information: Some(g::StackDriftInformation {
            stack_drift_status: Some("NOT_CHECKED".into()),
            last_check_timestamp: None,
        }),
        ..Default::default()
    }
}

impl h::DescribeStacks for CloudFormation {
    fn describe_stacks(
        &self,
        cx: &Caller,
        i: g::DescribeStacksInput,
    ) -> Answer<g::DescribeStacksOutput> {
        let stacks: Vec<g::Stack> = match i.stack_name {
            Some(name) => vec![described(&self.stack(&cx.namespace, &name)?)],
            None => self
                .read()
                .get(&cx.namespace)
                .map(|all| {
                    all.values()
                        .rev()
                        .filter(|s| !s.is_deleted())
                        .map(described)
                        .collect()
                })
                .unwrap_or_default(),
        };
        Ok(Ack::ready(g::DescribeStacksOutput {
            stacks: Some(stacks),
            next_token: None,
        }))
    }
}

impl h::ListStacks for CloudFormation {
    fn list_stacks(&self, cx: &Caller, i: g::ListStacksInput) -> Answer<g::ListStacksOutput> {
        let filter = i.stack_status_filter.unwrap_or_default();
        let summaries = self
            .read()
            .get(&cx.namespace)
            .map(|all| {
                all.values()
                    .rev()
                    .filter(|s| filter.is_empty() || filter.contains(&s.status))
                    .map(|s| g::StackSummary {
                        stack_id: Some(s.id.clone()),
                        stack_name: Some(s.name.clone()),
                        template_description: s.current.description.clone(),
                        creation_time: Some(seconds(s.created)),
                        last_updated_time: s.updated.map(seconds),
                        deletion_time: s.deleted.map(seconds),
                        stack_status: Some(s.status.clone()),
                        stack_status_reason: s.reason.clone(),
                        drift_information: Some(g::StackDriftInformationSummary {
                            stack_drift_status: Some("NOT_CHECKED".into()),
                            last_check_timestamp: None,
                        }),
                        ..Default::default()
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Ack::ready(g::ListStacksOutput {
            stack_summaries: Some(summaries),
            next_token: None,
        }))
    }
}

impl h::UpdateTerminationProtection for CloudFormation {
    fn update_termination_protection(
        &self,
        cx: &Caller,
        i: g::UpdateTerminationProtectionInput,
    ) -> Answer<g::UpdateTerminationProtectionOutput> {
        let name = i.stack_name.unwrap_or_default();
        let enabled = i.enable_termination_protection.unwrap_or(false);
        let stack = self.stack(&cx.namespace, &name)?;
        if stack.is_deleted() {
            return Err(crate::cloudformation::missing(&name));
        }
        let ((), ticket) = self
            .edit(&cx.namespace, &stack.id, |s| {
                s.termination_protection = enabled;
            })
            .ok_or_else(|| crate::cloudformation::missing(&name))?;
        answer(
            g::UpdateTerminationProtectionOutput {
                stack_id: Some(stack.id),
            },
            ticket,
        )
    }
}
