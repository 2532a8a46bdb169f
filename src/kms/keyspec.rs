//! Key specs beyond symmetric encryption: what each spec is for (its usages and algorithms)
//! and its cryptography, all by RustCrypto crates: RSA (OAEP encryption, PSS and PKCS #1
//! v1.5 signatures), ECDSA on the NIST curves and secp256k1, and HMAC. Private keys are kept
//! as PKCS #8 DER, public keys shown as X.509 SubjectPublicKeyInfo DER, ECDSA signatures as
//! DER, as AWS KMS does.

use getrandom::rand_core::UnwrapErr;
use getrandom::SysRng;
use hmac::{KeyInit, Mac};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

/// The key specs KMS creates, with the usages each allows.
pub const SPECS: [(&str, &[&str]); 12] = [
    ("SYMMETRIC_DEFAULT", &["ENCRYPT_DECRYPT"]),
    ("RSA_2048", &["ENCRYPT_DECRYPT", "SIGN_VERIFY"]),
    ("RSA_3072", &["ENCRYPT_DECRYPT", "SIGN_VERIFY"]),
    ("RSA_4096", &["ENCRYPT_DECRYPT", "SIGN_VERIFY"]),
    ("ECC_NIST_P256", &["SIGN_VERIFY"]),
    ("ECC_NIST_P384", &["SIGN_VERIFY"]),
    ("ECC_NIST_P521", &["SIGN_VERIFY"]),
    ("ECC_SECG_P256K1", &["SIGN_VERIFY"]),
    ("HMAC_224", &["GENERATE_VERIFY_MAC"]),
    ("HMAC_256", &["GENERATE_VERIFY_MAC"]),
    ("HMAC_384", &["GENERATE_VERIFY_MAC"]),
    ("HMAC_512", &["GENERATE_VERIFY_MAC"]),
];

/// Why a cryptographic step could not be taken.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A DIGEST message whose length is not the algorithm's digest length.
    DigestLength,
    /// A plaintext longer than the key and algorithm can encrypt (the most there is).
    TooLong(usize),
    /// A ciphertext, signature or stored key that does not open.
    Invalid,
}

fn rsa_bits(spec: &str) -> Option<usize> {
    match spec {
        "RSA_2048" => Some(2048),
        "RSA_3072" => Some(3072),
        "RSA_4096" => Some(4096),
        _ => None,
    }
}

fn hmac_len(spec: &str) -> Option<usize> {
    match spec {
        "HMAC_224" => Some(28),
        "HMAC_256" => Some(32),
        "HMAC_384" => Some(48),
        "HMAC_512" => Some(64),
        _ => None,
    }
}

