//! The Lambda subset through aws-sdk-lambda, with real function processes.

use crate::common::*;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Environment, InvocationType, LogType};
use aws_sdk_lambda::Client;
use base64::Engine;
use serde_json::{json, Value};

const PROBE: &[u8] = include_bytes!("fixtures/probe.py");

async fn probe(c: &Client, name: &str, env: &[(&str, &str)], timeout: i32) -> String {
    create_function(
        c,
        name,
        "python3.12",
        "probe.handler",
        &[("probe.py", PROBE, 0o644)],
        env,
        timeout,
    )
    .await
}

async fn call(c: &Client, name: &str, event: Value) -> (Value, Option<String>) {
    let out = c
        .invoke()
        .function_name(name)
        .payload(Blob::new(event.to_string()))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status_code(), 200);
    let payload: Value = serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap();
    (payload, out.function_error().map(str::to_string))
}

#[tokio::test]
async fn python_functions_run_with_the_lambda_environment() {
    let server = shared();
    let c = lambda_client(server.addr);
    let name = unique("fn-probe").replace('/', "-");
    let arn = probe(&c, &name, &[("MY_SETTING", "on")], 10).await;
    assert!(arn.ends_with(&format!(":function:{name}")));
    let (out, err) = call(&c, &name, json!({"hello": "world"})).await;
    assert_eq!(err, None, "{out}");
    assert_eq!(out["event"]["hello"], "world");
    assert_eq!(out["function"], name.as_str());
    assert_eq!(out["remaining_ok"], true);
    let env = &out["env"];
    assert_eq!(env["AWS_REGION"], REGION);
    assert_eq!(env["AWS_DEFAULT_REGION"], REGION);
    assert_eq!(env["_HANDLER"], "probe.handler");
    assert_eq!(env["MY_SETTING"], "on");
    // A session of the function's role, in its account.
    assert!(env["AWS_ACCESS_KEY_ID"]
        .as_str()
        .unwrap()
        .starts_with("ASIA"));
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "128");
    assert_eq!(
        env["AWS_ENDPOINT_URL"],
        format!("http://{}", server.addr).as_str()
    );
    assert!(env["AWS_LAMBDA_RUNTIME_API"]
        .as_str()
        .unwrap()
        .starts_with("127.0.0.1:"));
    let (again, _) = call(&c, &name, json!({})).await;
    assert_eq!(again["pid"], out["pid"], "a warm environment is reused");
}

