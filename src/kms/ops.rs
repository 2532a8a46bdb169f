//! The KMS operations: keys, aliases, policies and tags, and the cryptographic calls.

use super::{alias_arn, not_found, Alias, Key, KeyState, Kms};
use crate::crypto;
use crate::domain::caller::Caller;
use crate::error::{Error, ErrorCode, Result};
use crate::generated::kms::{self as g, Operation};
use crate::wire::{Ack, Ticket};
use std::sync::Arc;

type Answer<O> = Result<Ack<O>>;

#[allow(clippy::unnecessary_wraps, reason = "every handler answers through it")]
fn ok<O>(o: O, ticket: Ticket) -> Answer<O> {
    Ok(Ack::new(o, ticket))
}

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
    )
}

fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

fn metadata(k: &Key) -> g::KeyMetadata {
    g::KeyMetadata {
        aws_account_id: Some(k.account.clone()),
        key_id: Some(k.id.clone()),
        arn: Some(k.arn.clone()),
        creation_date: Some(secs(k.created)),
        enabled: Some(k.state == KeyState::Enabled),
        description: Some(k.description.clone()),
        key_usage: Some("ENCRYPT_DECRYPT".into()),
        key_state: Some(k.state.as_str().into()),
        deletion_date: k.deletion.map(|(at, _)| secs(at)),
        origin: Some("AWS_KMS".into()),
        key_manager: Some(if k.aws_managed { "AWS" } else { "CUSTOMER" }.into()),
        customer_master_key_spec: Some("SYMMETRIC_DEFAULT".into()),
        key_spec: Some("SYMMETRIC_DEFAULT".into()),
        encryption_algorithms: Some(vec!["SYMMETRIC_DEFAULT".into()]),
        multi_region: Some(false),
        pending_deletion_window_in_days: k.deletion.map(|(_, d)| d),
        ..Default::default()
    }
}

fn unsupported(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::UnsupportedOperationException, message)
}

fn managed_refused(k: &Key) -> Error {
    unsupported(format!(
        "{} is an AWS managed key; its state and policy cannot be changed.",
        k.arn
    ))
}

fn check_policy(text: &str) -> Result<()> {
    crate::policy::parse(text).map(|_| ()).map_err(|errors| {
        Error::new(
            ErrorCode::MalformedPolicyDocumentException,
            errors.join(" "),
        )
    })
}

fn check_algorithm(a: Option<&str>) -> Result<()> {
    match a {
        None | Some("SYMMETRIC_DEFAULT") => Ok(()),
        Some(_) => Err(Error::new(
            ErrorCode::InvalidKeyUsageException,
            "LocalEmu's keys are symmetric: use the SYMMETRIC_DEFAULT encryption algorithm.",
        )),
    }
}

fn check_tags(tags: &[g::Tag]) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for t in tags {
        let key = t.tag_key.clone().unwrap_or_default();
        if key.starts_with("aws:") {
            return Err(Error::new(
                ErrorCode::TagException,
                "Tags beginning with aws: are reserved.",
            ));
        }
        out.push((key, t.tag_value.clone().unwrap_or_default()));
    }
    Ok(out)
}

fn merge_tags(into: &mut Vec<(String, String)>, new: Vec<(String, String)>) -> Result<()> {
    for (k, v) in new {
        match into.iter_mut().find(|(key, _)| *key == k) {
            Some(slot) => slot.1 = v,
            None => into.push((k, v)),
        }
    }
    if into.len() > 50 {
        return Err(Error::new(
            ErrorCode::TagException,
            "A key may have at most 50 tags.",
        ));
    }
    Ok(())
}

