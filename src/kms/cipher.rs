//! KMS's cryptographic operations: Encrypt, Decrypt, ReEncrypt, data keys and randomness.

use super::ops::{check_algorithm, ok, Answer};
use super::{Key, Kms};
use crate::crypto;
use crate::domain::caller::Caller;
use crate::generated::kms as g;
use crate::generated::kms::{Error, ErrorCode, Result};
use crate::wire::Ticket;
use std::sync::Arc;

impl g::Encrypt for Kms {
    fn encrypt(&self, cx: &Caller, i: g::EncryptRequest) -> Answer<g::EncryptResponse> {
        check_algorithm(i.encryption_algorithm.as_deref())?;
        let key = self.key_for(cx, i.key_id.as_deref().unwrap_or_default(), "kms:Encrypt")?;
        Kms::usable(&key)?;
        let blob = crypto::encrypt_blob(
            &key.id,
            &key.material,
            &i.plaintext.unwrap_or_default(),
            i.encryption_context.as_ref(),
        )
        .ok_or_else(Error::internal)?;
        ok(
            g::EncryptResponse {
                ciphertext_blob: Some(blob),
                key_id: Some(key.arn.clone()),
                encryption_algorithm: Some("SYMMETRIC_DEFAULT".into()),
            },
            Ticket::ready(),
        )
    }
}

fn invalid_ciphertext() -> Error {
    Error::new(ErrorCode::InvalidCiphertextException, "")
}

impl Kms {
    /// The key a ciphertext blob was made under and its plaintext, checked like Decrypt.
    fn open_blob(
        &self,
        cx: &Caller,
        blob: &[u8],
        context: Option<&crate::wire::Map<String, String>>,
        expected: Option<&str>,
        action: &str,
    ) -> Result<(Arc<Key>, Vec<u8>)> {
        let id = crypto::blob_key_id(blob).ok_or_else(invalid_ciphertext)?;
        // The blob names a key of the caller's namespace unless KeyId says otherwise.
        let key = match expected {
            Some(e) => {
                let named = self.key_for(cx, e, action)?;
                if named.id != id {
                    return Err(Error::new(
                        ErrorCode::IncorrectKeyException,
                        "The key ID in the request does not identify a CMK that can perform this operation.",
                    ));
                }
                named
            }
            None => self.key_for(cx, id, action)?,
        };
        Kms::usable(&key)?;
        let plain =
            crypto::decrypt_blob(blob, &key.material, context).ok_or_else(invalid_ciphertext)?;
        Ok((key, plain))
    }
}

impl g::Decrypt for Kms {
    fn decrypt(&self, cx: &Caller, i: g::DecryptRequest) -> Answer<g::DecryptResponse> {
        check_algorithm(i.encryption_algorithm.as_deref())?;
        let blob = i.ciphertext_blob.unwrap_or_default();
        let (key, plain) = self.open_blob(
            cx,
            &blob,
            i.encryption_context.as_ref(),
            i.key_id.as_deref(),
            "kms:Decrypt",
        )?;
        ok(
            g::DecryptResponse {
                key_id: Some(key.arn.clone()),
                plaintext: Some(plain),
                encryption_algorithm: Some("SYMMETRIC_DEFAULT".into()),
                key_material_id: Some(key.material_id()),
                ..Default::default()
            },
            Ticket::ready(),
        )
    }
}

