//! `AWS::KMS::Key` and `AWS::KMS::Alias`, through KMS's own operations.

use super::{call, document, flag, number, required, tags, text, Fail, Made, Outcome, Target};
use crate::generated::kms as kg;
use serde_json::Value;

/// Calls a KMS operation for the resource `t` works on.
macro_rules! kms {
    ($t:expr, $op:ident, $method:ident, $req:expr $(,)?) => {
        call!(&$t.services.kms, kms, "KMS", $op, $method, &$t.caller, $req)
    };
}

fn kms_tags(props: &Value) -> Option<Vec<kg::Tag>> {
    let t = tags(props);
    (!t.is_empty()).then(|| {
        t.into_iter()
            .map(|(k, v)| kg::Tag {
                tag_key: Some(k),
                tag_value: Some(v),
            })
            .collect()
    })
}

pub async fn create_key(t: &Target<'_>, props: &Value) -> Outcome<Made> {
    let request = kg::CreateKeyRequest {
        policy: document(props, "KeyPolicy"),
        description: text(props, "Description"),
        key_usage: text(props, "KeyUsage"),
        key_spec: text(props, "KeySpec"),
        origin: text(props, "Origin"),
        multi_region: flag(props, "MultiRegion"),
        bypass_policy_lockout_safety_check: flag(props, "BypassPolicyLockoutSafetyCheck"),
        tags: kms_tags(props),
        ..Default::default()
    };
    let out = kms!(t, CreateKey, create_key, request)?;
    let meta = out.key_metadata.unwrap_or_default();
    let id = meta.key_id.unwrap_or_default();
    if flag(props, "Enabled") == Some(false) {
        kms!(
            t,
            DisableKey,
            disable_key,
            kg::DisableKeyRequest {
                key_id: Some(id.clone())
            }
        )?;
    }
    Ok(Made::named(id.clone())
        .with("Arn", meta.arn.unwrap_or_default())
        .with("KeyId", id))
}

pub async fn update_key(t: &Target<'_>, id: &str, old: &Value, new: &Value) -> Outcome<Made> {
    let changed = |name: &str| old.get(name) != new.get(name);
    if changed("KeyPolicy") {
        if let Some(policy) = document(new, "KeyPolicy") {
            kms!(
                t,
                PutKeyPolicy,
                put_key_policy,
                kg::PutKeyPolicyRequest {
                    key_id: Some(id.to_string()),
                    policy_name: Some("default".into()),
                    policy: Some(policy),
                    bypass_policy_lockout_safety_check: flag(new, "BypassPolicyLockoutSafetyCheck"),
                }
            )?;
        }
    }
    if changed("Enabled") {
        if flag(new, "Enabled") == Some(false) {
            kms!(
                t,
                DisableKey,
                disable_key,
                kg::DisableKeyRequest {
                    key_id: Some(id.to_string())
                }
            )?;
        } else {
            kms!(
                t,
                EnableKey,
                enable_key,
                kg::EnableKeyRequest {
                    key_id: Some(id.to_string())
                }
            )?;
        }
    }
    if changed("Tags") {
        let (gone, _) = super::tag_changes(old, new);
        if !gone.is_empty() {
            kms!(
                t,
                UntagResource,
                untag_resource,
                kg::UntagResourceRequest {
                    key_id: Some(id.to_string()),
                    tag_keys: Some(gone),
                }
            )?;
        }
        if let Some(tags) = kms_tags(new) {
            kms!(
                t,
                TagResource,
                tag_resource,
                kg::TagResourceRequest {
                    key_id: Some(id.to_string()),
                    tags: Some(tags),
                }
            )?;
        }
    }
    let out = kms!(
        t,
        DescribeKey,
        describe_key,
        kg::DescribeKeyRequest {
            key_id: Some(id.to_string()),
            ..Default::default()
        }
    )?;
    let arn = out.key_metadata.and_then(|m| m.arn).unwrap_or_default();
    Ok(Made::named(id).with("Arn", arn).with("KeyId", id))
}

/// A key deleted by its stack is scheduled for deletion after `PendingWindowInDays` (30 by
/// default), as KMS never deletes a key at once.
pub async fn delete_key(t: &Target<'_>, id: &str, props: &Value) -> Outcome<()> {
    let result = kms!(
        t,
        ScheduleKeyDeletion,
        schedule_key_deletion,
        kg::ScheduleKeyDeletionRequest {
            key_id: Some(id.to_string()),
            pending_window_in_days: number(props, "PendingWindowInDays")?.or(Some(30)),
        }
    );
    match result {
        // Already pending deletion: nothing left to do.
        Err(Fail::Service(_, e)) if e.name(super::JSON) == "KMSInvalidStateException" => Ok(()),
        other => other.map(|_| ()),
    }
}

/// Points the alias at its key: CreateAlias for a new one, UpdateAlias for one that exists.
pub async fn put_alias(t: &Target<'_>, props: &Value, exists: bool) -> Outcome<Made> {
    let name = required(props, "AliasName")?;
    let key = required(props, "TargetKeyId")?;
    if exists {
        let request = kg::UpdateAliasRequest {
            alias_name: Some(name.clone()),
            target_key_id: Some(key),
        };
        kms!(t, UpdateAlias, update_alias, request)?;
    } else {
        let request = kg::CreateAliasRequest {
            alias_name: Some(name.clone()),
            target_key_id: Some(key),
        };
        kms!(t, CreateAlias, create_alias, request)?;
    }
    Ok(Made::named(name))
}

pub async fn delete_alias(t: &Target<'_>, name: &str) -> Outcome<()> {
    kms!(
        t,
        DeleteAlias,
        delete_alias,
        kg::DeleteAliasRequest {
            alias_name: Some(name.to_string()),
        }
    )?;
    Ok(())
}
