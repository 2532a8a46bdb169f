//! SigV4: the caller's credential scope from an `Authorization` header or a presigned URL, and
//! (in strict mode) the signature checked the way AWS checks it.

use crate::error::{Common, Error, Result};
use axum::http::{HeaderMap, Method};
use ring::hmac;
use sha2::{Digest, Sha256};

pub const DEFAULT_ACCOUNT: &str = crate::sts::identity::DEFAULT_ACCOUNT;

/// What the credential scope of a request says about its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key_id: String,
    pub account: String,
    pub region: String,
    /// The scope's date (`20260101`) and service.
    pub date: String,
    pub service: String,
}

/// A request's signature and what it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::struct_field_names,
    reason = "SigV4's own names: SignedHeaders, Signature"
)]
pub struct Signed {
    pub credential: Credential,
    pub signed_headers: Vec<String>,
    pub signature: String,
    /// `X-Amz-Date` (`20260101T000000Z`), from the header or the presigned query.
    pub amz_date: Option<String>,
    /// For a presigned URL: how long it stays valid, in seconds.
    pub expires: Option<i64>,
    pub security_token: Option<String>,
    /// Signed in the query string (a presigned URL) rather than in `Authorization`.
    pub presigned: bool,
}

fn incomplete(message: &str) -> Error {
    Error::common(Common::IncompleteSignature, message)
}

/// An access key id of exactly 12 digits is taken as the account id, as other emulators do.
pub fn account_for_key(access_key_id: &str) -> String {
    if crate::sts::identity::is_account(access_key_id) {
        access_key_id.to_string()
    } else {
        crate::sts::tokens::account_of_key(access_key_id)
            .unwrap_or_else(|| DEFAULT_ACCOUNT.to_string())
    }
}

fn parse_scope(credential: &str) -> Result<Credential> {
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
                date: date.to_string(),
                service: service.to_string(),
            })
        }
        _ => Err(incomplete(
            "Credential should be scoped to a valid Region, not a malformed credential scope.",
        )),
    }
}

/// Parses `AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, ...`.
pub(super) fn parse_header(header: &str) -> Result<Signed> {
    let rest = header
        .trim()
        .strip_prefix("AWS4-HMAC-SHA256")
        .filter(|r| r.starts_with(' '))
        .ok_or_else(|| {
            incomplete("Authorization header must use the AWS4-HMAC-SHA256 signing algorithm.")
        })?;
    let field = |name: &str| {
        rest.split(',')
            .find_map(|part| part.trim().strip_prefix(name))
            .map(str::to_string)
    };
    let credential = field("Credential=").ok_or_else(|| {
        incomplete(
            "Authorization header requires 'Credential' parameter. Authorization header \
             requires 'Signature' parameter. Authorization header requires 'SignedHeaders' \
             parameter.",
        )
    })?;
    let credential = parse_scope(&credential)?;
    Ok(Signed {
        credential,
        signed_headers: field("SignedHeaders=")
            .map(|h| h.split(';').map(str::to_string).collect())
            .unwrap_or_default(),
        signature: field("Signature=").unwrap_or_default(),
        amz_date: None,
        expires: None,
        security_token: None,
        presigned: false,
    })
}

/// The signature of a request: from its `Authorization` header, else from a presigned query
/// string; None when the request is not signed at all.
pub fn signature(headers: &HeaderMap, query: &str) -> Result<Option<Signed>> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(raw) = headers.get(axum::http::header::AUTHORIZATION) {
        let text = raw
            .to_str()
            .map_err(|_| incomplete("The Authorization header is not valid ASCII."))?;
        let mut signed = parse_header(text)?;
        signed.amz_date = header("x-amz-date").map(str::to_string);
        signed.security_token = header("x-amz-security-token").map(str::to_string);
        return Ok(Some(signed));
    }
    let pairs = crate::wire::query::pairs(query);
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if get("X-Amz-Algorithm").is_none() && get("X-Amz-Credential").is_none() {
        return Ok(None);
    }
    if get("X-Amz-Algorithm").as_deref() != Some("AWS4-HMAC-SHA256") {
        return Err(incomplete(
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"",
        ));
    }
    let credential = get("X-Amz-Credential").ok_or_else(|| {
        incomplete("AWS query-string parameters must include 'X-Amz-Credential'.")
    })?;
    Ok(Some(Signed {
        credential: parse_scope(&credential)?,
        signed_headers: get("X-Amz-SignedHeaders")
            .map(|h| h.split(';').map(str::to_string).collect())
            .unwrap_or_default(),
        signature: get("X-Amz-Signature").unwrap_or_default(),
        amz_date: get("X-Amz-Date"),
        expires: match get("X-Amz-Expires") {
            None => None,
            Some(text) => Some(
                text.parse()
                    .map_err(|_| incomplete("X-Amz-Expires should be a number of seconds."))?,
            ),
        },
        security_token: get("X-Amz-Security-Token"),
        presigned: true,
    }))
}

