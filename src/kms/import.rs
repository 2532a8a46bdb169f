//! Imported key material (Origin EXTERNAL): GetParametersForImport hands out an RSA
//! wrapping key and an import token, ImportKeyMaterial unwraps the caller's material into
//! the key, DeleteImportedKeyMaterial (or the material's expiry) leaves it pending import.

use super::keyspec;
use super::ops::{ok, secs, unsupported, Answer};
use super::{Key, KeyState, Kms};
use crate::clock::Millis;
use crate::domain::caller::Caller;
use crate::domain::Namespace;
use crate::generated::kms as g;
use crate::generated::kms::{Error, ErrorCode, Result};
use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// How long import parameters stay valid, as KMS gives them.
const PARAMETERS_VALID_MS: Millis = 24 * 3_600_000;

/// What an EXTERNAL key knows of its import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Import {
    /// The wrapping key pair and token GetParametersForImport last handed out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapping: Option<Wrapping>,
    /// When the imported material expires (KEY_MATERIAL_EXPIRES).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Millis>,
    /// Whether the key holds its material now (not before the first import, nor after a
    /// deletion or expiry).
    #[serde(default)]
    pub present: bool,
    /// The SHA-256 of the first material imported: a key takes no other afterwards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wrapping {
    /// The import token, base64.
    pub token: String,
    /// The wrapping private key, PKCS#8 DER in base64.
    pub private_key: String,
    pub algorithm: String,
    pub valid_to: Millis,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn digest(material: &[u8]) -> String {
    b64().encode(ring::digest::digest(&ring::digest::SHA256, material))
}

/// The length in bytes material of `spec` must have.
fn material_lengths(spec: &str) -> Option<std::ops::RangeInclusive<usize>> {
    Some(match spec {
        "SYMMETRIC_DEFAULT" => 32..=32,
        "HMAC_224" => 28..=64,
        "HMAC_256" => 32..=64,
        "HMAC_384" => 48..=128,
        "HMAC_512" => 64..=128,
        _ => return None,
    })
}

/// Whether LocalEmu imports material of `spec` (symmetric and HMAC keys: their material is
/// wrapped with RSA OAEP alone).
pub(super) fn importable(spec: &str) -> bool {
    material_lengths(spec).is_some()
}

fn external(key: &Key, operation: &str) -> Result<()> {
    if key.origin != "EXTERNAL" {
        return Err(unsupported(format!(
            "{} origin is {} which is not valid for {operation}.",
            key.arn, key.origin
        )));
    }
    if key.state == KeyState::PendingDeletion {
        return Err(super::ops::pending(key));
    }
    Ok(())
}

/// Whether an EXTERNAL key is without its material (a cancelled deletion leaves it pending
/// import, not disabled).
pub(super) fn lacks_material(key: &Key) -> bool {
    key.origin == "EXTERNAL" && !key.import.as_ref().is_some_and(|i| i.present)
}

/// Whether the key's imported material has expired at `now`.
pub(super) fn expired(key: &Key, now: Millis) -> bool {
    key.origin == "EXTERNAL"
        && matches!(key.state, KeyState::Enabled | KeyState::Disabled)
        && key
            .import
            .as_ref()
            .and_then(|i| i.expires)
            .is_some_and(|at| now >= at)
}

/// The key without its material, as an expiry or DeleteImportedKeyMaterial leaves it. The
/// material stays in the keyring, so that only the same material can come back.
pub(super) fn forget_material(key: &mut Key) {
    key.state = KeyState::PendingImport;
    if let Some(i) = key.import.as_mut() {
        i.expires = None;
        i.present = false;
    }
}

impl Kms {
    fn external_key(
        &self,
        cx: &Caller,
        id: Option<&str>,
        action: &str,
    ) -> Result<(Namespace, String)> {
        let key = self.key_for(cx, id.unwrap_or_default(), action)?;
        external(&key, action.trim_start_matches("kms:"))?;
        Ok((
            Namespace::new(key.account.clone(), key.region.clone()),
            key.id.clone(),
        ))
    }
}

impl g::GetParametersForImport for Kms {
    fn get_parameters_for_import(
        &self,
        cx: &Caller,
        i: g::GetParametersForImportRequest,
    ) -> Answer<g::GetParametersForImportResponse> {
        let (ns, id) = self.external_key(cx, i.key_id.as_deref(), "kms:GetParametersForImport")?;
        let algorithm = i.wrapping_algorithm.unwrap_or_default();
        let spec = i.wrapping_key_spec.unwrap_or_default();
        match algorithm.as_str() {
            "RSAES_OAEP_SHA_1" | "RSAES_OAEP_SHA_256" => {}
            "RSAES_PKCS1_V1_5" => {
                return Err(Error::validation(
                    "The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported.",
                ))
            }
            other => {
                return Err(unsupported(format!(
                    "LocalEmu imports symmetric and HMAC key material wrapped with RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256, not {other}."
                )))
            }
        }
        if !spec.starts_with("RSA_") {
            return Err(unsupported(format!(
                "LocalEmu wraps import material with RSA keys, not {spec}."
            )));
        }
        let private = keyspec::generate(&spec).ok_or_else(Error::internal)?;
        let public = keyspec::public_key(&spec, &private).ok_or_else(Error::internal)?;
        let token = crate::crypto::random_bytes(64);
        let valid_to = self.now() + PARAMETERS_VALID_MS;
        let wrapping = Wrapping {
            token: b64().encode(&token),
            private_key: b64().encode(&private),
            algorithm,
            valid_to,
        };
        let (key, ticket) = self.change(&ns, &id, |k| {
            k.import.get_or_insert_with(Import::default).wrapping = Some(wrapping);
            Ok(())
        })?;
        ok(
            g::GetParametersForImportResponse {
                key_id: Some(key.arn.clone()),
                import_token: Some(token),
                public_key: Some(public),
                parameters_valid_to: Some(secs(valid_to)),
            },
            ticket,
        )
    }
}

