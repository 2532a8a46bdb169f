//! `awsemu secretsmanager ...` and `awsemu lambda ...`: a client that takes the AWS CLI's
//! commands, flags and output options and speaks the public wire protocol.

pub mod admin_client;
mod deploy;
mod http;
pub mod ops;
pub mod output;
pub mod params;
mod profile;
mod query;
pub mod rotations;
pub mod shorthand;
#[allow(
    clippy::all,
    clippy::pedantic,
    reason = "written by `cargo codegen` from the models: its shape follows them, not style lints"
)]
pub mod tables;

use localemu_wire::{generated, outbound};

use aws_credential_types::Credentials;
use ops::{Op, Ty};
use serde_json::{json, Map, Value};

/// The AWS CLI's exit codes.
pub const USAGE: i32 = 252;
pub const SERVICE_ERROR: i32 = 254;
pub const OTHER_ERROR: i32 = 255;

/// The client's services: the AWS CLI names them as their signing names.
pub const SERVICES: [&str; 7] = crate::generated::SIGNING_NAMES;

fn service_ops(service: &str) -> Option<&'static [Op]> {
    match service {
        "secretsmanager" => Some(ops::SECRETSMANAGER),
        "lambda" => Some(ops::LAMBDA),
        "sts" => Some(ops::STS),
        "kms" => Some(ops::KMS),
        "ssm" => Some(ops::SSM),
        "cloudformation" => Some(ops::CLOUDFORMATION),
        "events" => Some(ops::EVENTS),
        _ => None,
    }
}

fn usage_error(message: &str) -> i32 {
    eprintln!(
        "\nusage: awsemu [options] <command> <subcommand> [<subcommand> ...] [parameters]\n\
         To see help text, you can run:\n\n  awsemu help\n  awsemu <command> help\n  \
         awsemu <command> <subcommand> help\n\nawsemu: error: {message}\n"
    );
    USAGE
}

fn choices(list: impl Iterator<Item = String>) -> String {
    list.collect::<Vec<_>>().join("\n  ")
}

/// The commands of `awsemu` itself, besides the AWS-CLI-style services.
pub const EMULATOR_COMMANDS: [&str; 6] =
    ["start", "state", "clock", "rotations", "reset", "health"];

/// Global options given before the command (`awsemu --region eu-west-1 secretsmanager ...`),
/// as the AWS CLI takes them: returns them and the index of the command word.
pub fn leading_globals(args: &[String]) -> (Vec<String>, usize) {
    let mut globals = Vec::new();
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let name = arg.split_once('=').map_or(arg.as_str(), |(n, _)| n);
        let takes_value =
            params::VALUE_GLOBALS.contains(&name) || params::IGNORED_VALUE_GLOBALS.contains(&name);
        if takes_value && !arg.contains('=') {
            globals.extend(args[i..(i + 2).min(args.len())].iter().cloned());
            i += 2;
        } else if takes_value || params::FLAG_GLOBALS.contains(&name) {
            globals.push(arg.clone());
            i += 1;
        } else {
            break;
        }
    }
    (globals, i)
}

