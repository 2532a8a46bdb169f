//! The KMS operations on keys (create, describe, list, enable, disable, deletion) and the
//! helpers the other operation modules share.

use super::grants::check_tokens;
use super::policies::{check_tags, merge_tags};
use super::{keyspec, Key, KeyState, Kms};
use crate::domain::caller::Caller;
pub(super) use crate::generated::kms::Answer;
use crate::generated::kms::{self as g, Operation};
use crate::generated::kms::{Error, ErrorCode, Result};
pub(super) use crate::wire::answer as ok;
use crate::wire::Ticket;
use std::sync::Arc;

/// Operations that change nothing.
pub fn reads_only(op: Operation) -> bool {
    use Operation as O;
    matches!(
        op,
        O::DescribeKey
            | O::ListKeys
            | O::ListAliases
            | O::Encrypt
            | O::Decrypt
            | O::ReEncrypt
            | O::GenerateDataKey
            | O::GenerateDataKeyWithoutPlaintext
            | O::GenerateRandom
            | O::GetKeyPolicy
            | O::ListKeyPolicies
            | O::ListResourceTags
            | O::ListGrants
            | O::ListRetirableGrants
            | O::Sign
            | O::Verify
            | O::GetPublicKey
            | O::GenerateMac
            | O::VerifyMac
            | O::GenerateDataKeyPair
            | O::GenerateDataKeyPairWithoutPlaintext
            | O::GetKeyRotationStatus
            | O::ListKeyRotations
    )
}

pub(super) fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

pub(super) fn unsupported(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::UnsupportedOperationException, message)
}

pub(super) fn managed_refused(k: &Key) -> Error {
    unsupported(format!(
        "{} is an AWS managed key; its state and policy cannot be changed.",
        k.arn
    ))
}

pub(super) fn check_policy(text: &str) -> Result<()> {
    crate::policy::parse(text).map(|_| ()).map_err(|errors| {
        Error::new(
            ErrorCode::MalformedPolicyDocumentException,
            errors.join(" "),
        )
    })
}

/// The encryption algorithm a request uses with `key` (SYMMETRIC_DEFAULT when it names
/// none), refused unless the key takes it.
pub(super) fn encryption_algorithm(key: &Key, a: Option<&str>) -> Result<String> {
    let a = a.unwrap_or("SYMMETRIC_DEFAULT");
    if keyspec::encryption_algorithms(&key.spec, &key.usage)
        .iter()
        .any(|x| x == a)
    {
        return Ok(a.to_string());
    }
    Err(Error::new(
        ErrorCode::InvalidKeyUsageException,
        format!("Algorithm {a} is incompatible with key spec {}.", key.spec),
    ))
}

