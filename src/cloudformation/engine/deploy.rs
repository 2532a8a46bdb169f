//! Deploying: every resource of the target deployment created or updated in dependency order
//! (a replacement is a create under the same logical id), then the outputs.

use super::{resource_event, set_status, REPLACING};
use crate::cloudformation::model::Resource;
use crate::cloudformation::model::{Deployment, Stack};
use crate::cloudformation::plan::{Frame, Place, Working};
use crate::cloudformation::resources;
use crate::cloudformation::stack_policy::{Action, Policy};
use crate::cloudformation::{dynamic, CloudFormation};
use crate::domain::Namespace;
use serde_json::{Map, Value};

/// A create stopped for the DeleteStack that came while it ran: the stack's deletion begins.
fn start_requested_delete(s: &mut Stack, now: crate::clock::Millis, event_id: String) {
    s.delete_requested = false;
    set_status(
        s,
        "DELETE_IN_PROGRESS",
        Some("User Initiated".into()),
        now,
        event_id,
    );
}

/// The stack's name, id and the tags of deployment `d`, for its resources' tags.
fn stack_tags<'a>(s: &'a Stack, d: &'a Deployment) -> resources::StackTags<'a> {
    resources::StackTags {
        name: &s.name,
        id: &s.id,
        tags: &d.tags,
    }
}

/// The stack policy an update runs under: the one given for this update, else the stack's.
fn update_policy(s: &Stack) -> Option<Policy> {
    if s.status != "UPDATE_IN_PROGRESS" {
        return None;
    }
    let text = s.update_policy.as_deref().or(s.policy.as_deref())?;
    Policy::parse(text).ok()
}

/// Why the stack policy refuses what the update does to `logical` (None: allowed, or nothing
/// to refuse: creating a resource is never restricted).
fn refused_change(
    s: &Stack,
    existing: Option<&Resource>,
    type_: &str,
    props: &Value,
    logical: &str,
) -> Option<String> {
    let r = existing?;
    if r.type_ == type_ && r.properties == *props {
        return None;
    }
    let action = if r.type_ == type_ && !resources::replaces(type_, &r.properties, props) {
        Action::Modify
    } else {
        Action::Replace
    };
    update_policy(s)?.refuses(action, logical, &r.type_)
}

/// The first resource the update removes that the stack policy keeps, with the reason.
fn refused_removal(s: &Stack, frame: &Frame) -> Option<(String, String)> {
    let policy = update_policy(s)?;
    let before = s.previous.as_ref()?;
    before
        .resources
        .values()
        .filter(|r| !frame.template.resources.contains_key(&r.logical))
        .find_map(|r| {
            policy
                .refuses(Action::Delete, &r.logical, &r.type_)
                .map(|why| (r.logical.clone(), why))
        })
}

