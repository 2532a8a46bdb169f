//! DescribeSecret, and the metadata view it shares with ListSecrets entries.

use super::model::{ts, wire_tags, WireTag};
use super::rotation::WireRotationRules;
use super::{Caller, SecretsManager};
use crate::domain::secret::Secret;
use crate::error::Result;
use serde::Serialize;

/// The fields DescribeSecret and ListSecrets entries have in common; AWS only sends
/// fields that have a value.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretMetadata {
    #[serde(rename = "ARN")]
    pub arn: String,
    pub name: String,
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    pub secret_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_enabled: Option<bool>,
    #[serde(rename = "RotationLambdaARN", skip_serializing_if = "Option::is_none")]
    pub rotation_lambda_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_rules: Option<WireRotationRules>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_rotated_date: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_rotation_date: Option<f64>,
    pub last_changed_date: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_accessed_date: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_date: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<WireTag>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owning_service: Option<String>,
    pub created_date: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_region: Option<String>,
}

impl SecretMetadata {
    pub fn of(s: &Secret) -> Self {
        let rotation = s.rotation.as_ref();
        SecretMetadata {
            arn: s.arn.clone(),
            name: s.name.clone(),
            secret_type: s.secret_type.clone(),
            description: s.description.clone(),
            kms_key_id: s.kms_key_id.clone(),
            rotation_enabled: rotation.map(|r| r.enabled),
            rotation_lambda_arn: rotation.map(|r| r.lambda_arn.clone()),
            rotation_rules: rotation
                .and_then(|r| r.rules.as_ref())
                .map(WireRotationRules::of),
            last_rotated_date: rotation.and_then(|r| r.last_rotated).map(ts),
            next_rotation_date: rotation
                .filter(|r| r.enabled)
                .and_then(|r| r.next_rotation)
                .map(ts),
            last_changed_date: ts(s.last_changed),
            last_accessed_date: s.last_accessed.map(ts),
            deleted_date: s.deletion.map(|d| ts(d.deleted_at)),
            tags: s.tags.as_deref().map(wire_tags),
            owning_service: s.owning_service.clone(),
            created_date: ts(s.created),
            primary_region: s.primary_region.clone(),
        }
    }
}

/// Labelled versions only; None when there are none, so the key is left out.
/// Versions that carry a label, in the order they were created (oldest first), as AWS lists
/// them; the map keeps insertion order.
pub fn stage_map(s: &Secret) -> Option<StageMap> {
    let map: StageMap = s
        .versions
        .iter()
        .filter(|v| !v.is_deprecated())
        .map(|v| (v.id.clone(), serde_json::json!(v.stages)))
        .collect();
    (!map.is_empty()).then_some(map)
}

/// Version id to its labels, in creation order.
pub type StageMap = serde_json::Map<String, serde_json::Value>;

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeSecretOutput {
    #[serde(flatten)]
    pub metadata: SecretMetadata,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_ids_to_stages: Option<StageMap>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replication_status: Option<Vec<super::replication::ReplicationStatusEntry>>,
}

impl SecretsManager {
    pub fn describe_secret(
        &self,
        caller: &Caller,
        input: super::model::SecretIdInput,
    ) -> Result<DescribeSecretOutput> {
        let id = super::check_secret_id_member(input.secret_id.as_deref())?;
        let found = self.find(caller, &id)?;
        let s = found.cell.read();
        let replication = (!s.replicas.is_empty())
            .then(|| self.replication_status(&found.namespace().account, &s));
        Ok(DescribeSecretOutput {
            metadata: SecretMetadata::of(&s),
            version_ids_to_stages: stage_map(&s),
            replication_status: replication,
        })
    }
}