/// The parts of a request a signature covers.
pub struct Signable<'a> {
    pub method: &'a Method,
    /// The path as sent, still percent-encoded.
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// RFC 3986 encoding as SigV4 wants it: everything but unreserved characters.
fn uri_encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        let unreserved = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~');
        if unreserved || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(UPPER_HEX[usize::from(b >> 4)]));
            out.push(char::from(UPPER_HEX[usize::from(b & 15)]));
        }
    }
    out
}

const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";
const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";

/// Lower-case hex, as SigV4 writes hashes (on every verified request, so without `fmt`).
fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(LOWER_HEX[usize::from(b >> 4)]));
        out.push(char::from(LOWER_HEX[usize::from(b & 15)]));
    }
    out
}

fn canonical_request(req: &Signable<'_>, signed: &Signed, payload: &str) -> String {
    // Services other than S3 sign the path encoded once more, as it appears on the wire.
    let path = if req.path.is_empty() { "/" } else { req.path };
    let mut query: Vec<(String, String)> = crate::wire::query::pairs(req.query)
        .into_iter()
        .filter(|(k, _)| k != "X-Amz-Signature")
        .map(|(k, v)| (uri_encode(&k, false), uri_encode(&v, false)))
        .collect();
    query.sort();
    let query = query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut headers = String::with_capacity(256);
    for name in &signed.signed_headers {
        headers.push_str(name);
        headers.push(':');
        for (i, v) in req.headers.get_all(name.as_str()).iter().enumerate() {
            if i > 0 {
                headers.push(',');
            }
            // Values trimmed, inner runs of spaces folded to one.
            let text = String::from_utf8_lossy(v.as_bytes());
            for (j, word) in text.split_whitespace().enumerate() {
                if j > 0 {
                    headers.push(' ');
                }
                headers.push_str(word);
            }
        }
        headers.push('\n');
    }
    format!(
        "{}\n{}\n{query}\n{headers}\n{}\n{payload}",
        req.method.as_str(),
        uri_encode(path, true),
        signed.signed_headers.join(";")
    )
}

fn mac(key: &[u8], data: &str) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data.as_bytes())
        .as_ref()
        .to_vec()
}

/// The string to sign of a request.
fn string_to_sign(req: &Signable<'_>, signed: &Signed, payload: &str) -> String {
    let c = &signed.credential;
    format!(
        "AWS4-HMAC-SHA256\n{}\n{}/{}/{}/aws4_request\n{}",
        signed.amz_date.as_deref().unwrap_or_default(),
        c.date,
        c.region,
        c.service,
        hex(&Sha256::digest(
            canonical_request(req, signed, payload).as_bytes()
        ))
    )
}

/// The signing key of `secret` for one day, region and service.
fn signing_key(secret: &str, c: &Credential) -> hmac::Key {
    let k_date = mac(format!("AWS4{secret}").as_bytes(), &c.date);
    let k_region = mac(&k_date, &c.region);
    let k_service = mac(&k_region, &c.service);
    hmac::Key::new(hmac::HMAC_SHA256, &mac(&k_service, "aws4_request"))
}

/// Signing keys already derived: a key serves one secret for a day in one region and
/// service, so a busy client needs one derivation a day instead of four HMACs per request.
#[derive(Default)]
pub struct SigningKeys(std::sync::Mutex<std::collections::HashMap<String, hmac::Key>>);

/// More distinct keys than this at once and the cache starts afresh.
const MAX_SIGNING_KEYS: usize = 1024;

impl SigningKeys {
    fn get(&self, secret: &str, c: &Credential) -> hmac::Key {
        let id = format!("{secret}\0{}\0{}\0{}", c.date, c.region, c.service);
        let mut keys = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(k) = keys.get(&id) {
            return k.clone();
        }
        if keys.len() >= MAX_SIGNING_KEYS {
            keys.clear();
        }
        let k = signing_key(secret, c);
        keys.insert(id, k.clone());
        k
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// `20260101T000000Z` in milliseconds since the epoch.
fn parse_amz_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let iso = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &text[0..4],
        &text[4..6],
        &text[6..8],
        &text[9..11],
        &text[11..13],
        &text[13..15]
    );
    time::OffsetDateTime::parse(&iso, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp() * 1000)
}

