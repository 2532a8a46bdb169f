//! The `awsemu` client end to end: the documented transcript, pagination, output formats, and
//! the AWS CLI's errors and exit codes, against a real server.

use crate::common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_awsemu");

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn awsemu(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("AWS_ENDPOINT_URL", format!("http://{}", shared().addr))
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_DEFAULT_OUTPUT")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).to_string(),
        stderr: String::from_utf8_lossy(&out.stderr).to_string(),
    }
}

pub fn ok(dir: &Path, args: &[&str]) -> String {
    let r = awsemu(dir, args);
    assert_eq!(r.code, 0, "{args:?}\n{}", r.stderr);
    r.stdout
}

pub fn workdir() -> PathBuf {
    let dir = temp_dir("cli");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_documented_transcript() {
    let dir = workdir();
    let rotate = format!(
        "{}\nlambda_handler = handler\n",
        String::from_utf8_lossy(include_bytes!("fixtures/rotation.py"))
    );
    std::fs::write(
        dir.join("rotate.zip"),
        zip_of(&[("rotate.py", rotate.as_bytes(), 0o644)]),
    )
    .unwrap();
    std::fs::write(
        dir.join("policy.json"),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/app"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#,
    )
    .unwrap();

    let created = ok(
        &dir,
        &[
            "secretsmanager",
            "create-secret",
            "--name",
            "prod/db/password",
            "--secret-string",
            r#"{"username":"appuser","password":"r3al-secret"}"#,
        ],
    );
    assert!(created.starts_with("{\n    \"ARN\": \"arn:aws:secretsmanager:us-east-1:000000000000:secret:prod/db/password-"), "{created}");
    let created: Value = serde_json::from_str(&created).unwrap();
    assert_eq!(created["Name"], "prod/db/password");

    let value = ok(
        &dir,
        &[
            "secretsmanager",
            "get-secret-value",
            "--secret-id",
            "prod/db/password",
            "--query",
            "SecretString",
            "--output",
            "text",
        ],
    );
    assert_eq!(
        value,
        "{\"username\":\"appuser\",\"password\":\"r3al-secret\"}\n"
    );

    let new_version = ok(
        &dir,
        &[
            "secretsmanager",
            "update-secret",
            "--secret-id",
            "prod/db/password",
            "--secret-string",
            r#"{"username":"appuser","password":"new-rotated-value"}"#,
            "--query",
            "VersionId",
            "--output",
            "text",
        ],
    );
    assert_eq!(new_version.trim().len(), 36);

    let listed = ok(
        &dir,
        &[
            "secretsmanager",
            "list-secret-version-ids",
            "--secret-id",
            "prod/db/password",
            "--query",
            "Versions[].{Id:VersionId,Stages:VersionStages}",
        ],
    );
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    // Oldest first, as AWS lists them.
    assert_eq!(listed[1]["Id"], new_version.trim());
    assert_eq!(listed[1]["Stages"][0], "AWSCURRENT");

    let current = ok(
        &dir,
        &[
            "secretsmanager",
            "list-secret-version-ids",
            "--secret-id",
            "prod/db/password",
            "--query",
            "Versions[?contains(VersionStages, `AWSCURRENT`)].VersionId | [0]",
            "--output",
            "text",
        ],
    );
    let previous = ok(
        &dir,
        &[
            "secretsmanager",
            "list-secret-version-ids",
            "--secret-id",
            "prod/db/password",
            "--query",
            "Versions[?contains(VersionStages, `AWSPREVIOUS`)].VersionId | [0]",
            "--output",
            "text",
        ],
    );
    assert_eq!(current.trim(), new_version.trim());
    let (current, previous) = (current.trim().to_string(), previous.trim().to_string());
    let moved = ok(
        &dir,
        &[
            "secretsmanager",
            "update-secret-version-stage",
            "--secret-id",
            "prod/db/password",
            "--version-stage",
            "AWSCURRENT",
            "--remove-from-version-id",
            &current,
            "--move-to-version-id",
            &previous,
        ],
    );
    let moved: Value = serde_json::from_str(&moved).unwrap();
    assert_eq!(moved["Name"], "prod/db/password");
    let back = ok(
        &dir,
        &[
            "secretsmanager",
            "get-secret-value",
            "--secret-id",
            "prod/db/password",
            "--query",
            "SecretString",
            "--output",
            "text",
        ],
    );
    assert!(
        back.contains("r3al-secret"),
        "the previous value is current again"
    );

    let arn = ok(
        &dir,
        &[
            "lambda",
            "create-function",
            "--function-name",
            "rotator",
            "--runtime",
            "python3.12",
            "--handler",
            "rotate.lambda_handler",
            "--role",
            "arn:aws:iam::000000000000:role/lambda-role",
            "--zip-file",
            "fileb://rotate.zip",
            "--query",
            "FunctionArn",
            "--output",
            "text",
        ],
    );
    assert_eq!(
        arn,
        "arn:aws:lambda:us-east-1:000000000000:function:rotator\n"
    );
    let rotation = ok(
        &dir,
        &[
            "secretsmanager",
            "rotate-secret",
            "--secret-id",
            "prod/db/password",
            "--rotation-lambda-arn",
            "arn:aws:lambda:us-east-1:000000000000:function:rotator",
            "--rotation-rules",
            "AutomaticallyAfterDays=30",
            "--query",
            "VersionId",
            "--output",
            "text",
        ],
    );
    assert_eq!(rotation.trim().len(), 36);
    let passed = ok(
        &dir,
        &[
            "secretsmanager",
            "validate-resource-policy",
            "--secret-id",
            "prod/db/password",
            "--resource-policy",
            "file://policy.json",
            "--query",
            "PolicyValidationPassed",
        ],
    );
    assert_eq!(passed, "true\n");
}

#[test]
fn errors_and_exit_codes() {
    let dir = workdir();
    let r = awsemu(
        &dir,
        &[
            "secretsmanager",
            "get-secret-value",
            "--secret-id",
            &unique("cli/missing"),
        ],
    );
    assert_eq!(r.code, 254);
    assert_eq!(
        r.stderr.trim(),
        "An error occurred (ResourceNotFoundException) when calling the GetSecretValue operation: Secrets Manager can't find the specified secret."
    );
    let r = awsemu(&dir, &["secretsmanager", "get-secret-valu"]);
    assert_eq!(r.code, 252);
    assert!(
        r.stderr.contains("Invalid choice") && r.stderr.contains("get-secret-value"),
        "{}",
        r.stderr
    );
    let r = awsemu(&dir, &["secretsmanager", "get-secret-value"]);
    assert_eq!(r.code, 252);
    assert!(r
        .stderr
        .contains("the following arguments are required: --secret-id"));
    let r = awsemu(
        &dir,
        &[
            "secretsmanager",
            "describe-secret",
            "--secret-id",
            "x",
            "--secretid",
            "y",
        ],
    );
    assert_eq!(r.code, 252);
    assert!(r.stderr.contains("Unknown options: --secretid"));
    let r = awsemu(
        &dir,
        &[
            "secretsmanager",
            "describe-secret",
            "--secret-id",
            "x",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ],
    );
    assert_eq!(r.code, 255);
    assert!(r.stderr.contains("Could not connect to the endpoint URL"));
    let r = awsemu(
        &dir,
        &[
            "secretsmanager",
            "describe-secret",
            "--secret-id",
            "x",
            "--query",
            "Name[",
        ],
    );
    assert_eq!(r.code, 252);
    for args in [
        &["help"][..],
        &["secretsmanager", "help"],
        &["lambda", "invoke", "help"],
    ] {
        let r = awsemu(&dir, args);
        assert_eq!(r.code, 0);
        assert!(!r.stdout.is_empty());
    }
    assert!(awsemu(&dir, &["secretsmanager", "help"])
        .stdout
        .contains("replicate-secret-to-regions"));
}

#[test]
fn automatic_pagination() {
    let dir = workdir();
    let prefix = unique("clipage");
    for i in 0..5 {
        ok(
            &dir,
            &[
                "secretsmanager",
                "create-secret",
                "--name",
                &format!("{prefix}/{i}"),
                "--secret-string",
                "v",
            ],
        );
    }
    let filter = format!("Key=name,Values={prefix}");
    let names = |extra: &[&str]| -> Value {
        let mut args = vec![
            "secretsmanager",
            "list-secrets",
            "--filters",
            filter.as_str(),
        ];
        args.extend_from_slice(extra);
        serde_json::from_str(&ok(&dir, &args)).unwrap()
    };
    let all = names(&["--page-size", "2"]);
    assert_eq!(all["SecretList"].as_array().unwrap().len(), 5);
    assert!(all.get("NextToken").is_none());
    let first = names(&["--max-items", "3", "--page-size", "2"]);
    assert_eq!(first["SecretList"].as_array().unwrap().len(), 3);
    let token = first["NextToken"].as_str().unwrap().to_string();
    let rest = names(&["--starting-token", &token, "--page-size", "2"]);
    let rest_names: Vec<&str> = rest["SecretList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Name"].as_str().unwrap())
        .collect();
    assert_eq!(rest_names, [format!("{prefix}/3"), format!("{prefix}/4")]);
    let one_page = names(&["--no-paginate", "--max-results", "2"]);
    assert_eq!(one_page["SecretList"].as_array().unwrap().len(), 2);
    assert!(one_page["NextToken"].is_string());
}