/// The encryption algorithms a key of `spec` and `usage` takes.
pub fn encryption_algorithms(spec: &str, usage: &str) -> Vec<String> {
    let names: &[&str] = match (spec, usage) {
        ("SYMMETRIC_DEFAULT", _) => &["SYMMETRIC_DEFAULT"],
        (s, "ENCRYPT_DECRYPT") if rsa_bits(s).is_some() => {
            &["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
        }
        _ => &[],
    };
    names.iter().map(|s| (*s).to_string()).collect()
}

/// The signing algorithms a key of `spec` and `usage` takes.
pub fn signing_algorithms(spec: &str, usage: &str) -> Vec<String> {
    let names: &[&str] = match (spec, usage) {
        (s, "SIGN_VERIFY") if rsa_bits(s).is_some() => &[
            "RSASSA_PSS_SHA_256",
            "RSASSA_PSS_SHA_384",
            "RSASSA_PSS_SHA_512",
            "RSASSA_PKCS1_V1_5_SHA_256",
            "RSASSA_PKCS1_V1_5_SHA_384",
            "RSASSA_PKCS1_V1_5_SHA_512",
        ],
        ("ECC_NIST_P256" | "ECC_SECG_P256K1", _) => &["ECDSA_SHA_256"],
        ("ECC_NIST_P384", _) => &["ECDSA_SHA_384"],
        ("ECC_NIST_P521", _) => &["ECDSA_SHA_512"],
        _ => &[],
    };
    names.iter().map(|s| (*s).to_string()).collect()
}

/// The MAC algorithm of an HMAC key spec.
pub fn mac_algorithms(spec: &str) -> Vec<String> {
    spec.strip_prefix("HMAC_")
        .map(|bits| vec![format!("HMAC_SHA_{bits}")])
        .unwrap_or_default()
}

/// New private material for a key of `spec` (not SYMMETRIC_DEFAULT): PKCS #8 DER for
/// asymmetric keys, random bytes for HMAC keys.
pub fn generate(spec: &str) -> Option<Vec<u8>> {
    use rsa::Generate;
    let mut rng = UnwrapErr(SysRng);
    if let Some(bits) = rsa_bits(spec) {
        let key = rsa::PrivateKey::new(&mut rng, bits).ok()?;
        return key.to_pkcs8_der().ok().map(|d| d.as_bytes().to_vec());
    }
    if let Some(n) = hmac_len(spec) {
        return Some(crate::crypto::random_bytes(n));
    }
    let der = match spec {
        "ECC_NIST_P256" => p256::ecdsa::SigningKey::generate_from_rng(&mut rng).to_pkcs8_der(),
        "ECC_NIST_P384" => p384::ecdsa::SigningKey::generate_from_rng(&mut rng).to_pkcs8_der(),
        "ECC_NIST_P521" => p521::ecdsa::SigningKey::generate_from_rng(&mut rng).to_pkcs8_der(),
        "ECC_SECG_P256K1" => k256::ecdsa::SigningKey::generate_from_rng(&mut rng).to_pkcs8_der(),
        _ => return None,
    };
    der.ok().map(|d| d.as_bytes().to_vec())
}

/// The public key of asymmetric material, as SubjectPublicKeyInfo DER.
pub fn public_key(spec: &str, material: &[u8]) -> Option<Vec<u8>> {
    let der = match spec {
        s if rsa_bits(s).is_some() => rsa::PrivateKey::from_pkcs8_der(material)
            .ok()?
            .to_public_key()
            .to_public_key_der(),
        "ECC_NIST_P256" => p256::ecdsa::SigningKey::from_pkcs8_der(material)
            .ok()?
            .verifying_key()
            .to_public_key_der(),
        "ECC_NIST_P384" => p384::ecdsa::SigningKey::from_pkcs8_der(material)
            .ok()?
            .verifying_key()
            .to_public_key_der(),
        "ECC_NIST_P521" => p521::ecdsa::SigningKey::from_pkcs8_der(material)
            .ok()?
            .verifying_key()
            .to_public_key_der(),
        "ECC_SECG_P256K1" => k256::ecdsa::SigningKey::from_pkcs8_der(material)
            .ok()?
            .verifying_key()
            .to_public_key_der(),
        _ => return None,
    };
    der.ok().map(|d| d.as_bytes().to_vec())
}

/// The digest of `message` under `algorithm`'s hash, or `message` itself when it is already
/// one (`digest`), checked for length.
fn digest_of(algorithm: &str, message: &[u8], digest: bool) -> Result<Vec<u8>, Refusal> {
    let len = if algorithm.ends_with("_256") {
        32
    } else if algorithm.ends_with("_384") {
        48
    } else {
        64
    };
    if !digest {
        return Ok(match len {
            32 => Sha256::digest(message).to_vec(),
            48 => Sha384::digest(message).to_vec(),
            _ => Sha512::digest(message).to_vec(),
        });
    }
    if message.len() != len {
        return Err(Refusal::DigestLength);
    }
    Ok(message.to_vec())
}

macro_rules! ecdsa_sign {
    ($curve:ident, $material:expr, $hash:expr) => {{
        use ecdsa_traits::PrehashSigner;
        let key =
            $curve::ecdsa::SigningKey::from_pkcs8_der($material).map_err(|_| Refusal::Invalid)?;
        let sig: $curve::ecdsa::Signature =
            key.sign_prehash($hash).map_err(|_| Refusal::Invalid)?;
        Ok(sig.to_der().as_bytes().to_vec())
    }};
}

macro_rules! ecdsa_verify {
    ($curve:ident, $material:expr, $hash:expr, $signature:expr) => {{
        use ecdsa_traits::PrehashVerifier;
        let key =
            $curve::ecdsa::SigningKey::from_pkcs8_der($material).map_err(|_| Refusal::Invalid)?;
        let Ok(sig) = $curve::ecdsa::Signature::from_der($signature) else {
            return Ok(false);
        };
        Ok(key.verifying_key().verify_prehash($hash, &sig).is_ok())
    }};
}

/// The signature traits, as the curve crates re-export them.
mod ecdsa_traits {
    pub use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
}

/// Signs `message` (or its digest, `digest`) with `algorithm` under a key of `spec`.
pub fn sign(
    spec: &str,
    material: &[u8],
    algorithm: &str,
    message: &[u8],
    digest: bool,
) -> Result<Vec<u8>, Refusal> {
    let hash = digest_of(algorithm, message, digest)?;
    if rsa_bits(spec).is_some() {
        let key = rsa::PrivateKey::from_pkcs8_der(material).map_err(|_| Refusal::Invalid)?;
        let pss = algorithm.starts_with("RSASSA_PSS");
        let signed = match (pss, hash.len()) {
            (true, 32) => key.pss_sign_prehash::<Sha256>(&hash),
            (true, 48) => key.pss_sign_prehash::<Sha384>(&hash),
            (true, _) => key.pss_sign_prehash::<Sha512>(&hash),
            (false, 32) => key.pkcs1v15_sign_prehash::<Sha256>(&hash),
            (false, 48) => key.pkcs1v15_sign_prehash::<Sha384>(&hash),
            (false, _) => key.pkcs1v15_sign_prehash::<Sha512>(&hash),
        };
        return signed.map_err(|_| Refusal::Invalid);
    }
    match spec {
        "ECC_NIST_P256" => ecdsa_sign!(p256, material, &hash),
        "ECC_NIST_P384" => ecdsa_sign!(p384, material, &hash),
        "ECC_NIST_P521" => ecdsa_sign!(p521, material, &hash),
        "ECC_SECG_P256K1" => ecdsa_sign!(k256, material, &hash),
        _ => Err(Refusal::Invalid),
    }
}

/// Whether `signature` is `algorithm`'s signature of `message` (or of its digest) under a key
/// of `spec`.
pub fn verify(
    spec: &str,
    material: &[u8],
    algorithm: &str,
    message: &[u8],
    digest: bool,
    signature: &[u8],
) -> Result<bool, Refusal> {
    let hash = digest_of(algorithm, message, digest)?;
    if rsa_bits(spec).is_some() {
        let key = rsa::PrivateKey::from_pkcs8_der(material)
            .map_err(|_| Refusal::Invalid)?
            .to_public_key();
        let pss = algorithm.starts_with("RSASSA_PSS");
        let checked = match (pss, hash.len()) {
            (true, 32) => key.pss_verify_prehash::<Sha256>(&hash, signature),
            (true, 48) => key.pss_verify_prehash::<Sha384>(&hash, signature),
            (true, _) => key.pss_verify_prehash::<Sha512>(&hash, signature),
            (false, 32) => key.pkcs1v15_verify_prehash::<Sha256>(&hash, signature),
            (false, 48) => key.pkcs1v15_verify_prehash::<Sha384>(&hash, signature),
            (false, _) => key.pkcs1v15_verify_prehash::<Sha512>(&hash, signature),
        };
        return Ok(checked.is_ok());
    }
    match spec {
        "ECC_NIST_P256" => ecdsa_verify!(p256, material, &hash, signature),
        "ECC_NIST_P384" => ecdsa_verify!(p384, material, &hash, signature),
        "ECC_NIST_P521" => ecdsa_verify!(p521, material, &hash, signature),
        "ECC_SECG_P256K1" => ecdsa_verify!(k256, material, &hash, signature),
        _ => Err(Refusal::Invalid),
    }
}

/// The most bytes `algorithm` encrypts under an RSA key of `spec`: the modulus less OAEP's
/// two digests and two bytes.
pub fn max_plaintext(spec: &str, algorithm: &str) -> Option<usize> {
    let hash = if algorithm.ends_with("SHA_1") { 20 } else { 32 };
    rsa_bits(spec).map(|bits| bits / 8 - 2 * hash - 2)
}

/// RSA OAEP encryption of `plaintext` under `algorithm`.
pub fn encrypt(
    spec: &str,
    material: &[u8],
    algorithm: &str,
    plaintext: &[u8],
) -> Result<Vec<u8>, Refusal> {
    let max = max_plaintext(spec, algorithm).ok_or(Refusal::Invalid)?;
    if plaintext.len() > max {
        return Err(Refusal::TooLong(max));
    }
    let key = rsa::PrivateKey::from_pkcs8_der(material)
        .map_err(|_| Refusal::Invalid)?
        .to_public_key();
    let sealed = if algorithm.ends_with("SHA_1") {
        key.oaep_encrypt::<sha1::Sha1>(plaintext)
    } else {
        key.oaep_encrypt::<Sha256>(plaintext)
    };
    sealed.map_err(|_| Refusal::Invalid)
}

/// RSA OAEP decryption of `ciphertext` under `algorithm`.
pub fn decrypt(material: &[u8], algorithm: &str, ciphertext: &[u8]) -> Result<Vec<u8>, Refusal> {
    let key = rsa::PrivateKey::from_pkcs8_der(material).map_err(|_| Refusal::Invalid)?;
    let opened = if algorithm.ends_with("SHA_1") {
        key.oaep_decrypt::<sha1::Sha1>(ciphertext)
    } else {
        key.oaep_decrypt::<Sha256>(ciphertext)
    };
    opened.map_err(|_| Refusal::Invalid)
}

/// The HMAC of `message` under `algorithm` (`HMAC_SHA_256`, ...), or, given `expected`,
/// whether it is that MAC (compared in constant time: a MAC is a secret until it matches).
fn hmac_of(
    material: &[u8],
    algorithm: &str,
    message: &[u8],
    expected: Option<&[u8]>,
) -> Option<Vec<u8>> {
    fn run<M: Mac + KeyInit>(
        key: &[u8],
        message: &[u8],
        expected: Option<&[u8]>,
    ) -> Option<Vec<u8>> {
        let mut m = <M as KeyInit>::new_from_slice(key).ok()?;
        m.update(message);
        match expected {
            Some(e) => m.verify_slice(e).ok().map(|()| Vec::new()),
            None => Some(m.finalize().into_bytes().to_vec()),
        }
    }
    match algorithm {
        "HMAC_SHA_224" => run::<hmac::Hmac<Sha224>>(material, message, expected),
        "HMAC_SHA_256" => run::<hmac::Hmac<Sha256>>(material, message, expected),
        "HMAC_SHA_384" => run::<hmac::Hmac<Sha384>>(material, message, expected),
        "HMAC_SHA_512" => run::<hmac::Hmac<Sha512>>(material, message, expected),
        _ => None,
    }
}

/// The HMAC of `message` under `algorithm` (`HMAC_SHA_256`, ...).
pub fn mac(material: &[u8], algorithm: &str, message: &[u8]) -> Option<Vec<u8>> {
    hmac_of(material, algorithm, message, None)
}

/// Whether `given` is the HMAC of `message` under `algorithm`.
pub fn mac_matches(material: &[u8], algorithm: &str, message: &[u8], given: &[u8]) -> bool {
    hmac_of(material, algorithm, message, Some(given)).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_tampering_is_seen() {
        for (spec, alg) in [
            ("ECC_NIST_P256", "ECDSA_SHA_256"),
            ("ECC_NIST_P384", "ECDSA_SHA_384"),
            ("ECC_NIST_P521", "ECDSA_SHA_512"),
            ("ECC_SECG_P256K1", "ECDSA_SHA_256"),
        ] {
            let key = generate(spec).unwrap();
            let sig = sign(spec, &key, alg, b"hello", false).unwrap();
            assert!(
                verify(spec, &key, alg, b"hello", false, &sig).unwrap(),
                "{spec}"
            );
            assert!(
                !verify(spec, &key, alg, b"hellO", false, &sig).unwrap(),
                "{spec}"
            );
            assert!(public_key(spec, &key).is_some());
        }
        assert_eq!(
            sign(
                "ECC_NIST_P256",
                &generate("ECC_NIST_P256").unwrap(),
                "ECDSA_SHA_256",
                b"short",
                true
            ),
            Err(Refusal::DigestLength)
        );
    }

    #[test]
    fn hmacs_are_the_standard_ones() {
        // RFC 4231, test case 2.
        let mac = mac(b"Jefe", "HMAC_SHA_256", b"what do ya want for nothing?").unwrap();
        let hex = mac.iter().fold(String::new(), |mut s, b| {
            use std::fmt::Write;
            let _ = write!(s, "{b:02x}");
            s
        });
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
