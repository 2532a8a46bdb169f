//! UpdateSecretVersionStage and ListSecretVersionIds: a secret's versions and their labels.

use super::deletion::ArnAndName;
use super::listing::{decode_token, encode_token};
use super::model::ts;
use super::{check_version_id, require, Ack, Caller, SecretsManager};
use crate::domain::validate::Violations;
use crate::domain::versions::Version;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateSecretVersionStageInput {
    pub secret_id: Option<String>,
    pub version_stage: Option<String>,
    pub remove_from_version_id: Option<String>,
    pub move_to_version_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSecretVersionIdsInput {
    pub secret_id: Option<String>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
    pub include_deprecated: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretVersionsListEntry {
    pub version_id: String,
    /// Left out, not empty, for a deprecated version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_stages: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_accessed_date: Option<f64>,
    pub created_date: f64,
    pub kms_key_ids: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSecretVersionIdsOutput {
    pub versions: Vec<SecretVersionsListEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(rename = "ARN")]
    pub arn: String,
    pub name: String,
}

/// How AWS names the key of a version encrypted with the account's default key.
const DEFAULT_KEY_ID: &str = "DefaultEncryptionKey";

fn version_entry(v: &Version, kms_key_id: Option<&str>) -> SecretVersionsListEntry {
    SecretVersionsListEntry {
        version_id: v.id.clone(),
        version_stages: (!v.stages.is_empty()).then(|| v.stages.clone()),
        last_accessed_date: v.last_accessed.map(ts),
        created_date: ts(v.created),
        kms_key_ids: vec![kms_key_id.unwrap_or(DEFAULT_KEY_ID).to_string()],
    }
}

impl SecretsManager {
    pub fn update_secret_version_stage(
        &self,
        caller: &Caller,
        input: UpdateSecretVersionStageInput,
    ) -> Result<Ack<ArnAndName>> {
        let mut v = Violations::new();
        require(&mut v, "secretId", input.secret_id.is_some());
        v.length("secretId", input.secret_id.as_deref(), 1, 2048);
        require(&mut v, "versionStage", input.version_stage.is_some());
        v.length("versionStage", input.version_stage.as_deref(), 1, 256);
        check_version_id(
            &mut v,
            "removeFromVersionId",
            input.remove_from_version_id.as_deref(),
        );
        check_version_id(
            &mut v,
            "moveToVersionId",
            input.move_to_version_id.as_deref(),
        );
        v.finish()?;
        let found = self.find(caller, input.secret_id.as_deref().unwrap_or_default())?;
        let mut s = found.writable()?;
        s.versions.update_stage(
            input.version_stage.as_deref().unwrap_or_default(),
            input.remove_from_version_id.as_deref(),
            input.move_to_version_id.as_deref(),
        )?;
        s.touch_changed(self.now());
        let ticket = self.commit(&found, &s, &[]);
        let output = ArnAndName {
            arn: s.arn.clone(),
            name: s.name.clone(),
        };
        Ok(Ack::new(output, ticket))
    }

    pub fn list_secret_version_ids(
        &self,
        caller: &Caller,
        input: ListSecretVersionIdsInput,
    ) -> Result<ListSecretVersionIdsOutput> {
        let mut v = Violations::new();
        require(&mut v, "secretId", input.secret_id.is_some());
        v.length("secretId", input.secret_id.as_deref(), 1, 2048);
        v.range("maxResults", input.max_results, 1, 100);
        v.length("nextToken", input.next_token.as_deref(), 1, 4096);
        v.finish()?;
        let from = input.next_token.as_deref().map(decode_token).transpose()?;
        let found = self.find(caller, input.secret_id.as_deref().unwrap_or_default())?;
        let s = found.cell.read();
        if s.is_deleted() {
            return Err(Error::marked_for_deletion());
        }
        let include_deprecated = input.include_deprecated.unwrap_or(false);
        let limit = input.max_results.map_or(100, |n| n as usize);
        // Newest first; a token is the (CreatedDate, VersionId) of the last entry returned.
        let mut listed = s
            .versions
            .iter()
            .rev()
            .filter(|v| include_deprecated || !v.is_deprecated())
            .filter(|v| {
                from.as_ref()
                    .is_none_or(|f| (v.created, &v.id) < (f.0, &f.1))
            });
        let page: Vec<&Version> = listed.by_ref().take(limit).collect();
        let next_token = match listed.next() {
            Some(_) => page
                .last()
                .map(|v| encode_token(&(v.created, v.id.clone()))),
            None => None,
        };
        Ok(ListSecretVersionIdsOutput {
            versions: page
                .into_iter()
                .map(|v| version_entry(v, s.kms_key_id.as_deref()))
                .collect(),
            next_token,
            arn: s.arn.clone(),
            name: s.name.clone(),
        })
    }
}
