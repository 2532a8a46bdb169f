//! `/aws/reference/secretsmanager/<secret>[:<version id or stage>]`: Parameter Store names
//! that read a Secrets Manager secret, as the caller, and answer it as a SecureString.

use super::Ssm;
use crate::domain::caller::Caller;
use crate::error::Kind;
use crate::generated::secretsmanager::{self as sm, handlers::GetSecretValue};
use crate::generated::ssm as g;
use crate::generated::ssm::{Error, ErrorCode, Result};

pub const PREFIX: &str = "/aws/reference/secretsmanager/";

pub fn is_reference(name: &str) -> bool {
    name.starts_with(PREFIX)
}

/// What AWS answers for an operation that reference names do not support.
pub fn unsupported(op: &str) -> Error {
    Error::validation(format!(
        "{op} is not supported for parameters that reference Secrets Manager secrets (names \
         beginning with {PREFIX})."
    ))
}

/// The secret id and the selector after it; an ARN carries seven parts before its selector.
fn split(rest: &str) -> (String, Option<String>) {
    if rest.starts_with("arn:") {
        let parts: Vec<&str> = rest.splitn(8, ':').collect();
        return match parts.as_slice() {
            [head @ .., sel] if parts.len() == 8 => (head.join(":"), Some((*sel).to_string())),
            _ => (rest.to_string(), None),
        };
    }
    match rest.rsplit_once(':') {
        Some((id, sel)) => (id.to_string(), Some(sel.to_string())),
        None => (rest.to_string(), None),
    }
}

/// A version id has the shape of a UUID; anything else selects a staging label.
fn is_version_id(s: &str) -> bool {
    s.len() == 36 && s.bytes().filter(|b| *b == b'-').count() == 4
}

impl Ssm {
    pub(super) fn reference(&self, cx: &Caller, id: &str, decrypt: bool) -> Result<g::Parameter> {
        if !decrypt {
            return Err(Error::validation(
                "WithDecryption flag must be True for retrieving a Secret Manager secret.",
            ));
        }
        let (secret_id, selector) = split(&id[PREFIX.len()..]);
        let mut request = sm::GetSecretValueRequest {
            secret_id: Some(secret_id),
            ..Default::default()
        };
        match &selector {
            Some(s) if is_version_id(s) => request.version_id = Some(s.clone()),
            Some(s) => request.version_stage = Some(s.clone()),
            None => {}
        }
        crate::wire::check(&request).map_err(|e| wrapped(e.into(), id))?;
        // Read as the caller, under the secret's own rules (its policy, its key).
        let caller = cx.clone().acting("secretsmanager:GetSecretValue".into());
        let out = self
            .secrets
            .get_secret_value(&caller, request)
            .map_err(|e| wrapped(e, id))?
            .output;
        let value = match (&out.secret_string, &out.secret_binary) {
            (Some(s), _) => s.clone(),
            (None, Some(b)) => {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.encode(b)
            }
            (None, None) => String::new(),
        };
        let source = source_result(&out)?;
        Ok(g::Parameter {
            name: Some(id.to_string()),
            type_: Some("SecureString".into()),
            value: Some(value),
            version: Some(0),
            selector: selector.map(|s| format!(":{s}")),
            source_result: Some(source),
            last_modified_date: out.created_date,
            arn: out.arn,
            data_type: Some("text".into()),
        })
    }
}

/// SourceResult: the GetSecretValue answer as Parameter Store writes it, its members named
/// in lower camel case except `ARN`.
fn source_result(out: &sm::GetSecretValueResponse) -> Result<String> {
    let value = serde_json::to_value(out).map_err(|e| Error::internal().because(e))?;
    let serde_json::Value::Object(members) = value else {
        return Err(Error::internal());
    };
    let renamed: serde_json::Map<String, serde_json::Value> = members
        .into_iter()
        .map(|(k, v)| {
            if k == "ARN" {
                return (k, v);
            }
            let mut chars = k.chars();
            let first = chars.next().map(|c| c.to_ascii_lowercase());
            (first.into_iter().chain(chars).collect(), v)
        })
        .collect();
    serde_json::to_string(&renamed).map_err(|e| Error::internal().because(e))
}

/// Secrets Manager's refusal as Parameter Store passes it on for the reference `id`.
/// A missing secret is a missing parameter; Secrets Manager's other refusals are invalid
/// references, and the shared kinds (access, internal) pass as they are.
fn wrapped(e: sm::Error, id: &str) -> Error {
    let message = format!(
        "An error occurred ({}) when referencing Secrets Manager: {}",
        e.code.as_str(),
        e.message
    );
    match e.code {
        Kind::Modeled(sm::ErrorCode::ResourceNotFoundException) => Error::new(
            ErrorCode::ParameterNotFound,
            format!("Secret {id} not found."),
        ),
        Kind::Modeled(_) => Error::validation(message),
        Kind::Common(c) => Error::common(c, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_selectors() {
        assert_eq!(split("db"), ("db".into(), None));
        assert_eq!(
            split("db:AWSPREVIOUS"),
            ("db".into(), Some("AWSPREVIOUS".into()))
        );
        let arn = "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf";
        assert_eq!(split(arn), (arn.into(), None));
        assert_eq!(
            split(&format!("{arn}:AWSCURRENT")),
            (arn.into(), Some("AWSCURRENT".into()))
        );
        assert!(is_version_id("00000000-0000-4000-8000-000000000001"));
        assert!(!is_version_id("AWSCURRENT"));
    }
}
