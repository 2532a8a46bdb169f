//! GetSecretValue, PutSecretValue and BatchGetSecretValue: reading and writing values.

use super::listing::{decode_token, encode_token};
use super::model::{domain_filters, ts};
use super::{secret_id, token_in_use, value_of, Ack, Caller, Found, SecretsManager, Ticket};
use crate::domain::filter::matches_all;
use crate::domain::secret::Secret;
use crate::domain::versions::{PutOutcome, SecretValue, Version, AWSCURRENT};
use crate::generated::secretsmanager as sm;
use crate::generated::secretsmanager::{Error, ErrorCode, Result};
use crate::store::ScanOrder;

/// Picks the version a read asks for, with AWS's messages for each way it can be missing.
fn select<'a>(s: &'a Secret, version_id: Option<&str>, stage: Option<&str>) -> Result<&'a Version> {
    let no_value = |what: String| {
        Error::new(
            ErrorCode::ResourceNotFoundException,
            format!("Secrets Manager can't find the specified secret value for {what}"),
        )
    };
    if let Some(id) = version_id {
        let v = s
            .versions
            .get(id)
            .filter(|v| v.value.is_some())
            .ok_or_else(|| no_value(format!("VersionId: {id}")))?;
        if stage.is_some_and(|st| !v.has_stage(st)) {
            return Err(Error::invalid_request(
                "You provided a VersionStage that is not associated to the provided VersionId.",
            ));
        }
        return Ok(v);
    }
    let stage = stage.unwrap_or(AWSCURRENT);
    s.versions
        .with_stage(stage)
        .filter(|v| v.value.is_some())
        .ok_or_else(|| no_value(format!("staging label: {stage}")))
}

fn value_output(s: &Secret, v: &Version) -> sm::SecretValueEntry {
    let (string, binary) = match &v.value {
        Some(SecretValue::String(t)) => (Some(t.clone()), None),
        Some(SecretValue::Binary(b)) => (None, Some(b.clone())),
        None => (None, None),
    };
    sm::SecretValueEntry {
        arn: Some(s.arn.clone()),
        name: Some(s.name.clone()),
        version_id: Some(v.id.clone()),
        secret_binary: binary,
        secret_string: string,
        version_stages: Some(v.stages.clone()),
        created_date: Some(ts(v.created)),
    }
}

impl SecretsManager {
    /// Another account may read or write a secret only if it uses a customer KMS key.
    fn check_cross_account(caller: &Caller, found: &Found, s: &Secret) -> Result<()> {
        if found.namespace().account != caller.namespace.account && s.kms_key_id.is_none() {
            return Err(Error::invalid_request(
                "You can't access a secret from a different AWS account if you encrypt the \
                 secret with the default KMS service key.",
            ));
        }
        Ok(())
    }

    /// Reads one value and records the access (a write only when the day changed).
    fn read_value(
        &self,
        caller: &Caller,
        found: &Found,
        version_id: Option<&str>,
        stage: Option<&str>,
    ) -> Result<sm::SecretValueEntry> {
        let now = self.now();
        let (out, stale) = {
            let s = found.cell.read();
            if s.is_deleted() {
                return Err(Error::marked_for_deletion());
            }
            Self::check_cross_account(caller, found, &s)?;
            self.check_decrypt(caller, found.namespace(), s.kms_key_id.as_deref())?;
            let v = select(&s, version_id, stage)?;
            // Not while the database refuses writes: a change it cannot store would be put
            // back, and the read that made it would have to be made again.
            let stale =
                (s.access_is_stale(&v.id, now) && self.store.writable()).then(|| v.id.clone());
            (value_output(&s, v), stale)
        };
        if let Some(version_id) = stale {
            let mut s = found.cell.write();
            s.touch_accessed(&version_id, now);
            // Not awaited: an access date is bookkeeping, not an acknowledged write.
            let _ = self.commit(found, &s, &[]);
        }
        Ok(out)
    }

    fn batch_by_ids(&self, caller: &Caller, ids: &[String]) -> sm::BatchGetSecretValueResponse {
        let mut out = empty_batch();
        for id in ids {
            let result = self
                .find(caller, id)
                .and_then(|found| self.read_value(caller, &found, None, None));
            push_result(&mut out, id, result);
        }
        out
    }

    fn batch_by_filters(
        &self,
        caller: &Caller,
        filters: &[crate::domain::filter::Filter],
        limit: usize,
        next_token: Option<&str>,
    ) -> Result<sm::BatchGetSecretValueResponse> {
        let from = next_token.map(decode_token).transpose()?;
        let mut out = empty_batch();
        let Some(ns) = self.store.namespace(&caller.namespace) else {
            return Ok(out);
        };
        let mut page = Vec::with_capacity(limit);
        ns.scan(ScanOrder::Created, false, from.as_ref(), |key, cell| {
            let s = cell.read();
            if s.is_deleted() || !matches_all(filters, &s) {
                return true;
            }
            if page.len() == limit {
                out.next_token = Some(encode_token(&page_last(&page)));
                return false;
            }
            page.push((key.clone(), s.arn.clone()));
            true
        });
        for (_, arn) in page {
            let result = self
                .find(caller, &arn)
                .and_then(|found| self.read_value(caller, &found, None, None));
            push_result(&mut out, &arn, result);
        }
        Ok(out)
    }
}

fn page_last(page: &[(crate::store::ScanKey, String)]) -> crate::store::ScanKey {
    page.last().map(|(k, _)| k.clone()).unwrap_or_default()
}

