//! KMS keys beyond symmetric encryption, through aws-sdk-kms: RSA, ECC and HMAC keys, their
//! signatures and ciphertexts checked by OpenSSL outside the emulator, and data key pairs.

use crate::common::*;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    DataKeyPairSpec, EncryptionAlgorithmSpec, KeySpec, KeyUsageType, MacAlgorithmSpec, MessageType,
    SigningAlgorithmSpec,
};
use std::path::Path;
use std::process::Command;

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

/// Runs openssl with `args`; returns whether it succeeded, and what it wrote.
pub fn openssl(args: &[&str]) -> (bool, Vec<u8>) {
    let out = Command::new("openssl").args(args).output().unwrap();
    (out.status.success(), out.stdout)
}

async fn key(k: &aws_sdk_kms::Client, spec: KeySpec, usage: KeyUsageType) -> String {
    k.create_key()
        .key_spec(spec)
        .key_usage(usage)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id
}

#[tokio::test]
async fn signatures_verify_with_openssl() {
    let server = TestServer::isolated().await;
    let k = kms_client(server.addr, ACCOUNT);
    let dir = temp_dir("kms-sign");
    let message = b"a message to sign";
    let msg = write(&dir, "msg", message);
    for (spec, algorithm, digest, pss) in [
        (
            KeySpec::EccNistP256,
            SigningAlgorithmSpec::EcdsaSha256,
            "-sha256",
            false,
        ),
        (
            KeySpec::EccNistP384,
            SigningAlgorithmSpec::EcdsaSha384,
            "-sha384",
            false,
        ),
        (
            KeySpec::EccNistP521,
            SigningAlgorithmSpec::EcdsaSha512,
            "-sha512",
            false,
        ),
        (
            KeySpec::EccSecgP256K1,
            SigningAlgorithmSpec::EcdsaSha256,
            "-sha256",
            false,
        ),
        (
            KeySpec::Rsa2048,
            SigningAlgorithmSpec::RsassaPssSha256,
            "-sha256",
            true,
        ),
        (
            KeySpec::Rsa2048,
            SigningAlgorithmSpec::RsassaPkcs1V15Sha384,
            "-sha384",
            false,
        ),
    ] {
        let id = key(&k, spec.clone(), KeyUsageType::SignVerify).await;
        let public = k.get_public_key().key_id(&id).send().await.unwrap();
        assert_eq!(public.key_usage(), Some(&KeyUsageType::SignVerify));
        assert!(public.signing_algorithms().contains(&algorithm));
        let der = write(&dir, "pub.der", public.public_key.unwrap().as_ref());
        let signed = k
            .sign()
            .key_id(&id)
            .message(Blob::new(message.to_vec()))
            .signing_algorithm(algorithm.clone())
            .send()
            .await
            .unwrap();
        let sig = write(&dir, "sig", signed.signature.unwrap().as_ref());
        let mut args = vec![
            "dgst",
            digest,
            "-verify",
            &der,
            "-keyform",
            "DER",
            "-signature",
            &sig,
        ];
        if pss {
            args.extend([
                "-sigopt",
                "rsa_padding_mode:pss",
                "-sigopt",
                "rsa_pss_saltlen:-1",
            ]);
        }
        args.push(&msg);
        let (verified, out) = openssl(&args);
        assert!(
            verified,
            "{spec:?} {algorithm:?}: {}",
            String::from_utf8_lossy(&out)
        );
        // KMS verifies its own signature, and refuses one of another message.
        let sig_bytes = std::fs::read(&sig).unwrap();
        let ok = k
            .verify()
            .key_id(&id)
            .message(Blob::new(message.to_vec()))
            .signature(Blob::new(sig_bytes.clone()))
            .signing_algorithm(algorithm.clone())
            .send()
            .await
            .unwrap();
        assert!(ok.signature_valid);
        let e = k
            .verify()
            .key_id(&id)
            .message(Blob::new(b"another".to_vec()))
            .signature(Blob::new(sig_bytes))
            .signing_algorithm(algorithm.clone())
            .send()
            .await;
        assert_eq!(err(e).0, "KMSInvalidSignatureException");
    }
    // A digest is signed as it is, if it has the algorithm's length.
    let id = key(&k, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let e = k
        .sign()
        .key_id(&id)
        .message(Blob::new(vec![0; 20]))
        .message_type(MessageType::Digest)
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await;
    assert_eq!(
        err(e),
        (
            "ValidationException".to_string(),
            "Digest is invalid length for algorithm ECDSA_SHA_256.".to_string()
        )
    );
    let e = k
        .sign()
        .key_id(&id)
        .message(Blob::new(message.to_vec()))
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha384)
        .send()
        .await;
    assert_eq!(
        err(e).1,
        "Algorithm ECDSA_SHA_384 is incompatible with key spec ECC_NIST_P256."
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn rsa_encryption_interoperates_with_openssl() {
    let server = TestServer::isolated().await;
    let k = kms_client(server.addr, ACCOUNT);
    let dir = temp_dir("kms-rsa");
    let id = key(&k, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let meta = k
        .describe_key()
        .key_id(&id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(
        meta.encryption_algorithms(),
        [
            EncryptionAlgorithmSpec::RsaesOaepSha1,
            EncryptionAlgorithmSpec::RsaesOaepSha256
        ]
    );
    assert!(meta.current_key_material_id().is_none());
    // Sealed by OpenSSL with the public key, opened by KMS.
    let der = write(
        &dir,
        "pub.der",
        k.get_public_key()
            .key_id(&id)
            .send()
            .await
            .unwrap()
            .public_key
            .unwrap()
            .as_ref(),
    );
    let plain = write(&dir, "plain", b"sealed outside");
    let (sealed, out) = openssl(&[
        "pkeyutl",
        "-encrypt",
        "-pubin",
        "-keyform",
        "DER",
        "-inkey",
        &der,
        "-in",
        &plain,
        "-pkeyopt",
        "rsa_padding_mode:oaep",
        "-pkeyopt",
        "rsa_oaep_md:sha256",
        "-pkeyopt",
        "rsa_mgf1_md:sha256",
    ]);
    assert!(sealed);
    let opened = k
        .decrypt()
        .key_id(&id)
        .ciphertext_blob(Blob::new(out))
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .send()
        .await
        .unwrap();
    assert_eq!(opened.plaintext.unwrap().as_ref(), b"sealed outside");
    // And KMS's own round trip, with its limit on the plaintext's size.
    let sealed = k
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new("x"))
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha1)
        .send()
        .await
        .unwrap();
    let back = k
        .decrypt()
        .key_id(&id)
        .ciphertext_blob(sealed.ciphertext_blob.unwrap())
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha1)
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref(), b"x");
    let e = k
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new(vec![1; 191]))
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .send()
        .await;
    assert_eq!(
        err(e).1,
        "Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data larger than 190 bytes."
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn hmac_keys_and_usages() {
    let server = TestServer::isolated().await;
    let k = kms_client(server.addr, ACCOUNT);
    let e = k.create_key().key_spec(KeySpec::Hmac256).send().await;
    assert_eq!(
        err(e).1,
        "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."
    );
    let e = k
        .create_key()
        .key_spec(KeySpec::EccNistP256)
        .key_usage(KeyUsageType::EncryptDecrypt)
        .send()
        .await;
    assert_eq!(
        err(e).1,
        "KeyUsage ENCRYPT_DECRYPT is not compatible with KeySpec ECC_NIST_P256"
    );
    let id = key(&k, KeySpec::Hmac224, KeyUsageType::GenerateVerifyMac).await;
    let mac = k
        .generate_mac()
        .key_id(&id)
        .message(Blob::new("m"))
        .mac_algorithm(MacAlgorithmSpec::HmacSha224)
        .send()
        .await
        .unwrap()
        .mac
        .unwrap();
    assert_eq!(mac.as_ref().len(), 28);
    let verify = |message: &'static str, algorithm: MacAlgorithmSpec| {
        k.verify_mac()
            .key_id(&id)
            .message(Blob::new(message))
            .mac(mac.clone())
            .mac_algorithm(algorithm)
            .send()
    };
    assert!(
        verify("m", MacAlgorithmSpec::HmacSha224)
            .await
            .unwrap()
            .mac_valid
    );
    assert_eq!(
        err(verify("n", MacAlgorithmSpec::HmacSha224).await).0,
        "KMSInvalidMacException"
    );
    assert_eq!(
        err(verify("m", MacAlgorithmSpec::HmacSha256).await),
        (
            "InvalidKeyUsageException".to_string(),
            "Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224.".to_string()
        )
    );
    // A key is used only as its usage says.
    let symmetric = k.create_key().send().await.unwrap().key_metadata.unwrap();
    let e = k
        .generate_mac()
        .key_id(symmetric.key_id())
        .message(Blob::new("m"))
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .send()
        .await;
    assert_eq!(
        err(e).1,
        format!(
            "{} key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac.",
            symmetric.arn().unwrap()
        )
    );
    let e = k
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new("p"))
        .send()
        .await;
    assert_eq!(err(e).0, "InvalidKeyUsageException");
}

