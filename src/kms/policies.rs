//! KMS key policies and tags, and the key-policy check every use of a key goes through.

use super::grants::{grants_allow, Scope};
use super::ops::{check_policy, ok, page, pending, Answer};
use super::{not_found, Key, KeyState, Kms};
use crate::domain::caller::Caller;
use crate::generated::kms as g;
use crate::generated::kms::{Error, ErrorCode, Result};
use crate::policy::{self, Decision, Request};
use crate::wire::Ticket;

fn policy_name(name: Option<&str>) -> Result<()> {
    match name {
        None | Some("default") => Ok(()),
        Some(_) => Err(not_found("No such policy exists".into())),
    }
}

const MAX_TAGS: usize = 50;

fn too_many_tags() -> Error {
    Error::new(ErrorCode::TagException, "Too many tags")
}

/// A request's tags, refused as AWS refuses them: a reserved `aws:` prefix in any case, a key
/// given twice, more than a key may carry.
pub(super) fn check_tags(cx: &Caller, tags: &[g::Tag]) -> Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for t in tags {
        let key = t.tag_key.clone().unwrap_or_default();
        if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:"))
            && !cx.may_set_reserved_tag(&key)
        {
            return Err(Error::new(
                ErrorCode::TagException,
                "Tags beginning with aws: are reserved.",
            ));
        }
        if out.iter().any(|(k, _)| *k == key) {
            return Err(Error::new(ErrorCode::TagException, "Duplicate tag keys"));
        }
        out.push((key, t.tag_value.clone().unwrap_or_default()));
    }
    if out.len() > MAX_TAGS {
        return Err(too_many_tags());
    }
    Ok(out)
}

pub(super) fn merge_tags(
    into: &mut Vec<(String, String)>,
    new: Vec<(String, String)>,
) -> Result<()> {
    for (k, v) in new {
        match into.iter_mut().find(|(key, _)| *key == k) {
            Some(slot) => slot.1 = v,
            None => into.push((k, v)),
        }
    }
    if into.len() > MAX_TAGS {
        return Err(too_many_tags());
    }
    Ok(())
}

impl g::GetKeyPolicy for Kms {
    fn get_key_policy(
        &self,
        cx: &Caller,
        i: g::GetKeyPolicyRequest,
    ) -> Answer<g::GetKeyPolicyResponse> {
        policy_name(i.policy_name.as_deref())?;
        let key = self.key_for(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            "kms:GetKeyPolicy",
        )?;
        ok(
            g::GetKeyPolicyResponse {
                policy: Some(key.policy.clone()),
                policy_name: Some("default".into()),
            },
            Ticket::ready(),
        )
    }
}

impl g::PutKeyPolicy for Kms {
    fn put_key_policy(&self, cx: &Caller, i: g::PutKeyPolicyRequest) -> Answer<()> {
        policy_name(i.policy_name.as_deref())?;
        let text = i.policy.unwrap_or_default();
        check_policy(&text)?;
        let (_, t) = self.set_state(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            "kms:PutKeyPolicy",
            |k| {
                k.set_policy(text);
                Ok(())
            },
        )?;
        ok((), t)
    }
}

impl g::ListKeyPolicies for Kms {
    fn list_key_policies(
        &self,
        cx: &Caller,
        i: g::ListKeyPoliciesRequest,
    ) -> Answer<g::ListKeyPoliciesResponse> {
        self.key_for(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            "kms:ListKeyPolicies",
        )?;
        ok(
            g::ListKeyPoliciesResponse {
                policy_names: Some(vec!["default".into()]),
                truncated: Some(false),
                next_marker: None,
            },
            Ticket::ready(),
        )
    }
}

impl g::TagResource for Kms {
    fn tag_resource(&self, cx: &Caller, i: g::TagResourceRequest) -> Answer<()> {
        let tags = check_tags(cx, i.tags.as_deref().unwrap_or_default())?;
        let (_, t) = self.set_state(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            "kms:TagResource",
            |k| {
                if k.state == KeyState::PendingDeletion {
                    return Err(pending(k));
                }
                merge_tags(&mut k.tags, tags)
            },
        )?;
        ok((), t)
    }
}

impl g::UntagResource for Kms {
    fn untag_resource(&self, cx: &Caller, i: g::UntagResourceRequest) -> Answer<()> {
        let keys = i.tag_keys.unwrap_or_default();
        let (_, t) = self.set_state(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            "kms:UntagResource",
            |k| {
                if k.state == KeyState::PendingDeletion {
                    return Err(pending(k));
                }
                k.tags.retain(|(key, _)| !keys.contains(key));
                Ok(())
            },
        )?;
        ok((), t)
    }
}

impl g::ListResourceTags for Kms {
    fn list_resource_tags(
        &self,
        cx: &Caller,
        i: g::ListResourceTagsRequest,
    ) -> Answer<g::ListResourceTagsResponse> {
        let key = self.key_for(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            "kms:ListResourceTags",
        )?;
        let all: Vec<g::Tag> = key
            .tags
            .iter()
            .map(|(k, v)| g::Tag {
                tag_key: Some(k.clone()),
                tag_value: Some(v.clone()),
            })
            .collect();
        let (tags, next) = page(&all, i.marker.as_deref(), i.limit)?;
        ok(
            g::ListResourceTagsResponse {
                tags: Some(tags),
                truncated: Some(next.is_some()),
                next_marker: next,
            },
            Ticket::ready(),
        )
    }
}

impl Kms {
    /// Refuses `action` on `key` unless its key policy allows `caller` (callers of other
    /// accounts need an Allow; an explicit Deny refuses anyone in strict mode).
    pub(super) fn authorize(&self, caller: &Caller, key: &Key, action: &str) -> Result<()> {
        self.authorize_in(caller, key, action, Scope::Management)
    }

    /// [`Kms::authorize`] for a use in `scope`: where the key policy does not allow the
    /// caller, a grant to it may (an explicit Deny still refuses).
    pub(super) fn authorize_in(
        &self,
        caller: &Caller,
        key: &Key,
        action: &str,
        scope: Scope<'_>,
    ) -> Result<()> {
        let cross = key.account != caller.account();
        if !cross && !self.strict.policies {
            return Ok(());
        }
        let decision = if key.aws_managed && cross {
            Decision::NotApplicable
        } else {
            match &key.parsed {
                Some(p) => {
                    let mut context = policy::Context::default();
                    if p.has_conditions() {
                        context = caller.policy_context(self.now());
                        for (k, v) in &key.tags {
                            context.set(&format!("aws:ResourceTag/{k}"), vec![v.clone()]);
                        }
                    }
                    policy::evaluate(
                        p,
                        &Request {
                            who: &caller.who,
                            action,
                            resource: &key.arn,
                            context: &context,
                        },
                    )
                }
                None => Decision::NotApplicable,
            }
        };
        match policy::refusal(decision, cross) {
            Some(false) if grants_allow(key, caller, action, scope) => Ok(()),
            Some(explicit) => Err(crate::policy::access_denied(
                caller.arn(),
                action,
                &key.arn,
                explicit,
            )),
            None => Ok(()),
        }
    }
}
