//! `cargo codegen`: writes the generated code (`crates/wire/src/generated/`, and the client's
//! `crates/cli/src/tables.rs`) from the reduced AWS service models kept in `codegen/models/`. `cargo codegen --check` fails when the committed files differ from what
//! it would write. `cargo codegen models [DIR]` refreshes `codegen/models/` from a full model
//! directory (`../shared/spec` by default; see [`reduce`]).

mod cli;
mod conformance;
mod model;
mod ops;
mod reduce;
mod shapes;

use model::Model;
use std::fmt::Write;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

/// One served service: where its model is, and which of its operations LocalEmu serves.
struct Entry {
    module: &'static str,
    title: &'static str,
    model: &'static str,
    /// None: every operation of the model.
    operations: Option<&'static [&'static str]>,
    /// Paging for models that come without a paginators file:
    /// (operation, [input token, output token, limit, result]).
    paging: &'static [(&'static str, [&'static str; 4])],
    /// The modelled code the service answers its own internal failures with (None: the
    /// protocol's `InternalFailure`).
    internal: Option<&'static str>,
}

const SERVICES: &[Entry] = &[
    Entry {
        module: "secretsmanager",
        title: "Secrets Manager",
        model: "secretsmanager/2017-10-17",
        operations: None,
        internal: Some("InternalServiceError"),
        paging: &[],
    },
    Entry {
        module: "lambda",
        title: "Lambda",
        model: "lambda/2015-03-31",
        operations: Some(&[
            "AddPermission",
            "CreateFunction",
            "DeleteFunction",
            "GetFunction",
            "GetFunctionConfiguration",
            "GetPolicy",
            "Invoke",
            "ListFunctions",
            "RemovePermission",
            "UpdateFunctionCode",
            "UpdateFunctionConfiguration",
        ]),
        internal: Some("ServiceException"),
        paging: &[(
            "ListFunctions",
            ["Marker", "NextMarker", "MaxItems", "Functions"],
        )],
    },
    Entry {
        module: "sts",
        title: "STS",
        model: "sts/2011-06-15",
        operations: Some(&[
            "AssumeRole",
            "AssumeRoleWithSAML",
            "AssumeRoleWithWebIdentity",
            "DecodeAuthorizationMessage",
            "GetAccessKeyInfo",
            "GetCallerIdentity",
            "GetFederationToken",
            "GetSessionToken",
        ]),
        internal: None,
        paging: &[],
    },
    Entry {
        module: "kms",
        title: "KMS",
        model: "kms/2014-11-01",
        operations: Some(&[
            "CancelKeyDeletion",
            "CreateAlias",
            "CreateGrant",
            "CreateKey",
            "Decrypt",
            "DeleteAlias",
            "DeleteImportedKeyMaterial",
            "DescribeKey",
            "DisableKey",
            "DisableKeyRotation",
            "EnableKey",
            "EnableKeyRotation",
            "Encrypt",
            "GenerateDataKey",
            "GenerateDataKeyPair",
            "GenerateDataKeyPairWithoutPlaintext",
            "GenerateDataKeyWithoutPlaintext",
            "GenerateMac",
            "GenerateRandom",
            "GetKeyPolicy",
            "GetKeyRotationStatus",
            "GetParametersForImport",
            "GetPublicKey",
            "ImportKeyMaterial",
            "ListAliases",
            "ListGrants",
            "ListKeyPolicies",
            "ListKeyRotations",
            "ListKeys",
            "ListResourceTags",
            "ListRetirableGrants",
            "PutKeyPolicy",
            "ReEncrypt",
            "ReplicateKey",
            "RetireGrant",
            "RevokeGrant",
            "RotateKeyOnDemand",
            "ScheduleKeyDeletion",
            "Sign",
            "TagResource",
            "UntagResource",
            "UpdateAlias",
            "UpdateKeyDescription",
            "UpdatePrimaryRegion",
            "Verify",
            "VerifyMac",
        ]),
        internal: Some("KMSInternalException"),
        paging: &[],
    },
    Entry {
        module: "ssm",
        title: "SSM Parameter Store",
        model: "ssm/2014-11-06",
        operations: Some(&[
            "AddTagsToResource",
            "DeleteParameter",
            "DeleteParameters",
            "DescribeParameters",
            "GetParameter",
            "GetParameterHistory",
            "GetParameters",
            "GetParametersByPath",
            "LabelParameterVersion",
            "ListTagsForResource",
            "PutParameter",
            "RemoveTagsFromResource",
            "UnlabelParameterVersion",
        ]),
        internal: Some("InternalServerError"),
        paging: &[],
    },
    Entry {
        module: "cloudformation",
        title: "CloudFormation",
        model: "cloudformation/2010-05-15",
        operations: Some(&[
            "CreateChangeSet",
            "CreateStack",
            "DeleteChangeSet",
            "DeleteStack",
            "DescribeChangeSet",
            "DescribeStackEvents",
            "DescribeStackResource",
            "DescribeStackResources",
            "DescribeStacks",
            "ExecuteChangeSet",
            "GetTemplate",
            "GetTemplateSummary",
            "ListChangeSets",
            "ListStackResources",
            "ListStacks",
            "GetStackPolicy",
            "SetStackPolicy",
            "UpdateStack",
            "UpdateTerminationProtection",
            "ValidateTemplate",
        ]),
        internal: None,
        paging: &[],
    },
    Entry {
        module: "events",
        title: "EventBridge",
        model: "events/2015-10-07",
        operations: Some(&[
            "CancelReplay",
            "CreateApiDestination",
            "CreateArchive",
            "CreateConnection",
            "CreateEventBus",
            "DeauthorizeConnection",
            "DeleteApiDestination",
            "DeleteArchive",
            "DeleteConnection",
            "DeleteEventBus",
            "DeleteRule",
            "DescribeApiDestination",
            "DescribeArchive",
            "DescribeConnection",
            "DescribeEventBus",
            "DescribeReplay",
            "DescribeRule",
            "DisableRule",
            "EnableRule",
            "ListApiDestinations",
            "ListArchives",
            "ListConnections",
            "ListEventBuses",
            "ListReplays",
            "ListRuleNamesByTarget",
            "ListRules",
            "ListTagsForResource",
            "ListTargetsByRule",
            "PutEvents",
            "PutPermission",
            "PutRule",
            "PutTargets",
            "RemovePermission",
            "RemoveTargets",
            "StartReplay",
            "TagResource",
            "TestEventPattern",
            "UntagResource",
            "UpdateApiDestination",
            "UpdateArchive",
            "UpdateConnection",
            "UpdateEventBus",
        ]),
        internal: Some("InternalException"),
        paging: &[],
    },
];

