//! What other services ask of KMS: Secrets Manager's key checks, Parameter Store's
//! SecureString encryption, and the key that seals a secret's values at rest.

use super::{crypto, not_found, parse_target, Key, Kms};
use crate::domain::caller::Caller;
use crate::domain::Namespace;
use crate::generated::kms::{Error, ErrorCode, Result};
use std::sync::Arc;

/// Refuses a key other services cannot encrypt under: theirs are symmetric encryption keys.
fn symmetric(key: &Key, operation: &str) -> Result<()> {
    key.for_usage("ENCRYPT_DECRYPT", operation)?;
    key.symmetric_only(operation)
}

/// What Secrets Manager asks of KMS, named as IAM names the permissions it uses.
impl Kms {
    /// Encrypts `plaintext` for another service under `key_id` (None: `default_alias`, an
    /// AWS managed key) as the caller; returns the key's ARN and the ciphertext blob.
    pub fn encrypt_for(
        &self,
        caller: &Caller,
        key_id: Option<&str>,
        default_alias: &str,
        plaintext: &[u8],
        context: &crate::wire::Map<String, String>,
    ) -> Result<(String, Vec<u8>)> {
        let (key, _) = self.lookup(&caller.namespace, key_id.unwrap_or(default_alias))?;
        self.authorize(caller, &key, "kms:Encrypt")?;
        Self::usable(&key)?;
        symmetric(&key, "Encrypt")?;
        let blob = key
            .seal_blob(plaintext, Some(context))
            .ok_or_else(Error::internal)?;
        Ok((key.arn.clone(), blob))
    }

    /// Decrypts a blob [`Kms::encrypt_for`] made, as the caller.
    pub fn decrypt_for(
        &self,
        caller: &Caller,
        blob: &[u8],
        context: &crate::wire::Map<String, String>,
    ) -> Result<Vec<u8>> {
        let id = crypto::blob_key_id(blob)
            .ok_or_else(|| Error::new(ErrorCode::InvalidCiphertextException, ""))?;
        // A multi-Region key's id is in several regions: the caller's copy first.
        let spaces = self.read();
        let key = spaces
            .iter()
            .filter(|(ns, _)| ns.region == caller.namespace.region)
            .chain(spaces.iter())
            .find_map(|(_, s)| s.keys.get(id).cloned())
            .ok_or_else(|| not_found(format!("Key '{id}' does not exist")))?;
        self.authorize(caller, &key, "kms:Decrypt")?;
        Self::usable(&key)?;
        key.open_blob(blob, Some(context))
            .map(|(plain, _)| plain)
            .ok_or_else(|| Error::new(ErrorCode::InvalidCiphertextException, ""))
    }

    /// Checks that `key_id` (None: the AWS managed key) can encrypt for `caller` in the
    /// secret's namespace `ns`; returns the key's ARN.
    pub fn check_encrypt(
        &self,
        caller: &Caller,
        ns: &Namespace,
        key_id: Option<&str>,
    ) -> Result<String> {
        let key = self.service_key(caller, ns, key_id, "kms:GenerateDataKey")?;
        Self::usable(&key)?;
        symmetric(&key, "GenerateDataKey")?;
        Ok(key.arn.clone())
    }

    pub fn check_decrypt(
        &self,
        caller: &Caller,
        ns: &Namespace,
        key_id: Option<&str>,
    ) -> Result<String> {
        let key = self.service_key(caller, ns, key_id, "kms:Decrypt")?;
        Self::usable(&key)?;
        symmetric(&key, "Decrypt")?;
        Ok(key.arn.clone())
    }

    fn service_key(
        &self,
        caller: &Caller,
        ns: &Namespace,
        key_id: Option<&str>,
        action: &str,
    ) -> Result<Arc<Key>> {
        let id = key_id.unwrap_or("alias/aws/secretsmanager");
        let (key, _) = self.lookup(ns, id)?;
        self.authorize(caller, &key, action)?;
        Ok(key)
    }

    /// Whether `key_id` names a key that exists, seen from `ns`.
    pub fn exists(&self, ns: &Namespace, key_id: &str) -> Result<bool> {
        // A malformed id is an error; a well-formed one that names nothing is not.
        parse_target(ns, key_id)?;
        match self.lookup(ns, key_id) {
            Ok(_) => Ok(true),
            Err(e) if e.code == ErrorCode::NotFoundException => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// Names the key that seals a secret's values at rest. Holds KMS weakly: the store keeps
/// the resolver, and KMS keeps the store.
pub struct AtRest(pub std::sync::Weak<Kms>);

impl crate::store::seal::KeyResolver for AtRest {
    fn key_for(&self, ns: &Namespace, kms_key_id: Option<&str>) -> Option<String> {
        let kms = self.0.upgrade()?;
        let id = kms_key_id.unwrap_or("alias/aws/secretsmanager");
        kms.lookup(ns, id)
            .ok()
            .filter(|(k, _)| k.spec == "SYMMETRIC_DEFAULT")
            .map(|(k, _)| k.id.clone())
    }
}