impl CloudFormation {
    /// Creates or updates every resource of the stack's target deployment, then its outputs.
    pub(super) async fn deploy(&self, ns: &Namespace, stack: &Stack) -> bool {
        let id = stack.id.as_str();
        let frame = match Frame::new(&stack.current, Place::of(stack))
            .and_then(|f| f.order().map(|o| (f, o)))
        {
            Ok(x) => x,
            Err(e) => return self.fail(ns, stack, None, "", e).await,
        };
        let (frame, order) = frame;
        if let Some((logical, reason)) = refused_removal(stack, &frame) {
            tracing::debug!(stack = %id, %logical, "a stack policy keeps a resource");
            return self.fail(ns, stack, None, "", reason).await;
        }
        for logical in &order {
            let Some(s) = self.find(ns, id) else {
                return false;
            };
            if let Some(stop) = self.interrupted(ns, &s).await {
                return stop;
            }
            let decl = &frame.template.resources[logical];
            let evaluated = frame
                .scope(&Working(&s.current.resources))
                .eval(&decl.properties);
            let props = match evaluated {
                Ok(p) => p.unwrap_or_else(|| Value::Object(Map::new())),
                Err(e) => {
                    let failed = if s.status == "CREATE_IN_PROGRESS" {
                        "CREATE_FAILED"
                    } else {
                        "UPDATE_FAILED"
                    };
                    if !s.current.resources.contains_key(logical)
                        && !self
                            .add_resource(ns, id, logical, decl, Value::Null, None, "")
                            .await
                    {
                        return false;
                    }
                    return self.fail(ns, &s, Some(logical), failed, e).await;
                }
            };
            let existing = s
                .current
                .resources
                .get(logical)
                .filter(|r| {
                    r.physical.is_some()
                        && !matches!(r.status.as_str(), "DELETE_COMPLETE" | "CREATE_FAILED")
                })
                .cloned();
            if let Some(reason) =
                refused_change(&s, existing.as_ref(), &decl.type_, &props, logical)
            {
                return self
                    .fail(ns, &s, Some(logical), "UPDATE_FAILED", reason)
                    .await;
            }
            let retag = resources::carries_stack_tags(&decl.type_)
                && s.status == "UPDATE_IN_PROGRESS"
                && s.previous.as_ref().map(|p| &p.tags) != Some(&s.current.tags);
            let ok = match existing {
                Some(r) if r.type_ == decl.type_ && r.properties == props && !retag => {
                    let same = r.deletion_policy == decl.deletion_policy
                        && r.update_replace_policy == decl.update_replace_policy;
                    same || self
                        .step(ns, id, |s, _, _| {
                            if let Some(r) = s.current.resources.get_mut(logical) {
                                r.deletion_policy.clone_from(&decl.deletion_policy);
                                r.update_replace_policy
                                    .clone_from(&decl.update_replace_policy);
                            }
                        })
                        .await
                }
                Some(r)
                    if r.type_ == decl.type_
                        && !resources::replaces(&decl.type_, &r.properties, &props) =>
                {
                    self.update_one(ns, &s, logical, decl, r, props).await
                }
                other => {
                    self.create_one(ns, &s, logical, decl, props, other.is_some())
                        .await
                }
            };
            if !ok {
                return false;
            }
            let Some(now) = self.find(ns, id) else {
                return false;
            };
            if matches!(
                now.status.as_str(),
                "CREATE_IN_PROGRESS" | "UPDATE_IN_PROGRESS"
            ) {
                continue;
            }
            // The resource failed and the stack moved on to its failure status.
            return true;
        }
        let Some(s) = self.find(ns, id) else {
            return false;
        };
        let outputs = match frame.outputs(&Working(&s.current.resources)) {
            Ok(o) => o,
            Err(e) => return self.fail(ns, &s, None, "", e).await,
        };
        if let Some(stop) = self.interrupted(ns, &s).await {
            return stop;
        }
        let creating = s.status == "CREATE_IN_PROGRESS";
        self.step(ns, id, |s, now, ids| {
            s.current.outputs = outputs;
            if s.delete_requested {
                // DeleteStack came after the check above: the stack goes as it was asked to.
                start_requested_delete(s, now, ids());
            } else if creating {
                s.previous = None;
                set_status(s, "CREATE_COMPLETE", None, now, ids());
            } else {
                set_status(s, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None, now, ids());
            }
        })
        .await
    }

    /// Whether a create must stop before its next step: DeleteStack asked for the stack to go
    /// (it is deleted), or the create has run past its TimeoutInMinutes on the emulator's
    /// clock (it fails as AWS's does). `Some(more)` when it stopped.
    async fn interrupted(&self, ns: &Namespace, s: &Stack) -> Option<bool> {
        if s.status != "CREATE_IN_PROGRESS" {
            return None;
        }
        if s.delete_requested {
            return Some(
                self.step(ns, &s.id, |s, now, ids| {
                    start_requested_delete(s, now, ids());
                })
                .await,
            );
        }
        let limit = s.timeout.filter(|m| *m > 0)?;
        if self.now() - s.created < limit.saturating_mul(60_000) {
            return None;
        }
        let reason = "Stack creation time exceeded the specified timeout. ".to_string();
        Some(self.fail(ns, s, None, "", reason).await)
    }

    #[allow(clippy::too_many_arguments, reason = "one resource's whole record")]
    async fn add_resource(
        &self,
        ns: &Namespace,
        id: &str,
        logical: &str,
        decl: &crate::cloudformation::template::ResourceDecl,
        props: Value,
        pending: Option<String>,
        status: &str,
    ) -> bool {
        self.step(ns, id, |s, now, ids| {
            s.current.resources.insert(
                logical.to_string(),
                Resource {
                    logical: logical.to_string(),
                    type_: decl.type_.clone(),
                    physical: None,
                    pending,
                    status: String::new(),
                    reason: None,
                    updated: now,
                    properties: props,
                    reference: None,
                    attributes: Map::new(),
                    deletion_policy: decl.deletion_policy.clone(),
                    update_replace_policy: decl.update_replace_policy.clone(),
                },
            );
            if !status.is_empty() {
                let reason = (status == "UPDATE_IN_PROGRESS").then(|| REPLACING.to_string());
                resource_event(s, logical, status, reason, now, ids());
            }
        })
        .await
    }

