//! Integration tests: the official AWS SDK for Rust (and raw HTTP where SDKs never go)
//! against a real LocalEmu server on an ephemeral port.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test or benchmark that cannot go on fails loudly"
)]

// First, so that its macros are seen by the modules after it.
#[macro_use]
mod common;

mod accounts;
mod at_rest;
mod binary;
mod cdk;
mod cli;
mod console;
mod crash;
mod deletion;
mod docker_names;
mod durability;
mod embed;
mod event_archives;
mod event_resources;
mod events;
mod extension;
mod first_run;
mod formats;
mod golden;
mod history;
mod identity;
mod init;
mod intrusion;
mod kms;
mod kms_grants;
mod kms_import;
mod kms_keys;
mod lambda;
mod lambda_limits;
mod lifecycle;
mod limits;
mod listing;
mod model;
mod node_races;
mod nodes;
mod other_languages;
mod parameter_names;
mod parameters;
mod password;
mod persistence;
mod pg;
mod policy;
mod raw;
mod replication;
mod rotation;
mod security;
mod stack_changes;
mod stack_policies;
mod stack_recovery;
mod stack_resources;
mod stack_shapes;
mod stack_stops;
mod stack_tags;
mod stacks;
mod stages;
mod sts;
mod tables;
mod tags;
mod values;
