//! Resource policies: PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy and
//! ValidateResourcePolicy, checked with the IAM grammar of the `policy` module.

use super::check_secret_id_member;
use super::deletion::ArnAndName;
use super::{Ack, Caller, SecretsManager};
use crate::domain::validate::{check_secret_id, Violations};
use crate::error::{Error, ErrorCode, Result};
use crate::policy::{self, MAX_POLICY_LEN};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutResourcePolicyInput {
    pub secret_id: Option<String>,
    pub resource_policy: Option<String>,
    pub block_public_policy: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetResourcePolicyOutput {
    #[serde(rename = "ARN")]
    pub arn: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ValidateResourcePolicyInput {
    pub secret_id: Option<String>,
    pub resource_policy: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ValidationErrorsEntry {
    pub check_name: String,
    pub error_message: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ValidateResourcePolicyOutput {
    pub policy_validation_passed: bool,
    pub validation_errors: Vec<ValidationErrorsEntry>,
}

/// Check names reported by ValidateResourcePolicy.
pub const SYNTAX_CHECK: &str = "IAM_POLICY_SYNTAX_CHECK";
pub const PUBLIC_ACCESS_CHECK: &str = "BROAD_ACCESS_CHECK";

fn check_policy_member(policy: Option<&str>) -> Result<String> {
    let mut v = Violations::new();
    if policy.is_none() {
        v.missing("resourcePolicy");
    }
    v.length("resourcePolicy", policy, 1, MAX_POLICY_LEN);
    v.finish()?;
    Ok(policy.unwrap_or_default().to_string())
}

pub(crate) fn replica_refused() -> Error {
    Error::invalid_parameter(
        "Operation not permitted on a replica secret. Call must be made in primary secret's region.",
    )
}

impl SecretsManager {
    pub fn put_resource_policy(
        &self,
        caller: &Caller,
        input: PutResourcePolicyInput,
    ) -> Result<Ack<ArnAndName>> {
        let text = check_policy_member(input.resource_policy.as_deref())?;
        let id = check_secret_id_member(input.secret_id.as_deref())?;
        let parsed = policy::parse(&text).map_err(|errors| {
            Error::new(
                ErrorCode::MalformedPolicyDocumentException,
                errors.join(" "),
            )
        })?;
        if input.block_public_policy.unwrap_or(false) && parsed.is_public() {
            return Err(Error::new(
                ErrorCode::PublicPolicyException,
                "The BlockPublicPolicy parameter is set to true, and the resource policy did not \
                 prevent broad access to the secret.",
            ));
        }
        self.change_policy(caller, &id, Some(text))
    }

    pub fn delete_resource_policy(
        &self,
        caller: &Caller,
        input: super::model::SecretIdInput,
    ) -> Result<Ack<ArnAndName>> {
        let id = check_secret_id_member(input.secret_id.as_deref())?;
        self.change_policy(caller, &id, None)
    }

    fn change_policy(
        &self,
        caller: &Caller,
        id: &str,
        policy: Option<String>,
    ) -> Result<Ack<ArnAndName>> {
        let found = self.find(caller, id)?;
        let mut s = found.writable()?;
        s.resource_policy = policy;
        s.touch_changed(self.now());
        let ticket = self.commit(&found, &s, &[]);
        let output = ArnAndName {
            arn: s.arn.clone(),
            name: s.name.clone(),
        };
        Ok(Ack::new(output, ticket))
    }

    pub fn get_resource_policy(
        &self,
        caller: &Caller,
        input: super::model::SecretIdInput,
    ) -> Result<GetResourcePolicyOutput> {
        let id = check_secret_id_member(input.secret_id.as_deref())?;
        let found = self.find(caller, &id)?;
        let s = found.cell.read();
        Ok(GetResourcePolicyOutput {
            arn: s.arn.clone(),
            name: s.name.clone(),
            resource_policy: s.resource_policy.clone(),
        })
    }

    pub fn validate_resource_policy(
        &self,
        caller: &Caller,
        input: ValidateResourcePolicyInput,
    ) -> Result<ValidateResourcePolicyOutput> {
        let text = check_policy_member(input.resource_policy.as_deref())?;
        let mut v = Violations::new();
        v.length("secretId", input.secret_id.as_deref(), 1, 2048);
        v.finish()?;
        if let Some(id) = input.secret_id.as_deref() {
            check_secret_id(id)?;
            self.find(caller, id)?;
        }
        let entry = |check: &str, message: String| ValidationErrorsEntry {
            check_name: check.to_string(),
            error_message: message,
        };
        let errors = match policy::parse(&text) {
            Err(problems) => problems
                .into_iter()
                .map(|m| entry(SYNTAX_CHECK, m))
                .collect(),
            Ok(p) if p.is_public() => vec![entry(
                PUBLIC_ACCESS_CHECK,
                "The resource policy grants access to everyone. Narrow it with a condition such \
                 as aws:SourceAccount, aws:PrincipalAccount or aws:PrincipalOrgID."
                    .to_string(),
            )],
            Ok(_) => Vec::new(),
        };
        Ok(ValidateResourcePolicyOutput {
            policy_validation_passed: errors.is_empty(),
            validation_errors: errors,
        })
    }
}
