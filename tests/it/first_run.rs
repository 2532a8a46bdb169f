//! The first minutes with the `awsemu` binary: the environment a newcomer sets, what start-up
//! prints, and the hints that say what to do next.

use crate::common::*;
use std::io::Read;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_awsemu");

/// Starts `awsemu start --port 0 <extra>` with `env` (PERSISTENCE unset unless given), its
/// stdout and stderr piped.
fn spawn_start(extra: &[&str], env: &[(&str, &str)]) -> std::process::Child {
    Command::new(BIN)
        .args(["start", "--port", "0"])
        .args(extra)
        .env_remove("PERSISTENCE")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Starts a server on `dir` with `env`, reads stdout up to `Ready.`, stops it; returns the
/// lines printed and everything logged to stderr.
fn first_lines(dir: &std::path::Path, env: &[(&str, &str)]) -> (Vec<String>, String) {
    let dir = dir.display().to_string();
    let mut child = spawn_start(&["--data-dir", &dir], env);
    let (lines, _) = read_until_ready(child.stdout.take().unwrap());
    (lines, stop_and_read_log(child))
}

#[test]
fn persistence_accepts_every_usual_boolean() {
    for (value, persisted) in [
        ("1", true),
        ("TRUE", true),
        ("yes", true),
        ("On", true),
        ("0", false),
        ("false", false),
        ("No", false),
    ] {
        let dir = temp_dir("first-persist");
        let (lines, err) = first_lines(&dir, &[("PERSISTENCE", value)]);
        assert_eq!(
            lines.last().map(String::as_str),
            Some("Ready."),
            "{value}: {err}"
        );
        let said = lines.iter().any(|l| l.starts_with("Persisting state in /"));
        assert_eq!(said, persisted, "PERSISTENCE={value}: {lines:?}");
        assert_eq!(dir.join("localemu.redb").exists(), persisted, "{value}");
        if persisted {
            // The state holds secret values: git must not pick it up.
            let ignore = std::fs::read_to_string(dir.join(".gitignore")).unwrap();
            assert!(ignore.lines().any(|l| l == "*"));
        }
    }
    let (lines, err) = first_lines(&temp_dir("first-persist"), &[("PERSISTENCE", "maybe")]);
    assert!(lines.is_empty() && err.contains("maybe"), "{err}");
}

#[test]
fn start_up_prints_its_address_and_logs_without_colour() {
    let (lines, err) = first_lines(&temp_dir("first-addr"), &[("AWSEMU_LOG", "info")]);
    let addr = lines
        .iter()
        .find_map(|l| l.strip_prefix("Listening on http://127.0.0.1:"))
        .expect("the address");
    assert!(addr.parse::<u16>().unwrap() > 0);
    assert_eq!(lines.last().map(String::as_str), Some("Ready."));
    assert!(err.contains("listening"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "colour codes in a log that is not a terminal: {err}"
    );
}

#[test]
fn a_taken_port_and_a_missing_server_say_what_to_do() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = Command::new(BIN)
        .args(["start", "--port", &port])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(text.contains("in use") && text.contains("--port"), "{text}");
    drop(taken);

    let out = Command::new(BIN)
        .args([
            "secretsmanager",
            "list-secrets",
            "--endpoint-url",
            &format!("http://127.0.0.1:{port}"),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(255));
    assert!(text.contains("awsemu start"), "{text}");
}

fn client(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

// Multi-threaded: the client blocks a thread while the server in this process answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_options_go_anywhere_and_typos_get_suggestions() {
    let server = TestServer::isolated().await;
    let url = format!("http://{}", server.addr);
    create(&server.client(), "first/one", "v").await;
    let (code, out, err) = client(&[
        "--endpoint-url",
        &url,
        "--region",
        REGION,
        "--output",
        "text",
        "--debug",
        "--query",
        "SecretList[].Name",
        "--cli-binary-format",
        "raw-in-base64-out",
        "secretsmanager",
        "list-secrets",
    ]);
    assert_eq!((code, out.trim()), (0, "first/one"), "{err}");
    assert!(err.contains("DEBUG ListSecrets POST"), "{err}");
    assert!(err.contains("DEBUG ListSecrets answered 200"), "{err}");
    let (code, _, err) = client(&["--endpoint-url", &url, "secretmanager", "list-secrets"]);
    assert_eq!(code, 252);
    assert!(err.contains("Did you mean: secretsmanager?"), "{err}");
    let (code, _, err) = client(&["secretsmanager", "list-secret", "--endpoint-url", &url]);
    assert_eq!(code, 252);
    assert!(err.contains("Did you mean: list-secrets?"), "{err}");
    // `awsemu reset` wipes the running emulator's state.
    let (code, out, err) = client(&["reset", "--endpoint-url", &url]);
    assert_eq!(code, 0, "{out}{err}");
    let listed = server.client().list_secrets().send().await.unwrap();
    assert!(listed.secret_list().is_empty());
}

// Multi-threaded: reading the server's log blocks a thread while the SDK call runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_interpreter_shim_is_reported_with_the_one_that_runs_instead() {
    use std::os::unix::fs::PermissionsExt;
    // A version manager's shim for an interpreter that is not installed: on PATH, but failing.
    let shims = temp_dir("first-shims");
    std::fs::create_dir_all(&shims).unwrap();
    let shim = shims.join("python3.12");
    std::fs::write(
        &shim,
        "#!/bin/sh\necho 'python3.12: command not found' >&2\nexit 127\n",
    )
    .unwrap();
    std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", shims.display(), std::env::var("PATH").unwrap());
    let (child, addr) = logged_server(&[("PATH", &path)]);
    let l = lambda_client(addr);
    let code: &[(&str, &[u8], u32)] = &[("app.py", b"def handler(e, c):\n    return 1\n", 0o644)];
    create_function(&l, "shimmed", "python3.12", "app.handler", code, &[], 10).await;
    let answer = l.invoke().function_name("shimmed").send().await.unwrap();
    assert_eq!(answer.function_error(), None);
    let err = stop_and_read_log(child);
    assert!(
        err.contains("python3.12 is missing or does not run; functions of that runtime run with"),
        "{err}"
    );
}

/// `awsemu start --port 0` logging warnings to a pipe; returns it and its address.
fn logged_server(env: &[(&str, &str)]) -> (std::process::Child, std::net::SocketAddr) {
    let mut env = env.to_vec();
    env.push(("AWSEMU_LOG", "warn"));
    let mut child = spawn_start(&[], &env);
    let (_, addr) = read_until_ready(child.stdout.take().unwrap());
    (child, addr.unwrap())
}

fn stop_and_read_log(mut child: std::process::Child) -> String {
    let _ = child.kill();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let _ = child.wait();
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_rotation_is_one_warning_that_says_what_to_do() {
    let (child, addr) = logged_server(&[]);
    let l = lambda_client(addr);
    let code: &[(&str, &[u8], u32)] = &[(
        "app.py",
        b"def handler(e, c):\n    raise ValueError('the database refused the new password')\n",
        0o644,
    )];
    create_function(
        &l,
        "failing-rotator",
        "python3.12",
        "app.handler",
        code,
        &[],
        10,
    )
    .await;
    let c = client_for(addr, "test", REGION);
    create(&c, "warned/db", "v").await;
    let version = c
        .rotate_secret()
        .secret_id("warned/db")
        .rotation_lambda_arn(format!(
            "arn:aws:lambda:{REGION}:{ACCOUNT}:function:failing-rotator"
        ))
        .send()
        .await
        .unwrap()
        .version_id
        .unwrap();
    crate::rotation::outcome(addr, &version).await;
    let err = stop_and_read_log(child);
    let warning = err
        .lines()
        .find(|l| l.contains("rotation of"))
        .unwrap_or_else(|| panic!("no warning: {err}"));
    assert!(warning.contains("WARN"), "{warning}");
    assert!(warning.contains(":secret:warned/db-"), "{warning}");
    assert!(
        warning.contains("createSecret failed: ValueError: the database refused the new password"),
        "{warning}"
    );
    assert!(
        warning.contains(&format!("--remove-from-version-id {version}")),
        "{warning}"
    );
    assert!(
        warning.contains("awsemu rotations --secret warned/db"),
        "{warning}"
    );
}

/// Habits brought from LocalStack: GATEWAY_LISTEN picks the address, DEBUG=1 logs each
/// request, settings that do not apply are named once, `/_localstack/init` reports ready.d,
/// and `Ready.` comes once the ready.d scripts have run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn localstack_settings_are_honoured_or_named() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let init = temp_dir("ls-init");
    std::fs::create_dir_all(init.join("ready.d")).unwrap();
    let script = init.join("ready.d/10-slow.sh");
    std::fs::write(&script, "#!/bin/sh\nsleep 1\ntouch done\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let init_arg = init.display().to_string();
    let mut child = Command::new(BIN)
        .args(["start", "--init-dir", &init_arg])
        .env_remove("PERSISTENCE")
        .env_remove("AWSEMU_PORT")
        .env_remove("AWSEMU_HOST")
        .env_remove("AWSEMU_LOG")
        .env("GATEWAY_LISTEN", format!("127.0.0.1:{port}"))
        .env("DEBUG", "1")
        .env("SERVICES", "s3,secretsmanager")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, addr) = read_until_ready(child.stdout.take().unwrap());
    assert_eq!(addr.map(|a| a.port()), Some(port), "{lines:?}");
    // `Ready.` came after the script, which took a second.
    assert!(init.join("done").exists(), "Ready. before ready.d ran");
    let r = raw(
        addr.unwrap(),
        "GET",
        "/_localstack/init/ready",
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(r.json["completed"], true, "{:?}", r.json);
    assert_eq!(r.json["scripts"][0]["state"], "SUCCESSFUL", "{:?}", r.json);
    assert_eq!(r.json["scripts"][0]["name"], "10-slow.sh");
    let r = raw(addr.unwrap(), "GET", "/_localstack/init", &[], Vec::new()).await;
    assert_eq!(r.json["completed"]["READY"], true);
    let _ = raw_op(addr.unwrap(), "ListSecrets", "{}").await;
    let err = stop_and_read_log(child);
    assert!(
        err.contains("SERVICES") && err.contains("do not apply"),
        "{err}"
    );
    assert!(err.contains("DEBUG"), "debug lines are logged: {err}");
}

#[test]
fn a_persistence_value_not_understood_names_the_variable() {
    let out = Command::new(BIN)
        .args(["start", "--port", "0"])
        .env("PERSISTENCE", "2")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("PERSISTENCE=2"), "{text}");
}

/// A service LocalEmu does not serve is told so in its own protocol, naming those it serves.
#[tokio::test]
async fn an_unserved_service_gets_its_own_kind_of_error() {
    let addr = shared().addr;
    let signed = |service: &str| {
        format!(
            "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, \
             SignedHeaders=host, Signature=00"
        )
    };
    let s3 = signed("s3");
    let r = raw(addr, "GET", "/", &[("authorization", &s3)], Vec::new()).await;
    assert_eq!(r.status, 501);
    let text = String::from_utf8_lossy(&r.body);
    assert!(
        text.contains("<Code>NotImplemented</Code>") && text.contains("Secrets Manager"),
        "{text}"
    );
    let dynamo = signed("dynamodb");
    let r = raw(
        addr,
        "POST",
        "/",
        &[
            ("authorization", &dynamo),
            ("x-amz-target", "DynamoDB_20120810.ListTables"),
            ("content-type", "application/x-amz-json-1.0"),
        ],
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(r.status, 501);
    assert_eq!(r.json["__type"], "NotImplemented");
    assert!(r.json["message"]
        .as_str()
        .unwrap()
        .contains("does not serve dynamodb"));
}

/// `awsemu --endpoint-url URL clock advance 31d` as well as after the command, and the time
/// printed as a person reads it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulators_own_commands_take_global_options_first() {
    let server = TestServer::isolated().await;
    let url = format!("http://{}", server.addr);
    let (code, out, err) = client(&["--endpoint-url", &url, "clock", "advance", "31d"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("2026-02-15T") && out.contains("seconds since"),
        "{out}"
    );
    let (code, out, _) = client(&["clock", "show", "--endpoint-url", &url]);
    assert_eq!(code, 0);
    assert!(out.starts_with("2026-02-15T"), "{out}");
}
