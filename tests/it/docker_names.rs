//! Functions written for Docker-based emulators work unchanged: the documented rotation
//! function, which reaches Secrets Manager at http://host.docker.internal:4566, created and run
//! with the `awsemu` client against a server on an ephemeral port (LocalStack's port on its
//! names reaches the emulator wherever it listens); and the other Docker names from Python and
//! Node.

use crate::common::*;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_awsemu");
const FUNCTION: &[u8] = include_bytes!("fixtures/docker_rotation/lambda_function.py");

/// The machine's boto3, or one installed once under the target directory, as a layer would
/// bring it; returns what PYTHONPATH must hold (empty when the interpreter has boto3).
fn boto3_path() -> String {
    let has = Command::new("python3")
        .args(["-c", "import boto3"])
        .status()
        .is_ok_and(|s| s.success());
    if has {
        return String::new();
    }
    let layer = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("boto3-layer");
    if !layer.join("boto3").exists() {
        let ok = Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "--target"])
            .arg(&layer)
            .arg("boto3")
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "boto3 could not be installed for the test");
    }
    layer.display().to_string()
}

fn awsemu(addr: std::net::SocketAddr, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .env("AWS_ENDPOINT_URL", format!("http://{addr}"))
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", REGION)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "awsemu {args:?}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.trim().to_string()
}

// Multi-threaded: the client commands block a thread while the server in this process answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_rotation_function_works_unchanged() {
    // Never the fixed port: another emulator (the README's own `awsemu start`) may hold it.
    let server = TestServer::isolated().await;
    let addr = server.addr;
    let dir = temp_dir("docker-fn");
    std::fs::create_dir_all(&dir).unwrap();
    let zip = dir.join("fn.zip");
    std::fs::write(&zip, zip_of(&[("lambda_function.py", FUNCTION, 0o644)])).unwrap();
    let zip_arg = format!("fileb://{}", zip.display());
    let env = format!("Variables={{PYTHONPATH={}}}", boto3_path());
    let mut create = vec![
        "lambda",
        "create-function",
        "--function-name",
        "docker-rotator",
        "--runtime",
        "python3.12",
        "--handler",
        "lambda_function.lambda_handler",
        "--role",
        "arn:aws:iam::000000000000:role/rotation",
        "--zip-file",
        &zip_arg,
        "--timeout",
        "30",
    ];
    if !env.ends_with("{PYTHONPATH=}") {
        create.extend(["--environment", &env]);
    }
    awsemu(addr, &create);
    awsemu(
        addr,
        &[
            "lambda",
            "add-permission",
            "--function-name",
            "docker-rotator",
            "--statement-id",
            "sm",
            "--action",
            "lambda:InvokeFunction",
            "--principal",
            "secretsmanager.amazonaws.com",
        ],
    );
    awsemu(
        addr,
        &[
            "secretsmanager",
            "create-secret",
            "--name",
            "docker/db",
            "--secret-string",
            "{\"password\":\"initial\"}",
        ],
    );
    let version = awsemu(
        addr,
        &[
            "secretsmanager",
            "rotate-secret",
            "--secret-id",
            "docker/db",
            "--rotation-lambda-arn",
            "arn:aws:lambda:us-east-1:000000000000:function:docker-rotator",
            "--rotation-rules",
            "AutomaticallyAfterDays=30",
            "--query",
            "VersionId",
            "--output",
            "text",
        ],
    );
    // `awsemu rotations --wait` answers once that rotation has ended.
    let history: serde_json::Value = serde_json::from_str(&awsemu(
        addr,
        &[
            "rotations",
            "--secret",
            "docker/db",
            "--version",
            &version,
            "--wait",
            "30",
            "--output",
            "json",
            "--endpoint-url",
            &format!("http://{addr}"),
        ],
    ))
    .unwrap();
    let record = history["Rotations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["version_id"] == version.as_str())
        .cloned()
        .unwrap_or_default();
    assert_eq!(record["outcome"], "Succeeded", "{history}");
    let value = awsemu(
        addr,
        &[
            "secretsmanager",
            "get-secret-value",
            "--secret-id",
            "docker/db",
            "--query",
            "SecretString",
            "--output",
            "text",
        ],
    );
    assert_eq!(
        value,
        format!("{{\"password\": \"rotated-{}\"}}", &version[..8])
    );
}

#[tokio::test]
async fn every_docker_name_reaches_the_emulator_from_python_and_node() {
    // LocalStack's port on its names: the shared server listens elsewhere, yet is reached.
    let server = shared();
    let c = lambda_client(server.addr);
    let py = "import json, urllib.request\n\
         def handler(e, c):\n\
         \x20   out = {}\n\
         \x20   for host in ['host.docker.internal', 'localstack', 'localhost.localstack.cloud', 's3.localhost.localstack.cloud']:\n\
         \x20       with urllib.request.urlopen('http://%s:4566/_awsemu/health' % host) as r:\n\
         \x20           out[host] = json.loads(r.read())['services']['secretsmanager']\n\
         \x20   return out\n";
    let js = "export const handler = async () => {\n\
         \x20 const out = {};\n\
         \x20 for (const host of ['host.docker.internal', 'localstack', 'localhost.localstack.cloud', 's3.localhost.localstack.cloud']) {\n\
         \x20   const r = await fetch(`http://${host}:4566/_awsemu/health`);\n\
         \x20   out[host] = (await r.json()).services.secretsmanager;\n\
         \x20 }\n\
         \x20 return out;\n\
         };\n";
    let py_name = unique("docker-py");
    let js_name = unique("docker-js");
    create_function(
        &c,
        &py_name,
        "python3.12",
        "app.handler",
        &[("app.py", py.as_bytes(), 0o644)],
        &[],
        10,
    )
    .await;
    create_function(
        &c,
        &js_name,
        "nodejs20.x",
        "app.handler",
        &[("app.mjs", js.as_bytes(), 0o644)],
        &[],
        10,
    )
    .await;
    for name in [py_name, js_name] {
        let out = c.invoke().function_name(&name).send().await.unwrap();
        let payload: serde_json::Value =
            serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap();
        assert_eq!(out.function_error(), None, "{name}: {payload}");
        assert_eq!(
            payload.as_object().map(serde_json::Map::len),
            Some(4),
            "{payload}"
        );
        assert!(
            payload
                .as_object()
                .unwrap()
                .values()
                .all(|v| v == "running"),
            "{payload}"
        );
    }
}