impl g::ImportKeyMaterial for Kms {
    fn import_key_material(
        &self,
        cx: &Caller,
        i: g::ImportKeyMaterialRequest,
    ) -> Answer<g::ImportKeyMaterialResponse> {
        let (ns, id) = self.external_key(cx, i.key_id.as_deref(), "kms:ImportKeyMaterial")?;
        let model = i
            .expiration_model
            .as_deref()
            .unwrap_or(if i.valid_to.is_some() {
                "KEY_MATERIAL_EXPIRES"
            } else {
                "KEY_MATERIAL_DOES_NOT_EXPIRE"
            });
        let expires =
            match (model, i.valid_to) {
                ("KEY_MATERIAL_EXPIRES", Some(at)) => Some((at * 1000.0) as Millis),
                ("KEY_MATERIAL_EXPIRES", None) => return Err(Error::validation(
                    "A ValidTo date must be set when the ExpirationModel is KEY_MATERIAL_EXPIRES.",
                )),
                (_, Some(_)) => {
                    return Err(Error::validation(
                        "ValidTo may be set only when the ExpirationModel is KEY_MATERIAL_EXPIRES.",
                    ))
                }
                (_, None) => None,
            };
        let now = self.now();
        if expires.is_some_and(|at| at <= now) {
            return Err(Error::validation("The ValidTo date must be in the future."));
        }
        let token = b64().encode(i.import_token.unwrap_or_default());
        let wrapped = i.encrypted_key_material.unwrap_or_default();
        let (current, _) = self.lookup(&ns, &id)?;
        let import = current.import.clone().unwrap_or_default();
        let Some(w) = import.wrapping.filter(|w| w.token == token) else {
            return Err(Error::new(
                ErrorCode::InvalidImportTokenException,
                "The import token is not valid for this key.",
            ));
        };
        if now >= w.valid_to {
            return Err(Error::new(
                ErrorCode::ExpiredImportTokenException,
                "The import token has expired; get new import parameters.",
            ));
        }
        let private = b64()
            .decode(&w.private_key)
            .map_err(|_| Error::internal())?;
        let material = keyspec::decrypt(&private, &w.algorithm, &wrapped)
            .map_err(|_| Error::new(ErrorCode::InvalidCiphertextException, ""))?;
        let fits = material_lengths(&current.spec).is_some_and(|r| r.contains(&material.len()));
        if !fits {
            return Err(Error::new(
                ErrorCode::IncorrectKeyMaterialException,
                format!("The key material is not valid for a {} key.", current.spec),
            ));
        }
        let d = digest(&material);
        if import.digest.as_ref().is_some_and(|before| *before != d) {
            return Err(Error::new(
                ErrorCode::IncorrectKeyMaterialException,
                "The key material is not the material previously imported into this key.",
            ));
        }
        // Journaled ahead of the key's record, whose ticket the answer waits for.
        let _ = self.store.put_key_material(&id, &material);
        let (key, ticket) = self.change(&ns, &id, |k| {
            let import = k.import.get_or_insert_with(Import::default);
            import.digest = Some(d);
            import.expires = expires;
            import.present = true;
            if k.state == KeyState::PendingImport {
                k.state = KeyState::Enabled;
            }
            k.material = material;
            Ok(())
        })?;
        ok(
            g::ImportKeyMaterialResponse {
                key_id: Some(key.arn.clone()),
                key_material_id: Some(key.material_id()),
            },
            ticket,
        )
    }
}

impl g::DeleteImportedKeyMaterial for Kms {
    fn delete_imported_key_material(
        &self,
        cx: &Caller,
        i: g::DeleteImportedKeyMaterialRequest,
    ) -> Answer<g::DeleteImportedKeyMaterialResponse> {
        let (ns, id) =
            self.external_key(cx, i.key_id.as_deref(), "kms:DeleteImportedKeyMaterial")?;
        let (key, ticket) = self.change(&ns, &id, |k| {
            forget_material(k);
            Ok(())
        })?;
        ok(
            g::DeleteImportedKeyMaterialResponse {
                key_id: Some(key.arn.clone()),
                key_material_id: Some(key.material_id()),
            },
            ticket,
        )
    }
}