/// AWS always sends both lists, empty or not.
fn empty_batch() -> sm::BatchGetSecretValueResponse {
    sm::BatchGetSecretValueResponse {
        secret_values: Some(Vec::new()),
        next_token: None,
        errors: Some(Vec::new()),
    }
}

fn push_result(
    out: &mut sm::BatchGetSecretValueResponse,
    id: &str,
    result: Result<sm::SecretValueEntry>,
) {
    match result {
        Ok(value) => out.secret_values.get_or_insert_default().push(value),
        Err(e) => out.errors.get_or_insert_default().push(sm::APIErrorType {
            secret_id: Some(id.to_string()),
            error_code: Some(e.code.as_str().to_string()),
            message: Some(e.message),
        }),
    }
}

fn dedup_keep_order(list: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    list.retain(|s| seen.insert(s.clone()));
}

impl sm::GetSecretValue for SecretsManager {
    fn get_secret_value(
        &self,
        caller: &Caller,
        input: sm::GetSecretValueRequest,
    ) -> Result<Ack<sm::GetSecretValueResponse>> {
        // The versions asked for are condition keys of the request, as on AWS.
        let mut keys = Vec::new();
        if let Some(stage) = input.version_stage.as_deref() {
            keys.push(("secretsmanager:VersionStage", stage));
        }
        if let Some(id) = input.version_id.as_deref() {
            keys.push(("secretsmanager:VersionId", id));
        }
        let found = self.find_with(caller, &secret_id(input.secret_id.clone())?, &keys)?;
        let v = self.read_value(
            caller,
            &found,
            input.version_id.as_deref(),
            input.version_stage.as_deref(),
        )?;
        Ok(Ack::ready(sm::GetSecretValueResponse {
            arn: v.arn,
            name: v.name,
            version_id: v.version_id,
            secret_binary: v.secret_binary,
            secret_string: v.secret_string,
            version_stages: v.version_stages,
            created_date: v.created_date,
        }))
    }
}

impl sm::PutSecretValue for SecretsManager {
    fn put_secret_value(
        &self,
        caller: &Caller,
        input: sm::PutSecretValueRequest,
    ) -> Result<Ack<sm::PutSecretValueResponse>> {
        let id = secret_id(input.secret_id)?;
        let token = input
            .client_request_token
            .ok_or_else(Error::missing_token)?;
        let value = value_of(input.secret_string, input.secret_binary)?.ok_or_else(|| {
            Error::invalid_request("You must provide either SecretString or SecretBinary.")
        })?;
        let mut stages = input
            .version_stages
            .unwrap_or_else(|| vec![AWSCURRENT.to_string()]);
        dedup_keep_order(&mut stages);
        let found = self.find(caller, &id)?;
        let now = self.now();
        let mut s = found.writable()?;
        Self::check_cross_account(caller, &found, &s)?;
        self.check_encrypt(caller, found.namespace(), s.kms_key_id.as_deref())?;
        let pending_before = s
            .versions
            .with_stage(crate::domain::versions::AWSPENDING)
            .map(|v| v.id.clone())
            .filter(|v| *v != token);
        let ticket = match s.versions.put(&token, value, &stages, now)? {
            PutOutcome::TokenInUse => return Err(token_in_use(&token, &s.arn)),
            PutOutcome::Unchanged => Ticket::ready(),
            PutOutcome::Created | PutOutcome::Filled => {
                s.touch_changed(now);
                self.commit(&found, &s, &[token.as_str()])
            }
        };
        // A new AWSCURRENT took AWSPENDING from a rotation's version: AWS records that.
        let abandoned = pending_before.is_some_and(|v| {
            s.versions
                .get(&v)
                .is_some_and(|x| !x.has_stage(crate::domain::versions::AWSPENDING))
        });
        if abandoned {
            self.listener()
                .service_event(found.namespace(), "RotationAbandoned", &s.arn);
        }
        // Every label now on the version: the first value of a secret created without one
        // gets AWSCURRENT as well as the labels asked for.
        let version_stages = s.versions.get(&token).map_or(stages, |v| v.stages.clone());
        let output = sm::PutSecretValueResponse {
            arn: Some(s.arn.clone()),
            name: Some(s.name.clone()),
            version_id: Some(token),
            version_stages: Some(version_stages),
        };
        Ok(Ack::new(output, ticket))
    }
}

impl sm::BatchGetSecretValue for SecretsManager {
    fn batch_get_secret_value(
        &self,
        caller: &Caller,
        input: sm::BatchGetSecretValueRequest,
    ) -> Result<Ack<sm::BatchGetSecretValueResponse>> {
        let filters = domain_filters(input.filters.as_deref())?;
        let ids = input.secret_id_list.as_deref();
        match (ids, input.filters.is_some()) {
            (Some(ids), false) => {
                if input.max_results.is_some() {
                    return Err(Error::invalid_parameter(
                        "MaxResults can only be used together with Filters.",
                    ));
                }
                Ok(Ack::ready(self.batch_by_ids(caller, ids)))
            }
            (None, true) => {
                let limit = input
                    .max_results
                    .map_or(20, |n| usize::try_from(n).unwrap_or(20));
                self.batch_by_filters(caller, &filters, limit, input.next_token.as_deref())
                    .map(Ack::ready)
            }
            _ => Err(Error::invalid_parameter(
                "Either 'SecretIdList' or 'Filters' must be provided, but not both.",
            )),
        }
    }
}
