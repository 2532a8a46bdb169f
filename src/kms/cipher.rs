//! KMS's cryptographic operations: Encrypt, Decrypt, ReEncrypt, data keys and randomness,
//! under symmetric keys (LocalEmu's sealed blobs) and RSA keys (OAEP).

use super::grants::{check_tokens, Scope};
use super::keyspec::{self, Refusal};
use super::ops::{encryption_algorithm, ok, Answer};
use super::{Key, Kms};
use crate::crypto;
use crate::domain::caller::Caller;
use crate::generated::kms as g;
use crate::generated::kms::{Error, ErrorCode, Result};
use crate::wire::Ticket;
use std::sync::Arc;

type Context<'a> = Option<&'a crate::wire::Map<String, String>>;

fn invalid_ciphertext() -> Error {
    Error::new(ErrorCode::InvalidCiphertextException, "")
}

fn incorrect_key() -> Error {
    Error::new(
        ErrorCode::IncorrectKeyException,
        "The key ID in the request does not identify a CMK that can perform this operation.",
    )
}

/// The material id an answer shows for `key`: symmetric keys' only.
fn material_id(key: &Key) -> Option<String> {
    (key.spec == "SYMMETRIC_DEFAULT").then(|| key.material_id())
}

impl Kms {
    /// `plaintext` sealed under `key` with `algorithm`: a symmetric key's blob (which names
    /// the key and binds the context), or an RSA key's OAEP ciphertext.
    fn seal(key: &Key, algorithm: &str, plaintext: &[u8], context: Context) -> Result<Vec<u8>> {
        if key.spec == "SYMMETRIC_DEFAULT" {
            return key
                .seal_blob(plaintext, context)
                .ok_or_else(Error::internal);
        }
        keyspec::encrypt(&key.spec, &key.material, algorithm, plaintext).map_err(|r| match r {
            Refusal::TooLong(max) => Error::validation(format!(
                "Algorithm {algorithm} and key spec {} cannot encrypt data larger than {max} bytes.",
                key.spec
            )),
            _ => Error::internal(),
        })
    }

    /// The key a ciphertext was made under, the algorithm, and its plaintext, checked as
    /// Decrypt checks them. A symmetric blob names its key; an RSA ciphertext does not, so
    /// the request must.
    fn open(
        &self,
        cx: &Caller,
        blob: &[u8],
        (context, named, algorithm): (Context, Option<&str>, Option<&str>),
        (action, operation): (&str, &str),
    ) -> Result<Opened> {
        let key = if let Some(named) = named {
            self.key_for_in(cx, named, action, Scope::Crypto(context))?
        } else {
            let id = crypto::blob_key_id(blob).ok_or_else(invalid_ciphertext)?;
            // The ciphertext names its key, which may be another account's in this region.
            let arn = self.key_arn_in_region(cx, id);
            self.key_for_in(
                cx,
                arn.as_deref().unwrap_or(id),
                action,
                Scope::Crypto(context),
            )?
        };
        Kms::usable(&key)?;
        key.for_usage("ENCRYPT_DECRYPT", operation)?;
        let algorithm = encryption_algorithm(&key, algorithm)?;
        if key.spec != "SYMMETRIC_DEFAULT" {
            let plain = keyspec::decrypt(&key.material, &algorithm, blob)
                .map_err(|_| invalid_ciphertext())?;
            return Ok(Opened {
                key,
                algorithm,
                plain,
                material: None,
            });
        }
        if crypto::blob_key_id(blob).ok_or_else(invalid_ciphertext)? != key.id {
            return Err(incorrect_key());
        }
        let (plain, material) = key
            .open_blob(blob, context)
            .ok_or_else(invalid_ciphertext)?;
        Ok(Opened {
            key,
            algorithm,
            plain,
            material: Some(material),
        })
    }
}

/// A ciphertext opened: the key and algorithm, the plaintext, and the id of the material
/// it was sealed under (symmetric keys' only).
struct Opened {
    key: Arc<Key>,
    algorithm: String,
    plain: Vec<u8>,
    material: Option<String>,
}