/// Most tags a key carries.
impl g::CreateKey for Kms {
    fn create_key(&self, cx: &Caller, i: g::CreateKeyRequest) -> Answer<g::CreateKeyResponse> {
        let spec = i
            .key_spec
            .as_deref()
            .or(i.customer_master_key_spec.as_deref())
            .unwrap_or("SYMMETRIC_DEFAULT");
        let usage = match i.key_usage.as_deref() {
            Some(u) => u,
            None if spec == "SYMMETRIC_DEFAULT" => "ENCRYPT_DECRYPT",
            None => {
                return Err(Error::validation(
                    "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.",
                ))
            }
        };
        let allowed = keyspec::SPECS
            .iter()
            .find(|(s, _)| *s == spec)
            .map(|(_, usages)| *usages);
        let Some(allowed) = allowed else {
            return Err(unsupported(format!(
                "LocalEmu does not make keys of KeySpec {spec}."
            )));
        };
        if !allowed.contains(&usage) {
            return Err(Error::validation(format!(
                "KeyUsage {usage} is not compatible with KeySpec {spec}"
            )));
        }
        let origin = i.origin.as_deref().unwrap_or("AWS_KMS");
        match origin {
            "AWS_KMS" => {}
            "EXTERNAL" if super::import::importable(spec) => {}
            "EXTERNAL" => {
                return Err(unsupported(format!(
                    "LocalEmu imports the material of symmetric and HMAC keys, not {spec}."
                )))
            }
            _ => {
                return Err(unsupported(format!(
                    "LocalEmu has no custom key stores: Origin {origin} is not supported."
                )))
            }
        }
        if let Some(p) = &i.policy {
            check_policy(p)?;
        }
        let tags = check_tags(cx, i.tags.as_deref().unwrap_or_default())?;
        let ns = &cx.namespace;
        let material = if origin == "EXTERNAL" {
            Vec::new()
        } else if spec == "SYMMETRIC_DEFAULT" {
            crate::crypto::random_bytes(32)
        } else {
            keyspec::generate(spec).ok_or_else(Error::internal)?
        };
        let mut key = self.new_key(
            ns,
            i.description.unwrap_or_default(),
            i.policy,
            (false, i.multi_region == Some(true)),
            (spec, usage, material),
        );
        merge_tags(&mut key.tags, tags)?;
        if origin == "EXTERNAL" {
            key.origin = origin.to_string();
            key.state = KeyState::PendingImport;
        }
        self.write()
            .entry(ns.clone())
            .or_default()
            .keys
            .insert(key.id.clone(), Arc::new(key.clone()));
        let ticket = self.save_key(&key);
        ok(
            g::CreateKeyResponse {
                key_metadata: Some(self.describe(&key)),
            },
            ticket,
        )
    }
}

impl g::DescribeKey for Kms {
    fn describe_key(
        &self,
        cx: &Caller,
        i: g::DescribeKeyRequest,
    ) -> Answer<g::DescribeKeyResponse> {
        check_tokens(i.grant_tokens.as_deref())?;
        let (key, ticket) = self.lookup(&cx.namespace, i.key_id.as_deref().unwrap_or_default())?;
        self.authorize(cx, &key, "kms:DescribeKey")?;
        ok(
            g::DescribeKeyResponse {
                key_metadata: Some(self.describe(&key)),
            },
            ticket,
        )
    }
}

/// One page of `items` after `marker` (an index), `limit` long (default 100, at most 1000).
pub(super) fn page<T: Clone>(
    items: &[T],
    marker: Option<&str>,
    limit: Option<i64>,
) -> Result<(Vec<T>, Option<String>)> {
    let start = match marker {
        None => 0,
        Some(m) => m.parse::<usize>().map_err(|_| {
            Error::new(
                ErrorCode::InvalidMarkerException,
                "The marker is not valid.",
            )
        })?,
    };
    let limit = limit.unwrap_or(100).clamp(1, 1000) as usize;
    let end = (start + limit).min(items.len());
    let slice = items
        .get(start.min(items.len())..end)
        .unwrap_or_default()
        .to_vec();
    Ok((slice, (end < items.len()).then(|| end.to_string())))
}

