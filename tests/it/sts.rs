//! STS as AWS answers it: session policies read as identity policies, ARNs in the region's
//! partition, session tags and what chained sessions inherit, federation.

use crate::common::*;
use aws_sdk_sts::types::Tag;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use localemu::config::{Config, Strict};
use sha1::Digest as _;
use std::net::SocketAddr;

fn creds(key: &str, secret: &str, token: Option<&str>) -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new(key, secret, token.map(str::to_string), None, "tests")
}

fn sts_in(
    addr: SocketAddr,
    region: &str,
    c: aws_credential_types::Credentials,
) -> aws_sdk_sts::Client {
    sdk_client!(aws_sdk_sts, addr, region, c)
}

fn root(addr: SocketAddr) -> aws_sdk_sts::Client {
    sts_in(addr, REGION, creds("111111111111", "test", None))
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

const ROLE: &str = "arn:aws:iam::111111111111:role/Deployer";

#[tokio::test]
async fn session_policies_are_identity_policies() {
    let addr = shared().addr;
    let policy = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}"#;
    let out = root(addr)
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("scoped")
        .policy(policy)
        .send()
        .await
        .unwrap();
    #[allow(
        deprecated,
        reason = "AWS still sends PackedPolicySize; clients read it"
    )]
    let packed = out.packed_policy_size;
    assert!(packed.unwrap_or_default() > 0);
    // A Principal has no place in a policy its holder carries.
    let with_principal = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": "*", "Action": "s3:*", "Resource": "*"}]}"#;
    let e = root(addr)
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("scoped")
        .policy(with_principal)
        .send()
        .await;
    assert_eq!(err(e).0, "MalformedPolicyDocument");
}

#[tokio::test]
async fn arns_are_in_the_regions_partition() {
    let addr = shared().addr;
    let cn = sts_in(addr, "cn-north-1", creds("111111111111", "test", None));
    let me = cn.get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn(), Some("arn:aws-cn:iam::111111111111:root"));
    let out = cn
        .assume_role()
        .role_arn("arn:aws-cn:iam::111111111111:role/App")
        .role_session_name("s1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.assumed_role_user.unwrap().arn,
        "arn:aws-cn:sts::111111111111:assumed-role/App/s1"
    );
    let sm = client_for(addr, "111111111111", "cn-north-1");
    let arn = create(&sm, &unique("part"), "v").await;
    assert!(
        arn.starts_with("arn:aws-cn:secretsmanager:cn-north-1:111111111111:secret:"),
        "{arn}"
    );
    let gov = sdk_client!(
        aws_sdk_kms,
        addr,
        "us-gov-west-1",
        creds("111111111111", "test", None)
    );
    let key = gov.create_key().send().await.unwrap().key_metadata.unwrap();
    assert!(key
        .arn()
        .unwrap()
        .starts_with("arn:aws-us-gov:kms:us-gov-west-1:"));
}

#[tokio::test]
async fn session_tags_follow_awss_rules() {
    let addr = shared().addr;
    let assume = |c: aws_sdk_sts::Client, tags: Vec<Tag>, transitive: Vec<&'static str>| async move {
        c.assume_role()
            .role_arn(ROLE)
            .role_session_name("tagged")
            .set_tags(Some(tags))
            .set_transitive_tag_keys(Some(transitive.into_iter().map(String::from).collect()))
            .send()
            .await
    };
    let e = assume(root(addr), vec![tag("Team", "a")], vec!["Project"]).await;
    assert_eq!(
        err(e),
        (
            "InvalidParameterValue".to_string(),
            "The specified transitive tag key must be included in the requested tags.".to_string()
        )
    );
    let e = assume(root(addr), vec![tag("Team", "a"), tag("team", "b")], vec![]).await;
    assert_eq!(
        err(e).1,
        "Duplicate tag keys found. Please note that Tag keys are case insensitive."
    );
    // A chained session inherits the transitive tag and may not set it again, in any case.
    let first = assume(
        root(addr),
        vec![tag("Team", "a"), tag("Cost", "1")],
        vec!["Team"],
    )
    .await
    .unwrap();
    let user = first.assumed_role_user.unwrap();
    let (id, name) = user.assumed_role_id.split_once(':').unwrap();
    assert_eq!(name, "tagged");
    assert!(
        id.len() == 21
            && id.starts_with("AROA")
            && id[4..]
                .bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)),
        "{id}"
    );
    let c = first.credentials.unwrap();
    let session = sts_in(
        addr,
        REGION,
        creds(
            &c.access_key_id,
            &c.secret_access_key,
            Some(&c.session_token),
        ),
    );
    let e = assume(session.clone(), vec![tag("TEAM", "b")], vec![]).await;
    assert_eq!(
        err(e).1,
        "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session."
    );
    // A tag that was not transitive does not pass on: it may be set anew.
    assume(session, vec![tag("Cost", "2")], vec![])
        .await
        .unwrap();
}

