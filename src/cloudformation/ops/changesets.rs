//! CreateChangeSet, DescribeChangeSet, ExecuteChangeSet, DeleteChangeSet and ListChangeSets.
//! A change set is worked out when it is created (so it is CREATE_COMPLETE at once); executing
//! it starts the stack's create or update.

use super::stacks::{cannot_update, UPDATABLE};
use super::{check_name, invalid, seconds, shown_tags, Ask};
use crate::cloudformation::engine::set_status;
use crate::cloudformation::model::{change_set_arn, ChangeSet, Stack};
use crate::cloudformation::plan::Place;
use crate::cloudformation::CloudFormation;
use crate::domain::caller::Caller;
use crate::generated::cloudformation::Answer;
use crate::generated::cloudformation::{self as g, handlers as h};
use crate::generated::cloudformation::{Error, ErrorCode, Result};
use crate::wire::{answer, Ack};

const NO_CHANGES: &str = "The submitted information didn't contain changes. Submit different information to create a change set.";

fn not_found(name: &str) -> Error {
    Error::new(
        ErrorCode::ChangeSetNotFound,
        format!("ChangeSet [{name}] does not exist"),
    )
}

impl CloudFormation {
    /// The stack and change set a request names (by change set ARN, or by stack and name).
    pub(super) fn change_set(
        &self,
        cx: &Caller,
        name: &str,
        stack: Option<&str>,
    ) -> Result<(Stack, ChangeSet)> {
        let stack = if name.starts_with("arn:") {
            let spaces = self.read();
            spaces
                .get(&cx.namespace)
                .and_then(|all| {
                    all.values()
                        .find(|s| s.change_sets.values().any(|c| c.id == name))
                })
                .cloned()
        } else {
            let Some(stack) = stack else {
                return Err(invalid(
                    "StackName must be specified if ChangeSetName is not specified as an ARN.",
                ));
            };
            // A stack named that does not exist is the stack's error, not the change set's.
            Some(
                self.find(&cx.namespace, stack)
                    .ok_or_else(|| invalid(format!("Stack [{stack}] does not exist")))?,
            )
        };
        let stack = stack.ok_or_else(|| not_found(name))?;
        let cs = stack
            .change_sets
            .values()
            .find(|c| c.id == name || c.name == name)
            .cloned()
            .ok_or_else(|| not_found(name))?;
        Ok((stack, cs))
    }
}

impl h::CreateChangeSet for CloudFormation {
    fn create_change_set(
        &self,
        cx: &Caller,
        i: g::CreateChangeSetInput,
    ) -> Answer<g::CreateChangeSetOutput> {
        let stack_name = i.stack_name.unwrap_or_default();
        let name = i.change_set_name.unwrap_or_default();
        // A stack's ARN names it as well as its name does.
        if !stack_name.starts_with("arn:") {
            check_name(&stack_name)?;
        }
        let kind = i.change_set_type.unwrap_or_else(|| "UPDATE".into());
        let existing = self.find(&cx.namespace, &stack_name);
        let (stack, fresh) = match (kind.as_str(), existing) {
            ("CREATE", Some(s)) if s.status == "REVIEW_IN_PROGRESS" => (s, false),
            ("CREATE", Some(_)) => {
                return Err(invalid(format!(
                    "Stack [{stack_name}] already exists and cannot be created again with the changeSet [{name}]."
                )))
            }
            ("CREATE", None) => {
                self.check_stack_quota(cx)?;
                (self.blank(cx, &stack_name, "REVIEW_IN_PROGRESS"), true)
            }
            ("UPDATE", Some(s)) if s.status == "REVIEW_IN_PROGRESS" => {
                return Err(invalid(format!(
                    "Stack [{}] does not exist",
                    s.name
                )))
            }
            ("UPDATE", Some(s)) => {
                if !UPDATABLE.contains(&s.status.as_str()) {
                    return Err(cannot_update(&s));
                }
                (s, false)
            }
            ("UPDATE", None) => {
                return Err(invalid(format!("Stack [{stack_name}] does not exist")))
            }
            (other, _) => {
                return Err(invalid(format!(
                    "ChangeSetType {other} is not supported by LocalEmu (CREATE or UPDATE)."
                )))
            }
        };
        if stack.change_sets.len() >= super::MAX_CHANGE_SETS {
            return Err(Error::new(
                ErrorCode::LimitExceededException,
                format!("Limit for the number of change sets ({}) of stack [{stack_name}] has been reached.", super::MAX_CHANGE_SETS),
            ));
        }
        if stack.change_sets.contains_key(&name) {
            return Err(Error::new(
                ErrorCode::AlreadyExistsException,
                format!("ChangeSet [{name}] already exists"),
            ));
        }
        let previous = (kind == "UPDATE").then_some(&stack.current);
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
            previous,
            &Place::of(&stack),
        )?;
        let deployed = previous.map(|p| p.resources.clone()).unwrap_or_default();
        let changes = frame.changes(&deployed).map_err(invalid)?;
        let outputs = frame.preview_outputs(&deployed).map_err(invalid)?;
        let unchanged = kind == "UPDATE"
            && changes.is_empty()
            && outputs == stack.current.outputs
            && target.tags == stack.current.tags;
        let id = change_set_arn(cx.account(), &cx.namespace.region, &name, &self.new_id());
        let cs = ChangeSet {
            id: id.clone(),
            name: name.clone(),
            description: i.description,
            kind,
            status: if unchanged {
                "FAILED"
            } else {
                "CREATE_COMPLETE"
            }
            .into(),
            execution_status: if unchanged {
                "UNAVAILABLE"
            } else {
                "AVAILABLE"
            }
            .into(),
            reason: unchanged.then(|| NO_CHANGES.to_string()),
            created: self.now(),
            target,
            changes,
        };
        let stack_id = stack.id.clone();
        let ticket = if fresh {
            let mut stack = stack;
            stack.change_sets.insert(name, cs);
            self.insert(stack)
        } else {
            self.edit(&cx.namespace, &stack_id, |s| {
                s.change_sets.insert(name, cs);
            })
            .ok_or_else(|| invalid(format!("Stack [{stack_name}] does not exist")))?
            .1
        };
        answer(
            g::CreateChangeSetOutput {
                id: Some(id),
                stack_id: Some(stack_id),
            },
            ticket,
        )
    }
}

