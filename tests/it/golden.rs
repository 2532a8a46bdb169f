//! Golden wire tests, in the manner of smithy-rs's protocol tests: for every operation, the
//! request bytes that go in and the response that must come out, for success and for each
//! error LocalEmu can give. Each file in `fixtures/golden/` is one scenario against a fresh
//! server whose clock and identifiers are fixed, so answers are byte-for-byte stable.
//!
//! A case is `### title`, the request (request line, headers, blank line, body), `---`, then
//! the expected status line, the headers that matter and the body. `Host`, `Content-Length`
//! and `Connection` are added when sent; `{{ZIP}}` stands for the base64 of the test
//! function's zip, and `{{REQUEST_ID}}` for the request id a query answer's body repeats. A line `!wait-rotations N` waits until N rotations have ended.
//! `LOCALEMU_GOLDEN=update cargo test golden` rewrites the expectations (review the diff).

use crate::common::*;
use base64::Engine;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Response headers that are part of the contract; others (date, request id) vary.
const KEPT: [&str; 5] = [
    "content-type",
    "x-amzn-errortype",
    "x-amz-function-error",
    "x-amz-executed-version",
    "allow",
];

const HANDLER: &[u8] = b"def handler(event, context):\n    return {\"echo\": event}\n";

fn zip_base64() -> String {
    base64::engine::general_purpose::STANDARD.encode(zip_of(&[("app.py", HANDLER, 0o644)]))
}

/// Sends one request's bytes and returns the response in the file's form.
async fn exchange(addr: SocketAddr, request: &str) -> String {
    let (head, body) = request.split_once("\n\n").unwrap_or((request, ""));
    let body = body.replace("{{ZIP}}", &zip_base64());
    let mut bytes = head.replace('\n', "\r\n");
    bytes.push_str(&format!(
        "\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(bytes.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).replace(&addr.to_string(), "127.0.0.1:PORT");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    // Query answers repeat the request id in their body; it varies from run to run.
    let request_id = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("x-amzn-requestid")
            .then(|| value.trim().to_string())
    });
    let body = match request_id {
        Some(id) if !id.is_empty() => body.replace(&id, "{{REQUEST_ID}}"),
        _ => body.to_string(),
    };
    let mut lines = head.lines();
    let mut out = vec![lines.next().unwrap_or_default().to_string()];
    let mut kept: Vec<String> = lines
        .filter_map(|l| {
            let (name, value) = l.split_once(':')?;
            let name = name.to_ascii_lowercase();
            KEPT.contains(&name.as_str())
                .then(|| format!("{name}: {}", value.trim()))
        })
        .collect();
    kept.sort();
    out.extend(kept);
    out.push(String::new());
    out.push(body);
    out.join("\n").trim_end().to_string()
}

struct Case {
    title: String,
    request: String,
    expected: String,
}

fn cases(text: &str) -> Vec<Case> {
    text.split("\n### ")
        .filter_map(|block| {
            let block = block.strip_prefix("### ").unwrap_or(block);
            let (title, rest) = block.split_once('\n')?;
            let (request, expected) = rest.split_once("\n---\n").unwrap_or((rest, ""));
            Some(Case {
                title: title.trim().to_string(),
                request: request.trim().to_string(),
                expected: expected.trim().to_string(),
            })
        })
        .collect()
}

async fn run(file: &str) {
    let path = format!(
        "{}/tests/it/fixtures/golden/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let update = std::env::var("LOCALEMU_GOLDEN").as_deref() == Ok("update");
    let server = TestServer::deterministic().await;
    let mut written = String::new();
    let mut wrong = Vec::new();
    for case in cases(&text) {
        let actual = if let Some(n) = case.request.strip_prefix("!wait-rotations ") {
            let path = format!("/_awsemu/rotations?count={}&wait=30", n.trim());
            raw(server.addr, "GET", &path, &[], Vec::new()).await;
            String::new()
        } else {
            exchange(server.addr, &case.request).await
        };
        if actual != case.expected {
            wrong.push(format!(
                "### {}\nexpected:\n{}\nactual:\n{}\n",
                case.title, case.expected, actual
            ));
        }
        written.push_str(&format!("### {}\n{}\n", case.title, case.request));
        if !case.request.starts_with('!') {
            written.push_str(&format!("---\n{actual}\n"));
        }
        written.push('\n');
    }
    if update {
        std::fs::write(&path, written).unwrap();
        return;
    }
    assert!(
        wrong.is_empty(),
        "{} of {file}:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[tokio::test]
async fn secretsmanager_operations_on_the_wire() {
    run("secretsmanager.http").await;
}

#[tokio::test]
async fn lambda_operations_on_the_wire() {
    run("lambda.http").await;
}

#[tokio::test]
async fn sts_operations_on_the_wire() {
    run("sts.http").await;
}

#[tokio::test]
async fn kms_operations_on_the_wire() {
    run("kms.http").await;
}

#[tokio::test]
async fn cloudformation_operations_on_the_wire() {
    run("cloudformation.http").await;
}

#[tokio::test]
async fn events_operations_on_the_wire() {
    run("events.http").await;
}

#[tokio::test]
async fn ssm_operations_on_the_wire() {
    run("ssm.http").await;
}
