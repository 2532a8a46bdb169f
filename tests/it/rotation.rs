//! RotateSecret end to end: real rotation functions (Python, Node, custom runtime) running as
//! processes and calling back into Secrets Manager, schedules fired by moving the clock.

use crate::common::*;
use aws_sdk_secretsmanager::types::RotationRulesType;
use aws_sdk_secretsmanager::Client;
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;

const ROTATION_PY: &[u8] = include_bytes!("fixtures/rotation.py");

/// Creates the Python rotation function (with extra environment) and lets Secrets Manager
/// invoke it; returns its ARN.
pub async fn rotation_function(addr: SocketAddr, env: &[(&str, &str)], timeout: i32) -> String {
    let c = lambda_client(addr);
    let name = unique("rotator").replace('/', "-");
    let arn = create_function(
        &c,
        &name,
        "python3.12",
        "rotation.handler",
        &[("rotation.py", ROTATION_PY, 0o644)],
        env,
        timeout,
    )
    .await;
    allow_secretsmanager(&c, &name).await;
    arn
}

async fn allow_secretsmanager(c: &aws_sdk_lambda::Client, name: &str) {
    c.add_permission()
        .function_name(name)
        .statement_id("secretsmanager")
        .action("lambda:InvokeFunction")
        .principal("secretsmanager.amazonaws.com")
        .send()
        .await
        .unwrap();
}

/// Waits (the server answers once it has one) for the outcome of the rotation that created
/// `version`.
pub async fn outcome(addr: SocketAddr, version: &str) -> Value {
    let path = format!("/_awsemu/rotations?version={version}&wait=30");
    let r = raw(addr, "GET", &path, &[], Vec::new()).await;
    r.json["Rotations"]
        .as_array()
        .and_then(|list| list.iter().find(|x| x["version_id"] == version).cloned())
        .unwrap_or_else(|| panic!("rotation {version} did not finish"))
}

/// Waits (the server answers once there are) for `count` rotation records of `arn`.
pub async fn rotations_of(addr: SocketAddr, arn: &str, count: usize) -> Vec<Value> {
    let path = format!("/_awsemu/rotations?secret={arn}&count={count}&wait=30");
    let r = raw(addr, "GET", &path, &[], Vec::new()).await;
    let list: Vec<Value> = r.json["Rotations"].as_array().cloned().unwrap_or_default();
    assert!(list.len() >= count, "{arn} did not rotate {count} times");
    list
}

