//! KMS's operations on asymmetric and HMAC keys: Sign, Verify, GetPublicKey, GenerateMac,
//! VerifyMac, and data key pairs (GenerateDataKeyPair, with and without plaintext).

use super::grants::check_tokens;
use super::keyspec::{self, Refusal};
use super::ops::{ok, unsupported, Answer};
use super::{Key, Kms};
use crate::domain::caller::Caller;
use crate::generated::kms as g;
use crate::generated::kms::{Error, ErrorCode, Result};
use crate::wire::Ticket;
use std::sync::Arc;

/// What a request with `DryRun` gets once every check passed.
pub(super) fn dry_run(asked: Option<bool>) -> Result<()> {
    if asked == Some(true) {
        return Err(Error::new(
            ErrorCode::DryRunOperationException,
            "The request would have succeeded, but the DryRun option is set.",
        ));
    }
    Ok(())
}

fn incompatible(algorithm: &str, spec: &str) -> Error {
    Error::new(
        ErrorCode::InvalidKeyUsageException,
        format!("Algorithm {algorithm} is incompatible with key spec {spec}."),
    )
}

/// A refusal of the cryptography, as KMS answers it.
fn refused(r: Refusal, algorithm: &str, key: &Key) -> Error {
    match r {
        Refusal::DigestLength => Error::validation(format!(
            "Digest is invalid length for algorithm {algorithm}."
        )),
        Refusal::TooLong(max) => Error::validation(format!(
            "Algorithm {algorithm} and key spec {} cannot encrypt data larger than {max} bytes.",
            key.spec
        )),
        Refusal::Invalid => Error::internal(),
    }
}

impl Kms {
    /// The key a signing request names, with its algorithm checked against the key.
    fn signing_key(
        &self,
        cx: &Caller,
        id: Option<&str>,
        algorithm: Option<&str>,
        (action, operation): (&str, &str),
    ) -> Result<(Arc<Key>, String)> {
        let key = self.key_for(cx, id.unwrap_or_default(), action)?;
        Kms::usable(&key)?;
        key.for_usage("SIGN_VERIFY", operation)?;
        let algorithm = algorithm.unwrap_or_default().to_string();
        if !keyspec::signing_algorithms(&key.spec, &key.usage).contains(&algorithm) {
            return Err(incompatible(&algorithm, &key.spec));
        }
        Ok((key, algorithm))
    }

    /// The key a MAC request names, with its algorithm checked against the key.
    fn mac_key(
        &self,
        cx: &Caller,
        id: Option<&str>,
        algorithm: Option<&str>,
        (action, operation): (&str, &str),
    ) -> Result<(Arc<Key>, String)> {
        let key = self.key_for(cx, id.unwrap_or_default(), action)?;
        Kms::usable(&key)?;
        key.for_usage("GENERATE_VERIFY_MAC", operation)?;
        let algorithm = algorithm.unwrap_or_default().to_string();
        if !keyspec::mac_algorithms(&key.spec).contains(&algorithm) {
            return Err(incompatible(&algorithm, &key.spec));
        }
        Ok((key, algorithm))
    }
}

fn is_digest(message_type: Option<&str>) -> bool {
    message_type == Some("DIGEST")
}

impl g::Sign for Kms {
    fn sign(&self, cx: &Caller, i: g::SignRequest) -> Answer<g::SignResponse> {
        check_tokens(i.grant_tokens.as_deref())?;
        let (key, algorithm) = self.signing_key(
            cx,
            i.key_id.as_deref(),
            i.signing_algorithm.as_deref(),
            ("kms:Sign", "Sign"),
        )?;
        let message = i.message.unwrap_or_default();
        let digest = is_digest(i.message_type.as_deref());
        let signature = keyspec::sign(&key.spec, &key.material, &algorithm, &message, digest)
            .map_err(|r| refused(r, &algorithm, &key))?;
        dry_run(i.dry_run)?;
        ok(
            g::SignResponse {
                key_id: Some(key.arn.clone()),
                signature: Some(signature),
                signing_algorithm: Some(algorithm),
            },
            Ticket::ready(),
        )
    }
}