#[tokio::test]
async fn federation_tokens_and_authorization_messages() {
    let addr = shared().addr;
    let out = root(addr)
        .get_federation_token()
        .name("Bob")
        .send()
        .await
        .unwrap();
    let user = out.federated_user.unwrap();
    assert_eq!(user.arn, "arn:aws:sts::111111111111:federated-user/Bob");
    assert_eq!(user.federated_user_id, "111111111111:Bob");
    #[allow(
        deprecated,
        reason = "AWS still sends PackedPolicySize; clients read it"
    )]
    let packed = out.packed_policy_size;
    assert_eq!(packed, Some(0));
    let c = out.credentials.unwrap();
    let bob = sts_in(
        addr,
        REGION,
        creds(
            &c.access_key_id,
            &c.secret_access_key,
            Some(&c.session_token),
        ),
    );
    let me = bob.get_caller_identity().send().await.unwrap();
    assert_eq!(
        me.arn(),
        Some("arn:aws:sts::111111111111:federated-user/Bob")
    );
    let e = bob.get_federation_token().name("Eve").send().await;
    assert_eq!(err(e).0, "AccessDenied");
    let e = root(addr)
        .decode_authorization_message()
        .encoded_message("not-one-of-ours")
        .send()
        .await;
    assert_eq!(err(e).0, "InvalidAuthorizationMessageException");
}

const PROVIDER: &str = "arn:aws:iam::111111111111:saml-provider/Corp";

/// A SAML response for AWS sign-in from the IdP `https://idp.example/`, valid from
/// `from` to `until` (RFC 3339), optionally with a (placeholder) signature.
fn saml(from: &str, until: &str, signed: bool) -> String {
    let signature = if signed {
        r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignatureValue>AA==</ds:SignatureValue></ds:Signature>"#
    } else {
        ""
    };
    let xml = format!(
        r#"<?xml version="1.0"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="r1" Version="2.0">
  <saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">https://idp.example/</saml:Issuer>
  <saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="a1" Version="2.0">
    <saml:Issuer>https://idp.example/</saml:Issuer>{signature}
    <saml:Subject>
      <saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">jane&amp;co</saml:NameID>
      <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
        <saml:SubjectConfirmationData NotOnOrAfter="{until}" Recipient="https://signin.aws.amazon.com/saml"/>
      </saml:SubjectConfirmation>
    </saml:Subject>
    <saml:Conditions NotBefore="{from}" NotOnOrAfter="{until}">
      <saml:AudienceRestriction><saml:Audience>https://signin.aws.amazon.com/saml</saml:Audience></saml:AudienceRestriction>
    </saml:Conditions>
    <saml:AttributeStatement>
      <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">
        <saml:AttributeValue>{PROVIDER},{ROLE}</saml:AttributeValue>
      </saml:Attribute>
      <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName">
        <saml:AttributeValue>jane@example.com</saml:AttributeValue>
      </saml:Attribute>
      <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/SessionDuration">
        <saml:AttributeValue>1800</saml:AttributeValue>
      </saml:Attribute>
      <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/PrincipalTag:Team">
        <saml:AttributeValue>payments</saml:AttributeValue>
      </saml:Attribute>
      <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/SourceIdentity">
        <saml:AttributeValue>jane</saml:AttributeValue>
      </saml:Attribute>
    </saml:AttributeStatement>
  </saml:Assertion>
</samlp:Response>"#
    );
    STANDARD.encode(xml)
}

