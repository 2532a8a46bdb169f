//! `awsemu cloudformation deploy`: the AWS CLI's high-level deploy, made of the stack API
//! (a change set, created, waited for and executed, then the stack waited for), with its
//! flags, messages and exit codes.

use super::http::{self, CallError, Target};
use super::params::Globals;
use serde_json::{json, Map, Value};
use std::time::Duration;

/// How often the waiters look (the AWS CLI waits 5 s; a local stack is quicker).
const POLL: Duration = Duration::from_millis(200);
/// Waiters give up after this long.
const PATIENCE: Duration = Duration::from_mins(30);

#[derive(Default)]
struct Args {
    template_file: Option<String>,
    stack_name: Option<String>,
    overrides: Vec<(String, String)>,
    capabilities: Vec<String>,
    tags: Vec<(String, String)>,
    execute: bool,
    fail_on_empty: bool,
    disable_rollback: bool,
    globals: Globals,
}

fn usage(message: &str) -> i32 {
    eprintln!(
        "\nusage: awsemu cloudformation deploy --template-file <value> --stack-name <value> \
         [--parameter-overrides <value> [<value>...]] [--capabilities <value> [<value>...]] \
         [--no-execute-changeset] [--fail-on-empty-changeset | --no-fail-on-empty-changeset] \
         [--tags <value> [<value>...]] [--disable-rollback]\nawsemu: error: {message}\n"
    );
    super::USAGE
}

fn pairs(values: &[String], flag: &str) -> Result<Vec<(String, String)>, String> {
    values
        .iter()
        .map(|v| {
            v.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| format!("{flag} {v} is not in Key=Value form"))
        })
        .collect()
}

fn parse(tokens: &[String]) -> Result<Args, String> {
    let mut a = Args {
        execute: true,
        // As the AWS CLI: an empty change set is an error unless told otherwise.
        fail_on_empty: true,
        ..Args::default()
    };
    let mut i = 0;
    while i < tokens.len() {
        let flag = tokens[i].as_str();
        let mut values = Vec::new();
        while let Some(v) = tokens.get(i + 1).filter(|t| !t.starts_with("--")) {
            values.push(v.clone());
            i += 1;
        }
        let one = || {
            values
                .first()
                .cloned()
                .ok_or_else(|| format!("argument {flag}: expected one argument"))
        };
        match flag {
            "--template-file" => a.template_file = Some(one()?),
            "--stack-name" => a.stack_name = Some(one()?),
            "--parameter-overrides" => a.overrides = pairs(&values, flag)?,
            "--capabilities" => a.capabilities.clone_from(&values),
            "--tags" => a.tags = pairs(&values, flag)?,
            "--no-execute-changeset" => a.execute = false,
            "--fail-on-empty-changeset" => a.fail_on_empty = true,
            "--no-fail-on-empty-changeset" => a.fail_on_empty = false,
            "--disable-rollback" => a.disable_rollback = true,
            // Accepted for compatibility; LocalEmu needs no bucket or role to deploy.
            "--s3-bucket"
            | "--s3-prefix"
            | "--kms-key-id"
            | "--role-arn"
            | "--notification-arns" => {}
            "--region" => a.globals.region = Some(one()?),
            "--endpoint-url" => a.globals.endpoint_url = Some(one()?),
            "--debug" => a.globals.debug = true,
            "--profile" => a.globals.profile = Some(one()?),
            "--output" | "--query" => {}
            other => return Err(format!("Unknown options: {other}")),
        }
        i += 1;
    }
    Ok(a)
}

async fn call(t: &Target, name: &str, input: Value) -> Result<Value, CallError> {
    let op = super::ops::find(super::ops::CLOUDFORMATION, name)
        .or_else(|| super::ops::CLOUDFORMATION.iter().find(|o| o.name == name))
        .ok_or_else(|| CallError::Other(format!("no operation {name}")))?;
    let input: Map<String, Value> = match input {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    http::call(t, op, &input).await
}

/// The stack's status, polled until it leaves every *_IN_PROGRESS state.
async fn wait_stack(t: &Target, name: &str) -> Result<String, CallError> {
    let start = std::time::Instant::now();
    loop {
        let v = call(t, "DescribeStacks", json!({ "StackName": name })).await?;
        let status = v["Stacks"][0]["StackStatus"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if !status.ends_with("_IN_PROGRESS") || start.elapsed() > PATIENCE {
            return Ok(status);
        }
        tokio::time::sleep(POLL).await;
    }
}

pub async fn run(
    tokens: &[String],
    target: impl Fn(&Globals, &super::profile::Profile) -> Target,
) -> i32 {
    let a = match parse(tokens) {
        Ok(a) => a,
        Err(e) => return usage(&e),
    };
    let (Some(file), Some(stack)) = (a.template_file.clone(), a.stack_name.clone()) else {
        return usage("the following arguments are required: --template-file, --stack-name");
    };
    let Ok(body) = std::fs::read_to_string(&file) else {
        eprintln!("\nInvalid template path {file}");
        return super::OTHER_ERROR;
    };
    let profile = match super::profile::load(a.globals.profile.as_deref()).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("\n{e}");
            return super::OTHER_ERROR;
        }
    };
    let t = target(&a.globals, &profile);
    match deploy(&t, &a, &stack, body).await {
        Ok(code) => code,
        Err(CallError::Service(code, message)) => {
            eprintln!("\nAn error occurred ({code}) when calling the CreateChangeSet operation: {message}");
            super::OTHER_ERROR
        }
        Err(CallError::Other(message)) => {
            eprintln!("\n{message}");
            super::OTHER_ERROR
        }
    }
}

