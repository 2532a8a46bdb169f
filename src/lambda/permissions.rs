//! A function's resource policy: AddPermission, GetPolicy, RemovePermission, and whether
//! Secrets Manager may invoke the function.

use super::{Lambda, Permission};
use crate::domain::Namespace;
use crate::generated::lambda as lm;
use crate::generated::lambda::{Error, ErrorCode, Result};
use crate::wire::Ticket;
use serde_json::{json, Value};

impl Lambda {
    pub fn add_permission(
        &self,
        caller: &Namespace,
        id: &str,
        input: lm::AddPermissionRequest,
    ) -> Result<(lm::AddPermissionResponse, Ticket)> {
        let derived = super::qualifier_in(id);
        if derived
            .zip(input.qualifier.as_deref())
            .is_some_and(|(d, q)| d != q)
        {
            return Err(invalid_parameter(
                "The derived qualifier from the function name does not match the specified qualifier.",
            ));
        }
        if input.qualifier.as_deref().or(derived) == Some("$LATEST") {
            return Err(invalid_parameter(
                "We currently do not support adding policies for $LATEST.",
            ));
        }
        if !valid_principal(input.principal.as_deref().unwrap_or_default()) {
            return Err(invalid_parameter(
                "The provided principal was invalid. Please check the principal and try again.",
            ));
        }
        let f = self.find(caller, id)?;
        let sid = input.statement_id.unwrap_or_default();
        let principal = input.principal.unwrap_or_default();
        let principal = if principal.contains('.') {
            json!({ "Service": principal })
        } else {
            json!({ "AWS": principal })
        };
        let mut statement = json!({
            "Sid": sid,
            "Effect": "Allow",
            "Principal": principal,
            "Action": input.action,
            "Resource": f.snapshot().config.arn,
        });
        let mut condition = serde_json::Map::new();
        if let Some(account) = input.source_account {
            condition.insert(
                "StringEquals".into(),
                json!({ "AWS:SourceAccount": account }),
            );
        }
        if let Some(arn) = input.source_arn {
            condition.insert("ArnLike".into(), json!({ "AWS:SourceArn": arn }));
        }
        if !condition.is_empty() {
            statement["Condition"] = Value::Object(condition);
        }
        let _gate = self.gate();
        f.update(|s| {
            super::functions::same_revision(&s.config, input.revision_id.as_deref(), "GetPolicy")?;
            if s.policy.iter().any(|st| st["Sid"] == sid.as_str()) {
                return Err(Error::new(
                    ErrorCode::ResourceConflictException,
                    format!(
                        "The statement id ({sid}) provided already exists. Please provide a new \
                         statement id, or remove the existing statement."
                    ),
                ));
            }
            s.policy.push(statement.clone());
            Ok(())
        })?;
        let output = lm::AddPermissionResponse {
            statement: Some(statement.to_string()),
        };
        Ok((output, self.save(&f)))
    }

    pub fn get_policy(&self, caller: &Namespace, id: &str) -> Result<lm::GetPolicyResponse> {
        let s = self.find(caller, id)?.snapshot();
        if s.policy.is_empty() {
            return Err(Error::new(
                ErrorCode::ResourceNotFoundException,
                "The resource you requested does not exist.",
            ));
        }
        let policy = json!({"Version": "2012-10-17", "Id": "default", "Statement": s.policy});
        Ok(lm::GetPolicyResponse {
            policy: Some(policy.to_string()),
            revision_id: Some(s.config.revision_id),
        })
    }

    pub fn remove_permission(
        &self,
        caller: &Namespace,
        id: &str,
        sid: &str,
        revision_id: Option<&str>,
    ) -> Result<Ticket> {
        let f = self.find(caller, id)?;
        let _gate = self.gate();
        f.update(|s| {
            super::functions::same_revision(&s.config, revision_id, "GetPolicy")?;
            let before = s.policy.len();
            s.policy.retain(|st| st["Sid"] != sid);
            if s.policy.len() == before {
                return Err(Error::new(
                    ErrorCode::ResourceNotFoundException,
                    format!("Statement {sid} is not found in resource policy."),
                ));
            }
            Ok(())
        })?;
        Ok(self.save(&f))
    }

    /// Whether `secretsmanager.amazonaws.com` may invoke the function named by `id`.
    pub fn secretsmanager_permission(&self, caller: &Namespace, id: &str) -> Permission {
        self.service_permission(caller, id, "secretsmanager.amazonaws.com")
    }

    /// Whether the function's policy lets the AWS service `principal` invoke it.
    pub fn service_permission(&self, caller: &Namespace, id: &str, principal: &str) -> Permission {
        let Ok(f) = self.find(caller, id) else {
            return Permission::Missing;
        };
        let allowed = f.snapshot().policy.iter().any(|s| {
            let named = s["Principal"]["Service"]
                .as_str()
                .or(s["Principal"].as_str());
            let action = s["Action"].as_str().unwrap_or_default();
            named.is_some_and(|n| n == principal || n == "*")
                && matches!(action, "lambda:InvokeFunction" | "lambda:*" | "*")
        });
        if allowed {
            Permission::Allowed
        } else {
            Permission::NotGranted
        }
    }
}

fn invalid_parameter(message: &str) -> Error {
    Error::new(ErrorCode::InvalidParameterValueException, message)
}

/// Whom a function policy may name: anyone (`*`), an account, an ARN, or an AWS service.
fn valid_principal(p: &str) -> bool {
    p == "*"
        || (p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()))
        || p.starts_with("arn:")
        || [".amazonaws.com", ".amazonaws.com.cn", ".amazon.com"]
            .iter()
            .any(|s| p.len() > s.len() && p.ends_with(s))
}