fn shown_change(c: &crate::cloudformation::model::Change) -> g::Change {
    g::Change {
        type_: Some("Resource".into()),
        resource_change: Some(g::ResourceChange {
            action: Some(c.action.clone()),
            logical_resource_id: Some(c.logical.clone()),
            physical_resource_id: c.physical.clone(),
            resource_type: Some(c.type_.clone()),
            replacement: c.replacement.clone(),
            scope: Some(if c.properties.is_empty() {
                Vec::new()
            } else {
                vec!["Properties".into()]
            }),
            details: Some(
                c.properties
                    .iter()
                    .map(|p| g::ResourceChangeDetail {
                        target: Some(g::ResourceTargetDefinition {
                            attribute: Some("Properties".into()),
                            name: Some(p.clone()),
                            requires_recreation: Some(
                                if c.replacement.as_deref() == Some("True")
                                    && crate::cloudformation::resources::replaces(
                                        &c.type_,
                                        &serde_json::json!({ p.as_str(): 0 }),
                                        &serde_json::json!({ p.as_str(): 1 }),
                                    )
                                {
                                    "Always"
                                } else {
                                    "Never"
                                }
                                .into(),
                            ),
                            ..Default::default()
                        }),
                        evaluation: Some("Static".into()),
                        change_source: Some("DirectModification".into()),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }),
        ..Default::default()
    }
}

impl h::DescribeChangeSet for CloudFormation {
    fn describe_change_set(
        &self,
        cx: &Caller,
        i: g::DescribeChangeSetInput,
    ) -> Answer<g::DescribeChangeSetOutput> {
        let (stack, cs) = self.change_set(
            cx,
            &i.change_set_name.unwrap_or_default(),
            i.stack_name.as_deref(),
        )?;
        let mut shown = stack.clone();
        shown.current = cs.target.clone();
        Ok(Ack::ready(g::DescribeChangeSetOutput {
            change_set_name: Some(cs.name.clone()),
            change_set_id: Some(cs.id.clone()),
            stack_id: Some(stack.id.clone()),
            stack_name: Some(stack.name.clone()),
            description: cs.description.clone(),
            parameters: Some(super::shown_parameters(&shown)).filter(|p| !p.is_empty()),
            creation_time: Some(seconds(cs.created)),
            execution_status: Some(cs.execution_status.clone()),
            status: Some(cs.status.clone()),
            status_reason: cs.reason.clone(),
            notification_ar_ns: Some(stack.notification_arns.clone()),
            rollback_configuration: Some(g::RollbackConfiguration::default()),
            capabilities: Some(cs.target.capabilities.clone()),
            tags: shown_tags(&cs.target.tags),
            changes: Some(cs.changes.iter().map(shown_change).collect()),
            include_nested_stacks: Some(false),
            ..Default::default()
        }))
    }
}

impl h::ExecuteChangeSet for CloudFormation {
    fn execute_change_set(
        &self,
        cx: &Caller,
        i: g::ExecuteChangeSetInput,
    ) -> Answer<g::ExecuteChangeSetOutput> {
        let (stack, cs) = self.change_set(
            cx,
            &i.change_set_name.unwrap_or_default(),
            i.stack_name.as_deref(),
        )?;
        if cs.execution_status != "AVAILABLE" {
            return Err(Error::new(
                ErrorCode::InvalidChangeSetStatus,
                format!(
                    "ChangeSet [{}] cannot be executed in its current execution status of [{}]",
                    cs.id, cs.execution_status
                ),
            ));
        }
        let creating = cs.kind == "CREATE";
        if !creating && !UPDATABLE.contains(&stack.status.as_str()) {
            return Err(cannot_update(&stack));
        }
        let disable_rollback = i.disable_rollback;
        let ((), ticket) = self
            .edit(&cx.namespace, &stack.id, |s| {
                // Executing one change set deletes the stack's others.
                s.change_set_id = Some(cs.id.clone());
                s.change_sets.retain(|n, c| {
                    if *n == cs.name {
                        c.execution_status = "EXECUTE_COMPLETE".into();
                        true
                    } else {
                        false
                    }
                });
                if let Some(d) = disable_rollback {
                    s.disable_rollback = d;
                }
            })
            .ok_or_else(|| not_found(&cs.name))?;
        if creating {
            let now = self.now();
            let event = self.new_id();
            let target = cs.target.clone();
            let ((), t) = self
                .edit(&cx.namespace, &stack.id, |s| {
                    s.operator = crate::cloudformation::model::Operator::of(cx);
                    s.current = target;
                    s.previous = Some(crate::cloudformation::model::Deployment::default());
                    s.created = now;
                    set_status(
                        s,
                        "CREATE_IN_PROGRESS",
                        Some("User Initiated".into()),
                        now,
                        event,
                    );
                })
                .ok_or_else(|| not_found(&cs.name))?;
            drop(ticket);
            self.spawn(cx.namespace.clone(), stack.id.clone());
            return answer(g::ExecuteChangeSetOutput {}, t);
        }
        {
            let Some(fresh) = self.find(&cx.namespace, &stack.id) else {
                return Err(not_found(&cs.name));
            };
            drop(ticket);
            let t = self.start_update(
                cx,
                &fresh,
                cs.target.clone(),
                super::stacks::Policies::default(),
            )?;
            answer(g::ExecuteChangeSetOutput {}, t)
        }
    }
}

impl h::DeleteChangeSet for CloudFormation {
    fn delete_change_set(
        &self,
        cx: &Caller,
        i: g::DeleteChangeSetInput,
    ) -> Answer<g::DeleteChangeSetOutput> {
        let (stack, cs) = self.change_set(
            cx,
            &i.change_set_name.unwrap_or_default(),
            i.stack_name.as_deref(),
        )?;
        if cs.execution_status == "EXECUTE_IN_PROGRESS" {
            return Err(Error::new(
                ErrorCode::InvalidChangeSetStatus,
                format!(
                    "ChangeSet [{}] cannot be deleted while it is executing",
                    cs.id
                ),
            ));
        }
        let ((), ticket) = self
            .edit(&cx.namespace, &stack.id, |s| {
                s.change_sets.shift_remove(&cs.name);
            })
            .ok_or_else(|| not_found(&cs.name))?;
        answer(g::DeleteChangeSetOutput {}, ticket)
    }
}

impl h::ListChangeSets for CloudFormation {
    fn list_change_sets(
        &self,
        cx: &Caller,
        i: g::ListChangeSetsInput,
    ) -> Answer<g::ListChangeSetsOutput> {
        let stack = self.stack(&cx.namespace, &i.stack_name.unwrap_or_default())?;
        let summaries = stack
            .change_sets
            .values()
            .map(|c| g::ChangeSetSummary {
                stack_id: Some(stack.id.clone()),
                stack_name: Some(stack.name.clone()),
                change_set_id: Some(c.id.clone()),
                change_set_name: Some(c.name.clone()),
                execution_status: Some(c.execution_status.clone()),
                status: Some(c.status.clone()),
                status_reason: c.reason.clone(),
                creation_time: Some(seconds(c.created)),
                description: c.description.clone(),
                include_nested_stacks: Some(false),
                ..Default::default()
            })
            .collect();
        Ok(Ack::ready(g::ListChangeSetsOutput {
            summaries: Some(summaries),
            next_token: None,
        }))
    }
}