fn header(title: &str, what: &str, from: &str) -> String {
    format!(
        "//! {title}: {what}.\n\
         // @generated by `cargo codegen` from {from}. Do not edit: change the model entry or the\n\
         // generator in `codegen/` and run `cargo codegen` again.\n\n"
    )
}

fn service(spec: &Path, e: &Entry, cli_out: &mut String) -> Result<String, String> {
    let m = Model::load(&spec.join(e.model))?;
    let ops: Vec<String> = match e.operations {
        Some(list) => list.iter().map(|s| (*s).to_string()).collect(),
        None => m.operations.keys().cloned().collect(),
    };
    let mut out = header(
        e.title,
        "wire shapes, operations, constraint checks and dispatch",
        &format!("{}/service-2.json", e.model),
    );
    let protocol = m.protocol().to_string();
    match protocol.as_str() {
        "json" => {
            writeln!(
                out,
                "/// The `X-Amz-Target` prefix: `{}.<Operation>`.",
                m.meta("targetPrefix")
            )
            .ok();
            writeln!(
                out,
                "pub const TARGET_PREFIX: &str = \"{}.\";\n",
                m.meta("targetPrefix")
            )
            .ok();
        }
        "rest-json" => {}
        "query" => {
            writeln!(
                out,
                "/// The XML namespace of this service's answers.\npub const XMLNS: &str = {:?};\n",
                m.meta("xmlNamespace")
            )
            .ok();
            writeln!(
                out,
                "/// The API version query requests name.\npub const API_VERSION: &str = {:?};\n",
                m.meta("apiVersion")
            )
            .ok();
        }
        other => {
            return Err(format!(
                "{}: protocol {other} is not generated yet",
                e.model
            ))
        }
    }
    ops::emit_enum(&ops, &mut out);
    emit_errors(&m, e.internal, &mut out)?;
    if protocol == "json" {
        ops::emit_json(&m, &ops, &mut out);
    } else if protocol == "query" {
        ops::emit_query(&m, &ops, &mut out);
    } else {
        ops::emit_rest(&m, &ops, &mut out)?;
    }
    let rest = protocol == "rest-json";
    let reachable = m.reachable(&ops)?;
    writeln!(
        out,
        "/// The model's patterns, for checks that report them beyond the generated ones."
    )
    .ok();
    writeln!(out, "pub mod patterns {{").ok();
    for name in &reachable {
        if let Some(p) = m.shape(name)?["pattern"].as_str() {
            writeln!(
                out,
                "    pub const {}: &str = {p:?};",
                model::split_case(name, '_').to_uppercase()
            )
            .ok();
        }
    }
    writeln!(out, "}}\n").ok();
    for name in reachable {
        if model::kind(m.shape(&name)?) == "structure" {
            shapes::emit_struct(&m, &name, rest, &mut out)?;
            if protocol == "query" {
                shapes::emit_query_impls(&m, &name, &mut out)?;
            }
        }
    }
    cli::emit(&m, &e.module.to_uppercase(), &ops, e.paging, cli_out)?;
    Ok(out)
}

