//! STS: who the caller is, and temporary credentials for roles, web identities and sessions.
//! Roles are not stored (there is no IAM): any well-formed role ARN can be assumed, and the
//! session acts in the account the ARN names.

mod federation;
pub mod identity;
pub mod key;
mod saml;
mod tags;
pub mod tokens;

use crate::clock::{Clock, Millis};
use crate::domain::caller::{Caller, SessionTags};
use crate::generated::sts::Answer;
use crate::generated::sts::{self as g, Operation, Service};
use crate::generated::sts::{Error, ErrorCode, Result};
use crate::policy::Who;
use crate::wire::Ticket;
use identity::Identities;
use std::sync::Arc;
use tokens::Session;

pub struct Sts {
    clock: Arc<dyn Clock>,
    identities: Arc<Identities>,
    /// AssumeRoleWithSAML checks what it can of an assertion (see `saml`).
    strict_saml: bool,
    /// The key `identities` seals session tokens with, as the store keeps it.
    key: key::KeptKey,
}

/// STS changes nothing durable: every answer is ready at once.
fn answer<O>(o: O) -> Answer<O> {
    crate::wire::answer(o, Ticket::ready())
}

/// STS's own name for a validation failure.
pub fn validation_error(message: impl Into<String>) -> Error {
    Error::validation(message)
}

/// A role as its ARN `arn:<partition>:iam::<account>:role/<path/><name>` names it.
struct Role {
    partition: String,
    account: String,
    name: String,
}

impl Role {
    fn parse(arn: &str) -> Option<Role> {
        let a = crate::domain::arn::Arn::parse(arn)?;
        let path = a.resource.strip_prefix("role/")?;
        let name = path.rsplit('/').next().filter(|n| !n.is_empty())?;
        let ok = crate::domain::arn::is_partition(a.partition)
            && a.service == "iam"
            && a.region.is_empty()
            && identity::is_account(a.account);
        ok.then(|| Role {
            partition: a.partition.to_string(),
            account: a.account.to_string(),
            name: name.to_string(),
        })
    }

    /// The ARN of a session of this role named `session`.
    fn session_arn(&self, session: &str) -> String {
        format!(
            "arn:{}:sts::{}:assumed-role/{}/{session}",
            self.partition, self.account, self.name
        )
    }
}

fn iso(ms: Millis) -> f64 {
    (ms / 1000) as f64
}

fn credentials(issued: &tokens::Issued) -> g::Credentials {
    g::Credentials {
        access_key_id: Some(issued.access_key_id.clone()),
        secret_access_key: Some(issued.secret_access_key.clone()),
        session_token: Some(issued.session_token.clone()),
        expiration: Some(iso(issued.expires)),
    }
}

/// The share of the packed-policy allowance a session policy and its tags use, in percent.
fn packed_size(policy: Option<&str>, tags: usize) -> Option<i64> {
    (policy.is_some() || tags > 0).then(|| {
        let bytes = policy.map_or(0, str::len) + tags * 64;
        ((bytes * 100).div_ceil(2048) as i64).max(1)
    })
}

fn check_session_policy(policy: Option<&str>) -> Result<()> {
    if let Some(text) = policy {
        crate::policy::parse_as(text, crate::policy::Kind::Identity).map_err(|_| {
            Error::new(
                ErrorCode::MalformedPolicyDocument,
                "The policy is not in the valid JSON format.",
            )
        })?;
    }
    Ok(())
}

impl Sts {
    pub fn new(clock: Arc<dyn Clock>, identities: Arc<Identities>, key: key::KeptKey) -> Sts {
        Sts {
            clock,
            identities,
            strict_saml: false,
            key,
        }
    }

    /// After a reset emptied the store: keeps the session-token key in it again (STS has
    /// nothing else to forget).
    pub fn reset(&self) -> Ticket {
        self.key.keep()
    }

    /// Strict mode for SAML assertions.
    #[must_use]
    pub fn with_strict_saml(mut self, strict: bool) -> Sts {
        self.strict_saml = strict;
        self
    }

    pub fn identities(&self) -> &Arc<Identities> {
        &self.identities
    }

