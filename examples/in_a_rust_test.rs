//! A test a user can copy: LocalEmu inside `cargo test`, with the official AWS SDK.
//!
//! In your project: `cargo add --dev localemu tokio aws-sdk-secretsmanager`, then write tests
//! like these. Run this one with `cargo test --example in_a_rust_test`.

#![allow(clippy::unwrap_used, reason = "a test that cannot go on fails loudly")]

fn main() {
    println!("These are tests: cargo test --example in_a_rust_test");
}

#[cfg(test)]
mod tests {
    use localemu::Emulator;
    use std::time::Duration;

    #[tokio::test]
    async fn secrets_round_trip() {
        // In memory, on a free port; stopped when `emu` is dropped.
        let emu = Emulator::start().await.unwrap();
        let sm = aws_sdk_secretsmanager::Client::new(&emu.sdk_config());
        sm.create_secret()
            .name("app/db")
            .secret_string(r#"{"user":"app","password":"s3cret"}"#)
            .send()
            .await
            .unwrap();
        let value = sm
            .get_secret_value()
            .secret_id("app/db")
            .send()
            .await
            .unwrap();
        assert!(value.secret_string().unwrap().contains("s3cret"));
    }

    #[tokio::test]
    async fn time_moves_when_the_test_says_so() {
        // A clock that stands still until the test moves it: deletion windows and rotation
        // schedules without waiting.
        let emu = Emulator::builder()
            .frozen_at(1_767_225_600_000)
            .start()
            .await
            .unwrap();
        let sm = aws_sdk_secretsmanager::Client::new(&emu.sdk_config());
        sm.create_secret()
            .name("temp")
            .secret_string("v")
            .send()
            .await
            .unwrap();
        sm.delete_secret()
            .secret_id("temp")
            .recovery_window_in_days(7)
            .send()
            .await
            .unwrap();
        emu.advance(Duration::from_hours(8 * 24)).unwrap();
        let gone = sm.describe_secret().secret_id("temp").send().await;
        assert!(gone.is_err(), "purged once its recovery window ended");
        emu.stop().await;
    }
}
