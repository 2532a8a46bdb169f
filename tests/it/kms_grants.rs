//! KMS grants: what a grant lets another account do with a key its policy does not open,
//! constraints on the encryption context, grant tokens, and retiring and revoking.

use crate::common::*;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{GrantConstraints, GrantOperation, KeySpec, KeyUsageType};

const OWNER: &str = "100000000031";
const GRANTEE: &str = "100000000032";

fn root(account: &str) -> String {
    format!("arn:aws:iam::{account}:root")
}

#[tokio::test]
async fn a_grant_opens_a_key_to_its_grantee_for_its_operations_only() {
    let server = TestServer::isolated().await;
    let addr = server.addr;
    let owner = kms_client(addr, OWNER);
    let other = kms_client(addr, GRANTEE);
    let key = owner
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let arn = key.arn().unwrap().to_string();
    let encrypt = |context: Option<(&str, &str)>| {
        let mut r = other.encrypt().key_id(&arn).plaintext(Blob::new("granted"));
        if let Some((k, v)) = context {
            r = r.encryption_context(k, v);
        }
        r.send()
    };
    // The default key policy opens the key to its own account only.
    assert_eq!(err(encrypt(None).await).0, "AccessDeniedException");

    let created = owner
        .create_grant()
        .key_id(key.key_id())
        .grantee_principal(root(GRANTEE))
        .retiring_principal(root(OWNER))
        .operations(GrantOperation::Encrypt)
        .operations(GrantOperation::DescribeKey)
        .constraints(
            GrantConstraints::builder()
                .encryption_context_subset("Purpose", "test")
                .build(),
        )
        .name("reader")
        .send()
        .await
        .unwrap();
    let grant_id = created.grant_id().unwrap().to_string();
    assert_eq!(grant_id.len(), 64);
    let token = created.grant_token().unwrap().to_string();

    // The grant allows Encrypt when the context carries its pair (keys without case) ...
    encrypt(Some(("purpose", "test"))).await.unwrap();
    // ... and not without it, nor Decrypt, which it does not name.
    assert_eq!(err(encrypt(None).await).0, "AccessDeniedException");
    assert_eq!(
        err(encrypt(Some(("Purpose", "TEST"))).await).0,
        "AccessDeniedException"
    );
    let blob = owner
        .encrypt()
        .key_id(key.key_id())
        .plaintext(Blob::new("x"))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let e = other.decrypt().ciphertext_blob(blob).send().await;
    assert_eq!(err(e).0, "AccessDeniedException");
    // DescribeKey is a management operation: the constraint does not apply to it.
    other.describe_key().key_id(&arn).send().await.unwrap();

    // A grant token KMS issued is accepted; one it did not is refused.
    other
        .encrypt()
        .key_id(&arn)
        .plaintext(Blob::new("t"))
        .encryption_context("Purpose", "test")
        .grant_tokens(&token)
        .send()
        .await
        .unwrap();
    let e = owner
        .encrypt()
        .key_id(key.key_id())
        .plaintext(Blob::new("t"))
        .grant_tokens("not-a-token")
        .send()
        .await;
    assert_eq!(err(e).0, "InvalidGrantTokenException");

    // Created again alike under its name, it is the same grant with a new token.
    let again = owner
        .create_grant()
        .key_id(key.key_id())
        .grantee_principal(root(GRANTEE))
        .retiring_principal(root(OWNER))
        .operations(GrantOperation::Encrypt)
        .operations(GrantOperation::DescribeKey)
        .constraints(
            GrantConstraints::builder()
                .encryption_context_subset("Purpose", "test")
                .build(),
        )
        .name("reader")
        .send()
        .await
        .unwrap();
    assert_eq!(again.grant_id(), Some(grant_id.as_str()));
    assert_ne!(again.grant_token(), Some(token.as_str()));

    let listed = owner
        .list_grants()
        .key_id(key.key_id())
        .send()
        .await
        .unwrap();
    let grants = listed.grants();
    assert_eq!(grants.len(), 1);
    let g = &grants[0];
    assert_eq!(g.key_id(), Some(arn.as_str()));
    assert_eq!(g.grantee_principal(), Some(root(GRANTEE).as_str()));
    assert_eq!(g.issuing_account(), Some(root(OWNER).as_str()));
    assert_eq!(g.name(), Some("reader"));
    assert_eq!(g.operations().len(), 2);
    let c = g.constraints().unwrap();
    assert_eq!(
        c.encryption_context_subset().unwrap().get("Purpose"),
        Some(&"test".to_string())
    );
    assert!(g.creation_date().is_some());
    let retirable = owner
        .list_retirable_grants()
        .retiring_principal(root(OWNER))
        .send()
        .await
        .unwrap();
    assert_eq!(retirable.grants().len(), 1);

    // Retired by its token, the grant no longer opens the key.
    owner
        .retire_grant()
        .grant_token(&token)
        .send()
        .await
        .unwrap();
    let e = encrypt(Some(("Purpose", "test"))).await;
    assert_eq!(err(e).0, "AccessDeniedException");
    let e = owner
        .revoke_grant()
        .key_id(key.key_id())
        .grant_id(&grant_id)
        .send()
        .await;
    assert_eq!(err(e).0, "NotFoundException");
    let e = owner
        .revoke_grant()
        .key_id(key.key_id())
        .grant_id("short")
        .send()
        .await;
    assert_eq!(err(e).0, "InvalidGrantIdException");
}

#[tokio::test]
async fn grants_name_only_what_the_key_can_do_and_are_revoked() {
    let server = TestServer::isolated().await;
    let addr = server.addr;
    let owner = kms_client(addr, OWNER);
    let other = kms_client(addr, GRANTEE);
    let symmetric = owner
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let e = owner
        .create_grant()
        .key_id(symmetric.key_id())
        .grantee_principal(root(GRANTEE))
        .operations(GrantOperation::Sign)
        .send()
        .await;
    assert_eq!(err(e).0, "ValidationException");

    let signing = owner
        .create_key()
        .key_spec(KeySpec::EccNistP256)
        .key_usage(KeyUsageType::SignVerify)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    // Asymmetric keys take no encryption context, so no context constraint either.
    let e = owner
        .create_grant()
        .key_id(signing.key_id())
        .grantee_principal(root(GRANTEE))
        .operations(GrantOperation::Sign)
        .constraints(
            GrantConstraints::builder()
                .encryption_context_equals("a", "b")
                .build(),
        )
        .send()
        .await;
    assert_eq!(err(e).0, "ValidationException");
    let grant = owner
        .create_grant()
        .key_id(signing.key_id())
        .grantee_principal(root(GRANTEE))
        .operations(GrantOperation::Sign)
        .send()
        .await
        .unwrap();
    let sign = || {
        other
            .sign()
            .key_id(signing.arn().unwrap())
            .message(Blob::new("m"))
            .signing_algorithm(aws_sdk_kms::types::SigningAlgorithmSpec::EcdsaSha256)
            .send()
    };
    sign().await.unwrap();
    // DryRun checks everything and changes nothing.
    let e = owner
        .revoke_grant()
        .key_id(signing.key_id())
        .grant_id(grant.grant_id().unwrap())
        .dry_run(true)
        .send()
        .await;
    assert_eq!(err(e).0, "DryRunOperationException");
    sign().await.unwrap();
    owner
        .revoke_grant()
        .key_id(signing.key_id())
        .grant_id(grant.grant_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(err(sign().await).0, "AccessDeniedException");
    let listed = owner
        .list_grants()
        .key_id(signing.key_id())
        .send()
        .await
        .unwrap();
    assert!(listed.grants().is_empty());
}
