//! A KMS key and an alias as they are kept: the key's state, spec, usage, policy, tags,
//! rotation, grants, multi-Region part and imported material, and its checks of use.

use super::ops::secs;
use super::{grants, import, keyspec, multi_region, rotation};
use crate::clock::Millis;
use crate::generated::kms as g;
use crate::generated::kms::{Error, ErrorCode, Result};
use crate::policy;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyState {
    Enabled,
    Disabled,
    PendingDeletion,
    /// An EXTERNAL key without its material.
    PendingImport,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Enabled => "Enabled",
            KeyState::Disabled => "Disabled",
            KeyState::PendingDeletion => "PendingDeletion",
            KeyState::PendingImport => "PendingImport",
        }
    }
}

/// One key: what DescribeKey shows, and its material (never shown).
#[derive(Clone, Serialize, Deserialize)]
pub struct Key {
    pub id: String,
    pub arn: String,
    pub account: String,
    pub region: String,
    pub description: String,
    pub state: KeyState,
    pub created: Millis,
    /// (deletion date, pending window in days) while deletion is scheduled.
    pub deletion: Option<(Millis, i64)>,
    /// An AWS managed key (`alias/aws/<service>`): its policy and state cannot be changed.
    pub aws_managed: bool,
    pub policy: String,
    pub tags: Vec<(String, String)>,
    /// KeySpec: SYMMETRIC_DEFAULT, RSA_*, ECC_*, HMAC_* (records before specs are symmetric).
    #[serde(default = "symmetric")]
    pub spec: String,
    /// KeyUsage: ENCRYPT_DECRYPT, SIGN_VERIFY or GENERATE_VERIFY_MAC.
    #[serde(default = "encrypt_decrypt")]
    pub usage: String,
    /// Automatic rotation, when enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<rotation::Schedule>,
    /// The rotations so far, oldest first: each made a new generation of material.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rotations: Vec<rotation::Rotation>,
    /// AWS_KMS, or EXTERNAL for imported material.
    #[serde(default = "aws_kms")]
    pub origin: String,
    /// What an EXTERNAL key knows of its imported material.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<import::Import>,
    /// A multi-Region key's part (its id is shared by the copies in other regions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_region: Option<multi_region::Part>,
    /// The grants on the key, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<grants::Grant>,
    /// Kept apart from the record (see `Store::put_key_material`), so that the store can open
    /// sealed rows before KMS exists. The key's first material: what it seals values at rest
    /// with, and what the generations rotation makes are derived from.
    #[serde(skip)]
    pub material: Vec<u8>,
    /// `policy` parsed, so that a request does not parse it again.
    #[serde(skip)]
    pub(super) parsed: Option<Arc<policy::Policy>>,
}

fn symmetric() -> String {
    "SYMMETRIC_DEFAULT".into()
}

pub(super) fn aws_kms() -> String {
    "AWS_KMS".into()
}

fn encrypt_decrypt() -> String {
    "ENCRYPT_DECRYPT".into()
}

impl Key {
    /// Refuses a key whose usage is not `usage` for `operation`, as AWS words it.
    pub fn for_usage(&self, usage: &str, operation: &str) -> Result<()> {
        if self.usage == usage {
            return Ok(());
        }
        Err(Error::new(
            ErrorCode::InvalidKeyUsageException,
            format!(
                "{} key usage is {} which is not valid for {operation}.",
                self.arn, self.usage
            ),
        ))
    }

    /// Refuses a key that is not a symmetric encryption key for `operation`, as AWS words it.
    pub fn symmetric_only(&self, operation: &str) -> Result<()> {
        if self.spec == "SYMMETRIC_DEFAULT" {
            return Ok(());
        }
        Err(Error::new(
            ErrorCode::InvalidKeyUsageException,
            format!(
                "{} key spec is {} which is not valid for {operation}.",
                self.arn, self.spec
            ),
        ))
    }

    /// The id of the key's current material as AWS shows it.
    pub fn material_id(&self) -> String {
        rotation::material_id(&self.id, self.generation())
    }

    /// Sets the key policy (already validated) and its parsed form.
    pub fn set_policy(&mut self, text: String) {
        self.parsed = policy::parse(&text).ok().map(Arc::new);
        self.policy = text;
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Alias {
    pub name: String,
    pub target: String,
    pub created: Millis,
    pub updated: Millis,
}

/// What DescribeKey, CreateKey and the key listings show of a key (a multi-Region key's
/// configuration is added by [`super::Kms::describe`]).
pub fn metadata(k: &Key) -> g::KeyMetadata {
    g::KeyMetadata {
        aws_account_id: Some(k.account.clone()),
        key_id: Some(k.id.clone()),
        arn: Some(k.arn.clone()),
        creation_date: Some(secs(k.created)),
        enabled: Some(k.state == KeyState::Enabled),
        description: Some(k.description.clone()),
        key_usage: Some(k.usage.clone()),
        key_state: Some(k.state.as_str().into()),
        deletion_date: k.deletion.map(|(at, _)| secs(at)),
        origin: Some(k.origin.clone()),
        expiration_model: k.import.as_ref().filter(|i| i.present).map(|i| {
            if i.expires.is_some() {
                "KEY_MATERIAL_EXPIRES"
            } else {
                "KEY_MATERIAL_DOES_NOT_EXPIRE"
            }
            .to_string()
        }),
        valid_to: k.import.as_ref().and_then(|i| i.expires).map(secs),
        key_manager: Some(if k.aws_managed { "AWS" } else { "CUSTOMER" }.into()),
        customer_master_key_spec: Some(k.spec.clone()),
        key_spec: Some(k.spec.clone()),
        encryption_algorithms: Some(keyspec::encryption_algorithms(&k.spec, &k.usage))
            .filter(|a| !a.is_empty()),
        signing_algorithms: Some(keyspec::signing_algorithms(&k.spec, &k.usage))
            .filter(|a| !a.is_empty()),
        mac_algorithms: Some(keyspec::mac_algorithms(&k.spec)).filter(|a| !a.is_empty()),
        multi_region: Some(false),
        pending_deletion_window_in_days: k.deletion.map(|(_, d)| d),
        // Only symmetric encryption keys have material that rotates, and show its id.
        current_key_material_id: (k.spec == "SYMMETRIC_DEFAULT"
            && !super::import::lacks_material(k))
        .then(|| k.material_id()),
        ..Default::default()
    }
}
