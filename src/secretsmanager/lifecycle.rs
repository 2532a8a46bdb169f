//! CreateSecret and UpdateSecret: making secrets and changing their metadata and value.

use super::model::{check_tag_rules, check_tags, too_many_tags, WireTag, MAX_TAGS};
use super::{
    check_value_sizes, check_version_id, require, token_in_use, value_of, Ack, Caller,
    SecretsManager,
};
use crate::domain::arn::secret_arn;
use crate::domain::secret::Secret;
use crate::domain::validate::{check_name, Violations};
use crate::domain::versions::{PutOutcome, SecretValue, AWSCURRENT};
use crate::error::{Error, ErrorCode, Result};
use crate::store::durable::Ticket;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateSecretInput {
    pub name: Option<String>,
    pub client_request_token: Option<String>,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    #[serde(default, with = "super::model::blob")]
    pub secret_binary: Option<Vec<u8>>,
    pub secret_string: Option<String>,
    pub tags: Option<Vec<WireTag>>,
    pub add_replica_regions: Option<Vec<super::replication::ReplicaRegion>>,
    pub force_overwrite_replica_secret: Option<bool>,
    #[serde(rename = "Type")]
    pub secret_type: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateSecretOutput {
    #[serde(rename = "ARN")]
    pub arn: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replication_status: Option<Vec<super::replication::ReplicationStatusEntry>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateSecretInput {
    pub secret_id: Option<String>,
    pub client_request_token: Option<String>,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    #[serde(default, with = "super::model::blob")]
    pub secret_binary: Option<Vec<u8>>,
    pub secret_string: Option<String>,
    #[serde(rename = "Type")]
    pub secret_type: Option<String>,
}

pub type UpdateSecretOutput = CreateSecretOutput;

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

impl CreateSecretInput {
    fn validate(&self) -> Result<Vec<crate::domain::secret::Tag>> {
        let mut v = Violations::new();
        require(&mut v, "name", self.name.is_some());
        v.length("name", self.name.as_deref(), 1, 512);
        check_version_id(
            &mut v,
            "clientRequestToken",
            self.client_request_token.as_deref(),
        );
        v.length("description", self.description.as_deref(), 0, 2048);
        v.length("kmsKeyId", self.kms_key_id.as_deref(), 0, 2048);
        v.length("type", self.secret_type.as_deref(), 0, 256);
        check_value_sizes(
            &mut v,
            self.secret_string.as_ref(),
            self.secret_binary.as_ref(),
        );
        let tags = check_tags("tags", self.tags.as_deref().unwrap_or_default(), &mut v);
        if let Some(regions) = &self.add_replica_regions {
            super::replication::check_regions("addReplicaRegions", regions, &mut v);
        }
        v.finish()?;
        Ok(tags)
    }
}

impl SecretsManager {
    pub fn create_secret(
        &self,
        caller: &Caller,
        input: CreateSecretInput,
    ) -> Result<Ack<CreateSecretOutput>> {
        let tags = input.validate()?;
        let token = input
            .client_request_token
            .ok_or_else(Error::missing_token)?;
        let name = input.name.unwrap_or_default();
        check_name(&name)?;
        let value = value_of(input.secret_string, input.secret_binary)?;
        let own_region = Some(caller.namespace.region.as_str());
        if input
            .add_replica_regions
            .iter()
            .flatten()
            .any(|r| r.region.as_deref() == own_region)
        {
            return Err(Error::invalid_parameter("Invalid replica region."));
        }
        check_tag_rules(&tags)?;
        if tags.len() > MAX_TAGS {
            return Err(too_many_tags());
        }
        let now = self.now();
        let arn = secret_arn(&caller.namespace, &name, &self.ids.arn_suffix());
        let mut secret = Secret::new(name, arn, now);
        secret.description = non_empty(input.description);
        secret.kms_key_id = non_empty(input.kms_key_id);
        secret.secret_type = non_empty(input.secret_type);
        if !tags.is_empty() {
            secret.tags = Some(tags);
        }
        let version_id = match &value {
            Some(v) => {
                secret
                    .versions
                    .put(&token, v.clone(), &[AWSCURRENT.to_string()], now)?;
                Some(token.clone())
            }
            None => None,
        };
        let ns = self.store.namespace_or_create(&caller.namespace);
        let existing = match ns.insert_unless(secret, |old| !old.is_purged(now)) {
            Ok((cell, mut ticket)) => {
                let mut s = cell.write();
                let mut replication = None;
                if let Some(regions) = input.add_replica_regions.as_deref() {
                    let force = input.force_overwrite_replica_secret.unwrap_or(false);
                    self.add_replicas(&caller.namespace.account, &mut s, regions, force)?;
                    // Later journal entries are durable only after earlier ones.
                    ticket = ns.commit(&cell, &s, &[]);
                    replication = Some(self.replication_status(&caller.namespace.account, &s));
                }
                let output = CreateSecretOutput {
                    arn: s.arn.clone(),
                    name: s.name.clone(),
                    version_id,
                    replication_status: replication,
                };
                return Ok(Ack::new(output, ticket));
            }
            Err(existing) => existing,
        };
        let old = existing.read();
        let output = create_conflict(&old, &token, value.as_ref())?;
        Ok(Ack::new(output, Ticket::ready()))
    }

    pub fn update_secret(
        &self,
        caller: &Caller,
        input: UpdateSecretInput,
    ) -> Result<Ack<UpdateSecretOutput>> {
        let mut v = Violations::new();
        require(&mut v, "secretId", input.secret_id.is_some());
        v.length("secretId", input.secret_id.as_deref(), 1, 2048);
        check_version_id(
            &mut v,
            "clientRequestToken",
            input.client_request_token.as_deref(),
        );
        v.length("description", input.description.as_deref(), 0, 2048);
        v.length("kmsKeyId", input.kms_key_id.as_deref(), 0, 2048);
        v.length("type", input.secret_type.as_deref(), 0, 256);
        check_value_sizes(
            &mut v,
            input.secret_string.as_ref(),
            input.secret_binary.as_ref(),
        );
        v.finish()?;
        let id = input.secret_id.unwrap_or_default();
        crate::domain::validate::check_secret_id(&id)?;
        let token = input
            .client_request_token
            .ok_or_else(Error::missing_token)?;
        let value = value_of(input.secret_string, input.secret_binary)?;
        let found = self.find(caller, &id)?;
        let now = self.now();
        let mut s = found.writable()?;
        let version_id = match value {
            Some(value) => Some(put_current(&mut s, &token, value, now)?),
            None => None,
        };
        let mut changed = version_id.is_some();
        if let Some(d) = input.description {
            s.description = non_empty(Some(d));
            changed = true;
        }
        if let Some(k) = input.kms_key_id {
            s.kms_key_id = non_empty(Some(k));
            changed = true;
        }
        if let Some(t) = input.secret_type {
            s.secret_type = non_empty(Some(t));
            changed = true;
        }
        let mut ticket = Ticket::ready();
        if changed {
            s.touch_changed(now);
            let written: Vec<&str> = version_id.iter().map(String::as_str).collect();
            ticket = self.commit(&found, &s, &written);
        }
        let output = UpdateSecretOutput {
            arn: s.arn.clone(),
            name: s.name.clone(),
            version_id,
            replication_status: None,
        };
        Ok(Ack::new(output, ticket))
    }
}

/// Writes a new AWSCURRENT version under `token`, honouring the idempotency rules.
fn put_current(s: &mut Secret, token: &str, value: SecretValue, now: i64) -> Result<String> {
    match s
        .versions
        .put(token, value, &[AWSCURRENT.to_string()], now)?
    {
        PutOutcome::TokenInUse => Err(token_in_use(token, &s.arn)),
        _ => Ok(token.to_string()),
    }
}

/// Why CreateSecret cannot create `old.name` again, or the idempotent answer if this is
/// a retry of the request that created it.
fn create_conflict(
    old: &Secret,
    token: &str,
    value: Option<&SecretValue>,
) -> Result<CreateSecretOutput> {
    if old.is_deleted() {
        return Err(Error::invalid_request(
            "You can't create this secret because a secret with this name is already scheduled \
             for deletion.",
        ));
    }
    match (old.versions.get(token), value) {
        (Some(version), Some(value)) if version.value.as_ref() == Some(value) => {
            Ok(CreateSecretOutput {
                arn: old.arn.clone(),
                name: old.name.clone(),
                version_id: Some(token.to_string()),
                replication_status: None,
            })
        }
        (Some(_), _) => Err(token_in_use(token, &old.arn)),
        (None, _) => Err(Error::new(
            ErrorCode::ResourceExistsException,
            format!(
                "The operation failed because the secret {} already exists.",
                old.name
            ),
        )),
    }
}