/// The closest of `candidates` to `word`, if one is close enough to be what was meant.
pub fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let here = row[j + 1];
                row[j + 1] = (prev + usize::from(ca != *cb))
                    .min(row[j] + 1)
                    .min(here + 1);
                prev = here;
            }
        }
        row[b.len()]
    }
    candidates
        .map(|c| (distance(word, c), c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// An unknown command word: exit 252 with the valid choices and the closest one.
pub fn unknown_command(word: &str) -> i32 {
    let all = SERVICES.iter().chain(EMULATOR_COMMANDS.iter()).copied();
    let hint = closest(word, all.clone())
        .map(|c| format!("\n\nDid you mean: {c}?"))
        .unwrap_or_default();
    usage_error(&format!(
        "argument command: Invalid choice '{word}', valid choices are:\n\n  {}{hint}",
        choices(all.map(str::to_string))
    ))
}

pub fn help_root() -> String {
    format!(
        "awsemu: a local AWS Secrets Manager emulator, and a client that takes the AWS CLI's commands.\n\n\
         usage: awsemu <command> [<subcommand>] [parameters]\n\n\
         Emulator commands:\n  start          serve the emulator (see `awsemu start --help`)\n  \
         state          export or import persisted state\n  clock          show or move the emulator's clock\n  \
         rotations      list recent rotations\n  reset          wipe all state of a running emulator\n\nAWS-CLI-style commands (see `awsemu <command> help`):\n  {}\n",
        SERVICES.join("\n  ")
    )
}

fn help_service(service: &str, list: &[Op]) -> String {
    format!(
        "awsemu {service} <subcommand> [parameters]\n\nAvailable subcommands:\n  {}\n  help\n",
        choices(list.iter().map(|op| op.command.to_string()))
    )
}

fn type_name(ty: Ty) -> &'static str {
    match ty {
        Ty::Str => "string",
        Ty::Time => "timestamp",
        Ty::Int => "integer",
        Ty::Bool => "boolean",
        Ty::Blob => "blob",
        Ty::List(_) => "list",
        Ty::Struct(_) => "structure",
        Ty::Map(_) => "map",
    }
}

fn help_op(service: &str, op: &Op) -> String {
    let mut lines = vec![format!("awsemu {service} {}\n\nOptions:", op.command)];
    for m in op.members {
        let flag = match m.ty {
            Ty::Bool => format!("--{0} | --no-{0}", m.flag),
            _ => format!("--{} <value>", m.flag),
        };
        let flag = if m.required {
            flag
        } else {
            format!("[{flag}]")
        };
        lines.push(format!("  {flag:<60} ({})", type_name(m.ty)));
    }
    if op.name == "CreateFunction" {
        lines.push(format!("  {:<60} (blob)", "[--zip-file <value>]"));
    }
    if op.name == "Invoke" {
        lines.push("  <outfile>                                                    (where the payload is written)".into());
    }
    lines.push(
        "\nGlobal options: --query, --output json|text|table|yaml|yaml-stream, --region, --profile, --endpoint-url, \
                --max-items, --starting-token, --page-size, --no-paginate, --cli-binary-format"
            .into(),
    );
    lines.join("\n") + "\n"
}

/// Where and as whom a command goes, resolved as the AWS CLI resolves it: flags, then the
/// environment, then the selected profile of the shared configuration files.
fn target(service: &'static str, g: &params::Globals, p: &profile::Profile) -> http::Target {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let service_var = match service {
        "lambda" => "AWS_ENDPOINT_URL_LAMBDA",
        "sts" => "AWS_ENDPOINT_URL_STS",
        "kms" => "AWS_ENDPOINT_URL_KMS",
        "ssm" => "AWS_ENDPOINT_URL_SSM",
        "cloudformation" => "AWS_ENDPOINT_URL_CLOUDFORMATION",
        "events" => "AWS_ENDPOINT_URL_EVENTBRIDGE",
        _ => "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    };
    let endpoint = g
        .endpoint_url
        .clone()
        .or_else(|| env(service_var))
        .or_else(|| env("AWS_ENDPOINT_URL"))
        .or_else(|| p.endpoint_url.clone())
        .unwrap_or_else(|| "http://localhost:4566".into());
    let region = g
        .region
        .clone()
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .or_else(|| p.region.clone())
        .unwrap_or_else(|| "us-east-1".into());
    // A profile named with --profile wins over keys in the environment, as in the AWS CLI.
    let from_env = env("AWS_ACCESS_KEY_ID").zip(env("AWS_SECRET_ACCESS_KEY"));
    let from_profile = p.access_key_id.clone().zip(p.secret_access_key.clone());
    let credentials = match (g.profile.is_some(), from_env, from_profile) {
        (true, _, Some((key, secret))) | (false, None, Some((key, secret))) => {
            Credentials::new(key, secret, p.session_token.clone(), None, "profile")
        }
        (_, Some((key, secret)), _) => {
            Credentials::new(key, secret, env("AWS_SESSION_TOKEN"), None, "environment")
        }
        (_, None, None) => Credentials::new("test", "test", None, None, "default"),
    };
    http::Target {
        endpoint,
        region,
        service,
        credentials,
        debug: g.debug,
    }
}

/// Runs `awsemu <service> <args...>`; returns the process exit code.
pub async fn run(service: &str, args: &[String]) -> i32 {
    let Some(list) = service_ops(service) else {
        return usage_error(&format!(
            "argument command: Invalid choice, valid choices are:\n\n  {}",
            SERVICES.join("\n  ")
        ));
    };
    let service: &'static str = SERVICES
        .iter()
        .find(|s| **s == service)
        .copied()
        .unwrap_or("secretsmanager");
    let Some(command) = args.first().filter(|c| c.as_str() != "help") else {
        print!("{}", help_service(service, list));
        return 0;
    };
    if service == "cloudformation" && command == "deploy" {
        return deploy::run(&args[1..], |g, p| target(service, g, p)).await;
    }
    let Some(op) = ops::find(list, command) else {
        let mut names: Vec<String> = list.iter().map(|op| op.command.to_string()).collect();
        if service == "cloudformation" {
            names.push("deploy".into());
            names.sort();
        }
        let hint = closest(command, names.iter().map(String::as_str))
            .map(|c| format!("\n\nDid you mean: {c}?"))
            .unwrap_or_default();
        return usage_error(&format!(
            "argument operation: Invalid choice '{command}', valid choices are:\n\n  {}{hint}",
            choices(names.iter().cloned())
        ));
    };
    let rest = &args[1..];
    if rest.first().map(String::as_str) == Some("help") {
        print!("{}", help_op(service, op));
        return 0;
    }
    let mut parsed = match params::parse(op, rest) {
        Ok(p) => p,
        Err(message) => return usage_error(&message),
    };
    if let Some(field) = op.idempotency_token {
        parsed
            .input
            .entry(field.to_string())
            .or_insert_with(|| Value::String(uuid::Uuid::new_v4().to_string()));
    }
    let outfile = if op.name == "Invoke" {
        match parsed.positional.first() {
            Some(f) => Some(f.clone()),
            None => return usage_error("the following arguments are required: outfile"),
        }
    } else if let Some(extra) = parsed.positional.first() {
        return usage_error(&format!("Unknown options: {extra}"));
    } else {
        None
    };
    let g = parsed.globals.clone();
    if let Some(q) = &g.query {
        if let Err(e) = jmespath::compile(&quote_bare_literals(q)) {
            return usage_error(&format!("argument --query: Bad value for --query {q}: {e}"));
        }
    }
    let profile = match profile::load(g.profile.as_deref()).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("\n{e}");
            return OTHER_ERROR;
        }
    };
    let t = target(service, &g, &profile);
    let result = match outfile {
        Some(file) => invoke(&t, op, &parsed.input, &file).await,
        None => http::paginate(&t, op, parsed.input, &g).await,
    };
    match result {
        Ok(value) => print_result(value, op, &g),
        Err(http::CallError::Service(code, message)) => {
            eprintln!(
                "\nAn error occurred ({code}) when calling the {} operation: {message}",
                op.name
            );
            SERVICE_ERROR
        }
        Err(http::CallError::Other(message)) => {
            eprintln!("\n{message}");
            OTHER_ERROR
        }
    }
}

