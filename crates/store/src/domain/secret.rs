//! A secret's metadata and life cycle (tags, deletion, access and change dates).

use super::versions::Versions;
use crate::clock::{day_of, Millis};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// A scheduled deletion: when it was requested and when the secret is purged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deletion {
    pub deleted_at: Millis,
    pub purge_at: Millis,
}

/// The rotation rules as the caller gave them (DescribeSecret echoes them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RotationRules {
    pub automatically_after_days: Option<i64>,
    pub schedule_expression: Option<String>,
    pub duration: Option<String>,
}

/// A secret's rotation configuration and schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub enabled: bool,
    pub lambda_arn: String,
    pub rules: Option<RotationRules>,
    pub last_rotated: Option<Millis>,
    /// When the next scheduled rotation is due (the start of its window).
    pub next_due: Option<Millis>,
    /// NextRotationDate: the end of that window.
    pub next_rotation: Option<Millis>,
}

/// How a replica region is doing, as the primary's ReplicationStatus shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaStatus {
    pub region: String,
    pub kms_key_id: Option<String>,
    /// `InSync` or `Failed`.
    pub status: String,
    pub status_message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    /// None means the account's default key (aws/secretsmanager).
    pub kms_key_id: Option<String>,
    pub secret_type: Option<String>,
    pub owning_service: Option<String>,
    pub primary_region: Option<String>,
    /// None until the secret is first tagged; then a list, possibly empty again.
    pub tags: Option<Vec<Tag>>,
    pub created: Millis,
    pub last_changed: Millis,
    pub last_accessed: Option<Millis>,
    pub deletion: Option<Deletion>,
    /// None until rotation was first configured successfully.
    pub rotation: Option<Rotation>,
    /// The resource policy exactly as it was put.
    pub resource_policy: Option<String>,
    /// On a primary secret, one entry per replica region.
    pub replicas: Vec<ReplicaStatus>,
    pub versions: Versions,
}

impl Secret {
    pub fn new(name: String, arn: String, now: Millis) -> Self {
        Secret {
            name,
            arn,
            description: None,
            kms_key_id: None,
            secret_type: None,
            owning_service: None,
            primary_region: None,
            tags: None,
            created: now,
            last_changed: now,
            last_accessed: None,
            deletion: None,
            rotation: None,
            resource_policy: None,
            replicas: Vec::new(),
            versions: Versions::default(),
        }
    }

    /// The region in the secret's ARN.
    pub fn region(&self) -> &str {
        super::arn::region_of(&self.arn)
    }

    /// True for a replica: its primary lives in another region.
    pub fn is_replica(&self) -> bool {
        self.primary_region
            .as_deref()
            .is_some_and(|p| p != self.region())
    }

    pub fn is_deleted(&self) -> bool {
        self.deletion.is_some()
    }

    /// AWS's blocking rule: AWSPENDING on a version that is not AWSCURRENT means a rotation
    /// has not finished.
    pub fn rotation_pending(&self) -> Option<&str> {
        use super::versions::{AWSCURRENT, AWSPENDING};
        self.versions
            .with_stage(AWSPENDING)
            .filter(|v| !v.has_stage(AWSCURRENT))
            .map(|v| v.id.as_str())
    }

    /// True once a scheduled deletion's window has passed: the secret no longer exists.
    pub fn is_purged(&self, now: Millis) -> bool {
        self.deletion.is_some_and(|d| d.purge_at <= now)
    }

    /// Records a change; consecutive changes always get strictly increasing dates.
    pub fn touch_changed(&mut self, now: Millis) {
        self.last_changed = now.max(self.last_changed + 1);
    }

    /// Records a read of `version_id` at day granularity, on the secret and on the version.
    pub fn touch_accessed(&mut self, version_id: &str, now: Millis) {
        let day = day_of(now);
        self.last_accessed = Some(day);
        if let Some(v) = self.versions.get_mut(version_id) {
            v.last_accessed = Some(day);
        }
    }

    /// True if reading `version_id` now would change a stored access date.
    pub fn access_is_stale(&self, version_id: &str, now: Millis) -> bool {
        let day = Some(day_of(now));
        self.last_accessed != day
            || self
                .versions
                .get(version_id)
                .is_some_and(|v| v.last_accessed != day)
    }

    /// Adds tags, replacing the value of keys already present and keeping their order.
    pub fn merge_tags(&mut self, new: Vec<Tag>) {
        let tags = self.tags.get_or_insert_with(Vec::new);
        for tag in new {
            match tags.iter_mut().find(|t| t.key == tag.key) {
                Some(existing) => existing.value = tag.value,
                None => tags.push(tag),
            }
        }
    }

    /// The number of tags the secret would have after merging `new`.
    pub fn tag_count_after(&self, new: &[Tag]) -> usize {
        let tags = self.tags.as_deref().unwrap_or_default();
        let mut keys: Vec<&str> = tags.iter().map(|t| t.key.as_str()).collect();
        for t in new {
            if !keys.contains(&t.key.as_str()) {
                keys.push(&t.key);
            }
        }
        keys.len()
    }

    pub fn remove_tags(&mut self, keys: &[String]) {
        let tags = self.tags.get_or_insert_with(Vec::new);
        tags.retain(|t| !keys.contains(&t.key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret::new("n".into(), "arn".into(), 1_000)
    }

    fn tag(k: &str, v: &str) -> Tag {
        Tag {
            key: k.into(),
            value: v.into(),
        }
    }

    #[test]
    fn tags_merge_by_key_and_stay_present_when_emptied() {
        let mut s = secret();
        assert!(s.tags.is_none());
        s.merge_tags(vec![tag("a", "1"), tag("b", "2")]);
        s.merge_tags(vec![tag("a", "3"), tag("c", "4")]);
        assert_eq!(
            s.tags.as_deref().unwrap(),
            [tag("a", "3"), tag("b", "2"), tag("c", "4")]
        );
        assert_eq!(s.tag_count_after(&[tag("a", "x"), tag("d", "y")]), 4);
        s.remove_tags(&["a".into(), "b".into(), "c".into(), "zz".into()]);
        assert_eq!(s.tags, Some(vec![]));
    }

    #[test]
    fn change_dates_strictly_increase() {
        let mut s = secret();
        s.touch_changed(1_000);
        s.touch_changed(1_000);
        assert_eq!(s.last_changed, 1_002);
    }

    #[test]
    fn access_is_recorded_per_day() {
        let mut s = secret();
        let noon = 3 * crate::clock::DAY_MS + 43_200_000;
        s.touch_accessed("none", noon);
        assert_eq!(s.last_accessed, Some(3 * crate::clock::DAY_MS));
        assert!(!s.access_is_stale("none", noon + 1000));
        assert!(s.access_is_stale("none", noon + crate::clock::DAY_MS));
    }
}
