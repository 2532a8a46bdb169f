//! CreateSecret and UpdateSecret: making secrets and changing their metadata and value.

use super::model::{domain_tags, too_many_tags, MAX_TAGS};
use super::{secret_id, token_in_use, value_of, Ack, Caller, SecretsManager, Ticket};
use crate::domain::arn::secret_arn;
use crate::domain::secret::Secret;
use crate::domain::validate::check_name;
use crate::domain::versions::{PutOutcome, SecretValue, AWSCURRENT, AWSPENDING};
use crate::generated::secretsmanager as sm;
use crate::generated::secretsmanager::{Error, ErrorCode, Result};

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

fn answer(s: &Secret, version_id: Option<String>) -> sm::CreateSecretResponse {
    sm::CreateSecretResponse {
        arn: Some(s.arn.clone()),
        name: Some(s.name.clone()),
        version_id,
        replication_status: None,
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
) -> Result<sm::CreateSecretResponse> {
    if old.is_deleted() {
        return Err(Error::invalid_request(
            "You can't create this secret because a secret with this name is already scheduled \
             for deletion.",
        ));
    }
    match (old.versions.get(token), value) {
        (Some(version), Some(value)) if version.value.as_ref() == Some(value) => {
            Ok(answer(old, Some(token.to_string())))
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

impl sm::CreateSecret for SecretsManager {
    fn create_secret(
        &self,
        caller: &Caller,
        input: sm::CreateSecretRequest,
    ) -> Result<Ack<sm::CreateSecretResponse>> {
        let token = input
            .client_request_token
            .ok_or_else(Error::missing_token)?;
        let name = input.name.unwrap_or_default();
        // A service names the secrets it owns `<service>!...` (`events!connection/...`), a
        // prefix no user's secret can have.
        let owned = super::acting_service(caller)
            .and_then(|svc| name.strip_prefix(&format!("{svc}!")).map(str::to_string));
        check_name(owned.as_deref().unwrap_or(&name))?;
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
        let tags = domain_tags(caller, "tags", input.tags)?;
        if tags.len() > MAX_TAGS {
            return Err(too_many_tags());
        }
        let now = self.now();
        let arn = secret_arn(&caller.namespace, &name, &self.ids.arn_suffix());
        let mut secret = Secret::new(name, arn, now);
        secret.owning_service = super::acting_service(caller);
        secret.description = non_empty(input.description);
        secret.kms_key_id = non_empty(input.kms_key_id);
        if let Some(k) = &secret.kms_key_id {
            self.check_key_id(&caller.namespace, k)?;
        }
        if value.is_some() {
            self.check_encrypt(caller, &caller.namespace, secret.kms_key_id.as_deref())?;
        }
        secret.secret_type = non_empty(input.type_);
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
                    ticket = super::commit::commit(&self.store, &ns, &cell, &s, &[]);
                    replication = Some(self.replication_status(&caller.namespace.account, &s));
                }
                let mut output = answer(&s, version_id);
                output.replication_status = replication;
                return Ok(Ack::new(output, ticket));
            }
            Err(existing) => existing,
        };
        let old = existing.read();
        let output = create_conflict(&old, &token, value.as_ref())?;
        Ok(Ack::new(output, Ticket::ready()))
    }
}

impl sm::UpdateSecret for SecretsManager {
    fn update_secret(
        &self,
        caller: &Caller,
        input: sm::UpdateSecretRequest,
    ) -> Result<Ack<sm::UpdateSecretResponse>> {
        let id = secret_id(input.secret_id)?;
        let token = input
            .client_request_token
            .ok_or_else(Error::missing_token)?;
        let value = value_of(input.secret_string, input.secret_binary)?;
        let found = self.find(caller, &id)?;
        let now = self.now();
        let mut s = found.writable()?;
        let new_key = input
            .kms_key_id
            .as_deref()
            .and_then(|k| non_empty(Some(k.to_string())));
        if let Some(k) = &new_key {
            self.check_key_id(found.namespace(), k)?;
        }
        if value.is_some() || new_key.is_some() {
            // A new key re-encrypts AWSCURRENT and AWSPENDING under it.
            let key = new_key.as_deref().or(s.kms_key_id.as_deref());
            self.check_encrypt(caller, found.namespace(), key)?;
        }
        let version_id = match value {
            Some(value) => Some(put_current(&mut s, &token, value, now)?),
            None => None,
        };
        let mut changed = version_id.is_some();
        if let Some(d) = input.description {
            s.description = non_empty(Some(d));
            changed = true;
        }
        let mut rekeyed = false;
        if let Some(k) = input.kms_key_id {
            let k = non_empty(Some(k));
            rekeyed = k != s.kms_key_id;
            s.kms_key_id = k;
            changed = true;
        }
        if let Some(t) = input.type_ {
            s.secret_type = non_empty(Some(t));
            changed = true;
        }
        let mut ticket = Ticket::ready();
        if changed {
            s.touch_changed(now);
            let mut written: Vec<&str> = version_id.iter().map(String::as_str).collect();
            if rekeyed {
                // A new key re-encrypts AWSCURRENT and AWSPENDING under it; older versions
                // stay under the key they were written with.
                written.extend(
                    s.versions
                        .iter()
                        .filter(|v| {
                            v.value.is_some()
                                && (v.has_stage(AWSCURRENT) || v.has_stage(AWSPENDING))
                        })
                        .map(|v| v.id.as_str()),
                );
            }
            ticket = self.commit(&found, &s, &written);
        }
        let output = sm::UpdateSecretResponse {
            arn: Some(s.arn.clone()),
            name: Some(s.name.clone()),
            version_id,
        };
        Ok(Ack::new(output, ticket))
    }
}
