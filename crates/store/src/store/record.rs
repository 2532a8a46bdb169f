//! The persisted form of a secret: metadata and version list as JSON, values stored apart.

use crate::clock::Millis;
use crate::domain::secret::{Deletion, ReplicaStatus, Rotation, RotationRules, Secret, Tag};
use crate::domain::versions::{SecretValue, Version, Versions};
use serde::{Deserialize, Serialize};

/// Bumped whenever the on-disk layout changes; older files are migrated, newer ones refused.
/// 2: value rows may be sealed (envelope encryption); format 1 files are read as they are and
/// their rows sealed at the next start. 3: every record carries its own format version
/// (`store::table`); unmarked records of older files are read as version 0.
pub const FORMAT_VERSION: u32 = 3;
/// The oldest format this build reads.
pub const OLDEST_FORMAT: u32 = 1;

/// Secrets' records as a typed table: keyed by account, region and name (no prefix: the
/// secrets have their own table in both backends).
pub struct SecretRecords;

impl super::table::Table for SecretRecords {
    const PREFIX: &'static str = "";
    const VERSION: u16 = 1;
    type Record = SecretRecord;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecretRecord {
    pub name: String,
    pub arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owning_service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<(String, String)>>,
    pub created: Millis,
    pub last_changed: Millis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_accessed: Option<Millis>,
    /// (deleted at, purge at) while a deletion is scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion: Option<(Millis, Millis)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<RotationRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<String>,
    /// (region, KMS key, status, message) of each replica of a primary.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replicas: Vec<(String, Option<String>, String, String)>,
    pub versions: Vec<VersionRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RotationRecord {
    pub enabled: bool,
    pub lambda_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automatically_after_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_expression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// Whether rules were ever given (DescribeSecret shows RotationRules only then).
    #[serde(default)]
    pub has_rules: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_rotated: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_due: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_rotation: Option<Millis>,
}

impl RotationRecord {
    fn of(r: &Rotation) -> Self {
        let rules = r.rules.clone().unwrap_or_default();
        RotationRecord {
            enabled: r.enabled,
            lambda_arn: r.lambda_arn.clone(),
            automatically_after_days: rules.automatically_after_days,
            schedule_expression: rules.schedule_expression,
            duration: rules.duration,
            has_rules: r.rules.is_some(),
            last_rotated: r.last_rotated,
            next_due: r.next_due,
            next_rotation: r.next_rotation,
        }
    }

    fn into_rotation(self) -> Rotation {
        Rotation {
            enabled: self.enabled,
            lambda_arn: self.lambda_arn,
            rules: self.has_rules.then_some(RotationRules {
                automatically_after_days: self.automatically_after_days,
                schedule_expression: self.schedule_expression,
                duration: self.duration,
            }),
            last_rotated: self.last_rotated,
            next_due: self.next_due,
            next_rotation: self.next_rotation,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionRecord {
    pub id: String,
    pub created: Millis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_accessed: Option<Millis>,
    #[serde(default)]
    pub stages: Vec<String>,
    /// Whether a value row exists for this version (placeholders have none).
    pub has_value: bool,
}

impl SecretRecord {
    pub fn of(s: &Secret) -> Self {
        SecretRecord {
            name: s.name.clone(),
            arn: s.arn.clone(),
            description: s.description.clone(),
            kms_key_id: s.kms_key_id.clone(),
            secret_type: s.secret_type.clone(),
            owning_service: s.owning_service.clone(),
            primary_region: s.primary_region.clone(),
            tags: s
                .tags
                .as_ref()
                .map(|t| t.iter().map(|t| (t.key.clone(), t.value.clone())).collect()),
            created: s.created,
            last_changed: s.last_changed,
            last_accessed: s.last_accessed,
            deletion: s.deletion.map(|d| (d.deleted_at, d.purge_at)),
            rotation: s.rotation.as_ref().map(RotationRecord::of),
            resource_policy: s.resource_policy.clone(),
            replicas: s
                .replicas
                .iter()
                .map(|r| {
                    (
                        r.region.clone(),
                        r.kms_key_id.clone(),
                        r.status.clone(),
                        r.status_message.clone(),
                    )
                })
                .collect(),
            versions: s
                .versions
                .iter()
                .map(|v| VersionRecord {
                    id: v.id.clone(),
                    created: v.created,
                    last_accessed: v.last_accessed,
                    stages: v.stages.clone(),
                    has_value: v.value.is_some(),
                })
                .collect(),
        }
    }

    /// Rebuilds the secret, asking `value_of` for each stored version value.
    pub fn into_secret(self, mut value_of: impl FnMut(&str) -> Option<SecretValue>) -> Secret {
        let versions = self
            .versions
            .into_iter()
            .map(|v| Version {
                value: if v.has_value { value_of(&v.id) } else { None },
                id: v.id,
                created: v.created,
                last_accessed: v.last_accessed,
                stages: v.stages,
            })
            .collect();
        let mut s = Secret::new(self.name, self.arn, self.created);
        s.description = self.description;
        s.kms_key_id = self.kms_key_id;
        s.secret_type = self.secret_type;
        s.owning_service = self.owning_service;
        s.primary_region = self.primary_region;
        s.tags = self.tags.map(|t| {
            t.into_iter()
                .map(|(key, value)| Tag { key, value })
                .collect()
        });
        s.last_changed = self.last_changed;
        s.last_accessed = self.last_accessed;
        s.deletion = self.deletion.map(|(deleted_at, purge_at)| Deletion {
            deleted_at,
            purge_at,
        });
        s.rotation = self.rotation.map(RotationRecord::into_rotation);
        s.resource_policy = self.resource_policy;
        s.replicas = self
            .replicas
            .into_iter()
            .map(
                |(region, kms_key_id, status, status_message)| ReplicaStatus {
                    region,
                    kms_key_id,
                    status,
                    status_message,
                },
            )
            .collect();
        s.versions = Versions::from_list(versions);
        s
    }
}

/// A value row: one tag byte (`s` string, `b` binary) then the bytes.
pub fn encode_value(v: &SecretValue) -> Vec<u8> {
    let (tag, bytes) = match v {
        SecretValue::String(s) => (b's', s.as_bytes()),
        SecretValue::Binary(b) => (b'b', b.as_slice()),
    };
    let mut out = Vec::with_capacity(bytes.len() + 1);
    out.push(tag);
    out.extend_from_slice(bytes);
    out
}

pub fn decode_value(raw: &[u8]) -> Option<SecretValue> {
    match raw.split_first()? {
        (b's', rest) => String::from_utf8(rest.to_vec())
            .ok()
            .map(SecretValue::String),
        (b'b', rest) => Some(SecretValue::Binary(rest.to_vec())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::versions::AWSCURRENT;

    #[test]
    fn secrets_round_trip_through_records() {
        let mut s = Secret::new("n".into(), "arn:n-abcdef".into(), 5);
        s.description = Some("d".into());
        s.merge_tags(vec![Tag {
            key: "k".into(),
            value: "v".into(),
        }]);
        s.deletion = Some(Deletion {
            deleted_at: 6,
            purge_at: 7,
        });
        s.versions
            .put(
                "v1",
                SecretValue::Binary(vec![0, 255]),
                &[AWSCURRENT.into()],
                5,
            )
            .unwrap();
        s.versions.add_placeholder("p", "AWSPENDING", 6).unwrap();
        s.touch_accessed("v1", 10);
        s.resource_policy = Some("{\"Statement\": []}".into());
        s.primary_region = Some("r".into());
        s.replicas = vec![ReplicaStatus {
            region: "eu-west-1".into(),
            kms_key_id: None,
            status: "InSync".into(),
            status_message: "Replication succeeded".into(),
        }];
        s.rotation = Some(Rotation {
            enabled: true,
            lambda_arn: "arn:aws:lambda:r:1:function:f".into(),
            rules: Some(RotationRules {
                automatically_after_days: Some(3),
                schedule_expression: None,
                duration: Some("2h".into()),
            }),
            last_rotated: Some(8),
            next_due: Some(9),
            next_rotation: Some(10),
        });
        let record = SecretRecord::of(&s);
        let json = serde_json::to_vec(&record).unwrap();
        let back: SecretRecord = serde_json::from_slice(&json).unwrap();
        let rebuilt = back.into_secret(|id| {
            assert_eq!(id, "v1");
            Some(SecretValue::Binary(vec![0, 255]))
        });
        assert_eq!(rebuilt, s);
    }

    #[test]
    fn values_round_trip() {
        for v in [
            SecretValue::String("héllo".into()),
            SecretValue::Binary(vec![0, 1, 2, 255]),
        ] {
            assert_eq!(decode_value(&encode_value(&v)), Some(v));
        }
        assert_eq!(decode_value(b""), None);
        assert_eq!(decode_value(b"x"), None);
    }
}
