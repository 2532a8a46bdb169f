//! Resource policies through the SDK: storage, IAM grammar errors, public-access blocking, and
//! ValidateResourcePolicy.

use crate::common::*;

const READ_BY_ROLE: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"ReadByRole","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/app"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
const PUBLIC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
const ORG_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}]}"#;

#[tokio::test]
async fn put_get_and_delete() {
    let c = shared().client();
    let name = unique("pol/basic");
    let arn = create(&c, &name, "v").await;
    let none = c
        .get_resource_policy()
        .secret_id(&name)
        .send()
        .await
        .unwrap();
    assert!(none.resource_policy().is_none());
    assert_eq!(none.arn(), Some(arn.as_str()));
    let out = c
        .put_resource_policy()
        .secret_id(&name)
        .resource_policy(READ_BY_ROLE)
        .send()
        .await
        .unwrap();
    assert_eq!(out.name(), Some(name.as_str()));
    let got = c
        .get_resource_policy()
        .secret_id(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.resource_policy(),
        Some(READ_BY_ROLE),
        "returned exactly as stored"
    );
    c.delete_resource_policy()
        .secret_id(&name)
        .send()
        .await
        .unwrap();
    assert!(c
        .get_resource_policy()
        .secret_id(&name)
        .send()
        .await
        .unwrap()
        .resource_policy()
        .is_none());
    let (code, _) = err(c
        .get_resource_policy()
        .secret_id(unique("pol/none"))
        .send()
        .await);
    assert_eq!(code, "ResourceNotFoundException");
}

#[tokio::test]
async fn malformed_policies_are_refused_with_the_reason() {
    let c = shared().client();
    let name = unique("pol/bad");
    create(&c, &name, "v").await;
    for (policy, reason) in [
        ("{not json", "not valid JSON"),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"}]}"#,
            "Principal",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"GetSecretValue","Resource":"*"}]}"#,
            "service:Action",
        ),
        (r#"{"Version":"1999-01-01","Statement":[]}"#, "Version"),
    ] {
        let (code, msg) = err(c
            .put_resource_policy()
            .secret_id(&name)
            .resource_policy(policy)
            .send()
            .await);
        assert_eq!(code, "MalformedPolicyDocumentException", "{policy}");
        assert!(msg.contains(reason), "{msg}");
    }
    let huge = format!(r#"{{"Id":"{}"}}"#, "x".repeat(20_500));
    let (code, _) = err(c
        .put_resource_policy()
        .secret_id(&name)
        .resource_policy(huge)
        .send()
        .await);
    assert_eq!(code, "ValidationException");
    assert!(c
        .get_resource_policy()
        .secret_id(&name)
        .send()
        .await
        .unwrap()
        .resource_policy()
        .is_none());
}

#[tokio::test]
async fn block_public_policy() {
    let c = shared().client();
    let name = unique("pol/public");
    create(&c, &name, "v").await;
    let (code, msg) = err(c
        .put_resource_policy()
        .secret_id(&name)
        .resource_policy(PUBLIC)
        .block_public_policy(true)
        .send()
        .await);
    assert_eq!(code, "PublicPolicyException");
    assert_eq!(msg, "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.");
    c.put_resource_policy()
        .secret_id(&name)
        .resource_policy(ORG_ONLY)
        .block_public_policy(true)
        .send()
        .await
        .unwrap();
    c.put_resource_policy()
        .secret_id(&name)
        .resource_policy(PUBLIC)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn validate_reports_instead_of_failing() {
    let c = shared().client();
    let ok = c
        .validate_resource_policy()
        .resource_policy(READ_BY_ROLE)
        .send()
        .await
        .unwrap();
    assert!(ok.policy_validation_passed());
    assert!(ok.validation_errors().is_empty());
    let bad = c
        .validate_resource_policy()
        .resource_policy(r#"{"Version":"2012-10-17","Statement":{"Effect":"Maybe","Principal":"*","Action":"x","Resource":"*"}}"#)
        .send()
        .await
        .unwrap();
    assert!(!bad.policy_validation_passed());
    assert!(bad.validation_errors().len() >= 2);
    for e in bad.validation_errors() {
        assert!(e.check_name().is_some() && e.error_message().is_some());
    }
    let public = c
        .validate_resource_policy()
        .resource_policy(PUBLIC)
        .send()
        .await
        .unwrap();
    assert!(!public.policy_validation_passed());
    let (code, _) = err(c
        .validate_resource_policy()
        .secret_id(unique("pol/missing"))
        .resource_policy(READ_BY_ROLE)
        .send()
        .await);
    assert_eq!(code, "ResourceNotFoundException");
    let name = unique("pol/validate");
    create(&c, &name, "v").await;
    let with_secret = c
        .validate_resource_policy()
        .secret_id(&name)
        .resource_policy(READ_BY_ROLE)
        .send()
        .await
        .unwrap();
    assert!(with_secret.policy_validation_passed());
}