async fn deploy(t: &Target, a: &Args, stack: &str, body: String) -> Result<i32, CallError> {
    let existing = match call(t, "DescribeStacks", json!({ "StackName": stack })).await {
        Ok(v) => Some(v["Stacks"][0].clone()),
        Err(CallError::Service(code, _)) if code == "ValidationError" => None,
        Err(e) => return Err(e),
    };
    let updating = existing
        .as_ref()
        .is_some_and(|s| s["StackStatus"].as_str() != Some("REVIEW_IN_PROGRESS"));
    // Parameters not overridden keep their previous values on an update, as the AWS CLI does.
    let summary = call(t, "GetTemplateSummary", json!({ "TemplateBody": body })).await?;
    let declared: Vec<String> = match &summary["Parameters"] {
        Value::Array(items) => items
            .iter()
            .filter_map(|p| p["ParameterKey"].as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let previous: Vec<String> = match existing.as_ref().map(|s| &s["Parameters"]) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|p| p["ParameterKey"].as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let mut parameters = Vec::new();
    for key in &declared {
        if let Some((_, v)) = a.overrides.iter().find(|(k, _)| k == key) {
            parameters.push(json!({ "ParameterKey": key, "ParameterValue": v }));
        } else if updating && previous.contains(key) {
            parameters.push(json!({ "ParameterKey": key, "UsePreviousValue": true }));
        }
    }
    let name = format!(
        "awsemu-cloudformation-deploy-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
    );
    let mut input = json!({
        "StackName": stack,
        "ChangeSetName": name,
        "ChangeSetType": if updating { "UPDATE" } else { "CREATE" },
        "TemplateBody": body,
        "Description": format!("Created by awsemu at {}", name.rsplit('-').next().unwrap_or_default()),
    });
    if !parameters.is_empty() {
        input["Parameters"] = Value::Array(parameters);
    }
    if !a.capabilities.is_empty() {
        input["Capabilities"] = json!(a.capabilities);
    }
    if !a.tags.is_empty() {
        input["Tags"] = Value::Array(
            a.tags
                .iter()
                .map(|(k, v)| json!({ "Key": k, "Value": v }))
                .collect(),
        );
    }
    let created = call(t, "CreateChangeSet", input).await?;
    let id = created["Id"].as_str().unwrap_or_default().to_string();
    println!("\nWaiting for changeset to be created..");
    let described = loop {
        let d = call(t, "DescribeChangeSet", json!({ "ChangeSetName": id })).await?;
        if !matches!(
            d["Status"].as_str(),
            Some("CREATE_PENDING" | "CREATE_IN_PROGRESS")
        ) {
            break d;
        }
        tokio::time::sleep(POLL).await;
    };
    if described["Status"].as_str() == Some("FAILED") {
        let reason = described["StatusReason"].as_str().unwrap_or_default();
        if reason.contains("didn't contain changes")
            || reason.contains("No updates are to be performed")
        {
            let message = format!("\nNo changes to deploy. Stack {stack} is up to date");
            if a.fail_on_empty {
                eprintln!("{message}");
                return Ok(super::OTHER_ERROR);
            }
            println!("{message}");
            return Ok(0);
        }
        eprintln!("\nFailed to create the changeset: Waiter ChangeSetCreateComplete failed: Waiter encountered a terminal failure state: For expression \"Status\" we matched expected path: \"FAILED\" Status: FAILED. Reason: {reason}");
        return Ok(super::OTHER_ERROR);
    }
    if !a.execute {
        println!(
            "Changeset created successfully. Run the following command to review changes:\nawsemu cloudformation describe-change-set --change-set-name {id}"
        );
        return Ok(0);
    }
    let mut exec = json!({ "ChangeSetName": id });
    if a.disable_rollback {
        exec["DisableRollback"] = json!(true);
    }
    call(t, "ExecuteChangeSet", exec).await?;
    println!("Waiting for stack create/update to complete");
    let status = wait_stack(t, stack).await?;
    let done = if updating {
        "UPDATE_COMPLETE"
    } else {
        "CREATE_COMPLETE"
    };
    if status == done {
        println!("Successfully created/updated stack - {stack}");
        Ok(0)
    } else {
        eprintln!(
            "\nFailed to create/update the stack. Run the following command\nto fetch the list of events leading up to the failure\nawsemu cloudformation describe-stack-events --stack-name {stack}"
        );
        Ok(super::OTHER_ERROR)
    }
}