    /// Credentials for `function`'s runs: a session of its execution role, in its account.
    pub fn function_credentials(
        &self,
        role_arn: &str,
        account: &str,
        name: &str,
    ) -> tokens::Issued {
        let given = Role::parse(role_arn);
        let role = Role {
            partition: given
                .as_ref()
                .map_or_else(|| "aws".into(), |r| r.partition.clone()),
            account: account.to_string(),
            name: given.map_or_else(|| "lambda-role".into(), |r| r.name),
        };
        let arn = format!("arn:{}:iam::{account}:role/{}", role.partition, role.name);
        self.issue_role_session(&role, &arn, name, 12 * 3600, SessionTags::default())
    }

    fn issue_role_session(
        &self,
        role: &Role,
        role_arn: &str,
        session_name: &str,
        seconds: i64,
        tags: SessionTags,
    ) -> tokens::Issued {
        self.identities.minter().issue(Session {
            access_key_id: String::new(),
            account: role.account.clone(),
            arn: role.session_arn(session_name),
            role: Some(role_arn.to_string()),
            user_id: format!("{}:{session_name}", role_id(role_arn)),
            expires: self.clock.now() + seconds * 1000,
            tags,
        })
    }

    fn assumed(
        &self,
        role_arn: Option<String>,
        session_name: Option<String>,
        duration: Option<i64>,
        chained: bool,
        tags: SessionTags,
    ) -> Result<(tokens::Issued, g::AssumedRoleUser)> {
        let role_arn = role_arn.unwrap_or_default();
        let session_name = session_name.unwrap_or_default();
        let role = Role::parse(&role_arn)
            .ok_or_else(|| validation_error(format!("{role_arn} is invalid")))?;
        let seconds = duration.unwrap_or(3600);
        if chained && seconds > 3600 {
            return Err(validation_error(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles \
                 assumed by role chaining.",
            ));
        }
        let issued = self.issue_role_session(&role, &role_arn, &session_name, seconds, tags);
        let user = g::AssumedRoleUser {
            assumed_role_id: Some(format!("{}:{session_name}", role_id(&role_arn))),
            arn: Some(role.session_arn(&session_name)),
        };
        Ok((issued, user))
    }
}

/// A stable unique id for an IAM identity, as IAM gives each one: `prefix` (`AROA` for a
/// role, `AIDA` for a user) and 17 characters of IAM's alphabet (capitals and the digits
/// 2 to 7) derived from its ARN.
fn unique_id(prefix: &str, arn: &str) -> String {
    use sha2::Digest;
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = sha2::Sha256::digest(arn.as_bytes());
    let mut id = String::from(prefix);
    for b in digest.iter().take(17) {
        id.push(ALPHABET[usize::from(b % 32)] as char);
    }
    id
}

fn role_id(role_arn: &str) -> String {
    unique_id("AROA", role_arn)
}

impl Service for Sts {
    type Context = Caller;
    type Guard<'a> = ();

    fn begin(&self, _: Operation) -> Result<()> {
        Ok(())
    }
}

impl g::GetCallerIdentity for Sts {
    fn get_caller_identity(
        &self,
        cx: &Caller,
        _: g::GetCallerIdentityRequest,
    ) -> Answer<g::GetCallerIdentityResponse> {
        let user_id = match &cx.who {
            Who::Aws {
                role: Some(role),
                arn,
                ..
            } => format!(
                "{}:{}",
                role_id(role),
                arn.rsplit('/').next().unwrap_or_default()
            ),
            Who::Aws { arn, account, .. } if arn.ends_with(":root") => account.clone(),
            Who::Aws { arn, .. } => unique_id("AIDA", arn),
            Who::Service(name) => name.clone(),
        };
        answer(g::GetCallerIdentityResponse {
            user_id: Some(user_id),
            account: Some(cx.account().to_string()),
            arn: Some(cx.arn().to_string()),
        })
    }
}

impl g::AssumeRole for Sts {
    fn assume_role(&self, cx: &Caller, i: g::AssumeRoleRequest) -> Answer<g::AssumeRoleResponse> {
        check_session_policy(i.policy.as_deref())?;
        let chained = matches!(&cx.who, Who::Aws { role: Some(_), .. });
        let requested = i.tags.as_deref().unwrap_or_default();
        let tags = requested.len();
        let session = tags::session_tags(
            &cx.session_tags,
            requested,
            i.transitive_tag_keys.as_deref().unwrap_or_default(),
        )?;
        let (issued, user) = self.assumed(
            i.role_arn,
            i.role_session_name,
            i.duration_seconds,
            chained,
            session,
        )?;
        answer(g::AssumeRoleResponse {
            credentials: Some(credentials(&issued)),
            assumed_role_user: Some(user),
            packed_policy_size: packed_size(i.policy.as_deref(), tags),
            source_identity: i.source_identity,
            ..Default::default()
        })
    }
}

