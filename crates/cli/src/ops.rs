//! The types of the client's operation tables. The tables themselves are generated from the
//! service models (`crate::generated::cli`): enough to parse AWS-CLI-style arguments and
//! build requests.

/// A member's type, as far as argument parsing needs it.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    Str,
    /// A time given as epoch seconds or ISO 8601, sent as epoch seconds.
    Time,
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
    /// The AWS CLI's spelling: `RotationLambdaARN` is `--rotation-lambda-arn`.
    pub flag: &'static str,
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
    /// The AWS CLI's command name: `GetSecretValue` is `get-secret-value`.
    pub command: &'static str,
    pub members: &'static [Member],
    /// REST method and path template; None for JSON 1.1 operations.
    pub http: Option<(&'static str, &'static str)>,
    pub paging: Option<Paging>,
    /// The member the client fills with a fresh UUID when it is not given.
    pub idempotency_token: Option<&'static str>,
    /// Where the answer holds timestamps: member names, `[]` for a list's members, `{}` for
    /// a map's values.
    pub timestamps: &'static [&'static [&'static str]],
}

pub use crate::tables::{CLOUDFORMATION, EVENTS, KMS, LAMBDA, SECRETSMANAGER, SSM, STS};

pub fn find<'a>(ops: &'a [Op], command: &str) -> Option<&'a Op> {
    ops.iter().find(|op| op.command == command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_the_aws_cli_spells_them() {
        let rotate = find(SECRETSMANAGER, "rotate-secret").unwrap();
        let flags: Vec<&str> = rotate.members.iter().map(|m| m.flag).collect();
        assert!(flags.contains(&"rotation-lambda-arn"), "{flags:?}");
        assert!(
            flags.contains(&"external-secret-rotation-role-arn"),
            "{flags:?}"
        );
        let batch = find(SECRETSMANAGER, "batch-get-secret-value").unwrap();
        assert_eq!(batch.members[0].flag, "secret-id-list");
        assert_eq!(SECRETSMANAGER.len(), 23);
        assert!(find(LAMBDA, "update-function-configuration").is_some());
    }
}
