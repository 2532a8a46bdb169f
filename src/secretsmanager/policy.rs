//! Resource policies: PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy and
//! ValidateResourcePolicy, checked with the IAM grammar of the `policy` module.

use super::{secret_id, Ack, Caller, SecretsManager};
use crate::generated::secretsmanager as sm;
use crate::generated::secretsmanager::{Error, ErrorCode, Result};
use crate::policy;

/// Check names reported by ValidateResourcePolicy.
pub const SYNTAX_CHECK: &str = "IAM_POLICY_SYNTAX_CHECK";
pub const PUBLIC_ACCESS_CHECK: &str = "BROAD_ACCESS_CHECK";

pub(crate) fn replica_refused() -> Error {
    Error::invalid_parameter(
        "Operation not permitted on a replica secret. Call must be made in primary secret's region.",
    )
}

impl SecretsManager {
    fn change_policy(
        &self,
        caller: &Caller,
        id: &str,
        policy: Option<String>,
    ) -> Result<(Option<String>, Option<String>, super::Ticket)> {
        let found = self.find(caller, id)?;
        let mut s = found.writable()?;
        s.resource_policy = policy;
        s.touch_changed(self.now());
        let ticket = self.commit(&found, &s, &[]);
        Ok((Some(s.arn.clone()), Some(s.name.clone()), ticket))
    }
}

impl sm::PutResourcePolicy for SecretsManager {
    fn put_resource_policy(
        &self,
        caller: &Caller,
        input: sm::PutResourcePolicyRequest,
    ) -> Result<Ack<sm::PutResourcePolicyResponse>> {
        let text = input.resource_policy.unwrap_or_default();
        let id = secret_id(input.secret_id)?;
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
        let (arn, name, ticket) = self.change_policy(caller, &id, Some(text))?;
        let output = sm::PutResourcePolicyResponse { arn, name };
        Ok(Ack::new(output, ticket))
    }
}

impl sm::DeleteResourcePolicy for SecretsManager {
    fn delete_resource_policy(
        &self,
        caller: &Caller,
        input: sm::DeleteResourcePolicyRequest,
    ) -> Result<Ack<sm::DeleteResourcePolicyResponse>> {
        let id = secret_id(input.secret_id)?;
        let (arn, name, ticket) = self.change_policy(caller, &id, None)?;
        let output = sm::DeleteResourcePolicyResponse { arn, name };
        Ok(Ack::new(output, ticket))
    }
}

impl sm::GetResourcePolicy for SecretsManager {
    fn get_resource_policy(
        &self,
        caller: &Caller,
        input: sm::GetResourcePolicyRequest,
    ) -> Result<Ack<sm::GetResourcePolicyResponse>> {
        let id = secret_id(input.secret_id)?;
        let found = self.find(caller, &id)?;
        let s = found.cell.read();
        Ok(Ack::ready(sm::GetResourcePolicyResponse {
            arn: Some(s.arn.clone()),
            name: Some(s.name.clone()),
            resource_policy: s.resource_policy.clone(),
        }))
    }
}

impl sm::ValidateResourcePolicy for SecretsManager {
    fn validate_resource_policy(
        &self,
        caller: &Caller,
        input: sm::ValidateResourcePolicyRequest,
    ) -> Result<Ack<sm::ValidateResourcePolicyResponse>> {
        let text = input.resource_policy.unwrap_or_default();
        if let Some(id) = input.secret_id {
            self.find(caller, &secret_id(Some(id))?)?;
        }
        let entry = |check: &str, message: String| sm::ValidationErrorsEntry {
            check_name: Some(check.to_string()),
            error_message: Some(message),
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
        Ok(Ack::ready(sm::ValidateResourcePolicyResponse {
            policy_validation_passed: Some(errors.is_empty()),
            validation_errors: Some(errors),
        }))
    }
}
