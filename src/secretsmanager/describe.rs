//! DescribeSecret, and the metadata view it shares with ListSecrets entries.

use super::model::{ts, wire_tags};
use super::{secret_id, Ack, Caller, SecretsManager};
use crate::domain::secret::Secret;
use crate::generated::secretsmanager as sm;
use crate::generated::secretsmanager::Result;
use crate::wire::Map;

/// Versions that carry a label, in the order they were created (oldest first), as AWS lists
/// them; None when there are none, so the key is left out.
pub fn stage_map(s: &Secret) -> Option<Map<String, Vec<String>>> {
    let map: Map<String, Vec<String>> = s
        .versions
        .iter()
        .filter(|v| !v.is_deprecated())
        .map(|v| (v.id.clone(), v.stages.clone()))
        .collect();
    (!map.is_empty()).then_some(map)
}

pub fn rotation_rules(r: &crate::domain::secret::RotationRules) -> sm::RotationRulesType {
    sm::RotationRulesType {
        automatically_after_days: r.automatically_after_days,
        duration: r.duration.clone(),
        schedule_expression: r.schedule_expression.clone(),
    }
}

/// A secret's metadata as DescribeSecret shows it; AWS only sends fields that have a value.
pub fn describe(s: &Secret) -> sm::DescribeSecretResponse {
    let rotation = s.rotation.as_ref();
    sm::DescribeSecretResponse {
        arn: Some(s.arn.clone()),
        name: Some(s.name.clone()),
        type_: s.secret_type.clone(),
        description: s.description.clone(),
        kms_key_id: s.kms_key_id.clone(),
        rotation_enabled: rotation.map(|r| r.enabled),
        rotation_lambda_arn: rotation.map(|r| r.lambda_arn.clone()),
        rotation_rules: rotation.and_then(|r| r.rules.as_ref()).map(rotation_rules),
        external_secret_rotation_metadata: None,
        external_secret_rotation_role_arn: None,
        last_rotated_date: rotation.and_then(|r| r.last_rotated).map(ts),
        last_changed_date: Some(ts(s.last_changed)),
        last_accessed_date: s.last_accessed.map(ts),
        deleted_date: s.deletion.map(|d| ts(d.deleted_at)),
        next_rotation_date: rotation
            .filter(|r| r.enabled)
            .and_then(|r| r.next_rotation)
            .map(ts),
        tags: s.tags.as_deref().map(wire_tags),
        version_ids_to_stages: stage_map(s),
        owning_service: s.owning_service.clone(),
        created_date: Some(ts(s.created)),
        primary_region: s.primary_region.clone(),
        replication_status: None,
    }
}

/// The same view as a ListSecrets entry.
pub fn list_entry(s: &Secret) -> sm::SecretListEntry {
    let d = describe(s);
    sm::SecretListEntry {
        arn: d.arn,
        name: d.name,
        type_: d.type_,
        description: d.description,
        kms_key_id: d.kms_key_id,
        rotation_enabled: d.rotation_enabled,
        rotation_lambda_arn: d.rotation_lambda_arn,
        rotation_rules: d.rotation_rules,
        external_secret_rotation_metadata: None,
        external_secret_rotation_role_arn: None,
        last_rotated_date: d.last_rotated_date,
        last_changed_date: d.last_changed_date,
        last_accessed_date: d.last_accessed_date,
        deleted_date: d.deleted_date,
        next_rotation_date: d.next_rotation_date,
        tags: d.tags,
        secret_versions_to_stages: d.version_ids_to_stages,
        owning_service: d.owning_service,
        created_date: d.created_date,
        primary_region: d.primary_region,
    }
}

impl sm::DescribeSecret for SecretsManager {
    fn describe_secret(
        &self,
        caller: &Caller,
        input: sm::DescribeSecretRequest,
    ) -> Result<Ack<sm::DescribeSecretResponse>> {
        let id = secret_id(input.secret_id)?;
        let found = self.find(caller, &id)?;
        let s = found.cell.read();
        let mut out = describe(&s);
        if !s.replicas.is_empty() {
            out.replication_status = Some(self.replication_status(&found.namespace().account, &s));
        }
        Ok(Ack::ready(out))
    }
}
