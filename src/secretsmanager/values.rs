//! GetSecretValue, PutSecretValue and BatchGetSecretValue: reading and writing values.

use super::listing::{decode_token, encode_token};
use super::model::{check_filters, ts, WireFilter};
use super::{
    check_value_sizes, check_version_id, require, token_in_use, value_of, Ack, Caller, Found,
    SecretsManager,
};
use crate::domain::filter::matches_all;
use crate::domain::secret::Secret;
use crate::domain::validate::{check_secret_id, Violations};
use crate::domain::versions::{PutOutcome, SecretValue, Version, AWSCURRENT};
use crate::error::{Error, ErrorCode, Result};
use crate::store::durable::Ticket;
use crate::store::ScanOrder;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetSecretValueInput {
    pub secret_id: Option<String>,
    pub version_id: Option<String>,
    pub version_stage: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretValueOutput {
    #[serde(rename = "ARN")]
    pub arn: String,
    pub name: String,
    pub version_id: String,
    #[serde(skip_serializing_if = "Option::is_none", with = "super::model::blob")]
    pub secret_binary: Option<Vec<u8>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_string: Option<String>,
    pub version_stages: Vec<String>,
    pub created_date: f64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutSecretValueInput {
    pub secret_id: Option<String>,
    pub client_request_token: Option<String>,
    #[serde(default, with = "super::model::blob")]
    pub secret_binary: Option<Vec<u8>>,
    pub secret_string: Option<String>,
    pub version_stages: Option<Vec<String>>,
    pub rotation_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutSecretValueOutput {
    #[serde(rename = "ARN")]
    pub arn: String,
    pub name: String,
    pub version_id: String,
    pub version_stages: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetSecretValueInput {
    pub secret_id_list: Option<Vec<String>>,
    pub filters: Option<Vec<WireFilter>>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApiError {
    pub secret_id: String,
    pub error_code: String,
    pub message: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetSecretValueOutput {
    pub secret_values: Vec<SecretValueOutput>,
    pub errors: Vec<ApiError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

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

fn value_output(s: &Secret, v: &Version) -> SecretValueOutput {
    let (string, binary) = match &v.value {
        Some(SecretValue::String(t)) => (Some(t.clone()), None),
        Some(SecretValue::Binary(b)) => (None, Some(b.clone())),
        None => (None, None),
    };
    SecretValueOutput {
        arn: s.arn.clone(),
        name: s.name.clone(),
        version_id: v.id.clone(),
        secret_binary: binary,
        secret_string: string,
        version_stages: v.stages.clone(),
        created_date: ts(v.created),
    }
}

impl SecretsManager {
    /// Another account may read or write a secret only if it uses a customer KMS key.
    fn check_cross_account(&self, caller: &Caller, found: &Found, s: &Secret) -> Result<()> {
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
    ) -> Result<SecretValueOutput> {
        let now = self.now();
        let (out, stale) = {
            let s = found.cell.read();
            if s.is_deleted() {
                return Err(Error::marked_for_deletion());
            }
            self.check_cross_account(caller, found, &s)?;
            let v = select(&s, version_id, stage)?;
            (value_output(&s, v), s.access_is_stale(&v.id, now))
        };
        if stale {
            let mut s = found.cell.write();
            s.touch_accessed(&out.version_id, now);
            // Not awaited: an access date is bookkeeping, not an acknowledged write.
            let _ = found.ns.commit(&found.cell, &s, &[]);
        }
        Ok(out)
    }

    pub fn get_secret_value(
        &self,
        caller: &Caller,
        input: GetSecretValueInput,
    ) -> Result<SecretValueOutput> {
        let mut v = Violations::new();
        require(&mut v, "secretId", input.secret_id.is_some());
        v.length("secretId", input.secret_id.as_deref(), 1, 2048);
        check_version_id(&mut v, "versionId", input.version_id.as_deref());
        v.length("versionStage", input.version_stage.as_deref(), 1, 256);
        v.finish()?;
        let found = self.find(caller, input.secret_id.as_deref().unwrap_or_default())?;
        self.read_value(
            caller,
            &found,
            input.version_id.as_deref(),
            input.version_stage.as_deref(),
        )
    }

    pub fn put_secret_value(
        &self,
        caller: &Caller,
        input: PutSecretValueInput,
    ) -> Result<Ack<PutSecretValueOutput>> {
        let mut v = Violations::new();
        require(&mut v, "secretId", input.secret_id.is_some());
        v.length("secretId", input.secret_id.as_deref(), 1, 2048);
        check_version_id(
            &mut v,
            "clientRequestToken",
            input.client_request_token.as_deref(),
        );
        check_value_sizes(
            &mut v,
            input.secret_string.as_ref(),
            input.secret_binary.as_ref(),
        );
        let stages = input.version_stages.as_deref();
        v.list_len("versionStages", stages.map(<[String]>::len), 1, 20);
        for (i, st) in stages.unwrap_or_default().iter().enumerate() {
            v.length(&format!("versionStages.{}.member", i + 1), Some(st), 1, 256);
        }
        if let Some(t) = input.rotation_token.as_deref() {
            // Sensitive in the model: its length and pattern are checked, never echoed.
            v.sensitive_bytes("rotationToken", Some(t.chars().count()), 36, 256);
            let ok = !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            v.sensitive_pattern("rotationToken", "^[a-zA-Z0-9\\-]+$", ok);
        }
        v.finish()?;
        let id = input.secret_id.unwrap_or_default();
        check_secret_id(&id)?;
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
        self.check_cross_account(caller, &found, &s)?;
        let ticket = match s.versions.put(&token, value, &stages, now)? {
            PutOutcome::TokenInUse => return Err(token_in_use(&token, &s.arn)),
            PutOutcome::Unchanged => Ticket::ready(),
            PutOutcome::Created | PutOutcome::Filled => {
                s.touch_changed(now);
                self.commit(&found, &s, &[token.as_str()])
            }
        };
        // Every label now on the version: the first value of a secret created without one
        // gets AWSCURRENT as well as the labels asked for.
        let version_stages = s.versions.get(&token).map_or(stages, |v| v.stages.clone());
        let output = PutSecretValueOutput {
            arn: s.arn.clone(),
            name: s.name.clone(),
            version_id: token,
            version_stages,
        };
        Ok(Ack::new(output, ticket))
    }

    pub fn batch_get_secret_value(
        &self,
        caller: &Caller,
        input: BatchGetSecretValueInput,
    ) -> Result<BatchGetSecretValueOutput> {
        let mut v = Violations::new();
        let ids = input.secret_id_list.as_deref();
        v.list_len("secretIdList", ids.map(<[String]>::len), 1, 20);
        for (i, id) in ids.unwrap_or_default().iter().enumerate() {
            v.length(&format!("secretIdList.{}.member", i + 1), Some(id), 1, 2048);
        }
        let filters = check_filters(input.filters.as_deref().unwrap_or_default(), &mut v);
        v.range("maxResults", input.max_results, 1, 20);
        v.length("nextToken", input.next_token.as_deref(), 1, 4096);
        v.finish()?;
        super::model::require_filter_parts(input.filters.as_deref().unwrap_or_default())?;
        match (ids, input.filters.is_some()) {
            (Some(ids), false) => {
                if input.max_results.is_some() {
                    return Err(Error::invalid_parameter(
                        "MaxResults can only be used together with Filters.",
                    ));
                }
                Ok(self.batch_by_ids(caller, ids))
            }
            (None, true) => {
                let limit = input.max_results.unwrap_or(20) as usize;
                self.batch_by_filters(caller, &filters, limit, input.next_token.as_deref())
            }
            _ => Err(Error::invalid_parameter(
                "Either 'SecretIdList' or 'Filters' must be provided, but not both.",
            )),
        }
    }

    fn batch_by_ids(&self, caller: &Caller, ids: &[String]) -> BatchGetSecretValueOutput {
        let mut out = BatchGetSecretValueOutput {
            secret_values: Vec::new(),
            errors: Vec::new(),
            next_token: None,
        };
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
    ) -> Result<BatchGetSecretValueOutput> {
        let from = next_token.map(decode_token).transpose()?;
        let mut out = BatchGetSecretValueOutput {
            secret_values: Vec::new(),
            errors: Vec::new(),
            next_token: None,
        };
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

fn push_result(out: &mut BatchGetSecretValueOutput, id: &str, result: Result<SecretValueOutput>) {
    match result {
        Ok(value) => out.secret_values.push(value),
        Err(e) => out.errors.push(ApiError {
            secret_id: id.to_string(),
            error_code: e.code.as_str().to_string(),
            message: e.message,
        }),
    }
}

fn dedup_keep_order(list: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    list.retain(|s| seen.insert(s.clone()));
}
