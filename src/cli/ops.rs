//! The types of the client's operation tables. The tables themselves are generated from the
//! service models (`crate::generated::cli`): enough to parse AWS-CLI-style arguments and
//! build requests.

/// A member's type, as far as argument parsing needs it.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    Str,
    Int,
    Bool,
    Blob,
    List(&'static Ty),
    Struct(&'static [Member]),
    Map(&'static Ty),
}

/// Where a Lambda (REST) member travels; Secrets Manager members are all in the JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loc {
    Body,
    Uri,
    Query(&'static str),
    Header(&'static str),
    /// The raw request body (Invoke's Payload).
    Payload,
}

#[derive(Debug, Clone, Copy)]
pub struct Member {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
    pub loc: Loc,
}

/// How the client pages through a list operation.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub input_token: &'static str,
    pub output_token: &'static str,
    pub limit: &'static str,
    pub result: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct Op {
    pub name: &'static str,
    pub members: &'static [Member],
    /// REST method and path template; None for JSON 1.1 operations.
    pub http: Option<(&'static str, &'static str)>,
    pub paging: Option<Paging>,
    /// The member the client fills with a fresh UUID when it is not given.
    pub idempotency_token: Option<&'static str>,
}

pub use crate::generated::cli::{LAMBDA, SECRETSMANAGER};

/// `RotationLambdaARN` -> `rotation-lambda-arn`, as the AWS CLI names flags and commands.
pub fn kebab(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('-');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

pub fn find<'a>(ops: &'a [Op], command: &str) -> Option<&'a Op> {
    ops.iter().find(|op| kebab(op.name) == command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_the_aws_cli_spells_them() {
        assert_eq!(kebab("RotationLambdaARN"), "rotation-lambda-arn");
        assert_eq!(kebab("GetSecretValue"), "get-secret-value");
        assert_eq!(kebab("SecretIdList"), "secret-id-list");
        assert_eq!(kebab("KmsKeyId"), "kms-key-id");
        assert_eq!(
            kebab("ExternalSecretRotationRoleArn"),
            "external-secret-rotation-role-arn"
        );
        assert_eq!(SECRETSMANAGER.len(), 23);
        assert!(find(LAMBDA, "update-function-configuration").is_some());
    }
}
