//! The README's pytest fixture and Jest global setup (`examples/pytest`, `examples/jest`), run
//! against the real binary. pytest, Jest and the AWS SDK for JavaScript are installed once
//! under the target directory when the machine lacks them.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_awsemu");

fn examples(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(dir)
}

fn tool_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// What PYTHONPATH must hold for `import pytest` (empty when the interpreter has it).
fn pytest_path() -> String {
    let has = Command::new("python3")
        .args(["-c", "import pytest, boto3"])
        .status()
        .is_ok_and(|s| s.success());
    if has {
        return String::new();
    }
    let site = tool_dir("pytest-site");
    if !site.join("pytest").exists() {
        let ok = Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "--target"])
            .arg(&site)
            .args(["pytest==8.3.4", "boto3"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "pip could not install pytest");
    }
    site.display().to_string()
}

#[test]
fn the_pytest_fixture_runs_against_the_binary() {
    let out = Command::new("python3")
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(examples("pytest"))
        .env("PYTHONPATH", pytest_path())
        .env("AWSEMU_BIN", BIN)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("2 passed"), "{text}");
}

#[test]
fn the_jest_global_setup_runs_against_the_binary() {
    let dir = tool_dir("jest-project");
    std::fs::create_dir_all(&dir).unwrap();
    if !dir.join("node_modules/jest").exists() {
        std::fs::write(
            dir.join("package.json"),
            r#"{"name": "awsemu-jest-example", "private": true}"#,
        )
        .unwrap();
        let ok = Command::new("npm")
            .args([
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "jest@29",
                "@aws-sdk/client-secrets-manager@3",
            ])
            .current_dir(&dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "npm could not install jest");
    }
    // The example files, exactly as the README shows them, in the project that has Jest.
    for f in [
        "global-setup.cjs",
        "global-teardown.cjs",
        "jest.config.cjs",
        "secrets.test.cjs",
    ] {
        std::fs::copy(examples("jest").join(f), dir.join(f)).unwrap();
    }
    let out = Command::new("node")
        .args([
            "node_modules/jest/bin/jest.js",
            "--config",
            "jest.config.cjs",
            "--ci",
        ])
        .current_dir(&dir)
        .env("AWSEMU_BIN", BIN)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("2 passed"), "{text}");
}
