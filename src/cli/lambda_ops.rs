//! The Lambda operations the client knows: members, where each travels (path, query, header,
//! body) and the REST method and path.

use super::ops::{at, m, req, Loc, Member, Op, Paging, Ty, B, I, S, STRINGS};

const FUNCTION: Member = at("FunctionName", S, true, Loc::Uri);
const QUALIFIER: Member = at("Qualifier", S, false, Loc::Query("Qualifier"));
const CODE: Ty = Ty::Struct(&[
    m("ZipFile", Ty::Blob),
    m("S3Bucket", S),
    m("S3Key", S),
    m("S3ObjectVersion", S),
    m("ImageUri", S),
]);
const ENVIRONMENT: Ty = Ty::Struct(&[m("Variables", Ty::Map(&Ty::Str))]);

const fn rest(
    name: &'static str,
    method: &'static str,
    path: &'static str,
    members: &'static [Member],
) -> Op {
    Op {
        name,
        members,
        http: Some((method, path)),
        paging: None,
        idempotency_token: None,
    }
}

pub const LAMBDA: &[Op] = &[
    rest(
        "AddPermission",
        "POST",
        "/2015-03-31/functions/{FunctionName}/policy",
        &[
            FUNCTION,
            req("StatementId", S),
            req("Action", S),
            req("Principal", S),
            m("SourceArn", S),
            m("SourceAccount", S),
            m("EventSourceToken", S),
            QUALIFIER,
            m("RevisionId", S),
        ],
    ),
    rest(
        "CreateFunction",
        "POST",
        "/2015-03-31/functions",
        &[
            req("FunctionName", S),
            m("Runtime", S),
            req("Role", S),
            m("Handler", S),
            req("Code", CODE),
            m("Description", S),
            m("Timeout", I),
            m("MemorySize", I),
            m("Publish", B),
            m("Environment", ENVIRONMENT),
            m("Tags", Ty::Map(&Ty::Str)),
            m("PackageType", S),
            m("Architectures", STRINGS),
        ],
    ),
    rest(
        "DeleteFunction",
        "DELETE",
        "/2015-03-31/functions/{FunctionName}",
        &[FUNCTION, QUALIFIER],
    ),
    rest(
        "GetFunction",
        "GET",
        "/2015-03-31/functions/{FunctionName}",
        &[FUNCTION, QUALIFIER],
    ),
    rest(
        "GetFunctionConfiguration",
        "GET",
        "/2015-03-31/functions/{FunctionName}/configuration",
        &[FUNCTION, QUALIFIER],
    ),
    rest(
        "GetPolicy",
        "GET",
        "/2015-03-31/functions/{FunctionName}/policy",
        &[FUNCTION, QUALIFIER],
    ),
    rest(
        "Invoke",
        "POST",
        "/2015-03-31/functions/{FunctionName}/invocations",
        &[
            FUNCTION,
            at(
                "InvocationType",
                S,
                false,
                Loc::Header("X-Amz-Invocation-Type"),
            ),
            at("LogType", S, false, Loc::Header("X-Amz-Log-Type")),
            at(
                "ClientContext",
                S,
                false,
                Loc::Header("X-Amz-Client-Context"),
            ),
            at("Payload", Ty::Blob, false, Loc::Payload),
            QUALIFIER,
        ],
    ),
    Op {
        name: "ListFunctions",
        members: &[
            at("MasterRegion", S, false, Loc::Query("MasterRegion")),
            at("FunctionVersion", S, false, Loc::Query("FunctionVersion")),
            at("Marker", S, false, Loc::Query("Marker")),
            at("MaxItems", I, false, Loc::Query("MaxItems")),
        ],
        http: Some(("GET", "/2015-03-31/functions/")),
        paging: Some(Paging {
            input_token: "Marker",
            output_token: "NextMarker",
            limit: "MaxItems",
            result: "Functions",
        }),
        idempotency_token: None,
    },
    rest(
        "RemovePermission",
        "DELETE",
        "/2015-03-31/functions/{FunctionName}/policy/{StatementId}",
        &[
            FUNCTION,
            at("StatementId", S, true, Loc::Uri),
            QUALIFIER,
            at("RevisionId", S, false, Loc::Query("RevisionId")),
        ],
    ),
    rest(
        "UpdateFunctionCode",
        "PUT",
        "/2015-03-31/functions/{FunctionName}/code",
        &[
            FUNCTION,
            m("ZipFile", Ty::Blob),
            m("S3Bucket", S),
            m("S3Key", S),
            m("S3ObjectVersion", S),
            m("ImageUri", S),
            m("Publish", B),
            m("DryRun", B),
            m("RevisionId", S),
            m("Architectures", STRINGS),
        ],
    ),
    rest(
        "UpdateFunctionConfiguration",
        "PUT",
        "/2015-03-31/functions/{FunctionName}/configuration",
        &[
            FUNCTION,
            m("Role", S),
            m("Handler", S),
            m("Description", S),
            m("Timeout", I),
            m("MemorySize", I),
            m("Environment", ENVIRONMENT),
            m("Runtime", S),
            m("RevisionId", S),
        ],
    ),
];
