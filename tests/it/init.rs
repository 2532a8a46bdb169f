//! `awsemu start --init FILE` and `--init-dir DIR`: seeded secrets, functions, keys and
//! parameters, created once and left alone after; a bad file refused before anything is
//! created; ready.d scripts run against the ready server.

use crate::binary::Emu;
use crate::common::*;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_awsemu");

fn start_with(dir: &Path, init: &Path, init_dir: Option<&Path>) -> Emu {
    let mut command = Command::new(BIN);
    command
        .args(["start", "--persist", "--port", "0", "--data-dir"])
        .arg(dir)
        .arg("--init")
        .arg(init);
    if let Some(d) = init_dir {
        command.arg("--init-dir").arg(d);
    }
    Emu::spawn(command)
}

fn project(name: &str, init: &str) -> std::path::PathBuf {
    let root = temp_dir(name);
    std::fs::create_dir_all(root.join("rotator")).unwrap();
    std::fs::write(
        root.join("rotator/app.py"),
        "def handler(event, context):\n    return None\n",
    )
    .unwrap();
    std::fs::write(root.join("init.yaml"), init).unwrap();
    root
}

const INIT: &str = r#"
keys:
  - alias: alias/app
functions:
  - name: rotator
    runtime: python3.12
    handler: app.handler
    code: rotator
    permissions:
      - statementId: secretsmanager
        principal: secretsmanager.amazonaws.com
secrets:
  - name: app/db
    value: {user: app, password: s3cret}
    kmsKeyId: alias/app
    tags: {team: core}
    policy:
      Version: "2012-10-17"
      Statement:
        - {Effect: Allow, Principal: {AWS: "222222222222"}, Action: "secretsmanager:GetSecretValue", Resource: "*"}
    rotation: {function: rotator, automaticallyAfterDays: 30}
  - name: other-account
    account: "111111111111"
    region: eu-west-1
    value: elsewhere
parameters:
  - {name: /app/host, value: db.internal}
  - {name: /app/password, value: s3cret, type: SecureString}
"#;

#[tokio::test]
async fn an_init_file_seeds_once_and_ready_scripts_run() {
    let root = project("init-ok", INIT);
    std::fs::create_dir_all(root.join("ready.d")).unwrap();
    let script = root.join("ready.d/10-mark.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho \"$AWS_ENDPOINT_URL $AWS_REGION\" > marker\nexit 0\n",
    )
    .unwrap();
    std::fs::write(root.join("ready.d/20-fails.sh"), "#!/bin/sh\nexit 4\n").unwrap();
    std::fs::write(root.join("ready.d/30-after.sh"), "#!/bin/sh\ntouch after\n").unwrap();
    for f in ["10-mark.sh", "20-fails.sh", "30-after.sh"] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            root.join("ready.d").join(f),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }
    let data = root.join("data");
    let emu = start_with(&data, &root.join("init.yaml"), Some(&root));
    let c = emu.client();
    let d = c
        .describe_secret()
        .secret_id("app/db")
        .send()
        .await
        .unwrap();
    assert_eq!(d.kms_key_id(), Some("alias/app"));
    assert_eq!(d.rotation_enabled(), Some(true));
    assert_eq!(d.tags().len(), 1);
    assert!(current_value(&c, "app/db").await.contains("s3cret"));
    let policy = c
        .get_resource_policy()
        .secret_id("app/db")
        .send()
        .await
        .unwrap();
    assert!(policy.resource_policy().unwrap().contains("222222222222"));
    let other = client_for(emu.addr, "111111111111", "eu-west-1");
    assert_eq!(current_value(&other, "other-account").await, "elsewhere");
    let ssm = sdk_client!(aws_sdk_ssm, emu.addr, REGION, test_key("test"));
    let p = ssm
        .get_parameter()
        .name("/app/password")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(p.parameter.unwrap().value(), Some("s3cret"));
    // The scripts ran in order against this server; a failing one did not stop the next.
    let endpoint = format!("http://{}", emu.addr);
    for _ in 0..100 {
        if root.join("after").exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let marker = std::fs::read_to_string(root.join("marker")).unwrap();
    assert_eq!(marker.trim(), format!("{endpoint} us-east-1"));
    assert!(root.join("after").exists());
    assert!(
        c.list_secrets().send().await.is_ok(),
        "the server keeps running"
    );
    let versions = c
        .list_secret_version_ids()
        .secret_id("app/db")
        .send()
        .await
        .unwrap()
        .versions()
        .len();
    emu.kill();
    // Started again with the same file: nothing new, nothing changed.
    let emu = start_with(&data, &root.join("init.yaml"), None);
    let c = emu.client();
    let again = c
        .list_secret_version_ids()
        .secret_id("app/db")
        .send()
        .await
        .unwrap()
        .versions()
        .len();
    assert_eq!(again, versions);
    assert_eq!(
        c.list_secrets().send().await.unwrap().secret_list().len(),
        1
    );
    emu.kill();
}