impl g::Verify for Kms {
    fn verify(&self, cx: &Caller, i: g::VerifyRequest) -> Answer<g::VerifyResponse> {
        check_tokens(i.grant_tokens.as_deref())?;
        let (key, algorithm) = self.signing_key(
            cx,
            i.key_id.as_deref(),
            i.signing_algorithm.as_deref(),
            ("kms:Verify", "Verify"),
        )?;
        let message = i.message.unwrap_or_default();
        let digest = is_digest(i.message_type.as_deref());
        let signature = i.signature.unwrap_or_default();
        let valid = keyspec::verify(
            &key.spec,
            &key.material,
            &algorithm,
            &message,
            digest,
            &signature,
        )
        .map_err(|r| refused(r, &algorithm, &key))?;
        if !valid {
            return Err(Error::new(ErrorCode::KMSInvalidSignatureException, ""));
        }
        dry_run(i.dry_run)?;
        ok(
            g::VerifyResponse {
                key_id: Some(key.arn.clone()),
                signature_valid: Some(true),
                signing_algorithm: Some(algorithm),
            },
            Ticket::ready(),
        )
    }
}

impl g::GetPublicKey for Kms {
    fn get_public_key(
        &self,
        cx: &Caller,
        i: g::GetPublicKeyRequest,
    ) -> Answer<g::GetPublicKeyResponse> {
        check_tokens(i.grant_tokens.as_deref())?;
        let key = self.key_for(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            "kms:GetPublicKey",
        )?;
        Kms::usable(&key)?;
        let public = keyspec::public_key(&key.spec, &key.material).ok_or_else(|| {
            unsupported(format!(
                "{} key spec is {} which is not valid for GetPublicKey.",
                key.arn, key.spec
            ))
        })?;
        let some = |v: Vec<String>| Some(v).filter(|v| !v.is_empty());
        ok(
            g::GetPublicKeyResponse {
                key_id: Some(key.arn.clone()),
                public_key: Some(public),
                customer_master_key_spec: Some(key.spec.clone()),
                key_spec: Some(key.spec.clone()),
                key_usage: Some(key.usage.clone()),
                encryption_algorithms: some(keyspec::encryption_algorithms(&key.spec, &key.usage)),
                signing_algorithms: some(keyspec::signing_algorithms(&key.spec, &key.usage)),
                ..Default::default()
            },
            Ticket::ready(),
        )
    }
}

impl g::GenerateMac for Kms {
    fn generate_mac(
        &self,
        cx: &Caller,
        i: g::GenerateMacRequest,
    ) -> Answer<g::GenerateMacResponse> {
        check_tokens(i.grant_tokens.as_deref())?;
        let (key, algorithm) = self.mac_key(
            cx,
            i.key_id.as_deref(),
            i.mac_algorithm.as_deref(),
            ("kms:GenerateMac", "GenerateMac"),
        )?;
        let mac = keyspec::mac(&key.material, &algorithm, &i.message.unwrap_or_default())
            .ok_or_else(Error::internal)?;
        dry_run(i.dry_run)?;
        ok(
            g::GenerateMacResponse {
                mac: Some(mac),
                mac_algorithm: Some(algorithm),
                key_id: Some(key.arn.clone()),
            },
            Ticket::ready(),
        )
    }
}

impl g::VerifyMac for Kms {
    fn verify_mac(&self, cx: &Caller, i: g::VerifyMacRequest) -> Answer<g::VerifyMacResponse> {
        check_tokens(i.grant_tokens.as_deref())?;
        let (key, algorithm) = self.mac_key(
            cx,
            i.key_id.as_deref(),
            i.mac_algorithm.as_deref(),
            ("kms:VerifyMac", "VerifyMac"),
        )?;
        let message = i.message.unwrap_or_default();
        let given = i.mac.unwrap_or_default();
        if !keyspec::mac_matches(&key.material, &algorithm, &message, &given) {
            return Err(Error::new(ErrorCode::KMSInvalidMacException, ""));
        }
        dry_run(i.dry_run)?;
        ok(
            g::VerifyMacResponse {
                key_id: Some(key.arn.clone()),
                mac_valid: Some(true),
                mac_algorithm: Some(algorithm),
            },
            Ticket::ready(),
        )
    }
}