#[test]
fn output_formats_and_invoke() {
    let dir = workdir();
    let name = unique("cli/formats");
    ok(
        &dir,
        &[
            "secretsmanager",
            "create-secret",
            "--name",
            &name,
            "--secret-string",
            "v",
            "--tags",
            "Key=team,Value=db",
        ],
    );
    let text = ok(
        &dir,
        &[
            "secretsmanager",
            "describe-secret",
            "--secret-id",
            &name,
            "--output",
            "text",
        ],
    );
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("arn:aws:secretsmanager:"), "{text}");
    assert!(lines.contains(&"TAGS\tteam\tdb"), "{text}");
    // AWS CLI v2's YAML: block style, response order, lists under a key not indented.
    let yaml = ok(
        &dir,
        &[
            "secretsmanager",
            "describe-secret",
            "--secret-id",
            &name,
            "--output",
            "yaml",
        ],
    );
    assert!(yaml.starts_with("ARN: arn:aws:secretsmanager:"), "{yaml}");
    assert!(yaml.contains(&format!("\nName: {name}\n")), "{yaml}");
    assert!(yaml.contains("Tags:\n- Key: team\n  Value: db\n"), "{yaml}");
    let stream = ok(
        &dir,
        &[
            "secretsmanager",
            "describe-secret",
            "--secret-id",
            &name,
            "--output",
            "yaml-stream",
        ],
    );
    assert!(
        stream.starts_with("- ARN: arn:aws:secretsmanager:"),
        "{stream}"
    );
    let table = ok(
        &dir,
        &[
            "secretsmanager",
            "describe-secret",
            "--secret-id",
            &name,
            "--output",
            "table",
        ],
    );
    assert!(
        table.lines().nth(1).unwrap().contains("DescribeSecret"),
        "{table}"
    );
    assert!(table.contains(&name));
    let empty = ok(
        &dir,
        &[
            "secretsmanager",
            "tag-resource",
            "--secret-id",
            &name,
            "--tags",
            "Key=a,Value=b",
        ],
    );
    assert_eq!(empty, "", "no output for an answer without members");

    let function = unique("cli-fn").replace('/', "-");
    std::fs::write(
        dir.join("fn.zip"),
        zip_of(&[(
            "app.py",
            b"def handler(e, c):\n    return {'got': e}\n",
            0o644,
        )]),
    )
    .unwrap();
    ok(
        &dir,
        &[
            "lambda",
            "create-function",
            "--function-name",
            &function,
            "--runtime",
            "python3.12",
            "--handler",
            "app.handler",
            "--role",
            "arn:aws:iam::000000000000:role/r",
            "--zip-file",
            "fileb://fn.zip",
        ],
    );
    let meta = ok(
        &dir,
        &[
            "lambda",
            "invoke",
            "--function-name",
            &function,
            "--cli-binary-format",
            "raw-in-base64-out",
            "--payload",
            r#"{"x": 1}"#,
            "out.json",
        ],
    );
    let meta: Value = serde_json::from_str(&meta).unwrap();
    assert_eq!(meta["StatusCode"], 200);
    let payload: Value =
        serde_json::from_slice(&std::fs::read(dir.join("out.json")).unwrap()).unwrap();
    assert_eq!(payload["got"]["x"], 1);
}

