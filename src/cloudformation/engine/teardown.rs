//! Tearing down: the clean-up after an update (what it replaced or removed) and a stack's
//! deletion (its resources, last created first).

use super::{forget_properties, resource_event, set_status};
use crate::cloudformation::model::Event;
use crate::cloudformation::model::Stack;
use crate::cloudformation::plan::{Frame, Place};
use crate::cloudformation::resources;
use crate::cloudformation::CloudFormation;
use crate::domain::Namespace;

impl CloudFormation {
    /// After an update: deletes what it replaced or removed (a failure here is an event, not a
    /// failed update, as on AWS).
    pub(super) async fn clean_up(&self, ns: &Namespace, stack: &Stack) -> bool {
        let id = stack.id.as_str();
        if stack.status == "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" {
            let prev = stack.previous.clone().unwrap_or_default();
            let kept: Vec<String> = Frame::new(&stack.current, Place::of(stack))
                .and_then(|f| f.order())
                .unwrap_or_else(|_| stack.current.resources.keys().cloned().collect());
            for (logical, p) in prev.resources.iter().rev() {
                let Some(s) = self.find(ns, id) else {
                    return false;
                };
                let removed = !kept.contains(logical);
                let replaced = s
                    .current
                    .resources
                    .get(logical)
                    .is_some_and(|c| c.physical != p.physical);
                if !(removed || replaced) {
                    continue;
                }
                let policy = if removed {
                    &p.deletion_policy
                } else {
                    &p.update_replace_policy
                };
                let live = p.physical.is_some()
                    && !matches!(p.status.as_str(), "DELETE_COMPLETE" | "DELETE_SKIPPED");
                if live && policy.as_deref() != Some("Retain") {
                    let name = p.physical.clone().unwrap_or_default();
                    if removed {
                        if let Err(e) = self.remove_one(ns, &s, p, &name).await {
                            if e.is_empty() {
                                return false;
                            }
                        }
                    } else {
                        // The replaced resource's events name its old physical id.
                        let ok = self
                            .step(ns, id, |s, now, ids| {
                                s.event(Event {
                                    id: ids(),
                                    logical: logical.clone(),
                                    physical: name.clone(),
                                    type_: p.type_.clone(),
                                    status: "DELETE_IN_PROGRESS".into(),
                                    reason: None,
                                    at: now,
                                    properties: super::shown_properties(&p.properties),
                                });
                            })
                            .await;
                        if !ok {
                            return false;
                        }
                        let target = self.target(&s);
                        let result =
                            resources::delete(&target, &p.type_, &name, &p.properties).await;
                        let (status, reason) = match result {
                            Ok(()) => ("DELETE_COMPLETE", None),
                            Err(f) => ("DELETE_FAILED", Some(f.message())),
                        };
                        let ok = self
                            .step(ns, id, |s, now, ids| {
                                s.event(Event {
                                    id: ids(),
                                    logical: logical.clone(),
                                    physical: name.clone(),
                                    type_: p.type_.clone(),
                                    status: status.into(),
                                    reason,
                                    at: now,
                                    properties: super::shown_properties(&p.properties),
                                });
                            })
                            .await;
                        if !ok {
                            return false;
                        }
                    }
                } else if live && removed {
                    let ok = self
                        .step(ns, id, |s, now, ids| {
                            resource_event(s, logical, "DELETE_SKIPPED", None, now, ids());
                        })
                        .await;
                    if !ok {
                        return false;
                    }
                }
                if removed
                    && !self
                        .step(ns, id, |s, _, _| {
                            s.current.resources.shift_remove(logical);
                        })
                        .await
                {
                    return false;
                }
            }
            return self
                .step(ns, id, |s, now, ids| {
                    s.previous = None;
                    set_status(s, "UPDATE_COMPLETE", None, now, ids());
                })
                .await;
        }
        self.step(ns, id, |s, now, ids| {
            s.previous = None;
            set_status(s, "UPDATE_ROLLBACK_COMPLETE", None, now, ids());
        })
        .await
    }

    /// Deletes every resource of the stack, last created first.
    pub(super) async fn delete_all(&self, ns: &Namespace, stack: &Stack) -> bool {
        let id = stack.id.as_str();
        let names: Vec<String> = stack.current.resources.keys().rev().cloned().collect();
        let mut failed = Vec::new();
        for logical in names {
            let Some(s) = self.find(ns, id) else {
                return false;
            };
            let Some(r) = s.current.resources.get(&logical).cloned() else {
                continue;
            };
            if matches!(r.status.as_str(), "DELETE_COMPLETE" | "DELETE_SKIPPED") {
                continue;
            }
            let Some(name) = self.name_to_delete(&s, &r).await else {
                if !self
                    .step(ns, id, |s, now, ids| {
                        resource_event(s, &logical, "DELETE_COMPLETE", None, now, ids());
                    })
                    .await
                {
                    return false;
                }
                continue;
            };
            if r.deletion_policy.as_deref() == Some("Retain") {
                if !self
                    .step(ns, id, |s, now, ids| {
                        resource_event(s, &logical, "DELETE_SKIPPED", None, now, ids());
                    })
                    .await
                {
                    return false;
                }
                continue;
            }
            if let Err(e) = self.remove_one(ns, &s, &r, &name).await {
                if e.is_empty() {
                    return false;
                }
                failed.push(logical);
            }
        }
        self.step(ns, id, |s, now, ids| {
            if failed.is_empty() {
                s.deleted = Some(now);
                s.previous = None;
                forget_properties(s);
                set_status(s, "DELETE_COMPLETE", None, now, ids());
            } else {
                let reason = format!(
                    "The following resource(s) failed to delete: [{}]. ",
                    failed.join(", ")
                );
                set_status(s, "DELETE_FAILED", Some(reason), now, ids());
            }
        })
        .await
    }
}
