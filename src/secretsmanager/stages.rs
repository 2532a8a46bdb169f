//! UpdateSecretVersionStage and ListSecretVersionIds: a secret's versions and their labels.

use super::listing::{decode_token, encode_token};
use super::model::ts;
use super::{secret_id, Ack, Caller, SecretsManager};
use crate::domain::versions::Version;
use crate::generated::secretsmanager as sm;
use crate::generated::secretsmanager::{Error, Result};

/// How AWS names the key of a version encrypted with the account's default key.
const DEFAULT_KEY_ID: &str = "DefaultEncryptionKey";

fn version_entry(v: &Version, kms_key_id: Option<&str>) -> sm::SecretVersionsListEntry {
    sm::SecretVersionsListEntry {
        version_id: Some(v.id.clone()),
        // Left out, not empty, for a deprecated version.
        version_stages: (!v.stages.is_empty()).then(|| v.stages.clone()),
        last_accessed_date: v.last_accessed.map(ts),
        created_date: Some(ts(v.created)),
        kms_key_ids: Some(vec![kms_key_id.unwrap_or(DEFAULT_KEY_ID).to_string()]),
    }
}

impl sm::UpdateSecretVersionStage for SecretsManager {
    fn update_secret_version_stage(
        &self,
        caller: &Caller,
        input: sm::UpdateSecretVersionStageRequest,
    ) -> Result<Ack<sm::UpdateSecretVersionStageResponse>> {
        let found = self.find(caller, &secret_id(input.secret_id)?)?;
        let mut s = found.writable()?;
        s.versions.update_stage(
            input.version_stage.as_deref().unwrap_or_default(),
            input.remove_from_version_id.as_deref(),
            input.move_to_version_id.as_deref(),
        )?;
        s.touch_changed(self.now());
        let ticket = self.commit(&found, &s, &[]);
        let output = sm::UpdateSecretVersionStageResponse {
            arn: Some(s.arn.clone()),
            name: Some(s.name.clone()),
        };
        Ok(Ack::new(output, ticket))
    }
}

impl sm::ListSecretVersionIds for SecretsManager {
    fn list_secret_version_ids(
        &self,
        caller: &Caller,
        input: sm::ListSecretVersionIdsRequest,
    ) -> Result<Ack<sm::ListSecretVersionIdsResponse>> {
        let from = input.next_token.as_deref().map(decode_token).transpose()?;
        let found = self.find(caller, &secret_id(input.secret_id)?)?;
        let s = found.cell.read();
        if s.is_deleted() {
            return Err(Error::marked_for_deletion());
        }
        let include_deprecated = input.include_deprecated.unwrap_or(false);
        // Without MaxResults AWS answers every version at once (102 after 130 updates, the
        // most a secret keeps); pages only when MaxResults asks for them.
        let limit = input
            .max_results
            .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
        // Oldest first, as AWS lists them (recorded: AWSPREVIOUS before AWSCURRENT after a
        // rotation); a token is the (CreatedDate, VersionId) of the last entry returned, and
        // the next page starts after that version (or, if it has gone since, after its date).
        let shown: Vec<&Version> = s
            .versions
            .iter()
            .filter(|v| include_deprecated || !v.is_deprecated())
            .collect();
        let start = match &from {
            None => 0,
            Some((created, id)) => shown.iter().position(|v| v.id == *id).map_or_else(
                || {
                    shown
                        .iter()
                        .position(|v| v.created > *created)
                        .unwrap_or(shown.len())
                },
                |i| i + 1,
            ),
        };
        let mut listed = shown.into_iter().skip(start);
        let page: Vec<&Version> = listed.by_ref().take(limit).collect();
        let next_token = match listed.next() {
            Some(_) => page
                .last()
                .map(|v| encode_token(&(v.created, v.id.clone()))),
            None => None,
        };
        Ok(Ack::ready(sm::ListSecretVersionIdsResponse {
            versions: Some(
                page.into_iter()
                    .map(|v| version_entry(v, s.kms_key_id.as_deref()))
                    .collect(),
            ),
            next_token,
            arn: Some(s.arn.clone()),
            name: Some(s.name.clone()),
        }))
    }
}
