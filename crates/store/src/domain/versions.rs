//! A secret's versions and staging labels; keeps each label on at most one version.

use crate::clock::Millis;
use crate::generated::secretsmanager::{Error, ErrorCode, Result};

pub const AWSCURRENT: &str = "AWSCURRENT";
pub const AWSPREVIOUS: &str = "AWSPREVIOUS";
pub const AWSPENDING: &str = "AWSPENDING";

/// Unlabelled ("deprecated") versions kept before the oldest are dropped.
pub const MAX_DEPRECATED: usize = 100;
/// Staging labels one version may carry.
pub const MAX_STAGES_PER_VERSION: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretValue {
    String(String),
    Binary(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub id: String,
    /// None for a placeholder, such as the AWSPENDING version a rotation starts with.
    pub value: Option<SecretValue>,
    pub created: Millis,
    /// Day granularity, like AWS; None until the version is read.
    pub last_accessed: Option<Millis>,
    pub stages: Vec<String>,
}

impl Version {
    pub fn has_stage(&self, stage: &str) -> bool {
        self.stages.iter().any(|s| s == stage)
    }

    pub fn is_deprecated(&self) -> bool {
        self.stages.is_empty()
    }
}

/// What happened when a value was written under a caller-chosen version id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    Created,
    /// The same id and the same value were written before: nothing changed.
    Unchanged,
    /// A value-less placeholder (a rotation's AWSPENDING version) received its value.
    Filled,
    /// The id already names a version with another value; nothing changed.
    TokenInUse,
}

/// All versions of one secret, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Versions {
    list: Vec<Version>,
}