impl g::CreateKey for Kms {
    fn create_key(&self, cx: &Caller, i: g::CreateKeyRequest) -> Answer<g::CreateKeyResponse> {
        let spec = i
            .key_spec
            .as_deref()
            .or(i.customer_master_key_spec.as_deref());
        if spec.is_some_and(|s| s != "SYMMETRIC_DEFAULT") {
            return Err(unsupported(format!(
                "LocalEmu supports symmetric encryption keys only; KeySpec {} is not available.",
                spec.unwrap_or_default()
            )));
        }
        if i.key_usage
            .as_deref()
            .is_some_and(|u| u != "ENCRYPT_DECRYPT")
        {
            return Err(unsupported(
                "LocalEmu supports KeyUsage ENCRYPT_DECRYPT only.",
            ));
        }
        if i.origin.as_deref().is_some_and(|o| o != "AWS_KMS") {
            return Err(unsupported("LocalEmu supports Origin AWS_KMS only."));
        }
        if i.multi_region == Some(true) {
            return Err(unsupported("LocalEmu does not make multi-Region keys."));
        }
        if let Some(p) = &i.policy {
            check_policy(p)?;
        }
        let tags = check_tags(i.tags.as_deref().unwrap_or_default())?;
        let ns = &cx.namespace;
        let mut key = self.new_key(ns, i.description.unwrap_or_default(), i.policy, false);
        merge_tags(&mut key.tags, tags)?;
        self.write()
            .entry(ns.clone())
            .or_default()
            .keys
            .insert(key.id.clone(), Arc::new(key.clone()));
        let ticket = self.save_key(&key);
        ok(
            g::CreateKeyResponse {
                key_metadata: Some(metadata(&key)),
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
        let (key, ticket) = self.lookup(&cx.namespace, i.key_id.as_deref().unwrap_or_default())?;
        self.authorize(cx, &key, "kms:DescribeKey")?;
        ok(
            g::DescribeKeyResponse {
                key_metadata: Some(metadata(&key)),
            },
            ticket,
        )
    }
}

/// One page of `items` after `marker` (an index), `limit` long (default 100, at most 1000).
fn page<T: Clone>(
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

fn check_alias_name(name: &str) -> Result<()> {
    if !name.starts_with("alias/") {
        return Err(Error::new(
            ErrorCode::ValidationException,
            "Alias must start with the prefix \"alias/\".",
        ));
    }
    if name.starts_with("alias/aws/") {
        return Err(Error::new(
            ErrorCode::InvalidAliasNameException,
            "Alias names beginning with alias/aws/ are reserved for AWS managed keys.",
        ));
    }
    Ok(())
}

impl Kms {
    /// The customer key an alias may point at: named by key id or key ARN, not by alias.
    fn alias_target_key(&self, cx: &Caller, id: &str) -> Result<Arc<Key>> {
        if id.starts_with("alias/") || id.contains(":alias/") {
            return Err(Error::new(
                ErrorCode::ValidationException,
                "Aliases must refer to keys. Not aliases",
            ));
        }
        let key = self.key_for(cx, id, "kms:CreateAlias")?;
        if key.account != cx.account() || key.region != cx.namespace.region {
            return Err(not_found(format!("Key '{}' does not exist", key.arn)));
        }
        if key.aws_managed {
            return Err(managed_refused(&key));
        }
        Ok(key)
    }
}

impl g::CreateAlias for Kms {
    fn create_alias(&self, cx: &Caller, i: g::CreateAliasRequest) -> Answer<()> {
        let name = i.alias_name.unwrap_or_default();
        check_alias_name(&name)?;
        let key = self.alias_target_key(cx, i.target_key_id.as_deref().unwrap_or_default())?;
        let ns = &cx.namespace;
        let mut spaces = self.write();
        let space = spaces.entry(ns.clone()).or_default();
        if space.aliases.contains_key(&name) {
            return Err(Error::new(
                ErrorCode::AlreadyExistsException,
                format!(
                    "An alias with the name {} already exists",
                    alias_arn(ns, &name)
                ),
            ));
        }
        let now = self.now();
        let a = Alias {
            name: name.clone(),
            target: key.id.clone(),
            created: now,
            updated: now,
        };
        space.aliases.insert(name.clone(), a.clone());
        drop(spaces);
        ok((), self.save_alias(ns, Some(&a), &name))
    }
}

impl g::UpdateAlias for Kms {
    fn update_alias(&self, cx: &Caller, i: g::UpdateAliasRequest) -> Answer<()> {
        let name = i.alias_name.unwrap_or_default();
        check_alias_name(&name)?;
        let key = self.alias_target_key(cx, i.target_key_id.as_deref().unwrap_or_default())?;
        let ns = &cx.namespace;
        let mut spaces = self.write();
        let alias = spaces
            .get_mut(ns)
            .and_then(|s| s.aliases.get_mut(&name))
            .ok_or_else(|| not_found(format!("Alias {} is not found.", alias_arn(ns, &name))))?;
        alias.target.clone_from(&key.id);
        alias.updated = self.now();
        let a = alias.clone();
        drop(spaces);
        ok((), self.save_alias(ns, Some(&a), &name))
    }
}

impl g::DeleteAlias for Kms {
    fn delete_alias(&self, cx: &Caller, i: g::DeleteAliasRequest) -> Answer<()> {
        let name = i.alias_name.unwrap_or_default();
        check_alias_name(&name)?;
        let ns = &cx.namespace;
        let removed = self
            .write()
            .get_mut(ns)
            .and_then(|s| s.aliases.remove(&name));
        if removed.is_none() {
            return Err(not_found(format!(
                "Alias {} is not found.",
                alias_arn(ns, &name)
            )));
        }
        ok((), self.save_alias(ns, None, &name))
    }
}

impl g::ListAliases for Kms {
    fn list_aliases(
        &self,
        cx: &Caller,
        i: g::ListAliasesRequest,
    ) -> Answer<g::ListAliasesResponse> {
        let ns = &cx.namespace;
        let only = match i.key_id.as_deref() {
            Some(id) => Some(self.key_for(cx, id, "kms:ListAliases")?.id.clone()),
            None => None,
        };
        let all: Vec<g::AliasListEntry> = self
            .read()
            .get(ns)
            .map(|s| {
                s.aliases
                    .values()
                    .filter(|a| only.as_ref().is_none_or(|k| *k == a.target))
                    .map(|a| g::AliasListEntry {
                        alias_name: Some(a.name.clone()),
                        alias_arn: Some(alias_arn(ns, &a.name)),
                        target_key_id: Some(a.target.clone()),
                        creation_date: Some(secs(a.created)),
                        last_updated_date: Some(secs(a.updated)),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let (aliases, next) = page(&all, i.marker.as_deref(), i.limit)?;
        ok(
            g::ListAliasesResponse {
                aliases: Some(aliases),
                truncated: Some(next.is_some()),
                next_marker: next,
            },
            Ticket::ready(),
        )
    }
}

impl Kms {
    /// Changes the state of a customer key the caller may administer.
    fn set_state(
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

fn pending(k: &Key) -> Error {
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
                if k.state == KeyState::PendingDeletion {
                    return Err(pending(k));
                }
                k.state = KeyState::Enabled;
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
                if k.state == KeyState::PendingDeletion {
                    return Err(pending(k));
                }
                k.state = KeyState::Disabled;
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

impl g::Encrypt for Kms {
    fn encrypt(&self, cx: &Caller, i: g::EncryptRequest) -> Answer<g::EncryptResponse> {
        check_algorithm(i.encryption_algorithm.as_deref())?;
        let key = self.key_for(cx, i.key_id.as_deref().unwrap_or_default(), "kms:Encrypt")?;
        Kms::usable(&key)?;
        let blob = crypto::encrypt_blob(
            &key.id,
            &key.material,
            &i.plaintext.unwrap_or_default(),
            i.encryption_context.as_ref(),
        )
        .ok_or_else(Error::internal)?;
        ok(
            g::EncryptResponse {
                ciphertext_blob: Some(blob),
                key_id: Some(key.arn.clone()),
                encryption_algorithm: Some("SYMMETRIC_DEFAULT".into()),
            },
            Ticket::ready(),
        )
    }
}

fn invalid_ciphertext() -> Error {
    Error::new(ErrorCode::InvalidCiphertextException, "")
}

impl Kms {
    /// The key a ciphertext blob was made under and its plaintext, checked like Decrypt.
    fn open_blob(
        &self,
        cx: &Caller,
        blob: &[u8],
        context: Option<&crate::wire::Map<String, String>>,
        expected: Option<&str>,
        action: &str,
    ) -> Result<(Arc<Key>, Vec<u8>)> {
        let id = crypto::blob_key_id(blob).ok_or_else(invalid_ciphertext)?;
        // The blob names a key of the caller's namespace unless KeyId says otherwise.
        let key = match expected {
            Some(e) => {
                let named = self.key_for(cx, e, action)?;
                if named.id != id {
                    return Err(Error::new(
                        ErrorCode::IncorrectKeyException,
                        "The key ID in the request does not identify a CMK that can perform this operation.",
                    ));
                }
                named
            }
            None => self.key_for(cx, id, action)?,
        };
        Kms::usable(&key)?;
        let plain =
            crypto::decrypt_blob(blob, &key.material, context).ok_or_else(invalid_ciphertext)?;
        Ok((key, plain))
    }
}

impl g::Decrypt for Kms {
    fn decrypt(&self, cx: &Caller, i: g::DecryptRequest) -> Answer<g::DecryptResponse> {
        check_algorithm(i.encryption_algorithm.as_deref())?;
        let blob = i.ciphertext_blob.unwrap_or_default();
        let (key, plain) = self.open_blob(
            cx,
            &blob,
            i.encryption_context.as_ref(),
            i.key_id.as_deref(),
            "kms:Decrypt",
        )?;
        ok(
            g::DecryptResponse {
                key_id: Some(key.arn.clone()),
                plaintext: Some(plain),
                encryption_algorithm: Some("SYMMETRIC_DEFAULT".into()),
                ..Default::default()
            },
            Ticket::ready(),
        )
    }
}

impl g::ReEncrypt for Kms {
    fn re_encrypt(&self, cx: &Caller, i: g::ReEncryptRequest) -> Answer<g::ReEncryptResponse> {
        check_algorithm(i.source_encryption_algorithm.as_deref())?;
        check_algorithm(i.destination_encryption_algorithm.as_deref())?;
        let blob = i.ciphertext_blob.unwrap_or_default();
        let (source, plain) = self.open_blob(
            cx,
            &blob,
            i.source_encryption_context.as_ref(),
            i.source_key_id.as_deref(),
            "kms:ReEncryptFrom",
        )?;
        let dest = self.key_for(
            cx,
            i.destination_key_id.as_deref().unwrap_or_default(),
            "kms:ReEncryptTo",
        )?;
        Kms::usable(&dest)?;
        let out = crypto::encrypt_blob(
            &dest.id,
            &dest.material,
            &plain,
            i.destination_encryption_context.as_ref(),
        )
        .ok_or_else(Error::internal)?;
        ok(
            g::ReEncryptResponse {
                ciphertext_blob: Some(out),
                source_key_id: Some(source.arn.clone()),
                key_id: Some(dest.arn.clone()),
                source_encryption_algorithm: Some("SYMMETRIC_DEFAULT".into()),
                destination_encryption_algorithm: Some("SYMMETRIC_DEFAULT".into()),
                ..Default::default()
            },
            Ticket::ready(),
        )
    }
}

/// The data key length a GenerateDataKey request asks for.
fn data_key_len(spec: Option<&str>, bytes: Option<i64>) -> Result<usize> {
    match (spec, bytes) {
        (Some(_), Some(_)) | (None, None) => Err(Error::validation(
            "Please specify either number of bytes or key spec.",
        )),
        (Some("AES_256"), None) => Ok(32),
        (Some("AES_128"), None) => Ok(16),
        (Some(other), None) => Err(Error::validation(format!(
            "1 validation error detected: Value '{other}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]"
        ))),
        (None, Some(n)) => Ok(n as usize),
    }
}

impl Kms {
    fn data_key(
        &self,
        cx: &Caller,
        id: &str,
        len: usize,
        context: Option<&crate::wire::Map<String, String>>,
        action: &str,
    ) -> Result<(Arc<Key>, Vec<u8>, Vec<u8>)> {
        let key = self.key_for(cx, id, action)?;
        Kms::usable(&key)?;
        let plain = crypto::random_bytes(len);
        let blob = crypto::encrypt_blob(&key.id, &key.material, &plain, context)
            .ok_or_else(Error::internal)?;
        Ok((key, plain, blob))
    }
}

impl g::GenerateDataKey for Kms {
    fn generate_data_key(
        &self,
        cx: &Caller,
        i: g::GenerateDataKeyRequest,
    ) -> Answer<g::GenerateDataKeyResponse> {
        let len = data_key_len(i.key_spec.as_deref(), i.number_of_bytes)?;
        let (key, plain, blob) = self.data_key(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            len,
            i.encryption_context.as_ref(),
            "kms:GenerateDataKey",
        )?;
        ok(
            g::GenerateDataKeyResponse {
                ciphertext_blob: Some(blob),
                plaintext: Some(plain),
                key_id: Some(key.arn.clone()),
                ..Default::default()
            },
            Ticket::ready(),
        )
    }
}

impl g::GenerateDataKeyWithoutPlaintext for Kms {
    fn generate_data_key_without_plaintext(
        &self,
        cx: &Caller,
        i: g::GenerateDataKeyWithoutPlaintextRequest,
    ) -> Answer<g::GenerateDataKeyWithoutPlaintextResponse> {
        let len = data_key_len(i.key_spec.as_deref(), i.number_of_bytes)?;
        let (key, _, blob) = self.data_key(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            len,
            i.encryption_context.as_ref(),
            "kms:GenerateDataKeyWithoutPlaintext",
        )?;
        ok(
            g::GenerateDataKeyWithoutPlaintextResponse {
                ciphertext_blob: Some(blob),
                key_id: Some(key.arn.clone()),
                ..Default::default()
            },
            Ticket::ready(),
        )
    }
}

impl g::GenerateRandom for Kms {
    fn generate_random(
        &self,
        _: &Caller,
        i: g::GenerateRandomRequest,
    ) -> Answer<g::GenerateRandomResponse> {
        let n = i.number_of_bytes.ok_or_else(|| {
            Error::validation("1 validation error detected: Value null at 'numberOfBytes' failed to satisfy constraint: Member must not be null")
        })?;
        ok(
            g::GenerateRandomResponse {
                plaintext: Some(crypto::random_bytes(n as usize)),
                ..Default::default()
            },
            Ticket::ready(),
        )
    }
}

fn policy_name(name: Option<&str>) -> Result<()> {
    match name {
        None | Some("default") => Ok(()),
        Some(_) => Err(not_found("No such policy exists".into())),
    }
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
        let tags = check_tags(i.tags.as_deref().unwrap_or_default())?;
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
