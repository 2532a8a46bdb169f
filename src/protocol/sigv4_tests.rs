//! SigV4 parsing and verification, against AWS's published test vector and the AWS SDK's own
//! signer.

use super::*;
use axum::http::HeaderValue;

fn parse_authorization(header: &str) -> Result<Credential> {
    parse_header(header).map(|s| s.credential)
}

const GOOD: &str = "AWS4-HMAC-SHA256 Credential=123456789012/20240101/eu-west-2/secretsmanager/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";

#[test]
fn twelve_digit_keys_are_accounts() {
    let c = parse_authorization(GOOD).unwrap();
    assert_eq!(c.account, "123456789012");
    assert_eq!(c.region, "eu-west-2");
    let other = GOOD.replace("123456789012", "AKIAEXAMPLE");
    assert_eq!(
        parse_authorization(&other).unwrap().account,
        DEFAULT_ACCOUNT
    );
    assert_eq!(account_for_key("1234567890123"), DEFAULT_ACCOUNT);
}

#[test]
fn malformed_headers_are_errors_not_panics() {
    for bad in [
        "",
        "Basic abc",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 Signature=abc",
        "AWS4-HMAC-SHA256 Credential=key/date",
        "AWS4-HMAC-SHA256 Credential=key//us-east-1/sm/aws4_request",
        "AWS4-HMAC-SHA256 Credential=key/d/../sm/aws4_request",
        "AWS4-HMAC-SHA256 Credential=key/d/US-EAST-1/sm/aws4_request",
        "AWS4-HMAC-SHA256 Credential=/////",
        "AWS4-HMAC-SHA256 Credential=ключ/d/r/s/aws4_request/extra",
    ] {
        let e = parse_authorization(bad).unwrap_err();
        assert_eq!(e.code, Common::IncompleteSignature, "{bad}");
    }
}

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// The "get-vanilla" case of AWS's SigV4 test suite.
#[test]
fn aws_test_vector() {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("example.amazonaws.com"));
    headers.insert("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
    headers.insert(
        "authorization",
        HeaderValue::from_static(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ),
    );
    let signed = signature(&headers, "").unwrap().unwrap();
    let req = Signable {
        method: &Method::GET,
        path: "/",
        query: "",
        headers: &headers,
        body: b"",
    };
    let now = parse_amz_date("20150830T123600Z").unwrap();
    let keys = SigningKeys::default();
    verify(&req, &signed, SECRET, now, &keys).unwrap();
    // Again from the cache of derived keys, and a wrong secret is not served from it.
    verify(&req, &signed, SECRET, now, &keys).unwrap();
    let e = verify(&req, &signed, "wrong", now, &keys).unwrap_err();
    assert_eq!(e.code, Common::InvalidSignature);
    // Sixteen minutes later the same request is refused as expired.
    let e = verify(
        &req,
        &signed,
        SECRET,
        now + 16 * 60 * 1000,
        &SigningKeys::default(),
    )
    .unwrap_err();
    assert!(
        e.message.starts_with(
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z"
        ),
        "{}",
        e.message
    );
}

/// A request signed by the AWS SDK's signer verifies; changing its body or path does not.
#[test]
fn sdk_signed_requests_verify() {
    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    use aws_sigv4::sign::v4;
    let creds = Credentials::new("AKIDEXAMPLE", SECRET, Some("tok".into()), None, "t");
    let identity = creds.into();
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_780_000_000);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("eu-west-1")
        .name("lambda")
        .time(at)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let body = br#"{"a": 1}"#;
    let path =
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A1%3Afunction%3Af/invocations";
    let uri = format!("http://localhost:4566{path}?Qualifier=%24LATEST&b=x%20y");
    let signable = SignableRequest::new(
        "POST",
        &uri,
        [
            ("host", "localhost:4566"),
            ("content-type", "application/json"),
        ]
        .into_iter(),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("localhost:4566"));
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    for (name, value) in instructions.headers() {
        headers.insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    let signed = signature(&headers, "").unwrap().unwrap();
    assert_eq!(signed.security_token.as_deref(), Some("tok"));
    let now = 1_780_000_000_000;
    let query = "Qualifier=%24LATEST&b=x%20y";
    let req = |path: &'static str, body: &'static [u8]| Signable {
        method: &Method::POST,
        path,
        query,
        headers: &headers,
        body,
    };
    let path: &'static str = Box::leak(path.to_string().into_boxed_str());
    let body: &'static [u8] = Box::leak(body.to_vec().into_boxed_slice());
    verify(
        &req(path, body),
        &signed,
        SECRET,
        now,
        &SigningKeys::default(),
    )
    .unwrap();
    assert!(verify(
        &req(path, b"{}"),
        &signed,
        SECRET,
        now,
        &SigningKeys::default()
    )
    .is_err());
    assert!(verify(
        &req("/2015-03-31/functions/g/invocations", body),
        &signed,
        SECRET,
        now,
        &SigningKeys::default()
    )
    .is_err());
}

#[test]
fn presigned_queries_parse_and_expire() {
    let headers = HeaderMap::new();
    assert_eq!(
        signature(&headers, "Action=GetCallerIdentity").unwrap(),
        None
    );
    let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20260101%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00";
    let signed = signature(&headers, q).unwrap().unwrap();
    assert_eq!(signed.expires, Some(60));
    assert_eq!(signed.credential.access_key_id, "test");
    let req = Signable {
        method: &Method::GET,
        path: "/",
        query: q,
        headers: &headers,
        body: b"",
    };
    let at = parse_amz_date("20260101T000000Z").unwrap();
    let e = verify(&req, &signed, "test", at + 61_000, &SigningKeys::default()).unwrap_err();
    assert!(e.message.starts_with("Signature expired"), "{}", e.message);
    let e = verify(&req, &signed, "test", at + 1000, &SigningKeys::default()).unwrap_err();
    assert!(e.message.starts_with("The request signature we calculated"));
    let bad = q.replace("AWS4-HMAC-SHA256", "HMAC");
    assert!(signature(&headers, &bad).is_err());
}