/// The service's modelled errors as its own `ErrorCode` enum, each with its HTTP status (the
/// model's, else 500 for a fault and 400 for the rest), and the service's `Error` and `Result`.
fn emit_errors(m: &Model, internal: Option<&str>, out: &mut String) -> Result<(), String> {
    let mut errors: Vec<(String, u64, Option<String>)> = m
        .shapes
        .iter()
        .filter(|(_, s)| s["exception"].as_bool() == Some(true))
        .map(|(name, s)| {
            let default = if s["fault"].as_bool() == Some(true) {
                500
            } else {
                400
            };
            // The member the message travels in: AWS writes `message` or `Message` as the
            // shape spells it (KMS and most of Parameter Store's in lower case).
            let message = s["members"].as_object().and_then(|ms| {
                ms.keys()
                    .find(|k| k.eq_ignore_ascii_case("message"))
                    .cloned()
            });
            (
                // Query services answer with the code the model gives, not the shape name.
                s["error"]["code"].as_str().unwrap_or(name).to_string(),
                s["error"]["httpStatusCode"].as_u64().unwrap_or(default),
                message,
            )
        })
        .collect();
    errors.sort();
    errors.dedup_by(|a, b| a.0 == b.0);
    // The service's usual spelling, for its codes without a message member and for the
    // errors its front end answers itself.
    let lower = errors
        .iter()
        .filter(|e| e.2.as_deref() == Some("message"))
        .count();
    let upper = errors
        .iter()
        .filter(|e| e.2.as_deref() == Some("Message"))
        .count();
    let usual = if lower > upper { "message" } else { "Message" };
    if let Some(code) = internal {
        if !errors.iter().any(|(name, ..)| name == code) {
            return Err(format!("internal code {code} is not in the model"));
        }
    }
    writeln!(
        out,
        "/// The errors the model gives this service: the only codes its handlers can answer with,"
    )
    .ok();
    writeln!(
        out,
        "/// besides the ones every front end shares (`crate::error::Common`)."
    )
    .ok();
    writeln!(out, "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]").ok();
    writeln!(out, "pub enum ErrorCode {{").ok();
    for (name, ..) in &errors {
        writeln!(out, "    {name},").ok();
    }
    writeln!(out, "}}\n").ok();
    writeln!(out, "impl ErrorCode {{").ok();
    writeln!(
        out,
        "    pub const ALL: [ErrorCode; {}] = [{}];",
        errors.len(),
        errors
            .iter()
            .map(|(n, ..)| format!("ErrorCode::{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
    .ok();
    writeln!(out, "}}\n").ok();
    writeln!(out, "impl crate::error::Code for ErrorCode {{").ok();
    writeln!(
        out,
        "    const INTERNAL: ::std::option::Option<&'static str> = {internal:?};"
    )
    .ok();
    writeln!(
        out,
        "    fn as_str(self) -> &'static str {{\n        match self {{"
    )
    .ok();
    for (name, ..) in &errors {
        writeln!(out, "            ErrorCode::{name} => {name:?},").ok();
    }
    writeln!(out, "        }}\n    }}\n").ok();
    writeln!(out, "    fn status(self) -> u16 {{\n        match self {{").ok();
    for (name, status, _) in &errors {
        writeln!(out, "            ErrorCode::{name} => {status},").ok();
    }
    writeln!(out, "        }}\n    }}\n").ok();
    writeln!(out, "    const MESSAGE: &'static str = {usual:?};\n").ok();
    let other: Vec<&str> = errors
        .iter()
        .filter(|e| e.2.as_deref().is_some_and(|m| m != usual))
        .map(|e| e.0.as_str())
        .collect();
    if !other.is_empty() {
        writeln!(
            out,
            "    fn message_member(self) -> &'static str {{\n        match self {{\n            {} => {:?},\n            _ => Self::MESSAGE,\n        }}\n    }}",
            other
                .iter()
                .map(|n| format!("ErrorCode::{n}"))
                .collect::<Vec<_>>()
                .join(" | "),
            if usual == "message" { "Message" } else { "message" }
        )
        .ok();
    }
    writeln!(out, "}}\n").ok();
    writeln!(out, "/// A failure this service answers with.").ok();
    writeln!(out, "pub type Error = crate::error::Error<ErrorCode>;").ok();
    writeln!(
        out,
        "pub type Result<T, E = Error> = ::std::result::Result<T, E>;"
    )
    .ok();
    writeln!(
        out,
        "/// What a handler returns: its output and the ticket of its change."
    )
    .ok();
    writeln!(out, "pub type Answer<O> = Result<crate::wire::Ack<O>>;\n").ok();
    Ok(())
}

fn rustfmt(text: &str) -> Result<String, String> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2021", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("rustfmt: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| format!("rustfmt: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt: {e}"))?;
    if !out.status.success() {
        return Err("rustfmt rejected the generated code".into());
    }
    String::from_utf8(out.stdout).map_err(|e| format!("rustfmt: {e}"))
}

/// Where the services' generated code goes (the wire crate), relative to the workspace.
const GENERATED: &str = "crates/wire/src/generated";
/// The client's command tables (the client's crate).
const CLI_TABLES: &str = "crates/cli/src/tables.rs";
/// AWS's protocol test cases as wire structures (the wire crate's tests).
const CONFORMANCE: &str = "crates/wire/src/conformance/cases.rs";

fn generate(spec: &Path) -> Result<Vec<(String, String)>, String> {
    let mut files = Vec::new();
    let mut cli_out = header(
        "The client's command and flag tables",
        "one `Op` per served operation",
        "the service models",
    );
    cli_out.push_str("use crate::ops::{Loc, Member, Op, Paging, Ty};\n\n");
    let mut modules = header(
        "Code written by `cargo codegen` from the AWS service models",
        "one module per served service",
        "the generator's service list",
    );
    let mut signing = Vec::new();
    for e in SERVICES {
        files.push((
            format!("{GENERATED}/{}.rs", e.module),
            service(spec, e, &mut cli_out)?,
        ));
        writeln!(modules, "pub mod {};", e.module).ok();
        let m = Model::load(&spec.join(e.model))?;
        let name = match m.meta("signingName") {
            "" => m.meta("endpointPrefix"),
            n => n,
        };
        signing.push(format!("{name:?}"));
    }
    writeln!(
        modules,
        "\n/// The signing names of the services served, in the generator's order.\npub const SIGNING_NAMES: [&str; {}] = [{}];",
        signing.len(),
        signing.join(", ")
    )
    .ok();
    files.push((CLI_TABLES.into(), cli_out));
    let cases = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance/botocore");
    files.push((CONFORMANCE.into(), conformance::emit(&cases)?));
    files.push((format!("{GENERATED}/mod.rs"), modules));
    files
        .into_iter()
        .map(|(name, text)| Ok((name, rustfmt(&text)?)))
        .collect()
}

/// `cargo codegen models [DIR]`: writes the reduced copy of every served model.
fn refresh_models(from: &Path, to: &Path) -> ExitCode {
    for e in SERVICES {
        let files = match reduce::reduce(&from.join(e.model)) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("codegen: {e}");
                return ExitCode::FAILURE;
            }
        };
        let dir = to.join(e.model);
        for (name, text) in files {
            if let Err(err) =
                std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join(&name), text))
            {
                eprintln!("codegen: {}: {err}", dir.join(&name).display());
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let models = root.join("codegen/models");
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("models") {
        let from = args
            .get(1)
            .map_or_else(|| root.join("../shared/spec"), PathBuf::from);
        return refresh_models(&from, &models);
    }
    let spec = std::env::var_os("LOCALEMU_SPEC").map_or(models, PathBuf::from);
    let check = args.iter().any(|a| a == "--check");
    let target = root;
    let files = match generate(&spec) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("codegen: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stale = Vec::new();
    for (name, text) in &files {
        let path = target.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        if check {
            stale.push(name.clone());
        } else if let Err(e) = std::fs::create_dir_all(path.parent().unwrap_or(&target))
            .and_then(|()| std::fs::write(&path, text))
        {
            eprintln!("codegen: {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    if !stale.is_empty() {
        eprintln!(
            "codegen: {} differ from the models; run `cargo codegen` and commit",
            stale.join(", ")
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
