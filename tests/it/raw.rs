//! What SDKs never send: raw HTTP requests that must still get AWS-shaped answers.

use crate::common::*;

fn assert_error(r: &RawResponse, code: &str) {
    assert_eq!(r.status, 400, "{:?}", r.json);
    assert_eq!(r.json["__type"], code, "{:?}", r.json);
    assert!(r.json["Message"].is_string(), "{:?}", r.json);
    assert_eq!(r.json.as_object().unwrap().len(), 2, "{:?}", r.json);
    assert_eq!(r.headers["content-type"], "application/x-amz-json-1.1");
}

#[tokio::test]
async fn success_carries_content_type_and_request_id() {
    let r = raw_op(shared().addr, "ListSecrets", "{}").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "application/x-amz-json-1.1");
    assert!(!r.headers["x-amzn-requestid"].is_empty());
}

#[tokio::test]
async fn missing_and_unknown_targets() {
    let addr = shared().addr;
    let none = raw(
        addr,
        "POST",
        "/",
        &[("content-type", "application/x-amz-json-1.1")],
        b"{}".to_vec(),
    )
    .await;
    assert_error(&none, "UnknownOperationException");
    let unknown = raw_op(addr, "FlyToTheMoon", "{}").await;
    assert_error(&unknown, "UnknownOperationException");
    let foreign = raw(
        addr,
        "POST",
        "/",
        &[("x-amz-target", "kms.ListKeys")],
        b"{}".to_vec(),
    )
    .await;
    assert_error(&foreign, "UnknownOperationException");
    assert!(unknown.headers.contains_key("x-amzn-requestid"));
}

#[tokio::test]
async fn broken_json_and_wrong_types() {
    let addr = shared().addr;
    for body in [
        "{",
        "not json",
        "[1,2]",
        "\"text\"",
        "{\"Name\": 5}",
        "{\"SecretString\": {}}",
        "{\"Tags\": \"x\"}",
    ] {
        let r = raw_op(addr, "CreateSecret", body).await;
        assert_error(&r, "SerializationException");
    }
    let r = raw_op(addr, "ListSecrets", "{\"MaxResults\": \"ten\"}").await;
    assert_error(&r, "SerializationException");
    let r = raw_op(addr, "CreateSecret", "{\"Name\":\"x\",\"SecretBinary\":\"***\",\"ClientRequestToken\":\"00000000-0000-0000-0000-000000000000\"}").await;
    assert_error(&r, "SerializationException");
}

#[tokio::test]
async fn missing_client_request_token() {
    let addr = shared().addr;
    let expected = "You must provide a ClientRequestToken value. We recommend a UUID-type value.";
    let name = unique("raw/token");
    for (op, body) in [
        (
            "CreateSecret",
            format!("{{\"Name\":\"{name}\",\"SecretString\":\"v\"}}"),
        ),
        (
            "PutSecretValue",
            format!("{{\"SecretId\":\"{name}\",\"SecretString\":\"v\"}}"),
        ),
        (
            "UpdateSecret",
            format!("{{\"SecretId\":\"{name}\",\"SecretString\":\"v\"}}"),
        ),
    ] {
        let r = raw_op(addr, op, &body).await;
        assert_error(&r, "InvalidRequestException");
        assert_eq!(r.json["Message"], expected);
    }
    let r = raw_op(
        addr,
        "DescribeSecret",
        &format!("{{\"SecretId\":\"{name}\"}}"),
    )
    .await;
    assert_error(&r, "ResourceNotFoundException");
}

#[tokio::test]
async fn missing_required_members() {
    let r = raw_op(shared().addr, "DescribeSecret", "{}").await;
    assert_error(&r, "ValidationException");
    assert_eq!(
        r.json["Message"],
        "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null"
    );
    let r = raw_op(shared().addr, "GetSecretValue", "").await;
    assert_error(&r, "ValidationException");
    let r = raw_op(
        shared().addr,
        "CreateSecret",
        "{\"ClientRequestToken\":\"short\",\"Name\":\"n\"}",
    )
    .await;
    assert_error(&r, "ValidationException");
    assert!(r.json["Message"]
        .as_str()
        .unwrap()
        .contains("'clientRequestToken'"));
}

#[tokio::test]
async fn oversized_bodies() {
    let body = format!(
        "{{\"Name\":\"x\",\"SecretString\":\"{}\"}}",
        "a".repeat(2 * 1024 * 1024)
    );
    let r = raw_op(shared().addr, "CreateSecret", &body).await;
    assert_error(&r, "RequestEntityTooLargeException");
}

#[tokio::test]
async fn malformed_authorization_headers() {
    let addr = shared().addr;
    for auth in [
        "Bearer abc",
        "AWS4-HMAC-SHA256 Credential=onlykey",
        "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc",
        "AWS4-HMAC-SHA256 Credential=k/20240101//secretsmanager/aws4_request",
    ] {
        let headers = [
            ("x-amz-target", "secretsmanager.ListSecrets"),
            ("authorization", auth),
        ];
        let r = raw(addr, "POST", "/", &headers, b"{}".to_vec()).await;
        assert_error(&r, "IncompleteSignatureException");
    }
}

#[tokio::test]
async fn every_operation_answers_empty_and_odd_bodies_cleanly() {
    for op in localemu::generated::secretsmanager::Operation::ALL
        .map(localemu::generated::secretsmanager::Operation::name)
    {
        for body in ["{}", r#"{"SecretId": "x y"}"#, r#"{"SecretId": 12}"#] {
            let r = raw_op(shared().addr, op, body).await;
            assert!(
                r.status == 200 || r.status == 400,
                "{op} {body}: {}",
                r.status
            );
            if r.status == 400 {
                assert!(
                    r.json["__type"].is_string() && r.json["Message"].is_string(),
                    "{op}: {:?}",
                    r.json
                );
            }
        }
    }
}

#[tokio::test]
async fn health_endpoints() {
    for path in ["/_localstack/health", "/_awsemu/health"] {
        let r = raw(shared().addr, "GET", path, &[], Vec::new()).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json["services"]["secretsmanager"], "running");
    }
}