#[test]
fn sts_and_kms_commands_work_like_the_aws_cli() {
    let dir = workdir();
    let who: Value = serde_json::from_str(&ok(&dir, &["sts", "get-caller-identity"])).unwrap();
    assert_eq!(who["Account"], "000000000000");
    assert_eq!(who["Arn"], "arn:aws:iam::000000000000:root");
    let arn = ok(
        &dir,
        &[
            "sts",
            "assume-role",
            "--role-arn",
            "arn:aws:iam::111111111111:role/Cli",
            "--role-session-name",
            "cli-test",
            "--tags",
            "Key=team,Value=core",
            "--query",
            "AssumedRoleUser.Arn",
            "--output",
            "text",
        ],
    );
    assert_eq!(
        arn.trim(),
        "arn:aws:sts::111111111111:assumed-role/Cli/cli-test"
    );
    let bad = awsemu(
        &dir,
        &[
            "sts",
            "assume-role",
            "--role-arn",
            "arn:aws:iam::x:role/R",
            "--role-session-name",
            "ab",
        ],
    );
    assert_eq!(bad.code, 254);
    assert!(
        bad.stderr
            .contains("(ValidationError) when calling the AssumeRole operation"),
        "{}",
        bad.stderr
    );
    let id = ok(
        &dir,
        &[
            "kms",
            "create-key",
            "--description",
            "cli",
            "--query",
            "KeyMetadata.KeyId",
            "--output",
            "text",
        ],
    );
    let alias = format!("alias/{}", unique("cli"));
    ok(
        &dir,
        &[
            "kms",
            "create-alias",
            "--alias-name",
            &alias,
            "--target-key-id",
            id.trim(),
        ],
    );
    let state = ok(
        &dir,
        &[
            "kms",
            "describe-key",
            "--key-id",
            &alias,
            "--query",
            "KeyMetadata.KeyState",
            "--output",
            "text",
        ],
    );
    assert_eq!(state.trim(), "Enabled");
    let missing = awsemu(
        &dir,
        &["kms", "describe-key", "--key-id", "alias/never-made"],
    );
    assert_eq!(missing.code, 254);
    assert!(
        missing.stderr.contains("(NotFoundException)"),
        "{}",
        missing.stderr
    );
}