    async fn create_one(
        &self,
        ns: &Namespace,
        s: &Stack,
        logical: &str,
        decl: &crate::cloudformation::template::ResourceDecl,
        props: Value,
        replacing: bool,
    ) -> bool {
        let id = s.id.as_str();
        let pending =
            resources::pending_name(&self.services, &decl.type_, &s.name, logical, &props);
        let (started, done, failed) = if replacing {
            ("UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED")
        } else {
            ("CREATE_IN_PROGRESS", "CREATE_COMPLETE", "CREATE_FAILED")
        };
        if !self
            .add_resource(
                ns,
                id,
                logical,
                decl,
                props.clone(),
                pending.clone(),
                started,
            )
            .await
        {
            return false;
        }
        let target = self.target(s);
        let made = match dynamic::resolve(&target, &props).await {
            Ok(resolved) => {
                let tagged = resources::with_stack_tags(
                    &decl.type_,
                    logical,
                    &resolved,
                    &stack_tags(s, &s.current),
                );
                resources::create(&target, &decl.type_, &tagged, pending.as_deref()).await
            }
            Err(f) => Err(f),
        };
        match made {
            Ok(made) => {
                let attributes = visible_attributes(&decl.type_, made.attributes, &props);
                self.step(ns, id, |s, now, ids| {
                    if let Some(r) = s.current.resources.get_mut(logical) {
                        r.physical = Some(made.physical);
                        r.reference = Some(made.reference);
                        r.attributes = attributes;
                        r.pending = None;
                    }
                    if !replacing {
                        resource_event(
                            s,
                            logical,
                            started,
                            Some("Resource creation Initiated".into()),
                            now,
                            ids(),
                        );
                    }
                    resource_event(s, logical, done, None, now, ids());
                })
                .await
            }
            Err(f) => self.fail(ns, s, Some(logical), failed, f.message()).await,
        }
    }

    async fn update_one(
        &self,
        ns: &Namespace,
        s: &Stack,
        logical: &str,
        decl: &crate::cloudformation::template::ResourceDecl,
        old: Resource,
        props: Value,
    ) -> bool {
        let id = s.id.as_str();
        if !self
            .step(ns, id, |s, now, ids| {
                resource_event(s, logical, "UPDATE_IN_PROGRESS", None, now, ids());
            })
            .await
        {
            return false;
        }
        let target = self.target(s);
        let physical = old.physical.clone().unwrap_or_default();
        let made = match dynamic::resolve(&target, &props).await {
            Ok(resolved) => {
                // The tags the resource got from the stack before, and those it gets now.
                let before = s.previous.as_ref().unwrap_or(&s.current);
                let tag = |props: &Value, d| {
                    resources::with_stack_tags(&decl.type_, logical, props, &stack_tags(s, d))
                };
                let (old_tagged, new_tagged) =
                    (tag(&old.properties, before), tag(&resolved, &s.current));
                resources::update(&target, &decl.type_, &physical, &old_tagged, &new_tagged).await
            }
            Err(f) => Err(f),
        };
        match made {
            Ok(made) => {
                let attributes = visible_attributes(&decl.type_, made.attributes, &props);
                self.step(ns, id, |s, now, ids| {
                    if let Some(r) = s.current.resources.get_mut(logical) {
                        r.properties = props;
                        r.reference = Some(made.reference);
                        r.attributes = attributes;
                        r.deletion_policy.clone_from(&decl.deletion_policy);
                        r.update_replace_policy
                            .clone_from(&decl.update_replace_policy);
                    }
                    resource_event(s, logical, "UPDATE_COMPLETE", None, now, ids());
                })
                .await
            }
            Err(f) => {
                self.fail(ns, s, Some(logical), "UPDATE_FAILED", f.message())
                    .await
            }
        }
    }
}

/// Return values as kept in the stack: a parameter's `Value` is the template's text, so a
/// dynamic reference in it is never kept resolved.
fn visible_attributes(
    type_: &str,
    mut attributes: Map<String, Value>,
    props: &Value,
) -> Map<String, Value> {
    if type_ == "AWS::SSM::Parameter" {
        if let Some(v) = resources::text(props, "Value") {
            attributes.insert("Value".into(), Value::String(v));
        }
    }
    attributes
}