#[tokio::test]
async fn a_bad_init_file_stops_start_up_and_creates_nothing() {
    let bad = format!("{INIT}  - {{name: /aws/not-allowed, value: x}}\n");
    let root = project("init-bad", &bad);
    let data = root.join("data");
    let out = Command::new(BIN)
        .args(["start", "--persist", "--port", "0", "--data-dir"])
        .arg(&data)
        .arg("--init")
        .arg(root.join("init.yaml"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success());
    assert!(text.contains("parameter /aws/not-allowed"), "{text}");
    assert!(text.contains("ValidationException"), "{text}");
    assert!(text.contains("nothing was created"), "{text}");
    let emu = Emu::start(&data);
    assert!(emu
        .client()
        .list_secrets()
        .send()
        .await
        .unwrap()
        .secret_list()
        .is_empty());
    emu.kill();
    // Unknown fields and missing code are named too.
    for (init, expected) in [
        ("secrets:\n  - {name: x, valu: 1}\n", "unknown field `valu`"),
        (
            "functions:\n  - {name: f, runtime: python3.12, handler: a.b, code: nowhere}\n",
            "function f: its code",
        ),
    ] {
        let root = project("init-bad-shape", init);
        let out = Command::new(BIN)
            .args(["start", "--port", "0", "--init"])
            .arg(root.join("init.yaml"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(!out.status.success() && text.contains(expected), "{text}");
    }
}

/// The documented start commands with relative paths (PERSISTENCE=1's default `.localemu`,
/// `--init-dir init`), run from a project directory: functions run and ready.d scripts run,
/// although both work in directories of their own.
#[tokio::test]
async fn relative_paths_work_from_the_directory_they_were_given_in() {
    use std::os::unix::fs::PermissionsExt;
    let root = temp_dir("relative-paths");
    std::fs::create_dir_all(root.join("init/ready.d")).unwrap();
    let script = root.join("init/ready.d/10-mark.sh");
    std::fs::write(&script, "#!/bin/sh\ntouch ready-ran\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_awsemu"));
    command
        .args(["start", "--port", "0", "--init-dir", "init"])
        .env("PERSISTENCE", "1")
        .env_remove("AWSEMU_DATA_DIR")
        .current_dir(&root);
    let emu = crate::binary::Emu::spawn(command);
    assert!(root.join(".localemu/localemu.redb").exists());
    let lambda = lambda_client(emu.addr);
    let f = create_function(
        &lambda,
        "relative",
        "python3.12",
        "index.handler",
        &[("index.py", b"def handler(e, c):\n    return 42\n", 0o644)],
        &[],
        10,
    )
    .await;
    let out = lambda.invoke().function_name(&f).send().await.unwrap();
    assert_eq!(out.function_error(), None, "{:?}", out.payload());
    assert_eq!(out.payload().unwrap().as_ref(), b"42");
    for _ in 0..100 {
        if root.join("init/ready-ran").exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        root.join("init/ready-ran").exists(),
        "the ready.d script ran, in the init directory"
    );
    emu.kill();
}
