//! LocalEmu: a local emulator of AWS Secrets Manager that speaks AWS's own wire protocol.

// A panic in the server loses every in-memory secret; outside tests, code must handle the
// failure instead, with a justified `allow` only where a panic cannot happen.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod admin_client;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod lambda;
pub mod policy;
pub mod protocol;
pub mod secretsmanager;
pub mod server;
pub mod store;
