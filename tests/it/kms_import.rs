//! Imported key material: an EXTERNAL key waits for its material, takes it wrapped by
//! OpenSSL with the public key KMS hands out, uses it, and loses it on deletion or expiry.

use crate::common::*;
use crate::kms_keys::{openssl, write};
use aws_sdk_kms::primitives::{Blob, DateTime};
use aws_sdk_kms::types::{AlgorithmSpec, ExpirationModelType, OriginType, WrappingKeySpec};
use std::path::Path;

/// `material` wrapped with RSA OAEP SHA-256 under the DER public key `public`.
fn wrap(dir: &Path, public: &[u8], material: &[u8]) -> Vec<u8> {
    let der = write(dir, "wrapping.der", public);
    let plain = write(dir, "material", material);
    let (done, out) = openssl(&[
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
    assert!(done);
    out
}

#[tokio::test]
async fn external_keys_take_their_material_from_the_caller() {
    let server = TestServer::isolated().await;
    let k = kms_client(server.addr, ACCOUNT);
    let dir = temp_dir("kms-import");
    let meta = k
        .create_key()
        .origin(OriginType::External)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let id = meta.key_id().to_string();
    assert_eq!(meta.origin().unwrap().as_str(), "EXTERNAL");
    assert_eq!(meta.key_state().unwrap().as_str(), "PendingImport");
    assert!(!meta.enabled());
    let encrypt = || k.encrypt().key_id(&id).plaintext(Blob::new("p")).send();
    assert_eq!(err(encrypt().await).0, "KMSInvalidStateException");

    // A key whose material KMS made takes none.
    let own = k.create_key().send().await.unwrap().key_metadata.unwrap();
    let e = k
        .get_parameters_for_import()
        .key_id(own.key_id())
        .wrapping_algorithm(AlgorithmSpec::RsaesOaepSha256)
        .wrapping_key_spec(WrappingKeySpec::Rsa2048)
        .send()
        .await;
    assert_eq!(err(e).0, "UnsupportedOperationException");

    let params = k
        .get_parameters_for_import()
        .key_id(&id)
        .wrapping_algorithm(AlgorithmSpec::RsaesOaepSha256)
        .wrapping_key_spec(WrappingKeySpec::Rsa2048)
        .send()
        .await
        .unwrap();
    assert!(params.parameters_valid_to().is_some());
    let token = params.import_token().unwrap().clone();
    let public = params.public_key().unwrap().as_ref().to_vec();
    let material = [7u8; 32];
    let import = |wrapped: Vec<u8>, token: Blob| {
        k.import_key_material()
            .key_id(&id)
            .import_token(token)
            .encrypted_key_material(Blob::new(wrapped))
            .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
            .send()
    };
    let e = import(wrap(&dir, &public, &material), Blob::new("forged")).await;
    assert_eq!(err(e).0, "InvalidImportTokenException");
    let e = import(wrap(&dir, &public, &[1u8; 16]), token.clone()).await;
    assert_eq!(err(e).0, "IncorrectKeyMaterialException");
    import(wrap(&dir, &public, &material), token.clone())
        .await
        .unwrap();
    let meta = k.describe_key().key_id(&id).send().await.unwrap();
    let meta = meta.key_metadata().unwrap();
    assert_eq!(meta.key_state().unwrap().as_str(), "Enabled");
    assert_eq!(
        meta.expiration_model(),
        Some(&ExpirationModelType::KeyMaterialDoesNotExpire)
    );
    let blob = encrypt().await.unwrap().ciphertext_blob.unwrap();

    // Deleted, the material stops every use; only the same material comes back.
    k.delete_imported_key_material()
        .key_id(&id)
        .send()
        .await
        .unwrap();
    let e = k.decrypt().ciphertext_blob(blob.clone()).send().await;
    assert_eq!(err(e).0, "KMSInvalidStateException");
    let e = k.enable_key().key_id(&id).send().await;
    assert_eq!(err(e).0, "KMSInvalidStateException");
    let e = import(wrap(&dir, &public, &[9u8; 32]), token.clone()).await;
    assert_eq!(err(e).0, "IncorrectKeyMaterialException");
    import(wrap(&dir, &public, &material), token.clone())
        .await
        .unwrap();
    let opened = k.decrypt().ciphertext_blob(blob).send().await.unwrap();
    assert_eq!(opened.plaintext().unwrap().as_ref(), b"p");

    // Material that expires leaves the key pending import once its date passes.
    let soon = DateTime::from_millis((server.clock.now() + 3_600_000) / 1000 * 1000);
    k.import_key_material()
        .key_id(&id)
        .import_token(token)
        .encrypted_key_material(Blob::new(wrap(&dir, &public, &material)))
        .expiration_model(ExpirationModelType::KeyMaterialExpires)
        .valid_to(soon)
        .send()
        .await
        .unwrap();
    let meta = k.describe_key().key_id(&id).send().await.unwrap();
    assert_eq!(meta.key_metadata().unwrap().valid_to(), Some(&soon));
    server.clock.advance(2 * 3_600_000);
    let meta = k.describe_key().key_id(&id).send().await.unwrap();
    assert_eq!(
        meta.key_metadata().unwrap().key_state().unwrap().as_str(),
        "PendingImport"
    );
}