#[tokio::test]
async fn data_key_pairs_are_sealed_under_the_key() {
    let server = TestServer::isolated().await;
    let k = kms_client(server.addr, ACCOUNT);
    let dir = temp_dir("kms-pair");
    let key = k.create_key().send().await.unwrap().key_metadata.unwrap();
    let pair = k
        .generate_data_key_pair()
        .key_id(key.key_id())
        .key_pair_spec(DataKeyPairSpec::EccNistP256)
        .send()
        .await
        .unwrap();
    assert_eq!(pair.key_material_id(), key.current_key_material_id());
    let private = pair.private_key_plaintext.unwrap();
    let der = write(&dir, "private.der", private.as_ref());
    let (parsed, public_der) = openssl(&[
        "pkey", "-inform", "DER", "-in", &der, "-pubout", "-outform", "DER",
    ]);
    assert!(parsed);
    assert_eq!(public_der, pair.public_key.unwrap().as_ref());
    let opened = k
        .decrypt()
        .ciphertext_blob(pair.private_key_ciphertext_blob.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(opened.plaintext.unwrap().as_ref(), private.as_ref());
    let without = k
        .generate_data_key_pair_without_plaintext()
        .key_id(key.key_id())
        .key_pair_spec(DataKeyPairSpec::Rsa2048)
        .send()
        .await
        .unwrap();
    assert!(without.private_key_ciphertext_blob.is_some() && without.public_key.is_some());
    let e = k
        .generate_data_key_pair()
        .key_id(key.key_id())
        .key_pair_spec(DataKeyPairSpec::EccNistP256)
        .dry_run(true)
        .send()
        .await;
    assert_eq!(
        err(e),
        (
            "DryRunOperationException".to_string(),
            "The request would have succeeded, but the DryRun option is set.".to_string()
        )
    );
    let _ = std::fs::remove_dir_all(dir);
}
