//! The library API: `Emulator` started inside a test, with persistence, a strict server, and
//! SDK configurations for other accounts.

use crate::common::*;
use localemu::Emulator;

#[tokio::test]
async fn an_embedded_emulator_persists_and_restarts() {
    let dir = temp_dir("embed");
    let emu = Emulator::builder().persist(&dir).start().await.unwrap();
    assert!(emu.endpoint().starts_with("http://127.0.0.1:"));
    let sm = aws_sdk_secretsmanager::Client::new(&emu.sdk_config());
    create(&sm, "kept", "v1").await;
    let other =
        aws_sdk_secretsmanager::Client::new(&emu.sdk_config_as("123456789012", "eu-west-1"));
    let arn = create(&other, "kept", "elsewhere").await;
    assert!(arn.contains(":eu-west-1:123456789012:"));
    emu.stop().await;
    let emu = Emulator::builder().persist(&dir).start().await.unwrap();
    let sm = aws_sdk_secretsmanager::Client::new(&emu.sdk_config());
    assert_eq!(current_value(&sm, "kept").await, "v1");
    emu.stop().await;
}

#[tokio::test]
async fn an_embedded_strict_emulator_checks_signatures() {
    let emu = Emulator::builder().strict().start().await.unwrap();
    let sm = aws_sdk_secretsmanager::Client::new(&emu.sdk_config());
    sm.list_secrets().send().await.unwrap();
    let unsigned = raw_op(emu.addr(), "ListSecrets", "{}").await;
    assert_eq!(
        unsigned.json["__type"],
        "MissingAuthenticationTokenException"
    );
    let before = emu.now();
    emu.advance(std::time::Duration::from_mins(1)).unwrap();
    assert!(emu.now() >= before + 60_000);
}
