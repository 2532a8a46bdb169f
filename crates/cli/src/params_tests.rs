//! Tests of `params`.

use super::super::ops::{find, LAMBDA, SECRETSMANAGER};
use super::*;
use serde_json::json;

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(std::string::ToString::to_string).collect()
}

fn input(service: &[super::Op], command: &str, list: &[&str]) -> Value {
    let op = find(service, command).unwrap();
    Value::Object(parse(op, &args(list)).unwrap().input)
}

#[test]
fn strings_numbers_booleans_and_lists() {
    let v = input(
        SECRETSMANAGER,
        "delete-secret",
        &[
            "--secret-id",
            "a",
            "--recovery-window-in-days",
            "7",
            "--no-force-delete-without-recovery",
        ],
    );
    assert_eq!(
        v,
        json!({"SecretId": "a", "RecoveryWindowInDays": 7, "ForceDeleteWithoutRecovery": false})
    );
    let v = input(
        SECRETSMANAGER,
        "untag-resource",
        &["--secret-id", "a", "--tag-keys", "k1", "k2"],
    );
    assert_eq!(v["TagKeys"], json!(["k1", "k2"]));
    let v = input(
        SECRETSMANAGER,
        "put-secret-value",
        &["--secret-id=a", "--version-stages", "A,B"],
    );
    assert_eq!(v["VersionStages"], json!(["A", "B"]));
}

#[test]
fn shorthand_and_json_structures() {
    let v = input(
        SECRETSMANAGER,
        "tag-resource",
        &[
            "--secret-id",
            "a",
            "--tags",
            "Key=env,Value=prod",
            "Key=team,Value=db",
        ],
    );
    assert_eq!(
        v["Tags"],
        json!([{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "db"}])
    );
    let v = input(
        SECRETSMANAGER,
        "tag-resource",
        &["--secret-id", "a", "--tags", r#"[{"Key":"k","Value":"v"}]"#],
    );
    assert_eq!(v["Tags"], json!([{"Key": "k", "Value": "v"}]));
    let v = input(
        SECRETSMANAGER,
        "list-secrets",
        &["--filters", "Key=name,Values=prod,dev"],
    );
    assert_eq!(
        v["Filters"],
        json!([{"Key": "name", "Values": ["prod", "dev"]}])
    );
    let v = input(
        SECRETSMANAGER,
        "rotate-secret",
        &[
            "--secret-id",
            "a",
            "--rotation-rules",
            "AutomaticallyAfterDays=30",
        ],
    );
    assert_eq!(v["RotationRules"], json!({"AutomaticallyAfterDays": 30}));
    let v = input(
        LAMBDA,
        "update-function-configuration",
        &[
            "--function-name",
            "f",
            "--environment",
            "Variables={A=1,B=x}",
        ],
    );
    assert_eq!(v["Environment"], json!({"Variables": {"A": "1", "B": "x"}}));
}

#[test]
fn files_and_blobs() {
    let dir = std::env::temp_dir().join(format!("localemu-params-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = dir.join("policy.json");
    std::fs::write(&text, "{\"Version\":\"2012-10-17\"}").unwrap();
    let bin = dir.join("blob.bin");
    std::fs::write(&bin, [0u8, 1, 255]).unwrap();
    let v = input(
        SECRETSMANAGER,
        "validate-resource-policy",
        &["--resource-policy", &format!("file://{}", text.display())],
    );
    assert_eq!(v["ResourcePolicy"], "{\"Version\":\"2012-10-17\"}");
    let v = input(
        SECRETSMANAGER,
        "create-secret",
        &[
            "--name",
            "n",
            "--secret-binary",
            &format!("fileb://{}", bin.display()),
        ],
    );
    assert_eq!(v["SecretBinary"], "AAH/");
    let v = input(
        LAMBDA,
        "create-function",
        &[
            "--function-name",
            "f",
            "--role",
            "r",
            "--zip-file",
            &format!("fileb://{}", bin.display()),
        ],
    );
    assert_eq!(v["Code"], json!({"ZipFile": "AAH/"}));
    let op = find(SECRETSMANAGER, "create-secret").unwrap();
    assert!(parse(
        op,
        &args(&["--name", "n", "--secret-binary", "not base64!"])
    )
    .is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn usage_errors() {
    let op = find(SECRETSMANAGER, "get-secret-value").unwrap();
    assert!(parse(op, &args(&[]))
        .unwrap_err()
        .contains("required: --secret-id"));
    assert!(parse(op, &args(&["--secret-id", "a", "--bogus", "1"]))
        .unwrap_err()
        .contains("Unknown options: --bogus"));
    assert!(parse(op, &args(&["--secret-id"]))
        .unwrap_err()
        .contains("expected one argument"));
    let op = find(SECRETSMANAGER, "delete-secret").unwrap();
    assert!(parse(
        op,
        &args(&["--secret-id", "a", "--recovery-window-in-days", "x"])
    )
    .unwrap_err()
    .contains("invalid literal"));
    let g = parse(
        op,
        &args(&[
            "--secret-id",
            "a",
            "--query",
            "ARN",
            "--output",
            "text",
            "--region",
            "eu-west-1",
        ]),
    )
    .unwrap()
    .globals;
    assert_eq!(
        (g.query.as_deref(), g.output.as_deref(), g.region.as_deref()),
        (Some("ARN"), Some("text"), Some("eu-west-1"))
    );
}

#[test]
fn timestamps_are_taken_as_the_aws_cli_takes_them() {
    for (given, seconds) in [
        ("1767225600", 1_767_225_600.0),
        ("2026-01-01", 1_767_225_600.0),
        ("2026-01-01T00:00:00Z", 1_767_225_600.0),
        ("2026-01-01T00:00:00", 1_767_225_600.0),
        ("2026-01-01T01:00:00+01:00", 1_767_225_600.0),
        ("2026-01-01T00:00:00.5Z", 1_767_225_600.5),
    ] {
        assert_eq!(
            convert(&[given.to_string()], Ty::Time, "--at", false).unwrap(),
            json!(seconds),
            "{given}"
        );
    }
    for bad in ["T", "yesterday", "2026-13-01"] {
        assert!(convert(&[bad.to_string()], Ty::Time, "--at", false).is_err());
    }
}