fn steps(record: &Value) -> Vec<String> {
    record["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap().to_string())
        .collect()
}

async fn stages(c: &Client, id: &str) -> std::collections::HashMap<String, Vec<String>> {
    c.describe_secret()
        .secret_id(id)
        .send()
        .await
        .unwrap()
        .version_ids_to_stages
        .unwrap_or_default()
}

pub async fn rotate(c: &Client, secret: &str, function: Option<&str>, days: Option<i64>) -> String {
    let mut req = c
        .rotate_secret()
        .secret_id(secret)
        .set_rotation_lambda_arn(function.map(str::to_string));
    if let Some(d) = days {
        req = req.rotation_rules(
            RotationRulesType::builder()
                .automatically_after_days(d)
                .build(),
        );
    }
    req.send().await.unwrap().version_id.unwrap()
}

#[tokio::test]
async fn a_python_rotation_runs_all_four_steps() {
    let server = TestServer::isolated().await;
    let c = server.client();
    let function = rotation_function(server.addr, &[], 10).await;
    let arn = create(&c, "rot/ok", "initial").await;
    let v1 = stages(&c, "rot/ok").await.into_keys().next().unwrap();
    let v2 = rotate(&c, "rot/ok", Some(&function), Some(7)).await;
    let record = outcome(server.addr, &v2).await;
    assert_eq!(record["outcome"], "Succeeded", "{record}");
    assert_eq!(
        steps(&record),
        ["createSecret", "setSecret", "testSecret", "finishSecret"]
    );
    assert!(record["log_tail"]
        .as_str()
        .unwrap()
        .contains("step finishSecret"));
    let map = stages(&c, "rot/ok").await;
    assert_eq!(map[&v1], ["AWSPREVIOUS"]);
    assert_eq!(map[&v2], ["AWSPENDING", "AWSCURRENT"]);
    assert!(
        current_value(&c, "rot/ok").await.starts_with("rotated-"),
        "the placeholder had no value"
    );
    let d = c.describe_secret().secret_id(&arn).send().await.unwrap();
    assert_eq!(d.rotation_enabled(), Some(true));
    assert_eq!(d.rotation_lambda_arn(), Some(function.as_str()));
    assert_eq!(
        d.rotation_rules().unwrap().automatically_after_days(),
        Some(7)
    );
    assert!(d.last_rotated_date().is_some());
    // Listed in creation order, as recorded against AWS: AWSPREVIOUS, then AWSCURRENT.
    let listed = c
        .list_secret_version_ids()
        .secret_id(&arn)
        .send()
        .await
        .unwrap();
    let order: Vec<&[String]> = listed
        .versions()
        .iter()
        .map(aws_sdk_secretsmanager::types::SecretVersionsListEntry::version_stages)
        .collect();
    assert_eq!(order.len(), 2, "{order:?}");
    assert_eq!(order[0], ["AWSPREVIOUS"], "{order:?}");
    assert!(order[1].iter().any(|s| s == "AWSCURRENT"), "{order:?}");
    let next = d.next_rotation_date().unwrap().secs();
    assert_eq!(
        next % 86_400,
        86_399,
        "the window ends at the end of a UTC day"
    );

    // A second call without arguments reuses the stored function and rules.
    let v3 = c
        .rotate_secret()
        .secret_id("rot/ok")
        .send()
        .await
        .unwrap()
        .version_id
        .unwrap();
    assert_eq!(outcome(server.addr, &v3).await["outcome"], "Succeeded");
    let mine = raw(
        server.addr,
        "GET",
        "/_awsemu/rotations?secret=rot/ok",
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(mine.json["Rotations"].as_array().unwrap().len(), 2);
    let none = raw(
        server.addr,
        "GET",
        "/_awsemu/rotations?secret=rot/other",
        &[],
        Vec::new(),
    )
    .await;
    assert!(none.json["Rotations"].as_array().unwrap().is_empty());
    let map = stages(&c, "rot/ok").await;
    assert_eq!(map.len(), 2, "{map:?}");
    assert_eq!(map[&v2], ["AWSPREVIOUS"]);
    assert_eq!(map[&v3], ["AWSPENDING", "AWSCURRENT"]);
    let d = c.describe_secret().secret_id(&arn).send().await.unwrap();
    assert_eq!(
        d.rotation_rules().unwrap().automatically_after_days(),
        Some(7)
    );
}

#[tokio::test]
async fn failed_rotations_are_reattempted_as_aws_says() {
    let server = TestServer::isolated().await;
    let c = server.client();
    let flag = temp_dir("rot-retry").with_extension("flag");
    std::fs::write(&flag, "fail").unwrap();
    let flag_env = flag.display().to_string();
    let function = rotation_function(server.addr, &[("FAIL_WHILE", &flag_env)], 10).await;
    let arn = create(&c, "rot/retry", "initial").await;
    let version = rotate(&c, "rot/retry", Some(&function), Some(30)).await;
    let first = rotations_of(server.addr, &arn, 1).await;
    assert_eq!(first[0]["outcome"], "Failed");
    assert_eq!(first[0]["attempt"], 1);
    // Five minutes later (on the emulator's clock) the same version is rotated again.
    server.clock.advance(5 * 60 * 1000);
    let second = rotations_of(server.addr, &arn, 2).await;
    assert_eq!(second[1]["outcome"], "Failed");
    assert_eq!(
        (
            second[1]["attempt"].clone(),
            second[1]["version_id"].clone()
        ),
        (2.into(), version.clone().into())
    );
    // The function is fixed; a RotateSecret is refused, as on AWS, and that rotation is
    // reattempted at once, as the message says.
    std::fs::remove_file(&flag).unwrap();
    let refused = c.rotate_secret().secret_id("rot/retry").send().await;
    assert_eq!(
        err(refused),
        (
            "InvalidRequestException".to_string(),
            "A previous rotation isn't complete. That rotation will be reattempted.".to_string()
        )
    );
    let third = rotations_of(server.addr, &arn, 3).await;
    assert_eq!(third[2]["outcome"], "Succeeded", "{}", third[2]);
    assert_eq!(third[2]["attempt"], 3);
    assert!(current_value(&c, "rot/retry").await.starts_with("rotated-"));
    // Nothing is retried after a success.
    server.clock.advance(10 * 60 * 1000);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(rotations_of(server.addr, &arn, 3).await.len(), 3);
}

#[tokio::test]
async fn a_missing_package_names_the_interpreter_and_the_fix() {
    let server = TestServer::isolated().await;
    let c = server.client();
    let l = lambda_client(server.addr);
    let name = unique("rot-import");
    let code: &[(&str, &[u8], u32)] = &[(
        "app.py",
        b"import not_a_real_package_xyz\ndef handler(e, c):\n    pass\n",
        0o644,
    )];
    create_function(&l, &name, "python3.12", "app.handler", code, &[], 10).await;
    allow_secretsmanager(&l, &name).await;
    create(&c, "rot/import", "v").await;
    let arn = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}");
    let version = rotate(&c, "rot/import", Some(&arn), None).await;
    let record = outcome(server.addr, &version).await;
    assert_eq!(record["outcome"], "Failed");
    let error = record["error"].as_str().unwrap();
    assert!(error.starts_with("createSecret failed: Runtime.ImportModuleError: Unable to import module 'app': No module named 'not_a_real_package_xyz'"), "{error}");
    assert!(
        error.contains("not_a_real_package_xyz is not installed for /"),
        "{error}"
    );
    assert!(
        error.contains("-m pip install not_a_real_package_xyz"),
        "{error}"
    );
    assert!(
        record["runtime"].as_str().unwrap().contains("Python 3."),
        "{record}"
    );
}

#[tokio::test]
async fn a_missing_node_package_names_node_and_the_fix() {
    let server = shared();
    let l = lambda_client(server.addr);
    let name = unique("node-import").replace('/', "-");
    let code: &[(&str, &[u8], u32)] = &[(
        "app.mjs",
        b"import x from 'not-a-real-package-xyz';\nexport const handler = async () => x;\n",
        0o644,
    )];
    create_function(&l, &name, "nodejs20.x", "app.handler", code, &[], 10).await;
    let out = l.invoke().function_name(&name).send().await.unwrap();
    let payload: Value = serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap();
    assert_eq!(
        payload["errorType"], "Runtime.ImportModuleError",
        "{payload}"
    );
    let message = payload["errorMessage"].as_str().unwrap();
    assert!(
        message.contains("not-a-real-package-xyz is not installed for /"),
        "{message}"
    );
    assert!(
        message.contains("npm install not-a-real-package-xyz"),
        "{message}"
    );
}

#[tokio::test]
async fn non_ascii_output_is_logged_and_the_secret_released() {
    let server = TestServer::isolated().await;
    let c = server.client();
    let function =
        rotation_function(server.addr, &[("PRINT", "€"), ("PRINT_TIMES", "3000")], 10).await;
    create(&c, "rot/euro", "initial").await;
    let v2 = rotate(&c, "rot/euro", Some(&function), Some(7)).await;
    let record = outcome(server.addr, &v2).await;
    assert_eq!(record["outcome"], "Succeeded", "{record}");
    let tail = record["log_tail"].as_str().unwrap();
    assert!(tail.contains("€€€") && tail.len() <= 4096, "{tail}");
    // Not stuck as running: the next rotation starts and finishes too.
    let v3 = rotate(&c, "rot/euro", None, None).await;
    assert_eq!(outcome(server.addr, &v3).await["outcome"], "Succeeded");
}

#[tokio::test]
async fn a_failing_step_leaves_the_rotation_pending_and_blocks_the_next_one() {
    let server = TestServer::isolated().await;
    let c = server.client();
    let mut runs = Vec::new();
    // Four secrets rotating at once, each with a function that fails at another step.
    for step in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
        let function = rotation_function(server.addr, &[("FAIL_AT", step)], 10).await;
        let name = format!("rot/fail-{step}");
        create(&c, &name, "keep-me").await;
        let token = rotate(&c, &name, Some(&function), None).await;
        runs.push((step, name, token));
    }
    for (i, (step, name, token)) in runs.iter().enumerate() {
        let record = outcome(server.addr, token).await;
        assert_eq!(record["outcome"], "Failed", "{record}");
        assert_eq!(
            steps(&record).len(),
            i + 1,
            "no step runs after {step} failed"
        );
        assert!(record["error"]
            .as_str()
            .unwrap()
            .contains(&format!("failing at {step}")));
        // The function's log says why, as CloudWatch would show it: the runtime's error line
        // and the traceback.
        let log = record["log_tail"].as_str().unwrap_or_default();
        assert!(log.contains("[ERROR] "), "{record}");
        assert!(
            log.contains("Traceback (most recent call last):"),
            "{record}"
        );
        assert_eq!(
            current_value(&c, name).await,
            "keep-me",
            "nothing is rolled back or moved"
        );
        assert_eq!(stages(&c, name).await[token], ["AWSPENDING"]);
        let (code, msg) = err(c.rotate_secret().secret_id(name).send().await);
        assert_eq!(code, "InvalidRequestException");
        assert_eq!(
            msg,
            "A previous rotation isn't complete. That rotation will be reattempted."
        );
    }
    // Removing the label, or writing a value by hand, clears the way.
    let (_, first, token) = &runs[0];
    c.update_secret_version_stage()
        .secret_id(first)
        .version_stage("AWSPENDING")
        .remove_from_version_id(token)
        .send()
        .await
        .unwrap();
    let (_, second, _) = &runs[1];
    c.put_secret_value()
        .secret_id(second)
        .secret_string("by hand")
        .send()
        .await
        .unwrap();
    let good = rotation_function(server.addr, &[], 10).await;
    for name in [first, second] {
        let token = rotate(&c, name, Some(&good), None).await;
        assert_eq!(outcome(server.addr, &token).await["outcome"], "Succeeded");
    }
}