fn anonymous(addr: SocketAddr) -> aws_sdk_sts::Client {
    let conf = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new(REGION))
        .endpoint_url(format!("http://{addr}"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_sts::Client::from_conf(conf)
}

#[tokio::test]
async fn saml_assertions_are_read_for_the_session_they_describe() {
    let addr = shared().addr;
    let out = anonymous(addr)
        .assume_role_with_saml()
        .role_arn(ROLE)
        .principal_arn(PROVIDER)
        .saml_assertion(saml("2000-01-01T00:00:00Z", "2000-01-01T00:05:00Z", false))
        .send()
        .await
        .unwrap();
    let user = out.assumed_role_user().unwrap();
    assert_eq!(
        user.arn(),
        "arn:aws:sts::111111111111:assumed-role/Deployer/jane@example.com"
    );
    assert_eq!(out.subject(), Some("jane&co"));
    assert_eq!(out.subject_type(), Some("persistent"));
    assert_eq!(out.issuer(), Some("https://idp.example/"));
    assert_eq!(out.audience(), Some("https://signin.aws.amazon.com/saml"));
    assert_eq!(out.source_identity(), Some("jane"));
    // base64(SHA-1(issuer + account + "/" + provider name)).
    let expected = STANDARD.encode(sha1::Sha1::digest(b"https://idp.example/111111111111/Corp"));
    assert_eq!(out.name_qualifier(), Some(expected.as_str()));
    let c = out.credentials().unwrap();
    // SessionDuration cuts the session: half an hour, not the default hour a role gets.
    let hour = root(addr)
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("hour")
        .send()
        .await
        .unwrap();
    let gap = hour.credentials().unwrap().expiration().secs() - c.expiration().secs();
    assert!((1790..=1810).contains(&gap), "{gap}");
    // The credentials are a session of the role.
    let who = sts_in(
        addr,
        REGION,
        creds(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token()),
        ),
    )
    .get_caller_identity()
    .send()
    .await
    .unwrap();
    assert_eq!(who.arn(), Some(user.arn()));

    // What cannot be read is refused as AWS refuses it.
    let e = anonymous(addr)
        .assume_role_with_saml()
        .role_arn(ROLE)
        .principal_arn(PROVIDER)
        .saml_assertion("%%%not base64%%%")
        .send()
        .await;
    assert_eq!(err(e).0, "InvalidIdentityToken");
    let e = anonymous(addr)
        .assume_role_with_saml()
        .role_arn(ROLE)
        .principal_arn(PROVIDER)
        .saml_assertion(STANDARD.encode("<unclosed>"))
        .send()
        .await;
    assert_eq!(err(e).0, "InvalidIdentityToken");
}

#[tokio::test]
async fn strict_mode_checks_what_it_can_of_a_saml_assertion() {
    let server = TestServer::configured(Config {
        strict: Strict::all(),
        ..Config::default()
    })
    .await;
    server.clock_to_real_time();
    let addr = server.addr;
    let now = time::OffsetDateTime::now_utc();
    let fmt = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let from = fmt(now - time::Duration::minutes(1));
    let until = fmt(now + time::Duration::minutes(5));
    let call = |assertion: String, role: &'static str| {
        anonymous(addr)
            .assume_role_with_saml()
            .role_arn(role)
            .principal_arn(PROVIDER)
            .saml_assertion(assertion)
            .send()
    };
    call(saml(&from, &until, true), ROLE).await.unwrap();
    let e = call(saml(&from, &until, false), ROLE).await;
    assert_eq!(
        err(e),
        (
            "InvalidIdentityToken".to_string(),
            "Response signature invalid".to_string()
        )
    );
    let e = call(
        saml(&from, &until, true),
        "arn:aws:iam::111111111111:role/Other",
    )
    .await;
    assert_eq!(err(e).0, "AccessDenied");
    let past = fmt(now - time::Duration::minutes(2));
    let e = call(saml(&from, &past, true), ROLE).await;
    assert_eq!(err(e).0, "ExpiredTokenException");
}
