//! Functions cannot exhaust the host: response and output limits, code on disk bounded by the
//! functions that exist, a cap on processes, idle processes retired, identifiers checked.

use crate::common::*;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, InvocationType, LogType};
use aws_sdk_lambda::Client;
use localemu::config::Config;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

const LIMITS: &[u8] = include_bytes!("fixtures/limits.py");

async fn function(c: &Client, name: &str) {
    create_function(
        c,
        name,
        "python3.12",
        "limits.handler",
        &[("limits.py", LIMITS, 0o644)],
        &[],
        30,
    )
    .await;
}

async fn invoke(
    c: &Client,
    name: &str,
    event: Value,
) -> aws_sdk_lambda::operation::invoke::InvokeOutput {
    c.invoke()
        .function_name(name)
        .log_type(LogType::Tail)
        .payload(Blob::new(event.to_string()))
        .send()
        .await
        .unwrap()
}

fn payload(out: &aws_sdk_lambda::operation::invoke::InvokeOutput) -> Value {
    serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap()
}

fn log(out: &aws_sdk_lambda::operation::invoke::InvokeOutput) -> String {
    let raw = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        out.log_result().unwrap(),
    )
    .unwrap();
    String::from_utf8_lossy(&raw).into_owned()
}

#[tokio::test]
async fn responses_up_to_6_mb_pass_and_larger_ones_fail_as_on_aws() {
    let c = lambda_client(shared().addr);
    let name = unique("fn-big");
    function(&c, &name).await;
    let out = invoke(&c, &name, json!({"action": "answer", "size": 3_000_000})).await;
    assert_eq!(out.function_error(), None);
    assert_eq!(payload(&out).as_str().unwrap().len(), 3_000_000);
    let out = invoke(&c, &name, json!({"action": "answer", "size": 7_000_000})).await;
    assert_eq!(out.function_error(), Some("Unhandled"));
    let p = payload(&out);
    assert_eq!(p["errorType"], "Function.ResponseSizeTooLarge", "{p}");
    assert!(p["errorMessage"].as_str().unwrap().contains("6291556"));
    // The environment still works.
    let out = invoke(&c, &name, json!({"action": "answer", "size": 10})).await;
    assert_eq!(out.function_error(), None);
}

#[tokio::test]
async fn long_lines_and_invalid_utf8_do_not_break_the_function() {
    let c = lambda_client(shared().addr);
    let name = unique("fn-output");
    function(&c, &name).await;
    for _ in 0..2 {
        // A 20 MB line, then bytes that are not UTF-8, then a normal line: the pipe stays
        // open, so the warm environment keeps working.
        let out = invoke(&c, &name, json!({"action": "output", "size": 20_000_000})).await;
        assert_eq!(out.function_error(), None, "{}", payload(&out));
        assert_eq!(payload(&out), "printed");
        let tail = log(&out);
        assert!(tail.contains("after the bad bytes"), "{tail}");
        assert!(tail.contains("bad \u{fffd}\u{fffd} bytes"), "{tail}");
    }
}

/// The unpacked code trees under a work directory.
pub fn code_dirs(work: &Path) -> usize {
    fn walk(p: &Path, depth: usize) -> usize {
        if depth == 0 {
            return usize::from(p.is_dir());
        }
        std::fs::read_dir(p).map_or(0, |d| d.flatten().map(|e| walk(&e.path(), depth - 1)).sum())
    }
    // code/<account>/<region>/<function>/<unpacked tree>
    walk(&work.join("code"), 4)
}

#[tokio::test]
async fn code_on_disk_follows_the_functions_that_exist() {
    let work = temp_dir("fn-work");
    let emu = TestServer::configured(Config {
        work_dir: Some(work.clone()),
        ..Config::default()
    })
    .await;
    let c = lambda_client(emu.addr);
    function(&c, "kept").await;
    invoke(&c, "kept", json!({})).await;
    assert_eq!(code_dirs(&work), 1);
    for _ in 0..3 {
        c.update_function_code()
            .function_name("kept")
            .zip_file(Blob::new(zip_of(&[("limits.py", LIMITS, 0o644)])))
            .send()
            .await
            .unwrap();
        invoke(&c, "kept", json!({})).await;
    }
    assert_eq!(code_dirs(&work), 1, "old code trees were left behind");
    c.delete_function()
        .function_name("kept")
        .send()
        .await
        .unwrap();
    assert_eq!(
        code_dirs(&work),
        0,
        "a deleted function's code was left behind"
    );

    // A zip whose path is 2,000 levels deep is the caller's mistake, and leaves nothing.
    let deep = format!("{}f.py", "d/".repeat(2000));
    let r = c
        .create_function()
        .function_name("deep")
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .role(ROLE)
        .handler("f.handler")
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(zip_of(&[
                    ("ok.py", b"x", 0o644),
                    (&deep, b"y", 0o644),
                ])))
                .build(),
        )
        .send()
        .await;
    assert_eq!(err(r).0, "InvalidParameterValueException");
    assert_eq!(code_dirs(&work), 0);
}

