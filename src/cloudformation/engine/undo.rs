//! Undoing: a rollback takes the stack back to the deployment it started from, deleting what
//! the operation created and putting updated resources back.

use super::{resource_event, set_status};
use crate::cloudformation::model::{Resource, Stack};
use crate::cloudformation::resources;
use crate::cloudformation::{dynamic, CloudFormation};
use crate::domain::Namespace;

impl CloudFormation {
    /// Deletes one resource's physical resource, with its events; true if it is gone.
    pub(super) async fn remove_one(
        &self,
        ns: &Namespace,
        s: &Stack,
        r: &Resource,
        name: &str,
    ) -> Result<(), String> {
        let logical = r.logical.as_str();
        if !self
            .step(ns, &s.id, |s, now, ids| {
                resource_event(s, logical, "DELETE_IN_PROGRESS", None, now, ids());
            })
            .await
        {
            return Err(String::new());
        }
        let target = self.target(s);
        match resources::delete(&target, &r.type_, name, &r.properties).await {
            Ok(()) => {
                let ok = self
                    .step(ns, &s.id, |s, now, ids| {
                        resource_event(s, logical, "DELETE_COMPLETE", None, now, ids());
                    })
                    .await;
                if ok {
                    Ok(())
                } else {
                    Err(String::new())
                }
            }
            Err(f) => {
                let reason = f.message();
                self.step(ns, &s.id, |s, now, ids| {
                    resource_event(
                        s,
                        logical,
                        "DELETE_FAILED",
                        Some(reason.clone()),
                        now,
                        ids(),
                    );
                })
                .await;
                Err(reason)
            }
        }
    }

    /// The name to delete a resource by: its physical id, or, for a create cut short by a
    /// restart, the name it was being created under (only if the stack made that name up or
    /// the resource is found to be newer than the attempt, so nothing the user had is touched).
    pub(super) async fn name_to_delete(&self, s: &Stack, r: &Resource) -> Option<String> {
        if let Some(p) = &r.physical {
            return Some(p.clone());
        }
        let pending = r.pending.clone()?;
        if !r.status.ends_with("_IN_PROGRESS") {
            return None;
        }
        let user_named = ["Name", "FunctionName", "AliasName", "RoleName"]
            .iter()
            .any(|k| resources::text(&r.properties, k).as_deref() == Some(pending.as_str()));
        if !user_named {
            return Some(pending);
        }
        let target = self.target(s);
        resources::made_since(&target, &r.type_, &pending, r.updated)
            .await
            .then_some(pending)
    }

    /// Undoes what the failed operation did, back to the deployment it started from.
    pub(super) async fn roll_back(&self, ns: &Namespace, stack: &Stack) -> bool {
        let id = stack.id.as_str();
        let creating = stack.status == "ROLLBACK_IN_PROGRESS";
        let prev = stack.previous.clone().unwrap_or_default();
        let names: Vec<String> = stack.current.resources.keys().rev().cloned().collect();
        let mut failed: Vec<String> = Vec::new();
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
            let before = prev.resources.get(&logical).cloned();
            let outcome = match &before {
                Some(p) if p.physical == r.physical => {
                    if p.properties == r.properties || r.physical.is_none() {
                        Ok(())
                    } else {
                        self.restore(ns, &s, &r, p).await
                    }
                }
                _ => match self.name_to_delete(&s, &r).await {
                    Some(name) => self.remove_one(ns, &s, &r, &name).await,
                    None => Ok(()),
                },
            };
            if let Err(reason) = outcome {
                if reason.is_empty() {
                    return false;
                }
                failed.push(logical);
                continue;
            }
            let ok = self
                .step(ns, id, |s, now, ids| match (&before, creating) {
                    (Some(p), _) => {
                        s.current.resources.insert(logical.clone(), p.clone());
                    }
                    (None, true) => {
                        if s.current
                            .resources
                            .get(&logical)
                            .is_some_and(|r| r.status != "DELETE_COMPLETE")
                        {
                            resource_event(s, &logical, "DELETE_COMPLETE", None, now, ids());
                        }
                    }
                    (None, false) => {
                        s.current.resources.shift_remove(&logical);
                    }
                })
                .await;
            if !ok {
                return false;
            }
        }
        self.step(ns, id, |s, now, ids| {
            if !failed.is_empty() {
                let status = if creating {
                    "ROLLBACK_FAILED"
                } else {
                    "UPDATE_ROLLBACK_FAILED"
                };
                let reason = format!(
                    "The following resource(s) failed to delete: [{}]. ",
                    failed.join(", ")
                );
                set_status(s, status, Some(reason), now, ids());
                return;
            }
            if creating {
                s.current.outputs.clear();
                s.previous = None;
                super::forget_properties(s);
                set_status(s, "ROLLBACK_COMPLETE", None, now, ids());
            } else {
                let resources = std::mem::take(&mut s.current.resources);
                s.current = prev.clone();
                s.current.resources = resources;
                set_status(
                    s,
                    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
                    None,
                    now,
                    ids(),
                );
            }
        })
        .await
    }

    /// Puts an updated resource back to its properties before the update.
    async fn restore(
        &self,
        ns: &Namespace,
        s: &Stack,
        r: &Resource,
        p: &Resource,
    ) -> Result<(), String> {
        let logical = r.logical.as_str();
        if !self
            .step(ns, &s.id, |s, now, ids| {
                resource_event(s, logical, "UPDATE_IN_PROGRESS", None, now, ids());
            })
            .await
        {
            return Err(String::new());
        }
        let target = self.target(s);
        let physical = r.physical.clone().unwrap_or_default();
        let result = match dynamic::resolve(&target, &p.properties).await {
            Ok(resolved) => {
                resources::update(&target, &r.type_, &physical, &r.properties, &resolved)
                    .await
                    .map(|_| ())
            }
            Err(f) => Err(f),
        };
        let reason = result.as_ref().err().map(resources::Fail::message);
        let status = if reason.is_some() {
            "UPDATE_FAILED"
        } else {
            "UPDATE_COMPLETE"
        };
        let ok = self
            .step(ns, &s.id, |s, now, ids| {
                resource_event(s, logical, status, reason.clone(), now, ids());
            })
            .await;
        match (ok, reason) {
            (false, _) => Err(String::new()),
            (true, Some(r)) => Err(r),
            (true, None) => Ok(()),
        }
    }
}