impl g::ListKeys for Kms {
    fn list_keys(&self, cx: &Caller, i: g::ListKeysRequest) -> Answer<g::ListKeysResponse> {
        let all: Vec<g::KeyListEntry> = self
            .read()
            .get(&cx.namespace)
            .map(|s| {
                s.keys
                    .values()
                    .map(|k| g::KeyListEntry {
                        key_id: Some(k.id.clone()),
                        key_arn: Some(k.arn.clone()),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let (keys, next) = page(&all, i.marker.as_deref(), i.limit)?;
        ok(
            g::ListKeysResponse {
                keys: Some(keys),
                truncated: Some(next.is_some()),
                next_marker: next,
            },
            Ticket::ready(),
        )
    }
}

impl Kms {
    /// Changes the state of a customer key the caller may administer.
    pub(super) fn set_state(
        &self,
        cx: &Caller,
        id: &str,
        action: &str,
        f: impl FnOnce(&mut Key) -> Result<()>,
    ) -> Result<(Arc<Key>, Ticket)> {
        let key = self.key_for(cx, id, action)?;
        if key.aws_managed {
            return Err(managed_refused(&key));
        }
        let ns = crate::domain::Namespace::new(key.account.clone(), key.region.clone());
        self.change(&ns, &key.id, f)
    }
}

pub(super) fn pending(k: &Key) -> Error {
    Error::new(
        ErrorCode::KMSInvalidStateException,
        format!("{} is pending deletion.", k.arn),
    )
}

impl g::EnableKey for Kms {
    fn enable_key(&self, cx: &Caller, i: g::EnableKeyRequest) -> Answer<()> {
        let (_, t) = self.set_state(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            "kms:EnableKey",
            |k| {
                // A key pending deletion or import is neither enabled nor disabled.
                if matches!(k.state, KeyState::PendingDeletion | KeyState::PendingImport) {
                    return Kms::usable(k);
                }
                k.state = KeyState::Enabled;
                Ok(())
            },
        )?;
        ok((), t)
    }
}

impl g::UpdateKeyDescription for Kms {
    fn update_key_description(&self, cx: &Caller, i: g::UpdateKeyDescriptionRequest) -> Answer<()> {
        let description = i.description.unwrap_or_default();
        let (_, t) = self.set_state(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            "kms:UpdateKeyDescription",
            |k| {
                k.description = description;
                Ok(())
            },
        )?;
        ok((), t)
    }
}

impl g::DisableKey for Kms {
    fn disable_key(&self, cx: &Caller, i: g::DisableKeyRequest) -> Answer<()> {
        let (_, t) = self.set_state(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            "kms:DisableKey",
            |k| {
                // A key pending deletion or import is neither enabled nor disabled.
                if matches!(k.state, KeyState::PendingDeletion | KeyState::PendingImport) {
                    return Kms::usable(k);
                }
                k.state = if super::import::lacks_material(k) {
                    KeyState::PendingImport
                } else {
                    KeyState::Disabled
                };
                Ok(())
            },
        )?;
        ok((), t)
    }
}

impl g::ScheduleKeyDeletion for Kms {
    fn schedule_key_deletion(
        &self,
        cx: &Caller,
        i: g::ScheduleKeyDeletionRequest,
    ) -> Answer<g::ScheduleKeyDeletionResponse> {
        let days = i.pending_window_in_days.unwrap_or(30);
        let at = self.now() + days * 86_400_000;
        let (k, t) = self.set_state(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            "kms:ScheduleKeyDeletion",
            |k| {
                if k.state == KeyState::PendingDeletion {
                    return Err(pending(k));
                }
                k.state = KeyState::PendingDeletion;
                k.deletion = Some((at, days));
                Ok(())
            },
        )?;
        ok(
            g::ScheduleKeyDeletionResponse {
                key_id: Some(k.arn.clone()),
                deletion_date: Some(secs(at)),
                key_state: Some("PendingDeletion".into()),
                pending_window_in_days: Some(days),
            },
            t,
        )
    }
}

impl g::CancelKeyDeletion for Kms {
    fn cancel_key_deletion(
        &self,
        cx: &Caller,
        i: g::CancelKeyDeletionRequest,
    ) -> Answer<g::CancelKeyDeletionResponse> {
        let (k, t) = self.set_state(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            "kms:CancelKeyDeletion",
            |k| {
                if k.state != KeyState::PendingDeletion {
                    return Err(Error::new(
                        ErrorCode::KMSInvalidStateException,
                        format!("{} is not pending deletion.", k.arn),
                    ));
                }
                // As on AWS, a key whose deletion is cancelled comes back disabled.
                k.state = KeyState::Disabled;
                k.deletion = None;
                Ok(())
            },
        )?;
        ok(
            g::CancelKeyDeletionResponse {
                key_id: Some(k.arn.clone()),
            },
            t,
        )
    }
}
