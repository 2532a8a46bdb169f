//! LocalEmu: a local emulator of AWS Secrets Manager that speaks AWS's own wire protocol.

// A panic in the server loses every in-memory secret: `unwrap`, `expect` and `panic!` are
// denied outside tests (Cargo.toml's `[lints]`, relaxed for tests in `clippy.toml`).

pub use localemu_store::{domain, policy, store};
pub use localemu_wire::{clock, crypto, error, generated, outbound, wire};

pub mod cloudformation;
pub mod config;
pub mod embed;
pub mod events;
pub mod extension;
pub mod guard;
pub mod init;
pub mod kms;
pub mod lambda;
pub mod protocol;
pub mod secretsmanager;
pub mod server;
pub mod ssm;
pub mod sts;

pub use embed::{Builder, Emulator};
