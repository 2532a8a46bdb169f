//! Caller identity from a SigV4 `Authorization` header (the signature is not verified yet).

use crate::error::{Error, ErrorCode, Result};

pub const DEFAULT_ACCOUNT: &str = "000000000000";

/// What the credential scope of a request says about its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key_id: String,
    pub account: String,
    pub region: String,
}

fn incomplete(message: &str) -> Error {
    Error::new(ErrorCode::IncompleteSignatureException, message)
}

/// An access key id of exactly 12 digits is taken as the account id, as other emulators do.
pub fn account_for_key(access_key_id: &str) -> String {
    if access_key_id.len() == 12 && access_key_id.bytes().all(|b| b.is_ascii_digit()) {
        access_key_id.to_string()
    } else {
        DEFAULT_ACCOUNT.to_string()
    }
}

/// Parses `AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, ...`.
pub fn parse_authorization(header: &str) -> Result<Credential> {
    let rest = header
        .trim()
        .strip_prefix("AWS4-HMAC-SHA256")
        .filter(|r| r.starts_with(' '))
        .ok_or_else(|| {
            incomplete("Authorization header must use the AWS4-HMAC-SHA256 signing algorithm.")
        })?;
    let credential = rest
        .split(',')
        .find_map(|part| part.trim().strip_prefix("Credential="))
        .ok_or_else(|| {
            incomplete(
                "Authorization header requires 'Credential' parameter. Authorization header \
                 requires 'Signature' parameter. Authorization header requires 'SignedHeaders' \
                 parameter.",
            )
        })?;
    let parts: Vec<&str> = credential.split('/').collect();
    match parts.as_slice() {
        [key, date, region, service, "aws4_request"]
            if !key.is_empty()
                && !date.is_empty()
                && crate::domain::arn::is_region(region)
                && !service.is_empty() =>
        {
            Ok(Credential {
                access_key_id: key.to_string(),
                account: account_for_key(key),
                region: region.to_string(),
            })
        }
        _ => Err(incomplete(
            "Credential should be scoped to a valid Region, not a malformed credential scope.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "AWS4-HMAC-SHA256 Credential=123456789012/20240101/eu-west-2/secretsmanager/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";

    #[test]
    fn twelve_digit_keys_are_accounts() {
        let c = parse_authorization(GOOD).unwrap();
        assert_eq!(c.account, "123456789012");
        assert_eq!(c.region, "eu-west-2");
        let other = GOOD.replace("123456789012", "AKIAEXAMPLE");
        assert_eq!(
            parse_authorization(&other).unwrap().account,
            DEFAULT_ACCOUNT
        );
        assert_eq!(account_for_key("1234567890123"), DEFAULT_ACCOUNT);
    }

    #[test]
    fn malformed_headers_are_errors_not_panics() {
        for bad in [
            "",
            "Basic abc",
            "AWS4-HMAC-SHA256",
            "AWS4-HMAC-SHA256 Signature=abc",
            "AWS4-HMAC-SHA256 Credential=key/date",
            "AWS4-HMAC-SHA256 Credential=key//us-east-1/sm/aws4_request",
            "AWS4-HMAC-SHA256 Credential=key/d/../sm/aws4_request",
            "AWS4-HMAC-SHA256 Credential=key/d/US-EAST-1/sm/aws4_request",
            "AWS4-HMAC-SHA256 Credential=/////",
            "AWS4-HMAC-SHA256 Credential=ключ/d/r/s/aws4_request/extra",
        ] {
            let e = parse_authorization(bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::IncompleteSignatureException, "{bad}");
        }
    }
}
