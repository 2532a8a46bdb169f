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

    /// The partition the region is in (`aws`, `aws-cn`, `aws-us-gov`).
    pub fn partition(&self) -> &'static str {
        arn::partition(&self.region)
    }

    /// `arn:<partition>:<service>:<region>:<account>:<resource>` of this namespace.
    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.partition(),
            self.region,
            self.account
        )
    }

    /// The ARN of a resource of a global service (IAM, STS): no region in it, but the
    /// region's partition.
    pub fn global_arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}::{}:{resource}",
            self.partition(),
            self.account
        )
    }
}