/// Invoke writes the payload to a file and prints the call's metadata, as the AWS CLI does.
async fn invoke(
    t: &http::Target,
    op: &Op,
    input: &Map<String, Value>,
    file: &str,
) -> Result<Value, http::CallError> {
    let answer = http::send(t, op, input).await?;
    let header = |name: &str| {
        answer
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    if answer.status >= 300 {
        let body: Value = serde_json::from_slice(&answer.body).unwrap_or_default();
        let message = body["message"]
            .as_str()
            .or(body["Message"].as_str())
            .unwrap_or_default()
            .to_string();
        return Err(http::CallError::Service(
            header("x-amzn-errortype").unwrap_or_default(),
            message,
        ));
    }
    std::fs::write(file, &answer.body)
        .map_err(|e| http::CallError::Other(format!("cannot write {file}: {e}")))?;
    let mut out = Map::new();
    out.insert("StatusCode".into(), json!(answer.status));
    if let Some(e) = header("x-amz-function-error") {
        out.insert("FunctionError".into(), json!(e));
    }
    if let Some(l) = header("x-amz-log-result") {
        out.insert("LogResult".into(), json!(l));
    }
    if let Some(v) = header("x-amz-executed-version") {
        out.insert("ExecutedVersion".into(), json!(v));
    }
    Ok(Value::Object(out))
}

fn print_result(mut value: Value, op: &Op, g: &params::Globals) -> i32 {
    output::readable_times(&mut value, op.timestamps);
    let value = match &g.query {
        Some(q) => match query(q, &value) {
            Ok(v) => v,
            Err(e) => {
                return usage_error(&format!("argument --query: Bad value for --query {q}: {e}"))
            }
        },
        None => value,
    };
    // The AWS CLI prints nothing for an answer without members.
    if g.query.is_none() && value.as_object().is_some_and(Map::is_empty) {
        return 0;
    }
    let format = g
        .output
        .clone()
        .or_else(|| std::env::var("AWS_DEFAULT_OUTPUT").ok())
        .unwrap_or_else(|| "json".into());
    if !(format == "text" && value.is_null()) {
        print!("{}", output::render(&value, &format, op.name));
    }
    0
}

/// Python's JMESPath (and so the AWS CLI) reads a backtick literal that is not JSON, such as
/// `` `AWSCURRENT` ``, as a string; quote such literals before compiling.
fn quote_bare_literals(expression: &str) -> String {
    let mut out = String::with_capacity(expression.len() + 8);
    let mut rest = expression;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('`') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let literal = &after[..end];
        out.push('`');
        if serde_json::from_str::<Value>(literal).is_ok() {
            out.push_str(literal);
        } else {
            out.push_str(&Value::String(literal.to_string()).to_string());
        }
        out.push('`');
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Applies a JMESPath expression.
pub fn query(expression: &str, value: &Value) -> Result<Value, String> {
    let expr = jmespath::compile(&quote_bare_literals(expression)).map_err(|e| e.to_string())?;
    let data = jmespath::Variable::from_json(&value.to_string()).map_err(|e| e.clone())?;
    let result = expr.search(data).map_err(|e| e.to_string())?;
    serde_json::to_value(&*result).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jmespath_queries() {
        let v = json!({"Versions": [{"VersionId": "a", "VersionStages": ["AWSPREVIOUS"]}, {"VersionId": "b", "VersionStages": ["AWSCURRENT"]}]});
        assert_eq!(
            query(
                "Versions[?contains(VersionStages, `AWSCURRENT`)].VersionId | [0]",
                &v
            )
            .unwrap(),
            json!("b")
        );
        assert_eq!(
            query("Versions[].{Id:VersionId}", &v).unwrap(),
            json!([{"Id": "a"}, {"Id": "b"}])
        );
        assert!(query("Versions[", &v).is_err());
    }

    #[test]
    fn help_lists_operations_and_flags() {
        assert!(help_service("secretsmanager", ops::SECRETSMANAGER).contains("get-secret-value"));
        let op = ops::find(ops::SECRETSMANAGER, "delete-secret").unwrap();
        let h = help_op("secretsmanager", op);
        assert!(
            h.contains("--secret-id <value>")
                && h.contains(
                    "[--force-delete-without-recovery | --no-force-delete-without-recovery]"
                )
        );
    }
}