/// The key pair specs GenerateDataKeyPair makes.
const PAIR_SPECS: [&str; 7] = [
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
];

/// A new key pair: the private key (PKCS #8 DER), sealed under the named symmetric key, and
/// the public key.
struct DataKeyPair {
    key: Arc<Key>,
    private: Vec<u8>,
    sealed: Vec<u8>,
    public: Vec<u8>,
}

impl Kms {
    fn data_key_pair(
        &self,
        cx: &Caller,
        (id, spec): (Option<&str>, &str),
        context: Option<&crate::wire::Map<String, String>>,
        (action, operation): (&str, &str),
    ) -> Result<DataKeyPair> {
        let key = self.key_for(cx, id.unwrap_or_default(), action)?;
        Kms::usable(&key)?;
        key.symmetric_only(operation)?;
        if !PAIR_SPECS.contains(&spec) {
            return Err(unsupported(format!(
                "LocalEmu does not make data key pairs of KeyPairSpec {spec}."
            )));
        }
        let private = keyspec::generate(spec).ok_or_else(Error::internal)?;
        let public = keyspec::public_key(spec, &private).ok_or_else(Error::internal)?;
        let sealed = key
            .seal_blob(&private, context)
            .ok_or_else(Error::internal)?;
        Ok(DataKeyPair {
            key,
            private,
            sealed,
            public,
        })
    }
}

impl g::GenerateDataKeyPair for Kms {
    fn generate_data_key_pair(
        &self,
        cx: &Caller,
        i: g::GenerateDataKeyPairRequest,
    ) -> Answer<g::GenerateDataKeyPairResponse> {
        check_tokens(i.grant_tokens.as_deref())?;
        let spec = i.key_pair_spec.unwrap_or_default();
        let pair = self.data_key_pair(
            cx,
            (i.key_id.as_deref(), &spec),
            i.encryption_context.as_ref(),
            ("kms:GenerateDataKeyPair", "GenerateDataKeyPair"),
        )?;
        dry_run(i.dry_run)?;
        ok(
            g::GenerateDataKeyPairResponse {
                private_key_ciphertext_blob: Some(pair.sealed),
                private_key_plaintext: Some(pair.private),
                public_key: Some(pair.public),
                key_id: Some(pair.key.arn.clone()),
                key_pair_spec: Some(spec),
                ciphertext_for_recipient: None,
                key_material_id: Some(pair.key.material_id()),
            },
            Ticket::ready(),
        )
    }
}

impl g::GenerateDataKeyPairWithoutPlaintext for Kms {
    fn generate_data_key_pair_without_plaintext(
        &self,
        cx: &Caller,
        i: g::GenerateDataKeyPairWithoutPlaintextRequest,
    ) -> Answer<g::GenerateDataKeyPairWithoutPlaintextResponse> {
        check_tokens(i.grant_tokens.as_deref())?;
        let spec = i.key_pair_spec.unwrap_or_default();
        let pair = self.data_key_pair(
            cx,
            (i.key_id.as_deref(), &spec),
            i.encryption_context.as_ref(),
            (
                "kms:GenerateDataKeyPairWithoutPlaintext",
                "GenerateDataKeyPairWithoutPlaintext",
            ),
        )?;
        dry_run(i.dry_run)?;
        ok(
            g::GenerateDataKeyPairWithoutPlaintextResponse {
                private_key_ciphertext_blob: Some(pair.sealed),
                public_key: Some(pair.public),
                key_id: Some(pair.key.arn.clone()),
                key_pair_spec: Some(spec),
                key_material_id: Some(pair.key.material_id()),
            },
            Ticket::ready(),
        )
    }
}
