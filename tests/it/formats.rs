//! Data written by earlier builds: a data directory recorded before records carried a format
//! version still opens, and every service reads its records back.

use crate::common::*;
use aws_sdk_kms::primitives::Blob;
use base64::Engine as _;
use localemu::clock::ManualClock;
use std::path::Path;
use std::sync::Arc;

/// 2026-12-07 05:00 UTC: a few hours after the fixture was written, before its deleted
/// secret's recovery window ends.
const AFTER_FIXTURE: i64 = 1_796_619_600_000;

/// A copy of a fixture directory, so the test never changes the committed files.
fn copy_of(fixture: &str) -> std::path::PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/fixtures")
        .join(fixture);
    let to = temp_dir(fixture);
    std::fs::create_dir_all(&to).unwrap();
    for name in ["localemu.redb", "root.key"] {
        std::fs::copy(from.join(name), to.join(name)).unwrap();
    }
    to
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_directory_from_before_versioned_records_opens() {
    let dir = copy_of("datadir-2026-12-07");
    let clock = Arc::new(ManualClock::new(AFTER_FIXTURE));
    let server = PersistentServer::start(&dir, clock.clone()).await;
    let sm = server.client();
    assert_eq!(current_value(&sm, "fixture/plain").await, "v2");
    assert_eq!(current_value(&sm, "fixture/cmk").await, "cmk-value");
    let binary = sm
        .get_secret_value()
        .secret_id("fixture/binary")
        .send()
        .await
        .unwrap();
    assert_eq!(binary.secret_binary().unwrap().as_ref(), b"hello");
    let plain = sm
        .describe_secret()
        .secret_id("fixture/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.tags()[0].value(), Some("blue"));
    assert_eq!(
        plain
            .version_ids_to_stages()
            .map(std::collections::HashMap::len),
        Some(2)
    );
    let gone = sm
        .describe_secret()
        .secret_id("fixture/gone")
        .send()
        .await
        .unwrap();
    assert!(gone.deleted_date().is_some());

    let kms = kms_client(server.addr, ACCOUNT);
    let key = kms
        .describe_key()
        .key_id("alias/fixture")
        .send()
        .await
        .unwrap();
    let key = key.key_metadata().unwrap();
    assert_eq!(key.key_id(), "58a3311d-79ae-4ff8-9158-ba18a9a683f0");
    assert_eq!(key.description(), Some("fixture-key"));
    let sealed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/it/fixtures/datadir-2026-12-07/ciphertext.txt"),
    )
    .unwrap();
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(sealed.trim())
        .unwrap();
    let plain = kms
        .decrypt()
        .ciphertext_blob(Blob::new(sealed))
        .send()
        .await
        .unwrap();
    // The AWS CLI sent its --plaintext argument as text.
    assert_eq!(plain.plaintext().unwrap().as_ref(), b"aGVsbG8gZml4dHVyZQ==");

    let ssm = sdk_client!(aws_sdk_ssm, server.addr, REGION, test_key("test"));
    for (name, value) in [
        ("/fixture/param", "pv"),
        ("/fixture/secure", "sv"),
        ("/fixture/stack-param", "from-stack"),
    ] {
        let p = ssm
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send()
            .await
            .unwrap();
        assert_eq!(p.parameter().unwrap().value(), Some(value), "{name}");
    }

    let lambda = lambda_client(server.addr);
    let f = lambda
        .get_function()
        .function_name("fixture-fn")
        .send()
        .await
        .unwrap();
    assert_eq!(f.configuration().unwrap().handler(), Some("index.handler"));

    let eb = sdk_client!(aws_sdk_eventbridge, server.addr, REGION, test_key("test"));
    let rule = eb
        .describe_rule()
        .name("fixture-rule")
        .send()
        .await
        .unwrap();
    assert_eq!(rule.schedule_expression(), Some("rate(1 hour)"));

    let cfn = sdk_client!(
        aws_sdk_cloudformation,
        server.addr,
        REGION,
        test_key("test")
    );
    let stacks = cfn
        .describe_stacks()
        .stack_name("fixture-stack")
        .send()
        .await
        .unwrap();
    let status = stacks.stacks()[0].stack_status().unwrap();
    assert_eq!(status.as_str(), "CREATE_COMPLETE");

    // The STS key was an untyped blob then: it is adopted, so the session an older build
    // issued from this directory still says who it is, now and after another restart.
    assert_eq!(fixture_session_arn(server.addr).await, FIXTURE_SESSION);
    server.stop().await;
    let server = PersistentServer::start(&dir, clock).await;
    assert_eq!(fixture_session_arn(server.addr).await, FIXTURE_SESSION);
    server.stop().await;
    let store = localemu::store::Store::open(&dir).unwrap();
    let sts: Vec<String> = store
        .take_loaded_blobs("sts\0")
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    assert_eq!(sts, ["sts\0key\0session"], "the untyped copy is gone");
}

/// The session `session.json` holds: issued (AssumeRole) by build 4e51167 from the fixture's
/// STS key, before that key became a typed record.
const FIXTURE_SESSION: &str =
    "arn:aws:sts::111111111111:assumed-role/fixture-reader/fixture-session";

/// Who the fixture's session is, asked with its temporary credentials.
async fn fixture_session_arn(addr: std::net::SocketAddr) -> String {
    let issued: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/it/fixtures/datadir-2026-12-07/session.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let c = &issued["Credentials"];
    let text = |field: &str| c[field].as_str().unwrap().to_string();
    let creds = aws_credential_types::Credentials::new(
        text("AccessKeyId"),
        text("SecretAccessKey"),
        Some(text("SessionToken")),
        None,
        "fixture",
    );
    crate::identity::caller_arn(addr, creds).await
}
