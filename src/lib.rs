//! LocalEmu: a local emulator of AWS Secrets Manager that speaks AWS's own wire protocol.

// A panic in the server loses every in-memory secret: `unwrap`, `expect` and `panic!` are
// denied outside tests (Cargo.toml's `[lints]`, relaxed for tests in `clippy.toml`).

pub mod admin_client;
pub mod cli;
pub mod clock;
pub mod cloudformation;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod embed;
pub mod error;
pub mod events;
pub mod extension;
#[allow(
    clippy::all,
    clippy::pedantic,
    reason = "written by `cargo codegen` from the models: its shape follows them, not style lints"
)]
pub mod generated;
pub mod guard;
pub mod init;
pub mod kms;
pub mod lambda;
pub mod outbound;
pub mod policy;
pub mod protocol;
pub mod secretsmanager;
pub mod server;
pub mod ssm;
pub mod store;
pub mod sts;
pub mod wire;

pub use embed::{Builder, Emulator};