#[tokio::test]
async fn timeouts_and_crashes_fail_the_rotation() {
    let server = TestServer::isolated().await;
    let c = server.client();
    let slow = rotation_function(server.addr, &[("SLEEP_AT", "setSecret")], 1).await;
    let crashing = rotation_function(server.addr, &[("CRASH_AT", "createSecret")], 10).await;
    create(&c, "rot/slow", "v").await;
    create(&c, "rot/crash", "v").await;
    let slow_token = rotate(&c, "rot/slow", Some(&slow), None).await;
    let crash_token = rotate(&c, "rot/crash", Some(&crashing), None).await;
    let record = outcome(server.addr, &slow_token).await;
    assert_eq!(record["outcome"], "Failed");
    assert!(
        record["error"]
            .as_str()
            .unwrap()
            .contains("Sandbox.Timedout"),
        "{record}"
    );
    let record = outcome(server.addr, &crash_token).await;
    assert!(
        record["error"]
            .as_str()
            .unwrap()
            .contains("Runtime.ExitError"),
        "{record}"
    );
    assert_eq!(current_value(&c, "rot/slow").await, "v");
}

#[tokio::test]
async fn rotate_immediately_false_only_tests() {
    let server = TestServer::isolated().await;
    let c = server.client();
    let function = rotation_function(server.addr, &[], 10).await;
    create(&c, "rot/test-only", "stable").await;
    let token = c
        .rotate_secret()
        .secret_id("rot/test-only")
        .rotation_lambda_arn(&function)
        .rotation_rules(
            RotationRulesType::builder()
                .schedule_expression("rate(10 days)")
                .build(),
        )
        .rotate_immediately(false)
        .send()
        .await
        .unwrap()
        .version_id
        .unwrap();
    let record = outcome(server.addr, &token).await;
    assert_eq!(record["outcome"], "Succeeded", "{record}");
    assert_eq!(steps(&record), ["testSecret"]);
    assert_eq!(current_value(&c, "rot/test-only").await, "stable");
    let map = stages(&c, "rot/test-only").await;
    assert!(
        !map.contains_key(&token),
        "the test version lost AWSPENDING: {map:?}"
    );
    let d = c
        .describe_secret()
        .secret_id("rot/test-only")
        .send()
        .await
        .unwrap();
    assert_eq!(d.rotation_enabled(), Some(true));
    assert!(d.last_rotated_date().is_none());
    assert!(d.next_rotation_date().is_some());
    assert_eq!(
        d.rotation_rules().unwrap().schedule_expression(),
        Some("rate(10 days)")
    );
}