impl Versions {
    pub fn from_list(list: Vec<Version>) -> Self {
        Versions { list }
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Version> {
        self.list.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&Version> {
        self.list.iter().find(|v| v.id == id)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Version> {
        self.list.iter_mut().find(|v| v.id == id)
    }

    pub fn with_stage(&self, stage: &str) -> Option<&Version> {
        self.list.iter().find(|v| v.has_stage(stage))
    }

    pub fn with_stage_mut(&mut self, stage: &str) -> Option<&mut Version> {
        self.list.iter_mut().find(|v| v.has_stage(stage))
    }

    pub fn current(&self) -> Option<&Version> {
        self.with_stage(AWSCURRENT)
    }

    /// Writes `value` as version `id` with `stages`, applying AWS's token rules: a new id
    /// creates a version; a known id with the same value is a no-op; a known placeholder
    /// is filled in; a known id with another value is refused.
    pub fn put(
        &mut self,
        id: &str,
        value: SecretValue,
        stages: &[String],
        now: Millis,
    ) -> Result<PutOutcome> {
        if let Some(existing) = self.get_mut(id) {
            return match &existing.value {
                Some(v) if *v == value => Ok(PutOutcome::Unchanged),
                Some(_) => Ok(PutOutcome::TokenInUse),
                None => {
                    existing.value = Some(value);
                    self.attach_all(id, stages)?;
                    Ok(PutOutcome::Filled)
                }
            };
        }
        let first_current = self.current().is_none();
        self.push(id, Some(value), now);
        self.attach_all(id, stages)?;
        if first_current && !stages.iter().any(|s| s == AWSCURRENT) {
            self.attach(id, AWSCURRENT)?;
        }
        // A value written by hand as AWSCURRENT abandons a pending rotation.
        if stages.iter().any(|s| s == AWSCURRENT) && !stages.iter().any(|s| s == AWSPENDING) {
            if let Some(v) = self.with_stage_mut(AWSPENDING).filter(|v| v.id != id) {
                v.stages.retain(|s| s != AWSPENDING);
            }
        }
        self.prune();
        Ok(PutOutcome::Created)
    }

    /// Adds a value-less version carrying only `stage` (rotation's AWSPENDING placeholder).
    pub fn add_placeholder(&mut self, id: &str, stage: &str, now: Millis) -> Result<()> {
        self.push(id, None, now);
        self.attach(id, stage)
    }

    /// UpdateSecretVersionStage: moves or removes one label, as AWS does.
    pub fn update_stage(
        &mut self,
        stage: &str,
        remove_from: Option<&str>,
        move_to: Option<&str>,
    ) -> Result<()> {
        for id in remove_from.iter().chain(move_to.iter()) {
            if self.get(id).is_none() {
                return Err(Error::invalid_parameter(format!(
                    "Not a valid version: {id}"
                )));
            }
        }
        let holder = self.with_stage(stage).map(|v| v.id.clone());
        match (&holder, remove_from) {
            (Some(h), None) if move_to != Some(h.as_str()) => {
                return Err(Error::invalid_parameter(format!(
                    "The parameter RemoveFromVersionId can't be empty. Staging label {stage} is \
                     currently attached to version {h}, so you must explicitly reference that \
                     version in RemoveFromVersionId."
                )));
            }
            (Some(h), Some(r)) if h != r => return Err(stage_not_on(stage, r)),
            (None, Some(r)) => return Err(stage_not_on(stage, r)),
            _ => {}
        }
        match move_to {
            Some(target) => self.attach(target, stage)?,
            None if stage == AWSCURRENT => {
                return Err(Error::invalid_parameter(
                    "You can't remove the staging label AWSCURRENT without moving it to \
                     another version.",
                ))
            }
            None => self.detach(stage),
        }
        self.prune();
        Ok(())
    }

    fn push(&mut self, id: &str, value: Option<SecretValue>, now: Millis) {
        // Versions made within one millisecond must still sort in creation order.
        let created = self.list.last().map_or(now, |v| now.max(v.created + 1));
        // Most secrets hold one or two versions: grow one at a time, not four.
        self.list.reserve_exact(1);
        self.list.push(Version {
            id: id.to_string(),
            value,
            created,
            last_accessed: None,
            stages: Vec::new(),
        });
    }

    fn attach_all(&mut self, id: &str, stages: &[String]) -> Result<()> {
        stages.iter().try_for_each(|s| self.attach(id, s))
    }

    /// Puts `stage` on version `id`, taking it from its holder; when AWSCURRENT moves,
    /// the version it left becomes the only AWSPREVIOUS.
    fn attach(&mut self, id: &str, stage: &str) -> Result<()> {
        let holder = self.with_stage(stage).map(|v| v.id.clone());
        if holder.as_deref() == Some(id) {
            return Ok(());
        }
        let Some(target) = self.get(id) else {
            return Err(Error::internal());
        };
        if target.stages.len() >= MAX_STAGES_PER_VERSION {
            return Err(Error::new(
                ErrorCode::LimitExceededException,
                format!("A version can have at most {MAX_STAGES_PER_VERSION} staging labels."),
            ));
        }
        self.detach(stage);
        if let Some(target) = self.get_mut(id) {
            target.stages.push(stage.to_string());
        }
        if let (AWSCURRENT, Some(old)) = (stage, holder) {
            self.detach(AWSPREVIOUS);
            if let Some(v) = self.get_mut(&old) {
                v.stages.push(AWSPREVIOUS.to_string());
            }
        }
        Ok(())
    }

    fn detach(&mut self, stage: &str) {
        if let Some(v) = self.with_stage_mut(stage) {
            v.stages.retain(|s| s != stage);
        }
    }

    /// Drops the oldest unlabelled versions beyond the number AWS keeps.
    fn prune(&mut self) {
        let deprecated = self.list.iter().filter(|v| v.is_deprecated()).count();
        let mut excess = deprecated.saturating_sub(MAX_DEPRECATED);
        self.list.retain(|v| {
            let drop = excess > 0 && v.is_deprecated();
            excess -= usize::from(drop);
            !drop
        });
    }
}

fn stage_not_on(stage: &str, id: &str) -> Error {
    Error::invalid_parameter(format!("Version stage {stage} not found in version {id}"))
}

#[cfg(test)]
#[path = "versions_tests.rs"]
mod tests;