fn invalid_token() -> Error {
    Error::new(
        ErrorCode::InvalidIdentityToken,
        "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)",
    )
}

/// The claims of a JWT (header.payload.signature); the signature is not checked, as there
/// is no OIDC provider to check it against.
fn jwt_claims(token: &str) -> Result<serde_json::Map<String, serde_json::Value>> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let parts: Vec<&str> = token.split('.').collect();
    let [_, payload, _] = parts.as_slice() else {
        return Err(invalid_token());
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| invalid_token())?;
    match serde_json::from_slice(&bytes) {
        Ok(serde_json::Value::Object(m)) => Ok(m),
        _ => Err(invalid_token()),
    }
}

impl g::AssumeRoleWithWebIdentity for Sts {
    fn assume_role_with_web_identity(
        &self,
        _: &Caller,
        i: g::AssumeRoleWithWebIdentityRequest,
    ) -> Answer<g::AssumeRoleWithWebIdentityResponse> {
        check_session_policy(i.policy.as_deref())?;
        let claims = jwt_claims(i.web_identity_token.as_deref().unwrap_or_default())?;
        let text = |k: &str| claims.get(k).and_then(|v| v.as_str()).map(str::to_string);
        if let Some(exp) = claims.get("exp").and_then(serde_json::Value::as_i64) {
            let now = self.clock.now() / 1000;
            if exp <= now {
                return Err(Error::new(
                    ErrorCode::ExpiredTokenException,
                    format!("Token expired: current date/time {now} must be before the expiration date/time {exp}"),
                ));
            }
        }
        let audience = match claims.get("aud") {
            Some(serde_json::Value::Array(a)) => {
                a.first().and_then(|v| v.as_str()).map(str::to_string)
            }
            _ => text("aud"),
        };
        let provider = text("iss").map(|iss| iss.trim_start_matches("https://").to_string());
        let (issued, user) = self.assumed(
            i.role_arn,
            i.role_session_name,
            i.duration_seconds,
            false,
            SessionTags::default(),
        )?;
        answer(g::AssumeRoleWithWebIdentityResponse {
            credentials: Some(credentials(&issued)),
            subject_from_web_identity_token: text("sub"),
            assumed_role_user: Some(user),
            packed_policy_size: packed_size(i.policy.as_deref(), 0),
            provider: i.provider_id.or(provider),
            audience,
            ..Default::default()
        })
    }
}

impl g::GetSessionToken for Sts {
    fn get_session_token(
        &self,
        cx: &Caller,
        i: g::GetSessionTokenRequest,
    ) -> Answer<g::GetSessionTokenResponse> {
        let Who::Aws { account, arn, role } = &cx.who else {
            return Err(Error::access_denied(
                "Cannot call GetSessionToken with a service principal.",
            ));
        };
        if role.is_some()
            || cx
                .access_key_id
                .as_deref()
                .is_some_and(|k| k.starts_with("ASIA"))
        {
            return Err(Error::access_denied(
                "Cannot call GetSessionToken with session credentials",
            ));
        }
        let seconds = i.duration_seconds.unwrap_or(43_200);
        let issued = self.identities.minter().issue(Session {
            access_key_id: String::new(),
            account: account.clone(),
            arn: arn.clone(),
            role: None,
            user_id: account.clone(),
            expires: self.clock.now() + seconds * 1000,
            tags: SessionTags::default(),
        });
        answer(g::GetSessionTokenResponse {
            credentials: Some(credentials(&issued)),
            ..Default::default()
        })
    }
}

impl g::GetAccessKeyInfo for Sts {
    fn get_access_key_info(
        &self,
        _: &Caller,
        i: g::GetAccessKeyInfoRequest,
    ) -> Answer<g::GetAccessKeyInfoResponse> {
        let key = i.access_key_id.unwrap_or_default();
        answer(g::GetAccessKeyInfoResponse {
            account: Some(self.identities.account_of(&key)),
        })
    }
}