#[tokio::test]
async fn schedules_fire_when_the_clock_moves() {
    let server = TestServer::isolated().await;
    let c = server.client();
    let function = rotation_function(server.addr, &[], 10).await;
    let daily = create(&c, "rot/every-2-days", "v").await;
    let weekly = create(&c, "rot/mondays", "v").await;
    let first = rotate(&c, "rot/every-2-days", Some(&function), Some(2)).await;
    assert_eq!(outcome(server.addr, &first).await["outcome"], "Succeeded");
    c.rotate_secret()
        .secret_id("rot/mondays")
        .rotation_lambda_arn(&function)
        .rotation_rules(
            RotationRulesType::builder()
                .schedule_expression("cron(0 8 ? * MON *)")
                .duration("2h")
                .build(),
        )
        .rotate_immediately(false)
        .send()
        .await
        .unwrap();
    rotations_of(server.addr, &weekly, 1).await;
    let next = *c
        .describe_secret()
        .secret_id("rot/mondays")
        .send()
        .await
        .unwrap()
        .next_rotation_date()
        .unwrap();
    // START is a Thursday at noon: the window is the next Monday 08:00-09:59:59.
    assert_eq!(
        next.secs() * 1000,
        START - 12 * 3_600_000 + 4 * 86_400_000 + 10 * 3_600_000 - 1000
    );

    let moved = raw(
        server.addr,
        "POST",
        "/_awsemu/clock",
        &[],
        br#"{"advance": "5d"}"#.to_vec(),
    )
    .await;
    assert_eq!(moved.status, 200);
    let list = rotations_of(server.addr, &daily, 2).await;
    assert_eq!(list[1]["scheduled"], true);
    assert_eq!(list[1]["outcome"], "Succeeded", "{}", list[1]);
    let list = rotations_of(server.addr, &weekly, 2).await;
    assert_eq!(list[1]["scheduled"], true);
    assert_eq!(steps(&list[1]).len(), 4);
    assert!(current_value(&c, "rot/mondays")
        .await
        .starts_with("rotated-"));
    let bad = raw(
        server.addr,
        "POST",
        "/_awsemu/clock",
        &[],
        br#"{"advance": "soon"}"#.to_vec(),
    )
    .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn node_and_custom_runtime_rotations() {
    let server = TestServer::isolated().await;
    let c = server.client();
    let l = lambda_client(server.addr);
    let node = create_function(
        &l,
        "node-rotator",
        "nodejs20.x",
        "rotation.handler",
        &[(
            "rotation.mjs",
            include_bytes!("fixtures/rotation.mjs"),
            0o644,
        )],
        &[],
        10,
    )
    .await;
    allow_secretsmanager(&l, "node-rotator").await;
    create(&c, "rot/node", "v").await;
    let token = rotate(&c, "rot/node", Some(&node), None).await;
    assert_eq!(outcome(server.addr, &token).await["outcome"], "Succeeded");
    assert_eq!(current_value(&c, "rot/node").await, "node-rotated");

    create(&c, "rot/shell", "v").await;
    let current = stages(&c, "rot/shell").await.into_keys().next().unwrap();
    let bootstrap = include_bytes!("fixtures/bootstrap.sh");
    let shell = create_function(
        &l,
        "shell-rotator",
        "provided.al2023",
        "x",
        &[("bootstrap", bootstrap, 0o755)],
        &[("CURRENT_VERSION", &current)],
        10,
    )
    .await;
    let token = rotate(&c, "rot/shell", Some(&shell), None).await;
    let record = outcome(server.addr, &token).await;
    assert_eq!(record["outcome"], "Succeeded", "{record}");
    assert_eq!(current_value(&c, "rot/shell").await, "shell-rotated");
}

#[tokio::test]
async fn refusals_store_nothing() {
    let server = TestServer::isolated().await;
    let c = server.client();
    create(&c, "rot/refused", "v").await;
    let (code, msg) = err(c.rotate_secret().secret_id("rot/refused").send().await);
    assert_eq!(code, "InvalidRequestException");
    assert_eq!(
        msg,
        "No Lambda rotation function ARN is associated with this secret."
    );
    let missing = "arn:aws:lambda:us-east-1:000000000000:function:nope";
    let (code, msg) = err(c
        .rotate_secret()
        .secret_id("rot/refused")
        .rotation_lambda_arn(missing)
        .send()
        .await);
    assert_eq!(code, "AccessDeniedException");
    assert!(msg.starts_with("Secrets Manager cannot invoke the specified Lambda function."));
    let both = RotationRulesType::builder()
        .automatically_after_days(3)
        .schedule_expression("rate(3 days)")
        .build();
    let function = rotation_function(server.addr, &[], 10).await;
    let (code, _) = err(c
        .rotate_secret()
        .secret_id("rot/refused")
        .rotation_lambda_arn(&function)
        .rotation_rules(both)
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    let hourly = RotationRulesType::builder()
        .schedule_expression("rate(1 hours)")
        .build();
    let (code, _) = err(c
        .rotate_secret()
        .secret_id("rot/refused")
        .rotation_lambda_arn(&function)
        .rotation_rules(hourly)
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    let d = c
        .describe_secret()
        .secret_id("rot/refused")
        .send()
        .await
        .unwrap();
    assert!(d.rotation_enabled().is_none() && d.rotation_lambda_arn().is_none());
    assert_eq!(stages(&c, "rot/refused").await.len(), 1);

    let raw_call = raw_op(server.addr, "RotateSecret", r#"{"SecretId":"rot/refused"}"#).await;
    assert_eq!(raw_call.json["__type"], "InvalidParameterException");
    assert_eq!(
        raw_call.json["Message"],
        "You must provide a ClientRequestToken value. We recommend a UUID-type value."
    );

    c.delete_secret()
        .secret_id("rot/refused")
        .send()
        .await
        .unwrap();
    let (code, _) = err(c
        .rotate_secret()
        .secret_id("rot/refused")
        .rotation_lambda_arn(&function)
        .send()
        .await);
    assert_eq!(code, "InvalidRequestException");
}

#[tokio::test]
async fn cancel_turns_rotation_off_and_keeps_the_rules() {
    let server = TestServer::isolated().await;
    let c = server.client();
    // No AddPermission: AWS would refuse, LocalEmu warns and rotates anyway.
    let l = lambda_client(server.addr);
    let function = create_function(
        &l,
        "unpermitted",
        "python3.12",
        "rotation.handler",
        &[("rotation.py", ROTATION_PY, 0o644)],
        &[],
        10,
    )
    .await;
    create(&c, "rot/cancel", "v").await;
    let token = rotate(&c, "rot/cancel", Some(&function), Some(30)).await;
    assert_eq!(outcome(server.addr, &token).await["outcome"], "Succeeded");
    let out = c
        .cancel_rotate_secret()
        .secret_id("rot/cancel")
        .send()
        .await
        .unwrap();
    assert!(out.arn().is_some());
    let d = c
        .describe_secret()
        .secret_id("rot/cancel")
        .send()
        .await
        .unwrap();
    assert_eq!(d.rotation_enabled(), Some(false));
    assert!(d.next_rotation_date().is_none());
    assert_eq!(
        d.rotation_rules().unwrap().automatically_after_days(),
        Some(30)
    );
    assert_eq!(d.rotation_lambda_arn(), Some(function.as_str()));
}