#[tokio::test]
async fn function_errors_logs_and_invocation_types() {
    let c = lambda_client(shared().addr);
    let name = unique("fn-errors").replace('/', "-");
    probe(&c, &name, &[], 10).await;
    let (out, err) = call(&c, &name, json!({"action": "fail"})).await;
    assert_eq!(err.as_deref(), Some("Unhandled"));
    assert_eq!(out["errorType"], "ValueError");
    assert_eq!(out["errorMessage"], "probe failed");
    assert!(out["stackTrace"].is_array());

    let tail = c
        .invoke()
        .function_name(&name)
        .log_type(LogType::Tail)
        .payload(Blob::new(r#"{"action":"print"}"#))
        .send()
        .await
        .unwrap();
    let log = base64::engine::general_purpose::STANDARD
        .decode(tail.log_result().unwrap())
        .unwrap();
    let log = String::from_utf8(log).unwrap();
    assert!(log.starts_with("START RequestId: "), "{log}");
    assert!(log.contains("probe print"), "{log}");
    assert!(
        log.contains("END RequestId: ") && log.contains("REPORT RequestId: "),
        "{log}"
    );
    assert_eq!(tail.executed_version(), Some("$LATEST"));

    let event = c
        .invoke()
        .function_name(&name)
        .invocation_type(InvocationType::Event)
        .send()
        .await
        .unwrap();
    assert_eq!(event.status_code(), 202);
    let dry = c
        .invoke()
        .function_name(&name)
        .invocation_type(InvocationType::DryRun)
        .send()
        .await
        .unwrap();
    assert_eq!(dry.status_code(), 204);
}

#[tokio::test]
async fn timeouts_and_crashes_are_reported_and_recovered_from() {
    let c = lambda_client(shared().addr);
    let name = unique("fn-timeout").replace('/', "-");
    probe(&c, &name, &[], 1).await;
    let started = std::time::Instant::now();
    let (out, err) = call(&c, &name, json!({"action": "sleep", "seconds": 20})).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(err.as_deref(), Some("Unhandled"));
    assert_eq!(out["errorType"], "Sandbox.Timedout");
    assert!(out["errorMessage"]
        .as_str()
        .unwrap()
        .ends_with("Task timed out after 1.00 seconds"));
    // A generous timeout for the rest: a cold start on a busy machine can take a second.
    let name = unique("fn-crash").replace('/', "-");
    probe(&c, &name, &[], 20).await;
    let (out, err) = call(&c, &name, json!({"action": "crash"})).await;
    assert_eq!(err.as_deref(), Some("Unhandled"));
    assert_eq!(out["errorType"], "Runtime.ExitError");
    assert!(out["errorMessage"]
        .as_str()
        .unwrap()
        .ends_with("Runtime exited with error: exit status 7"));
    let (out, err) = call(&c, &name, json!({"after": "crash"})).await;
    assert_eq!(err, None);
    assert_eq!(out["event"]["after"], "crash");
}

#[tokio::test]
async fn initialisation_errors() {
    let c = lambda_client(shared().addr);
    let broken = unique("fn-broken").replace('/', "-");
    let files: &[(&str, &[u8], u32)] =
        &[("broken.py", include_bytes!("fixtures/broken.py"), 0o644)];
    create_function(&c, &broken, "python3.11", "broken.handler", files, &[], 5).await;
    let (out, err) = call(&c, &broken, json!({})).await;
    assert_eq!(err.as_deref(), Some("Unhandled"));
    assert_eq!(out["errorType"], "Runtime.ImportModuleError");
    assert!(out["errorMessage"]
        .as_str()
        .unwrap()
        .starts_with("Unable to import module 'broken'"));
    let missing = unique("fn-nohandler").replace('/', "-");
    create_function(
        &c,
        &missing,
        "python3.12",
        "probe.nothing",
        &[("probe.py", PROBE, 0o644)],
        &[],
        5,
    )
    .await;
    let (out, _) = call(&c, &missing, json!({})).await;
    assert_eq!(out["errorType"], "Runtime.HandlerNotFound");
    let no_bootstrap = unique("fn-nobootstrap").replace('/', "-");
    create_function(
        &c,
        &no_bootstrap,
        "provided.al2023",
        "x",
        &[("other", b"", 0o644)],
        &[],
        5,
    )
    .await;
    let (out, err) = call(&c, &no_bootstrap, json!({})).await;
    assert_eq!(err.as_deref(), Some("Unhandled"));
    assert_eq!(out["errorType"], "Runtime.InvalidEntrypoint");
}

#[tokio::test]
async fn node_and_custom_runtimes() {
    let c = lambda_client(shared().addr);
    let node = unique("fn-node").replace('/', "-");
    let code = b"export const handler = async (event, context) => ({ node: true, got: event, name: context.functionName });";
    create_function(
        &c,
        &node,
        "nodejs20.x",
        "index.handler",
        &[("index.mjs", code, 0o644)],
        &[],
        10,
    )
    .await;
    let (out, err) = call(&c, &node, json!({"x": 1})).await;
    assert_eq!(err, None, "{out}");
    assert_eq!(out["node"], true);
    assert_eq!(out["got"]["x"], 1);
    assert_eq!(out["name"], node.as_str());
    let thrower = unique("fn-node-err").replace('/', "-");
    let code = b"exports.handler = async () => { throw new TypeError('bad input'); };";
    create_function(
        &c,
        &thrower,
        "nodejs22.x",
        "lib/app.handler",
        &[("lib/app.js", code, 0o644)],
        &[],
        10,
    )
    .await;
    let (out, err) = call(&c, &thrower, json!({})).await;
    assert_eq!(err.as_deref(), Some("Unhandled"));
    assert_eq!(out["errorType"], "TypeError");
    assert_eq!(out["errorMessage"], "bad input");

    let shell = unique("fn-shell").replace('/', "-");
    let bootstrap = include_bytes!("fixtures/bootstrap.sh");
    create_function(
        &c,
        &shell,
        "provided.al2023",
        "ignored",
        &[("bootstrap", bootstrap, 0o755)],
        &[],
        10,
    )
    .await;
    let (out, err) = call(&c, &shell, json!({"k": "v"})).await;
    assert_eq!(err, None, "{out}");
    assert_eq!(out["echo"]["k"], "v");
}

#[tokio::test]
async fn management_operations() {
    let c = lambda_client(shared().addr);
    let prefix = unique("fnmgmt").replace('/', "-");
    for i in 0..3 {
        probe(&c, &format!("{prefix}-{i}"), &[], 10).await;
    }
    let name = format!("{prefix}-0");
    let got = c.get_function().function_name(&name).send().await.unwrap();
    let conf = got.configuration().unwrap();
    assert_eq!(
        conf.state().map(aws_sdk_lambda::types::State::as_str),
        Some("Active")
    );
    assert_eq!(
        conf.runtime().map(aws_sdk_lambda::types::Runtime::as_str),
        Some("python3.12")
    );
    assert!(conf.code_sha256().is_some() && conf.last_modified().is_some());
    let conf = c
        .get_function_configuration()
        .function_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(conf.timeout(), Some(10));

    let mut names = Vec::new();
    let mut marker = None;
    loop {
        let page = c
            .list_functions()
            .max_items(2)
            .set_marker(marker)
            .send()
            .await
            .unwrap();
        names.extend(
            page.functions()
                .iter()
                .map(|f| f.function_name().unwrap().to_string()),
        );
        marker = page.next_marker().map(str::to_string);
        if marker.is_none() {
            break;
        }
    }
    for i in 0..3 {
        assert!(names.contains(&format!("{prefix}-{i}")));
    }

    let (before, _) = call(&c, &name, json!({})).await;
    // A change made against another revision than the current one is refused.
    let stale = c
        .update_function_configuration()
        .function_name(&name)
        .description("stale")
        .revision_id("00000000-0000-0000-0000-000000000000")
        .send()
        .await;
    assert_eq!(
        err(stale),
        (
            "PreconditionFailedException".to_string(),
            "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id".to_string()
        )
    );
    let current = c
        .get_function()
        .function_name(&name)
        .send()
        .await
        .unwrap()
        .configuration
        .unwrap()
        .revision_id
        .unwrap();
    let stale = c
        .add_permission()
        .function_name(&name)
        .statement_id("stale")
        .action("lambda:InvokeFunction")
        .principal("events.amazonaws.com")
        .revision_id("00000000-0000-0000-0000-000000000000")
        .send()
        .await;
    assert_eq!(
        err(stale),
        (
            "PreconditionFailedException".to_string(),
            "The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id".to_string()
        )
    );
    c.update_function_configuration()
        .function_name(&name)
        .revision_id(current)
        .environment(
            Environment::builder()
                .variables("MY_SETTING", "changed")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let (after, _) = call(&c, &name, json!({})).await;
    assert_eq!(after["env"]["MY_SETTING"], "changed");
    assert_ne!(
        after["pid"], before["pid"],
        "a configuration change starts a new environment"
    );
    let new_code = String::from_utf8_lossy(PROBE)
        .replace("\"PROBE_VERSION\", \"1\"", "\"PROBE_VERSION\", \"2\"");
    c.update_function_code()
        .function_name(&name)
        .zip_file(Blob::new(zip_of(&[(
            "probe.py",
            new_code.as_bytes(),
            0o644,
        )])))
        .send()
        .await
        .unwrap();
    let (updated, _) = call(&c, &name, json!({})).await;
    assert_eq!(updated["version"], "2", "new code runs on the next invoke");

    c.delete_function()
        .function_name(&name)
        .send()
        .await
        .unwrap();
    let e = c
        .get_function()
        .function_name(&name)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err::<(), _>(Err(e)).0, "ResourceNotFoundException");
    let e = c.invoke().function_name(&name).send().await.unwrap_err();
    assert_eq!(err::<(), _>(Err(e)).0, "ResourceNotFoundException");
}

#[tokio::test]
async fn invalid_functions_are_refused() {
    use aws_sdk_lambda::types::{FunctionCode, Runtime};
    let c = lambda_client(shared().addr);
    let name = unique("fn-invalid").replace('/', "-");
    let zip = zip_of(&[("probe.py", PROBE, 0o644)]);
    let base = |rt: &str| {
        c.create_function()
            .function_name(&name)
            .runtime(Runtime::from(rt))
            .role(ROLE)
            .handler("probe.handler")
            .code(
                FunctionCode::builder()
                    .zip_file(Blob::new(zip.clone()))
                    .build(),
            )
    };
    let (code, _) = err(base("java21").send().await);
    assert_eq!(code, "InvalidParameterValueException");
    // A name longer than a function's is refused when made, and not found when looked up.
    let long = "a".repeat(65);
    let made = err(base("python3.12").function_name(&long).send().await);
    assert_eq!(
        made,
        (
            "InvalidParameterValueException".to_string(),
            format!("1 validation error detected: Value '{long}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64")
        )
    );
    let arn = format!("arn:aws:lambda:{REGION}:000000000000:function:{long}");
    let got = err(c.get_function().function_name(&long).send().await);
    assert_eq!(got.1, format!("Function not found: {arn}"));
    let invoked = err(c.invoke().function_name(&long).send().await);
    assert_eq!(invoked.1, format!("Function not found: {arn}:$LATEST"));
    assert_eq!(
        err(base("python3.7").send().await),
        (
            "InvalidParameterValueException".to_string(),
            "The runtime parameter of python3.7 is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.".to_string()
        )
    );
    let (code, msg) = err(base("python3.12")
        .environment(Environment::builder().variables("AWS_REGION", "x").build())
        .send()
        .await);
    assert_eq!(code, "InvalidParameterValueException");
    assert!(
        msg.ends_with("Reserved keys used in this request: AWS_REGION"),
        "{msg}"
    );
    let (code, _) = err(base("python3.12")
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(b"not a zip".to_vec()))
                .build(),
        )
        .send()
        .await);
    assert_eq!(code, "InvalidParameterValueException");
    // The newest runtimes run on the machine's interpreter too.
    base("python3.14").send().await.unwrap();
    let (out, error) = call(&c, &name, json!({})).await;
    assert_eq!(error, None, "{out}");
    let (code, msg) = err(base("python3.12").send().await);
    assert_eq!(code, "ResourceConflictException");
    assert_eq!(msg, format!("Function already exist: {name}"));
}

