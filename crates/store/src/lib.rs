//! LocalEmu's domain and store floor: the pure model of secrets (versions and their stages,
//! ARNs, schedules, names), IAM policies and their evaluation, and the store that keeps
//! every service's records in memory and journals them to redb or PostgreSQL. It knows
//! nothing of HTTP or of the services' operations.

pub use localemu_wire::{clock, crypto, error, generated, wire};

pub mod domain;
pub mod policy;
pub mod store;
