//! LocalEmu: a local emulator of AWS Secrets Manager that speaks AWS's own wire protocol.

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