#[tokio::test]
async fn identifiers_are_checked_before_they_reach_a_path() {
    let c = lambda_client(shared().addr);
    for name in [
        "arn:aws:lambda:us-east-1:/tmp/x:function:f",
        "arn:aws:lambda:../..:000000000000:function:f",
        "../f",
    ] {
        let r = c
            .create_function()
            .function_name(name)
            .runtime(aws_sdk_lambda::types::Runtime::Python312)
            .role(ROLE)
            .handler("limits.handler")
            .code(
                FunctionCode::builder()
                    .zip_file(Blob::new(zip_of(&[("limits.py", LIMITS, 0o644)])))
                    .build(),
            )
            .send()
            .await;
        let (code, message) = err(r);
        assert_eq!(code, "ValidationException", "{name}: {message}");
    }
    assert!(!Path::new("/tmp/x").exists());
}

#[tokio::test]
async fn function_processes_are_capped_and_events_queue() {
    let emu = TestServer::configured(Config {
        max_function_processes: 2,
        ..Config::default()
    })
    .await;
    let c = lambda_client(emu.addr);
    let (a, b) = (unique("fn-cap-a"), unique("fn-cap-b"));
    function(&c, &a).await;
    function(&c, &b).await;
    let log_file = temp_dir("fn-cap").with_extension("log");
    for i in 0..12 {
        let name = if i % 2 == 0 { &a } else { &b };
        let out = c
            .invoke()
            .function_name(name)
            .invocation_type(InvocationType::Event)
            .payload(Blob::new(
                json!({"action": "timed", "seconds": 0.3, "log": log_file}).to_string(),
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(out.status_code(), 202);
    }
    let mut lines = Vec::new();
    for _ in 0..300 {
        lines = std::fs::read_to_string(&log_file)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect();
        if lines.len() == 12 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(lines.len(), 12, "every queued event ran");
    let spans: Vec<(f64, f64, u32)> = lines
        .iter()
        .map(|l| {
            let p: Vec<&str> = l.split(' ').collect();
            (
                p[0].parse().unwrap(),
                p[1].parse().unwrap(),
                p[2].parse().unwrap(),
            )
        })
        .collect();
    let most = spans
        .iter()
        .map(|(s, _, _)| spans.iter().filter(|(s2, e2, _)| s2 <= s && s < e2).count())
        .max()
        .unwrap();
    assert!(most <= 2, "{most} functions ran at once");
    let pids: std::collections::HashSet<u32> = spans.iter().map(|s| s.2).collect();
    assert!(pids.len() >= 2);
}

fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat.split(") ").nth(1).is_some_and(|s| s.starts_with('Z')),
        Err(_) => false,
    }
}

#[tokio::test]
async fn idle_processes_retire_and_crashed_ones_take_their_children() {
    let emu = TestServer::configured(Config {
        function_idle: Duration::from_secs(1),
        ..Config::default()
    })
    .await;
    let c = lambda_client(emu.addr);
    let name = unique("fn-idle");
    function(&c, &name).await;
    let pid = payload(&invoke(&c, &name, json!({})).await)["pid"]
        .as_i64()
        .unwrap() as i32;
    assert!(alive(pid));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(!alive(pid), "an idle process outlived its limit");

    let pidfile = temp_dir("fn-child").with_extension("pid");
    let out = invoke(&c, &name, json!({"action": "child", "pidfile": pidfile})).await;
    assert_eq!(payload(&out)["errorType"], "Runtime.ExitError");
    let child: i32 = std::fs::read_to_string(&pidfile).unwrap().parse().unwrap();
    for _ in 0..50 {
        if !alive(child) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!alive(child), "a crashed function's child survived");
}
