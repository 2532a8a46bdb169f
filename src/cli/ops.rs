//! The operations the client knows, with their members and types, written out by hand from the
//! service models: enough to parse AWS-CLI-style arguments and build requests.

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

pub(super) const fn m(name: &'static str, ty: Ty) -> Member {
    Member {
        name,
        ty,
        required: false,
        loc: Loc::Body,
    }
}

pub(super) const fn req(name: &'static str, ty: Ty) -> Member {
    Member {
        name,
        ty,
        required: true,
        loc: Loc::Body,
    }
}

pub(super) const fn at(name: &'static str, ty: Ty, required: bool, loc: Loc) -> Member {
    Member {
        name,
        ty,
        required,
        loc,
    }
}

pub(super) const S: Ty = Ty::Str;
pub(super) const I: Ty = Ty::Int;
pub(super) const B: Ty = Ty::Bool;
pub(super) const STRINGS: Ty = Ty::List(&Ty::Str);
const TAGS: Ty = Ty::List(&Ty::Struct(&[m("Key", S), m("Value", S)]));
const FILTERS: Ty = Ty::List(&Ty::Struct(&[m("Key", S), m("Values", STRINGS)]));
const REPLICAS: Ty = Ty::List(&Ty::Struct(&[m("Region", S), m("KmsKeyId", S)]));
const RULES: Ty = Ty::Struct(&[
    m("AutomaticallyAfterDays", I),
    m("Duration", S),
    m("ScheduleExpression", S),
]);
const METADATA: Ty = Ty::List(&Ty::Struct(&[m("Key", S), m("Value", S)]));
const SECRET_ID: Member = req("SecretId", S);

const fn sm(name: &'static str, members: &'static [Member]) -> Op {
    Op {
        name,
        members,
        http: None,
        paging: None,
        idempotency_token: None,
    }
}

const fn sm_token(name: &'static str, members: &'static [Member]) -> Op {
    Op {
        name,
        members,
        http: None,
        paging: None,
        idempotency_token: Some("ClientRequestToken"),
    }
}

pub const SECRETSMANAGER: &[Op] = &[
    sm(
        "BatchGetSecretValue",
        &[
            m("SecretIdList", STRINGS),
            m("Filters", FILTERS),
            m("MaxResults", I),
            m("NextToken", S),
        ],
    ),
    sm("CancelRotateSecret", &[SECRET_ID]),
    sm_token(
        "CreateSecret",
        &[
            req("Name", S),
            m("ClientRequestToken", S),
            m("Description", S),
            m("KmsKeyId", S),
            m("SecretBinary", Ty::Blob),
            m("SecretString", S),
            m("Tags", TAGS),
            m("AddReplicaRegions", REPLICAS),
            m("ForceOverwriteReplicaSecret", B),
            m("Type", S),
        ],
    ),
    sm("DeleteResourcePolicy", &[SECRET_ID]),
    sm(
        "DeleteSecret",
        &[
            SECRET_ID,
            m("RecoveryWindowInDays", I),
            m("ForceDeleteWithoutRecovery", B),
        ],
    ),
    sm("DescribeSecret", &[SECRET_ID]),
    sm(
        "GetRandomPassword",
        &[
            m("PasswordLength", I),
            m("ExcludeCharacters", S),
            m("ExcludeNumbers", B),
            m("ExcludePunctuation", B),
            m("ExcludeUppercase", B),
            m("ExcludeLowercase", B),
            m("IncludeSpace", B),
            m("RequireEachIncludedType", B),
        ],
    ),
    sm("GetResourcePolicy", &[SECRET_ID]),
    sm(
        "GetSecretValue",
        &[SECRET_ID, m("VersionId", S), m("VersionStage", S)],
    ),
    sm(
        "ListSecretVersionIds",
        &[
            SECRET_ID,
            m("MaxResults", I),
            m("NextToken", S),
            m("IncludeDeprecated", B),
        ],
    ),
    Op {
        name: "ListSecrets",
        members: &[
            m("IncludePlannedDeletion", B),
            m("MaxResults", I),
            m("NextToken", S),
            m("Filters", FILTERS),
            m("SortOrder", S),
            m("SortBy", S),
        ],
        http: None,
        paging: Some(Paging {
            input_token: "NextToken",
            output_token: "NextToken",
            limit: "MaxResults",
            result: "SecretList",
        }),
        idempotency_token: None,
    },
    sm(
        "PutResourcePolicy",
        &[
            SECRET_ID,
            req("ResourcePolicy", S),
            m("BlockPublicPolicy", B),
        ],
    ),
    sm_token(
        "PutSecretValue",
        &[
            SECRET_ID,
            m("ClientRequestToken", S),
            m("SecretBinary", Ty::Blob),
            m("SecretString", S),
            m("VersionStages", STRINGS),
            m("RotationToken", S),
        ],
    ),
    sm(
        "RemoveRegionsFromReplication",
        &[SECRET_ID, req("RemoveReplicaRegions", STRINGS)],
    ),
    sm(
        "ReplicateSecretToRegions",
        &[
            SECRET_ID,
            req("AddReplicaRegions", REPLICAS),
            m("ForceOverwriteReplicaSecret", B),
        ],
    ),
    sm("RestoreSecret", &[SECRET_ID]),
    sm_token(
        "RotateSecret",
        &[
            SECRET_ID,
            m("ClientRequestToken", S),
            m("RotationLambdaARN", S),
            m("RotationRules", RULES),
            m("ExternalSecretRotationMetadata", METADATA),
            m("ExternalSecretRotationRoleArn", S),
            m("RotateImmediately", B),
        ],
    ),
    sm("StopReplicationToReplica", &[SECRET_ID]),
    sm("TagResource", &[SECRET_ID, req("Tags", TAGS)]),
    sm("UntagResource", &[SECRET_ID, req("TagKeys", STRINGS)]),
    sm_token(
        "UpdateSecret",
        &[
            SECRET_ID,
            m("ClientRequestToken", S),
            m("Description", S),
            m("KmsKeyId", S),
            m("SecretBinary", Ty::Blob),
            m("SecretString", S),
            m("Type", S),
        ],
    ),
    sm(
        "UpdateSecretVersionStage",
        &[
            SECRET_ID,
            req("VersionStage", S),
            m("RemoveFromVersionId", S),
            m("MoveToVersionId", S),
        ],
    ),
    sm(
        "ValidateResourcePolicy",
        &[m("SecretId", S), req("ResourcePolicy", S)],
    ),
];

pub use super::lambda_ops::LAMBDA;

/// `RotationLambdaARN` -> `rotation-lambda-arn`, as the AWS CLI names flags and commands.
pub fn kebab(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
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
