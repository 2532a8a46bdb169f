//! LocalEmu: a local emulator of AWS Secrets Manager and the services around it (Lambda, STS,
//! KMS, Parameter Store, CloudFormation, EventBridge), speaking AWS's own wire protocols.
//!
//! The public API is [`Emulator`] (and its [`Builder`]): an emulator on a free port inside a
//! Rust program or test, with an SDK configuration pointing at it, a clock to move and a stop.
//! [`server`] and [`config`] serve the `awsemu` binary and programs that run the server
//! themselves; [`store`], [`domain`], [`clock`] and the other floors are re-exported from the
//! workspace's lower crates (`localemu-store`, `localemu-wire`) for tests that reach below
//! the API. The services' own modules are private: they are reached over the wire.
//!
//! ```no_run
//! # async fn example() -> std::io::Result<()> {
//! let emu = localemu::Emulator::start().await?;
//! let sm = aws_sdk_secretsmanager::Client::new(&emu.sdk_config());
//! sm.create_secret().name("db").secret_string("s3cret").send().await.unwrap();
//! emu.stop().await;
//! # Ok(())
//! # }
//! ```

// A panic in the server loses every in-memory secret: `unwrap`, `expect` and `panic!` are
// denied outside tests (Cargo.toml's `[lints]`, relaxed for tests in `clippy.toml`).

pub use localemu_store::{domain, policy, store};
pub use localemu_wire::{clock, crypto, error, generated, outbound, wire};

mod cloudformation;
pub mod config;
pub mod embed;
mod events;
mod extension;
mod guard;
pub mod init;
mod kms;
mod lambda;
mod protocol;
mod secretsmanager;
pub mod server;
mod ssm;
pub mod sts;

pub use embed::{Builder, Emulator};
