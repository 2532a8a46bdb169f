//! Who is calling: the principal the request's credentials stand for, and the namespace
//! (account, region) it acts in. Every service's operations take one.

use super::Namespace;
use crate::policy::{Context, Who};

/// The tags a role session carries (AssumeRole's `Tags`), and which of them pass on to the
/// sessions it assumes in turn (`TransitiveTagKeys`, and those it inherited).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionTags {
    #[serde(rename = "t", default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
    #[serde(rename = "x", default, skip_serializing_if = "Vec::is_empty")]
    pub transitive: Vec<String>,
}

impl SessionTags {
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// The transitive tags, with their values, that a session assumed from this one inherits.
    pub fn inherited(&self) -> Vec<(String, String)> {
        self.tags
            .iter()
            .filter(|(k, _)| self.transitive.iter().any(|t| t.eq_ignore_ascii_case(k)))
            .cloned()
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The caller's own account and the region its request was signed for.
    pub namespace: Namespace,
    pub access_key_id: Option<String>,
    pub who: Who,
    /// Whether the request came over TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
    /// The IAM action the request performs (`secretsmanager:GetSecretValue`), checked against
    /// resource policies; None for the emulator's own calls, which are trusted.
    pub action: Option<String>,
    /// The session's tags, for a role session that was given some.
    pub session_tags: SessionTags,
    /// The AWS service making this call for the principal above (`cloudformation` for a
    /// stack's resources): it may set the `aws:<service>:` tags that service owns.
    pub via: Option<&'static str>,
}

impl Caller {
    /// The account's root user, as lenient mode takes unsigned and unknown callers.
    pub fn root(namespace: Namespace) -> Caller {
        let who = Who::Aws {
            arn: namespace.global_arn("iam", "root"),
            account: namespace.account.clone(),
            role: None,
        };
        Caller {
            namespace,
            access_key_id: None,
            who,
            secure_transport: false,
            action: None,
            session_tags: SessionTags::default(),
            via: None,
        }
    }

    /// Whether a tag key starting with `aws:` is one this caller may set: only a service's
    /// own, through that service.
    pub fn may_set_reserved_tag(&self, key: &str) -> bool {
        self.via.is_some_and(|service| {
            key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:"))
                && key[4..].starts_with(service)
                && key[4 + service.len()..].starts_with(':')
        })
    }

    /// The same caller performing `action` (`service:Operation`).
    #[must_use]
    pub fn acting(mut self, action: String) -> Caller {
        self.action = Some(action);
        self
    }

    /// The ARN AWS names the caller by in errors and GetCallerIdentity.
    pub fn arn(&self) -> &str {
        match &self.who {
            Who::Aws { arn, .. } | Who::Service(arn) => arn,
        }
    }

    pub fn account(&self) -> &str {
        &self.namespace.account
    }

    /// The global condition keys a local emulator knows about this caller, at `now` (ms).
    pub fn policy_context(&self, now: crate::clock::Millis) -> Context {
        let mut c = Context::default();
        let secs = now.div_euclid(1000);
        let current = time::OffsetDateTime::from_unix_timestamp(secs)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        c.set("aws:CurrentTime", vec![current]);
        c.set("aws:EpochTime", vec![secs.to_string()]);
        c.set(
            "aws:SecureTransport",
            vec![self.secure_transport.to_string()],
        );
        c.set("aws:RequestedRegion", vec![self.namespace.region.clone()]);
        c.set("aws:SourceIp", vec!["127.0.0.1".into()]);
        match &self.who {
            Who::Aws { account, arn, role } => {
                c.set("aws:PrincipalAccount", vec![account.clone()]);
                // For a session, IAM's aws:PrincipalArn is the role's ARN.
                c.set(
                    "aws:PrincipalArn",
                    vec![role.clone().unwrap_or_else(|| arn.clone())],
                );
                let kind = if role.is_some() {
                    "AssumedRole"
                } else if arn.ends_with(":root") {
                    "Account"
                } else {
                    "User"
                };
                c.set("aws:PrincipalType", vec![kind.into()]);
                for (k, v) in &self.session_tags.tags {
                    c.set(&format!("aws:PrincipalTag/{k}"), vec![v.clone()]);
                }
            }
            Who::Service(name) => {
                c.set("aws:PrincipalServiceName", vec![name.clone()]);
                c.set("aws:SourceAccount", vec![self.namespace.account.clone()]);
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_names_its_role_and_account() {
        let mut c = Caller::root(Namespace::new("111122223333", "eu-west-1"));
        c.who = Who::Aws {
            account: "111122223333".into(),
            arn: "arn:aws:sts::111122223333:assumed-role/App/s".into(),
            role: Some("arn:aws:iam::111122223333:role/App".into()),
        };
        let ctx = c.policy_context(1_767_225_600_000);
        for k in [
            "aws:PrincipalAccount",
            "aws:PrincipalArn",
            "aws:CurrentTime",
            "aws:SecureTransport",
            "aws:RequestedRegion",
        ] {
            assert!(ctx.values(k).is_some(), "{k}");
        }
        assert!(
            ctx.values("aws:SourceAccount").is_none(),
            "only services have a source"
        );
        let p = crate::policy::parse(
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
              "Condition": {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/App"},
                            "DateEquals": {"aws:CurrentTime": "2026-01-01T00:00:00Z"},
                            "StringEquals": {"aws:PrincipalType": "AssumedRole"}}}]}"#,
        )
        .unwrap();
        let req = crate::policy::Request {
            who: &c.who,
            action: "a:b",
            resource: "r",
            context: &ctx,
        };
        assert_eq!(
            crate::policy::evaluate(&p, &req),
            crate::policy::Decision::Allow
        );
    }

    #[test]
    fn a_service_carries_the_account_it_acts_for() {
        let mut c = Caller::root(Namespace::new("111122223333", "us-east-1"));
        c.who = Who::Service("secretsmanager.amazonaws.com".into());
        let ctx = c.policy_context(0);
        assert_eq!(
            ctx.values("aws:SourceAccount"),
            Some(&["111122223333".to_string()][..])
        );
        assert!(ctx.values("aws:PrincipalAccount").is_none());
    }
}
