//! Which principal an access key stands for: the default `test` key, keys from a credentials
//! file, and the temporary keys STS issued (whose session token describes them).

use super::tokens::{Minter, Session};
use crate::clock::Millis;
use crate::policy::Who;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

pub const DEFAULT_ACCOUNT: &str = "000000000000";

pub use crate::config::KnownKey;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsFile {
    credentials: Vec<KnownKey>,
}

/// What a request's credentials resolve to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// A key this emulator knows, with the secret its signature must be made with.
    Known {
        who: Who,
        account: String,
        secret: String,
        /// For temporary keys: when they stop working.
        expires: Option<Millis>,
        /// A role session's tags.
        tags: crate::domain::caller::SessionTags,
    },
    /// A session token that this emulator did not issue or that belongs to another key.
    BadToken,
    /// A key nobody registered.
    Unknown,
}

pub struct Identities {
    minter: Minter,
    keys: HashMap<String, KnownKey>,
}

/// The account's root user, its ARN in the partition of the region it is called in.
fn root(account: &str, region: &str) -> Who {
    Who::Aws {
        account: account.to_string(),
        arn: crate::domain::Namespace::new(account, region).global_arn("iam", "root"),
        role: None,
    }
}

/// An account id is twelve digits.
pub fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

impl Identities {
    pub fn new(minter: Minter, file_keys: Vec<KnownKey>) -> Identities {
        let mut keys: HashMap<String, KnownKey> = HashMap::new();
        keys.insert(
            "test".into(),
            KnownKey {
                access_key_id: "test".into(),
                secret_access_key: "test".into(),
                account: DEFAULT_ACCOUNT.into(),
                principal_arn: None,
            },
        );
        for k in file_keys {
            keys.insert(k.access_key_id.clone(), k);
        }
        Identities { minter, keys }
    }

    pub fn minter(&self) -> &Minter {
        &self.minter
    }

    /// Reads a credentials file: `{"credentials": [{"accessKeyId", "secretAccessKey",
    /// "account", "principalArn"?}]}`.
    pub fn read_file(path: &Path) -> Result<Vec<KnownKey>, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the credentials file {}: {e}", path.display()))?;
        let file: CredentialsFile = serde_json::from_str(&text)
            .map_err(|e| format!("the credentials file {} is not valid: {e}", path.display()))?;
        for k in &file.credentials {
            if !is_account(&k.account) {
                return Err(format!(
                    "the credentials file {}: account {:?} of key {} is not 12 digits",
                    path.display(),
                    k.account,
                    k.access_key_id
                ));
            }
            if let Some(arn) = &k.principal_arn {
                let ours = crate::domain::arn::Arn::parse(arn).is_some_and(|a| {
                    a.service == "iam" && a.region.is_empty() && a.account == k.account
                });
                if !ours {
                    return Err(format!(
                        "the credentials file {}: principalArn {arn} must be an IAM ARN of account {} (arn:<partition>:iam::{}:...)",
                        path.display(),
                        k.account,
                        k.account
                    ));
                }
            }
        }
        Ok(file.credentials)
    }

    /// Who signs with `access_key_id` (and `token`), calling in `region`.
    pub fn resolve(&self, access_key_id: &str, token: Option<&str>, region: &str) -> Resolution {
        if let Some(token) = token {
            return match self.minter.open(token) {
                Some(s) if s.access_key_id == access_key_id => self.session(s),
                _ => Resolution::BadToken,
            };
        }
        if let Some(k) = self.keys.get(access_key_id) {
            let who = match &k.principal_arn {
                Some(arn) if !arn.ends_with(":root") => Who::Aws {
                    account: k.account.clone(),
                    arn: arn.clone(),
                    role: None,
                },
                _ => root(&k.account, region),
            };
            return Resolution::Known {
                who,
                account: k.account.clone(),
                secret: k.secret_access_key.clone(),
                expires: None,
                tags: crate::domain::caller::SessionTags::default(),
            };
        }
        // The convention other emulators follow: a 12-digit key is that account's root,
        // signed with the secret `test`.
        if is_account(access_key_id) {
            return Resolution::Known {
                who: root(access_key_id, region),
                account: access_key_id.to_string(),
                secret: "test".into(),
                expires: None,
                tags: crate::domain::caller::SessionTags::default(),
            };
        }
        Resolution::Unknown
    }

    fn session(&self, s: Session) -> Resolution {
        Resolution::Known {
            who: Who::Aws {
                account: s.account.clone(),
                arn: s.arn,
                role: s.role,
            },
            secret: self.minter.secret_for(&s.access_key_id),
            account: s.account,
            expires: Some(s.expires),
            tags: s.tags,
        }
    }

    /// The account a key belongs to, as GetAccessKeyInfo reports it.
    pub fn account_of(&self, access_key_id: &str) -> String {
        if let Some(k) = self.keys.get(access_key_id) {
            return k.account.clone();
        }
        if is_account(access_key_id) {
            return access_key_id.to_string();
        }
        super::tokens::account_of_key(access_key_id).unwrap_or_else(|| DEFAULT_ACCOUNT.into())
    }
}
