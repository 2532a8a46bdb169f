//! KMS grants as the key keeps them: which operations a grant may name on a key of each
//! kind, its constraints, the grant tokens the cryptographic operations accept, and what a
//! grant allows when the key policy alone would refuse.

use super::Key;
use crate::clock::Millis;
use crate::domain::caller::Caller;
use crate::generated::kms as g;
use crate::generated::kms::{Error, ErrorCode, Result};
use crate::policy::Who;
use crate::wire::Map;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One grant on a key, as ListGrants shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The grantee: an IAM principal's ARN, or a service principal (`GranteeServicePrincipal`).
    pub grantee: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_grantee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retiring: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_retiring: Option<String>,
    pub operations: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subset: Option<BTreeMap<String, String>>,
    /// The SourceArn constraint, kept and shown (the emulator's callers have no source).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_arn: Option<String>,
    pub created: Millis,
    /// The account root ARN of whoever created the grant.
    pub issuing_account: String,
}

/// What a use of a key is checked in: a management operation (grant constraints do not
/// apply) or a cryptographic one with the request's encryption context.
#[derive(Clone, Copy)]
pub(super) enum Scope<'a> {
    Management,
    Crypto(Option<&'a Map<String, String>>),
}

/// The operations a grant may allow on a key of this kind, as KMS limits them.
pub(super) fn allowed_operations(key: &Key) -> &'static [&'static str] {
    const MANAGEMENT: [&str; 3] = ["CreateGrant", "RetireGrant", "DescribeKey"];
    match (key.spec.as_str(), key.usage.as_str()) {
        ("SYMMETRIC_DEFAULT", _) => &[
            "CreateGrant",
            "RetireGrant",
            "DescribeKey",
            "Decrypt",
            "Encrypt",
            "GenerateDataKey",
            "GenerateDataKeyWithoutPlaintext",
            "ReEncryptFrom",
            "ReEncryptTo",
            "GenerateDataKeyPair",
            "GenerateDataKeyPairWithoutPlaintext",
        ],
        (_, "ENCRYPT_DECRYPT") => &[
            "CreateGrant",
            "RetireGrant",
            "DescribeKey",
            "Decrypt",
            "Encrypt",
            "ReEncryptFrom",
            "ReEncryptTo",
            "GetPublicKey",
        ],
        (_, "SIGN_VERIFY") => &[
            "CreateGrant",
            "RetireGrant",
            "DescribeKey",
            "Sign",
            "Verify",
            "GetPublicKey",
        ],
        (_, "GENERATE_VERIFY_MAC") => &[
            "CreateGrant",
            "RetireGrant",
            "DescribeKey",
            "GenerateMac",
            "VerifyMac",
        ],
        _ => &MANAGEMENT,
    }
}

/// The grant constraints of a request, checked: only symmetric encryption keys take them,
/// at most 8 pairs each, values of at most 384 characters.
type Constraints = (
    Option<BTreeMap<String, String>>,
    Option<BTreeMap<String, String>>,
    Option<String>,
);

pub(super) fn constraints(key: &Key, c: Option<g::GrantConstraints>) -> Result<Constraints> {
    let Some(c) = c else {
        return Ok((None, None, None));
    };
    let read = |m: Option<Map<String, String>>| -> Result<Option<BTreeMap<String, String>>> {
        let Some(m) = m else { return Ok(None) };
        if m.len() > 8 || m.values().any(|v| v.chars().count() > 384) {
            return Err(Error::validation(
                "A grant constraint may hold at most 8 encryption context pairs of at most 384 characters each.",
            ));
        }
        Ok(Some(m.into_iter().collect()))
    };
    let out = (
        read(c.encryption_context_equals)?,
        read(c.encryption_context_subset)?,
        c.source_arn,
    );
    if (out.0.is_some() || out.1.is_some()) && key.spec != "SYMMETRIC_DEFAULT" {
        return Err(Error::validation(format!(
            "Grant constraints are not supported for {} keys: only symmetric encryption keys take an encryption context.",
            key.spec
        )));
    }
    Ok(out)
}