#[tokio::test]
async fn resource_policies() {
    let c = lambda_client(shared().addr);
    let name = unique("fn-policy").replace('/', "-");
    probe(&c, &name, &[], 3).await;
    let (code, _) = err(c.get_policy().function_name(&name).send().await);
    assert_eq!(code, "ResourceNotFoundException");
    c.add_permission()
        .function_name(&name)
        .statement_id("sm")
        .action("lambda:InvokeFunction")
        .principal("secretsmanager.amazonaws.com")
        .send()
        .await
        .unwrap();
    let (code, _) = err(c
        .add_permission()
        .function_name(&name)
        .statement_id("sm")
        .action("lambda:InvokeFunction")
        .principal("secretsmanager.amazonaws.com")
        .send()
        .await);
    assert_eq!(code, "ResourceConflictException");
    let refused = |id: String, qualifier: Option<&str>, principal: &str| {
        c.add_permission()
            .function_name(id)
            .set_qualifier(qualifier.map(str::to_string))
            .statement_id("other")
            .action("lambda:InvokeFunction")
            .principal(principal)
            .send()
    };
    for (id, qualifier, principal, message) in [
        (
            format!("{name}:1"),
            Some("2"),
            "s3.amazonaws.com",
            "The derived qualifier from the function name does not match the specified qualifier.",
        ),
        (
            format!("{name}:$LATEST"),
            Some("$LATEST"),
            "s3.amazonaws.com",
            "We currently do not support adding policies for $LATEST.",
        ),
        (
            name.clone(),
            None,
            "invalid.nonaws.com",
            "The provided principal was invalid. Please check the principal and try again.",
        ),
    ] {
        assert_eq!(
            err(refused(id, qualifier, principal).await),
            (
                "InvalidParameterValueException".to_string(),
                message.to_string()
            )
        );
    }
    let policy: Value = serde_json::from_str(
        c.get_policy()
            .function_name(&name)
            .send()
            .await
            .unwrap()
            .policy()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        policy["Statement"][0]["Principal"]["Service"],
        "secretsmanager.amazonaws.com"
    );
    c.remove_permission()
        .function_name(&name)
        .statement_id("sm")
        .send()
        .await
        .unwrap();
    let (code, _) = err(c
        .remove_permission()
        .function_name(&name)
        .statement_id("sm")
        .send()
        .await);
    assert_eq!(code, "ResourceNotFoundException");
}