#[test]
fn ssm_commands_work_like_the_aws_cli() {
    let dir = workdir();
    let name = format!("/{}/url", unique("cli-ps"));
    let version = ok(
        &dir,
        &[
            "ssm",
            "put-parameter",
            "--name",
            &name,
            "--value",
            "https://db",
            "--type",
            "String",
            "--query",
            "Version",
            "--output",
            "text",
        ],
    );
    assert_eq!(version.trim(), "1");
    let value = ok(
        &dir,
        &[
            "ssm",
            "get-parameter",
            "--name",
            &name,
            "--query",
            "Parameter.Value",
            "--output",
            "text",
        ],
    );
    assert_eq!(value.trim(), "https://db");
    let exists = awsemu(
        &dir,
        &[
            "ssm",
            "put-parameter",
            "--name",
            &name,
            "--value",
            "x",
            "--type",
            "String",
        ],
    );
    assert_eq!(exists.code, 254);
    assert!(
        exists.stderr.contains("(ParameterAlreadyExists)"),
        "{}",
        exists.stderr
    );
    let missing = awsemu(&dir, &["ssm", "get-parameter", "--name", "/never/made"]);
    assert_eq!(missing.code, 254);
    assert!(
        missing.stderr.contains("(ParameterNotFound)"),
        "{}",
        missing.stderr
    );
}

/// Credentials and region come from the AWS CLI's profile files as the AWS CLI takes them:
/// a secret made with a profile's 12-digit key in its region is found by `awsemu` with that
/// profile, through AWS_PROFILE or --profile; an unknown profile is the AWS CLI's error.
#[tokio::test]
async fn profiles_in_the_shared_files_choose_account_and_region() {
    let home = workdir();
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    std::fs::write(
        home.join(".aws/config"),
        "[default]\nregion = us-east-1\n[profile team]\nregion = eu-central-1\n",
    )
    .unwrap();
    std::fs::write(
        home.join(".aws/credentials"),
        "[team]\naws_access_key_id = 123456789012\naws_secret_access_key = test\n",
    )
    .unwrap();
    let name = unique("profiled");
    let c = client_for(shared().addr, "123456789012", "eu-central-1");
    create(&c, &name, "from-the-profile").await;
    let run = |extra_env: &[(&str, &str)], args: &[&str]| {
        let out = Command::new(BIN)
            .args(args)
            .current_dir(&home)
            .env("HOME", &home)
            .env("AWS_ENDPOINT_URL", format!("http://{}", shared().addr))
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_REGION")
            .env_remove("AWS_DEFAULT_REGION")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_CONFIG_FILE")
            .env_remove("AWS_SHARED_CREDENTIALS_FILE")
            .envs(extra_env.iter().copied())
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let get = [
        "secretsmanager",
        "get-secret-value",
        "--secret-id",
        name.as_str(),
        "--query",
        "SecretString",
        "--output",
        "text",
    ];
    let (code, out, err) = run(&[("AWS_PROFILE", "team")], &get);
    assert_eq!((code, out.as_str()), (0, "from-the-profile"), "{err}");
    let mut with_flag = get.to_vec();
    with_flag.extend(["--profile", "team"]);
    let (code, out, err) = run(&[], &with_flag);
    assert_eq!((code, out.as_str()), (0, "from-the-profile"), "{err}");
    // The default profile is another account and region: not found there.
    let (code, _, err) = run(&[], &get);
    assert_eq!(code, 254, "{err}");
    assert!(err.contains("ResourceNotFoundException"), "{err}");
    let mut missing = get.to_vec();
    missing.extend(["--profile", "nope"]);
    let (code, _, err) = run(&[], &missing);
    assert_eq!(code, 255);
    assert!(
        err.contains("The config profile (nope) could not be found"),
        "{err}"
    );
}