impl g::Encrypt for Kms {
    fn encrypt(&self, cx: &Caller, i: g::EncryptRequest) -> Answer<g::EncryptResponse> {
        check_tokens(i.grant_tokens.as_deref())?;
        let key = self.key_for_in(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            "kms:Encrypt",
            Scope::Crypto(i.encryption_context.as_ref()),
        )?;
        Kms::usable(&key)?;
        key.for_usage("ENCRYPT_DECRYPT", "Encrypt")?;
        let algorithm = encryption_algorithm(&key, i.encryption_algorithm.as_deref())?;
        let blob = Kms::seal(
            &key,
            &algorithm,
            &i.plaintext.unwrap_or_default(),
            i.encryption_context.as_ref(),
        )?;
        ok(
            g::EncryptResponse {
                ciphertext_blob: Some(blob),
                key_id: Some(key.arn.clone()),
                encryption_algorithm: Some(algorithm),
            },
            Ticket::ready(),
        )
    }
}

impl g::Decrypt for Kms {
    fn decrypt(&self, cx: &Caller, i: g::DecryptRequest) -> Answer<g::DecryptResponse> {
        check_tokens(i.grant_tokens.as_deref())?;
        let blob = i.ciphertext_blob.unwrap_or_default();
        let Opened {
            key,
            algorithm,
            plain,
            material,
        } = self.open(
            cx,
            &blob,
            (
                i.encryption_context.as_ref(),
                i.key_id.as_deref(),
                i.encryption_algorithm.as_deref(),
            ),
            ("kms:Decrypt", "Decrypt"),
        )?;
        ok(
            g::DecryptResponse {
                key_id: Some(key.arn.clone()),
                plaintext: Some(plain),
                encryption_algorithm: Some(algorithm),
                key_material_id: material,
                ..Default::default()
            },
            Ticket::ready(),
        )
    }
}

impl g::ReEncrypt for Kms {
    fn re_encrypt(&self, cx: &Caller, i: g::ReEncryptRequest) -> Answer<g::ReEncryptResponse> {
        check_tokens(i.grant_tokens.as_deref())?;
        let blob = i.ciphertext_blob.unwrap_or_default();
        let Opened {
            key: source,
            algorithm: source_algorithm,
            plain,
            material: source_material,
        } = self.open(
            cx,
            &blob,
            (
                i.source_encryption_context.as_ref(),
                i.source_key_id.as_deref(),
                i.source_encryption_algorithm.as_deref(),
            ),
            ("kms:ReEncryptFrom", "ReEncrypt"),
        )?;
        let dest = self.key_for_in(
            cx,
            i.destination_key_id.as_deref().unwrap_or_default(),
            "kms:ReEncryptTo",
            Scope::Crypto(i.destination_encryption_context.as_ref()),
        )?;
        Kms::usable(&dest)?;
        dest.for_usage("ENCRYPT_DECRYPT", "ReEncrypt")?;
        let algorithm = encryption_algorithm(&dest, i.destination_encryption_algorithm.as_deref())?;
        let out = Kms::seal(
            &dest,
            &algorithm,
            &plain,
            i.destination_encryption_context.as_ref(),
        )?;
        ok(
            g::ReEncryptResponse {
                ciphertext_blob: Some(out),
                source_key_id: Some(source.arn.clone()),
                key_id: Some(dest.arn.clone()),
                source_encryption_algorithm: Some(source_algorithm),
                destination_encryption_algorithm: Some(algorithm),
                source_key_material_id: source_material,
                destination_key_material_id: material_id(&dest),
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
        let key = self.key_for_in(cx, id, action, Scope::Crypto(context))?;
        Kms::usable(&key)?;
        let operation = action.trim_start_matches("kms:");
        key.for_usage("ENCRYPT_DECRYPT", operation)?;
        key.symmetric_only(operation)?;
        let plain = crypto::random_bytes(len);
        let blob = key.seal_blob(&plain, context).ok_or_else(Error::internal)?;
        Ok((key, plain, blob))
    }
}

impl g::GenerateDataKey for Kms {
    fn generate_data_key(
        &self,
        cx: &Caller,
        i: g::GenerateDataKeyRequest,
    ) -> Answer<g::GenerateDataKeyResponse> {
        check_tokens(i.grant_tokens.as_deref())?;
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
        check_tokens(i.grant_tokens.as_deref())?;
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
