//! The KMS side of Secrets Manager: a secret's key must be usable, and usable by the caller,
//! before a value is written under it or read from it. KMS's answers become Secrets Manager's.

use super::{Caller, SecretsManager};
use crate::domain::Namespace;
use crate::error::{Common, Kind};
use crate::generated::kms::{Error as KmsError, ErrorCode as Kms};
use crate::generated::secretsmanager::{Error, ErrorCode, Result};

fn kms_refused() -> Error {
    Error::access_denied("Access to KMS is not allowed")
}

impl SecretsManager {
    /// Before a value is encrypted under `key_id` (None: the AWS managed key) in `ns`.
    pub(crate) fn check_encrypt(
        &self,
        caller: &Caller,
        ns: &Namespace,
        key_id: Option<&str>,
    ) -> Result<()> {
        let Some(kms) = &self.kms else { return Ok(()) };
        kms.check_encrypt(caller, ns, key_id)
            .map(|_| ())
            .map_err(encrypt_refused)
    }

    /// Before a value encrypted under `key_id` is read.
    pub(crate) fn check_decrypt(
        &self,
        caller: &Caller,
        ns: &Namespace,
        key_id: Option<&str>,
    ) -> Result<()> {
        let Some(kms) = &self.kms else { return Ok(()) };
        kms.check_decrypt(caller, ns, key_id)
            .map(|_| ())
            .map_err(decrypt_refused)
    }

    /// A KmsKeyId given to CreateSecret or UpdateSecret must name a key: a key id, key ARN,
    /// alias name or alias ARN.
    pub(crate) fn check_key_id(&self, ns: &Namespace, key_id: &str) -> Result<()> {
        let Some(kms) = &self.kms else { return Ok(()) };
        match kms.exists(ns, key_id) {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::new(
                ErrorCode::ResourceNotFoundException,
                "Secrets Manager can't find the specified KMS key.",
            )),
            Err(_) => Err(invalid_key()),
        }
    }
}

/// KMS's refusal to encrypt, as Secrets Manager words it.
fn encrypt_refused(e: KmsError) -> Error {
    match e.code {
        Kind::Modeled(Kms::DisabledException | Kms::KMSInvalidStateException) => Error::new(
            ErrorCode::EncryptionFailure,
            "Secrets Manager can't encrypt the protected secret text using the provided KMS \
             key. Check that the KMS key is available, enabled, and not in an invalid state.",
        ),
        Kind::Modeled(Kms::NotFoundException) => Error::new(
            ErrorCode::EncryptionFailure,
            format!(
                "Secrets Manager can't encrypt the secret value: {}",
                e.message
            ),
        ),
        Kind::Modeled(Kms::InvalidArnException) => invalid_key(),
        Kind::Common(Common::AccessDenied) => kms_refused(),
        _ => Error::from_other(e),
    }
}

/// KMS's refusal to decrypt, as Secrets Manager words it.
fn decrypt_refused(e: KmsError) -> Error {
    match e.code {
        Kind::Modeled(
            Kms::DisabledException
            | Kms::KMSInvalidStateException
            | Kms::NotFoundException
            | Kms::InvalidArnException,
        ) => Error::new(
            ErrorCode::DecryptionFailure,
            "Secrets Manager can't decrypt the protected secret text using the provided KMS key.",
        ),
        Kind::Common(Common::AccessDenied) => kms_refused(),
        _ => Error::from_other(e),
    }
}

fn invalid_key() -> Error {
    Error::invalid_parameter("The operation failed because of an invalid KMS key: Invalid keyId")
}

impl SecretsManager {
    /// Writes again, sealed, the values of secrets found in the clear at start-up (a file of
    /// an older format, or an import); false if a write failed.
    pub async fn seal_plain_at_rest(&self) -> bool {
        let mut tickets = Vec::new();
        for (ns, name) in self.store.take_plain_at_rest() {
            let Some(space) = self.store.namespace(&ns) else {
                continue;
            };
            let Some(cell) = space.get(&name) else {
                continue;
            };
            let _gate = self.gate();
            let s = cell.write();
            let ids: Vec<&str> = s
                .versions
                .iter()
                .filter(|v| v.value.is_some())
                .map(|v| v.id.as_str())
                .collect();
            tickets.push(space.commit(&cell, &s, &ids));
        }
        for ticket in tickets {
            if !ticket.durable().await {
                return false;
            }
        }
        true
    }
}