impl g::ReEncrypt for Kms {
    fn re_encrypt(&self, cx: &Caller, i: g::ReEncryptRequest) -> Answer<g::ReEncryptResponse> {
        check_algorithm(i.source_encryption_algorithm.as_deref())?;
        check_algorithm(i.destination_encryption_algorithm.as_deref())?;
        let blob = i.ciphertext_blob.unwrap_or_default();
        let (source, plain) = self.open_blob(
            cx,
            &blob,
            i.source_encryption_context.as_ref(),
            i.source_key_id.as_deref(),
            "kms:ReEncryptFrom",
        )?;
        let dest = self.key_for(
            cx,
            i.destination_key_id.as_deref().unwrap_or_default(),
            "kms:ReEncryptTo",
        )?;
        Kms::usable(&dest)?;
        let out = crypto::encrypt_blob(
            &dest.id,
            &dest.material,
            &plain,
            i.destination_encryption_context.as_ref(),
        )
        .ok_or_else(Error::internal)?;
        ok(
            g::ReEncryptResponse {
                ciphertext_blob: Some(out),
                source_key_id: Some(source.arn.clone()),
                key_id: Some(dest.arn.clone()),
                source_encryption_algorithm: Some("SYMMETRIC_DEFAULT".into()),
                destination_encryption_algorithm: Some("SYMMETRIC_DEFAULT".into()),
                source_key_material_id: Some(source.material_id()),
                destination_key_material_id: Some(dest.material_id()),
            },
            Ticket::ready(),
        )
    }
}

/// The data key length a GenerateDataKey request asks for.
fn data_key_len(spec: Option<&str>, bytes: Option<i64>) -> Result<usize> {
    match (spec, bytes) {
        (Some(_), Some(_)) | (None, None) => Err(Error::validation(
            "Please specify either number of bytes or key spec.",
        )),
        (Some("AES_256"), None) => Ok(32),
        (Some("AES_128"), None) => Ok(16),
        (Some(other), None) => Err(Error::validation(format!(
            "1 validation error detected: Value '{other}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]"
        ))),
        (None, Some(n)) => Ok(n as usize),
    }
}

impl Kms {
    fn data_key(
        &self,
        cx: &Caller,
        id: &str,
        len: usize,
        context: Option<&crate::wire::Map<String, String>>,
        action: &str,
    ) -> Result<(Arc<Key>, Vec<u8>, Vec<u8>)> {
        let key = self.key_for(cx, id, action)?;
        Kms::usable(&key)?;
        let plain = crypto::random_bytes(len);
        let blob = crypto::encrypt_blob(&key.id, &key.material, &plain, context)
            .ok_or_else(Error::internal)?;
        Ok((key, plain, blob))
    }
}

impl g::GenerateDataKey for Kms {
    fn generate_data_key(
        &self,
        cx: &Caller,
        i: g::GenerateDataKeyRequest,
    ) -> Answer<g::GenerateDataKeyResponse> {
        let len = data_key_len(i.key_spec.as_deref(), i.number_of_bytes)?;
        let (key, plain, blob) = self.data_key(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            len,
            i.encryption_context.as_ref(),
            "kms:GenerateDataKey",
        )?;
        ok(
            g::GenerateDataKeyResponse {
                ciphertext_blob: Some(blob),
                plaintext: Some(plain),
                key_id: Some(key.arn.clone()),
                key_material_id: Some(key.material_id()),
                ..Default::default()
            },
            Ticket::ready(),
        )
    }
}

impl g::GenerateDataKeyWithoutPlaintext for Kms {
    fn generate_data_key_without_plaintext(
        &self,
        cx: &Caller,
        i: g::GenerateDataKeyWithoutPlaintextRequest,
    ) -> Answer<g::GenerateDataKeyWithoutPlaintextResponse> {
        let len = data_key_len(i.key_spec.as_deref(), i.number_of_bytes)?;
        let (key, _, blob) = self.data_key(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            len,
            i.encryption_context.as_ref(),
            "kms:GenerateDataKeyWithoutPlaintext",
        )?;
        ok(
            g::GenerateDataKeyWithoutPlaintextResponse {
                ciphertext_blob: Some(blob),
                key_id: Some(key.arn.clone()),
                key_material_id: Some(key.material_id()),
            },
            Ticket::ready(),
        )
    }
}

impl g::GenerateRandom for Kms {
    fn generate_random(
        &self,
        _: &Caller,
        i: g::GenerateRandomRequest,
    ) -> Answer<g::GenerateRandomResponse> {
        let n = i
            .number_of_bytes
            .ok_or_else(|| Error::validation("NumberOfBytes is required."))?;
        ok(
            g::GenerateRandomResponse {
                plaintext: Some(crypto::random_bytes(n as usize)),
                ..Default::default()
            },
            Ticket::ready(),
        )
    }
}
