//! Pure domain model of Secrets Manager: secrets, versions and stages, ARNs, filters, passwords.

pub mod arn;
pub mod caller;
pub mod cron;
pub mod filter;
pub mod password;
pub mod schedule;
pub mod secret;
pub mod validate;
pub mod versions;

/// An (account, region) pair: every one is its own, isolated set of secrets.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Namespace {
    pub account: String,
    pub region: String,
}

impl Namespace {
    pub fn new(account: impl Into<String>, region: impl Into<String>) -> Self {
        Namespace {
            account: account.into(),
            region: region.into(),
        }
    }
}
