//! Temporary credentials that carry their own session: the session token is the session's
//! description sealed with the emulator's key, so no table of sessions grows with use and a
//! restarted emulator (with the same key) still knows them.

use crate::clock::Millis;
use crate::domain::caller::SessionTags;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::hmac;
use serde::{Deserialize, Serialize};

/// A session STS issued: who it acts as and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    #[serde(rename = "k")]
    pub access_key_id: String,
    #[serde(rename = "a")]
    pub account: String,
    /// The principal's ARN: an assumed-role session's, or the user's for GetSessionToken.
    #[serde(rename = "p")]
    pub arn: String,
    /// The role an assumed-role session acts for.
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(rename = "u")]
    pub user_id: String,
    #[serde(rename = "e")]
    pub expires: Millis,
    #[serde(rename = "g", default, skip_serializing_if = "SessionTags::is_empty")]
    pub tags: SessionTags,
}

/// Issued credentials, as STS hands them out.
#[derive(Debug, Clone)]
pub struct Issued {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expires: Millis,
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Signs and opens session tokens with one key.
pub struct Minter {
    key: hmac::Key,
}

impl Minter {
    pub fn new(secret: &[u8]) -> Minter {
        Minter {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
        }
    }

    /// Temporary credentials for `session` (whose access key id is filled in here).
    pub fn issue(&self, mut session: Session) -> Issued {
        session.access_key_id = new_access_key_id(&session.account);
        let payload = serde_json::to_vec(&session).unwrap_or_default();
        let tag = hmac::sign(&self.key, &payload);
        let session_token = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(tag.as_ref())
        );
        Issued {
            secret_access_key: self.secret_for(&session.access_key_id),
            access_key_id: session.access_key_id,
            session_token,
            expires: session.expires,
        }
    }

    /// The session a token describes, if this emulator issued it (expired or not).
    pub fn open(&self, token: &str) -> Option<Session> {
        let (payload, tag) = token.split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        hmac::verify(&self.key, &payload, &tag).ok()?;
        serde_json::from_slice(&payload).ok()
    }

    /// The secret access key that belongs to an access key id this emulator issued.
    pub fn secret_for(&self, access_key_id: &str) -> String {
        let tag = hmac::sign(&self.key, format!("secret:{access_key_id}").as_bytes());
        STANDARD.encode(tag.as_ref())[..40].to_string()
    }
}

/// `ASIA` + the account in base 32 (8 characters) + 8 random characters: like AWS's, the
/// key id tells its account (GetAccessKeyInfo) without a lookup.
fn new_access_key_id(account: &str) -> String {
    let n: u64 = account.parse().unwrap_or(0);
    let mut id = String::from("ASIA");
    for i in (0..8).rev() {
        id.push(BASE32[((n >> (i * 5)) & 31) as usize] as char);
    }
    for _ in 0..8 {
        id.push(BASE32[rand::random_range(0..32usize)] as char);
    }
    id
}

/// The account an `ASIA` key id issued here names.
pub fn account_of_key(access_key_id: &str) -> Option<String> {
    let digits = access_key_id.strip_prefix("ASIA")?.get(..8)?;
    if access_key_id.len() != 20 {
        return None;
    }
    let mut n: u64 = 0;
    for c in digits.bytes() {
        let v = BASE32.iter().position(|b| *b == c)? as u64;
        n = (n << 5) | v;
    }
    (n < 1_000_000_000_000).then(|| format!("{n:012}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session {
            access_key_id: String::new(),
            account: "123456789012".into(),
            arn: "arn:aws:sts::123456789012:assumed-role/R/s".into(),
            role: Some("arn:aws:iam::123456789012:role/R".into()),
            user_id: "AROAEXAMPLE:s".into(),
            expires: 5,
            tags: SessionTags::default(),
        }
    }

    #[test]
    fn tokens_open_only_with_their_key() {
        let m = Minter::new(b"k1");
        let issued = m.issue(session());
        assert_eq!(issued.access_key_id.len(), 20);
        assert_eq!(
            account_of_key(&issued.access_key_id).as_deref(),
            Some("123456789012")
        );
        let back = m.open(&issued.session_token).unwrap();
        assert_eq!(back.access_key_id, issued.access_key_id);
        assert_eq!(m.secret_for(&back.access_key_id), issued.secret_access_key);
        assert!(Minter::new(b"k2").open(&issued.session_token).is_none());
        let mut forged = issued.session_token.clone();
        forged.insert(3, 'x');
        assert!(m.open(&forged).is_none());
        assert!(m.open("nonsense").is_none());
    }
}