fn amz_date(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// AWS accepts a signing time at most this far from its own clock.
const SKEW: i64 = 15 * 60 * 1000;

fn bad_signature() -> Error {
    Error::common(
        Common::InvalidSignature,
        "The request signature we calculated does not match the signature you provided. Check \
         your AWS Secret Access Key and signing method. Consult the service documentation for \
         details.",
    )
}

/// AWS refuses presigned URLs valid for longer than a week.
const MAX_EXPIRES: i64 = 604_800;

/// The headers that must be signed when a request carries them: they choose what is done
/// (`x-amz-target` names the operation) or who does it, so an unsigned one could turn a
/// captured signature into another request.
const MUST_SIGN: [&str; 3] = ["host", "x-amz-target", "x-amz-security-token"];

/// The payload hashes a signature may cover for `req`: the body's own hash, and for a
/// presigned URL without a body AWS's `UNSIGNED-PAYLOAD` (nothing is left unsigned then). A
/// claimed `x-amz-content-sha256` must be the body's hash: streaming and unsigned payloads are
/// S3's, and none of the services served here accepts them.
fn payload_hashes(req: &Signable<'_>, signed: &Signed) -> Result<Vec<String>> {
    let actual = hex(&Sha256::digest(req.body));
    if let Some(claimed) = req.headers.get("x-amz-content-sha256") {
        if claimed.as_bytes() != actual.as_bytes() {
            return Err(Error::common(
                Common::InvalidSignature,
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            ));
        }
    }
    let mut hashes = vec![actual];
    if signed.presigned && req.body.is_empty() {
        hashes.push("UNSIGNED-PAYLOAD".to_string());
    }
    Ok(hashes)
}

/// Checks the signature and its time against the emulator's clock (`now`, ms).
pub fn verify(
    req: &Signable<'_>,
    signed: &Signed,
    secret: &str,
    now: i64,
    keys: &SigningKeys,
) -> Result<()> {
    let date = signed.amz_date.as_deref().ok_or_else(|| {
        incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        )
    })?;
    let at = parse_amz_date(date).ok_or_else(|| {
        incomplete(&format!(
            "Date must be in ISO-8601 'basic format'. Got '{date}'."
        ))
    })?;
    if at > now + SKEW {
        return Err(Error::common(
            Common::InvalidSignature,
            format!(
                "Signature not yet current: {date} is still later than {} ({} + 15 min.)",
                amz_date(now + SKEW),
                amz_date(now)
            ),
        ));
    }
    if let Some(expires) = signed.expires {
        if !(1..=MAX_EXPIRES).contains(&expires) {
            return Err(Error::common(
                Common::InvalidSignature,
                format!(
                    "X-Amz-Expires must be between 1 and {MAX_EXPIRES} seconds (a week); got \
                     {expires}."
                ),
            ));
        }
        if now > at + expires * 1000 {
            return Err(Error::common(
                Common::InvalidSignature,
                format!(
                    "Signature expired: {date} is now earlier than {} ({} - {expires} sec.)",
                    amz_date(now - expires * 1000),
                    amz_date(now)
                ),
            ));
        }
    } else if at < now - SKEW {
        return Err(Error::common(
            Common::InvalidSignature,
            format!(
                "Signature expired: {date} is now earlier than {} ({} - 15 min.)",
                amz_date(now - SKEW),
                amz_date(now)
            ),
        ));
    }
    for name in MUST_SIGN {
        let present = name == "host" || req.headers.contains_key(name);
        if present && !signed.signed_headers.iter().any(|h| h == name) {
            return Err(Error::common(
                Common::InvalidSignature,
                format!("The request's {name} header must be signed."),
            ));
        }
    }
    let provided = unhex(&signed.signature).ok_or_else(bad_signature)?;
    let key = keys.get(secret, &signed.credential);
    for payload in payload_hashes(req, signed)? {
        // ring compares in constant time, so a guess does not learn how much of it was right.
        let to_sign = string_to_sign(req, signed, &payload);
        if hmac::verify(&key, to_sign.as_bytes(), &provided).is_ok() {
            return Ok(());
        }
    }
    Err(bad_signature())
}

/// Checks that a signature was made for `service`, the service answering it: otherwise a
/// signed request to one service could be replayed to another.
pub fn check_service(signed: &Signed, service: &str) -> Result<()> {
    if signed.credential.service == service {
        return Ok(());
    }
    Err(Error::common(
        Common::InvalidSignature,
        format!("Credential should be scoped to correct service: '{service}'. "),
    ))
}

#[cfg(test)]
#[path = "sigv4_tests.rs"]
mod tests;