/// A grant id: 64 hexadecimal digits, as KMS makes them.
pub(super) fn new_grant_id() -> String {
    use std::fmt::Write as _;
    crate::crypto::random_bytes(32)
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

pub(super) fn malformed_grant_id(id: &str) -> bool {
    id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Marks a token this emulator wrote, ahead of the key ARN, the grant id and a nonce.
const TOKEN_TAG: &[u8] = b"LGT1";

pub(super) fn new_token(key: &Key, grant: &str) -> String {
    let mut raw = TOKEN_TAG.to_vec();
    raw.extend_from_slice(key.arn.as_bytes());
    raw.push(0);
    raw.extend_from_slice(grant.as_bytes());
    raw.push(0);
    raw.extend(crate::crypto::random_bytes(16));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// The key ARN and grant id a grant token names.
pub(super) fn read_token(token: &str) -> Result<(String, String)> {
    let invalid = || {
        Error::new(
            ErrorCode::InvalidGrantTokenException,
            "The grant token is not valid.",
        )
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| invalid())?;
    let rest = raw.strip_prefix(TOKEN_TAG).ok_or_else(invalid)?;
    let mut parts = rest.splitn(3, |b| *b == 0);
    let (Some(arn), Some(grant), Some(nonce)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    let arn = std::str::from_utf8(arn).map_err(|_| invalid())?;
    let grant = std::str::from_utf8(grant).map_err(|_| invalid())?;
    if nonce.len() != 16 || malformed_grant_id(grant) || !arn.starts_with("arn:") {
        return Err(invalid());
    }
    Ok((arn.to_string(), grant.to_string()))
}

/// Checks the grant tokens a request carries: each must be one KMS issued. The grants they
/// name are in effect at once here (no eventual consistency to bridge), so a valid token
/// adds nothing beyond being accepted.
pub(super) fn check_tokens(tokens: Option<&[String]>) -> Result<()> {
    for t in tokens.unwrap_or_default() {
        read_token(t)?;
    }
    Ok(())
}

/// Whether `who` is `principal`: the same ARN, the account root of its account, or, for a
/// role session, the role.
pub(super) fn is_principal(who: &Who, principal: &str) -> bool {
    match who {
        Who::Aws { arn, account, role } => {
            arn == principal
                || role.as_deref() == Some(principal)
                || principal == account
                || (principal.starts_with("arn:")
                    && principal
                        .strip_suffix(":root")
                        .and_then(|p| p.rsplit(':').next())
                        == Some(account.as_str()))
        }
        Who::Service(arn) => arn == principal,
    }
}

/// Whether the request's encryption context meets a grant's constraints: keys compared
/// without case, values with it.
fn meets(grant: &Grant, context: Option<&Map<String, String>>) -> bool {
    let find = |k: &str| {
        context.and_then(|c| {
            c.iter()
                .find(|(ck, _)| ck.eq_ignore_ascii_case(k))
                .map(|(_, v)| v)
        })
    };
    let holds = |m: &BTreeMap<String, String>| m.iter().all(|(k, v)| find(k) == Some(v));
    if let Some(equals) = &grant.equals {
        let size = context.map_or(0, Map::len);
        if size != equals.len() || !holds(equals) {
            return false;
        }
    }
    grant.subset.as_ref().is_none_or(holds)
}

/// Whether a grant on `key` lets `caller` perform `action` (`kms:Encrypt`) in `scope`.
pub(super) fn grants_allow(key: &Key, caller: &Caller, action: &str, scope: Scope<'_>) -> bool {
    let operation = action.trim_start_matches("kms:");
    key.grants.iter().any(|g| {
        is_principal(&caller.who, &g.grantee)
            && g.operations.iter().any(|o| o == operation)
            && match scope {
                Scope::Management => true,
                Scope::Crypto(context) => meets(g, context),
            }
    })
}
