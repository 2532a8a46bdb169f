//! Requests for an AWS service LocalEmu does not serve (`aws s3 ls`, `aws dynamodb
//! list-tables`, `aws logs ...`): answered in that service's own protocol, so the SDK or the
//! AWS CLI shows the reason, with an error that names the services that are served.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// The signing names of the services served here.
const SERVED: [&str; 7] = crate::generated::SIGNING_NAMES;

/// `X-Amz-Target` prefixes of the JSON services served here.
const SERVED_TARGETS: [&str; 4] = [
    crate::generated::secretsmanager::TARGET_PREFIX,
    crate::generated::kms::TARGET_PREFIX,
    crate::generated::ssm::TARGET_PREFIX,
    crate::generated::events::TARGET_PREFIX,
];

const SERVED_NAMES: &str = "Secrets Manager, Lambda, STS, KMS, Systems Manager Parameter Store, \
     CloudFormation and EventBridge";

/// The service a request is for, when it names one LocalEmu does not serve: by its signature's
/// credential scope, else by its JSON target.
fn unserved(headers: &HeaderMap, query: &str) -> Option<String> {
    let scope = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .map(str::to_string)
        .or_else(|| {
            crate::wire::query::pairs(query)
                .into_iter()
                .find(|(k, _)| k == "X-Amz-Credential")
                .map(|(_, v)| v)
        });
    if let Some(service) = scope.as_deref().and_then(|c| c.split('/').nth(3)) {
        let service = service.split([',', ' ']).next().unwrap_or(service);
        return (!SERVED.contains(&service)).then(|| service.to_string());
    }
    let target = headers.get("x-amz-target")?.to_str().ok()?;
    if SERVED_TARGETS.iter().any(|p| target.starts_with(p)) {
        return None;
    }
    // Only what looks like another AWS service's target (`DynamoDB_20120810`, `AmazonSQS`);
    // anything else is an unknown operation of the services served.
    let prefix = target.split('.').next().unwrap_or(target);
    let dated = prefix.rsplit_once('_').is_some_and(|(name, date)| {
        !name.is_empty() && date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit())
    });
    (dated || prefix.starts_with("Amazon") || prefix.starts_with("AWS")).then(|| prefix.to_string())
}

fn reply(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        "x-amzn-errortype",
        HeaderValue::from_static("NotImplemented"),
    );
    if let Ok(id) = HeaderValue::from_str(&super::request_id()) {
        h.insert("x-amzn-requestid", id);
    }
    response
}

/// The refusal, shaped as the named service's protocol shapes its errors.
fn refusal(service: &str, headers: &HeaderMap) -> Response {
    let message = format!(
        "LocalEmu does not serve {service}. It serves {SERVED_NAMES}; use another emulator or \
         AWS for {service}."
    );
    let status = StatusCode::NOT_IMPLEMENTED;
    let json = headers.contains_key("x-amz-target")
        || headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.contains("json"));
    let mut text = String::new();
    crate::wire::query::escape_into(&message, &mut text);
    let id = super::request_id();
    if json {
        let body = serde_json::json!({"__type": "NotImplemented", "message": message,
            "Message": message});
        reply(status, "application/x-amz-json-1.1", body.to_string())
    } else if service == "s3" {
        reply(
            status,
            "application/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NotImplemented</Code>\
                 <Message>{text}</Message><RequestId>{id}</RequestId></Error>"
            ),
        )
    } else {
        reply(
            status,
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>NotImplemented</Code>\
                 <Message>{text}</Message></Error><RequestId>{id}</RequestId></ErrorResponse>"
            ),
        )
    }
}

/// Answers requests for services not served before any route runs.
pub async fn guard(request: Request, next: Next) -> Response {
    let query = request.uri().query().unwrap_or_default();
    match unserved(request.headers(), query) {
        Some(service) => {
            tracing::debug!(%service, "a request for a service LocalEmu does not serve");
            refusal(&service, request.headers())
        }
        None => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(service: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, \
             SignedHeaders=host, Signature=00"
        );
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(&auth).unwrap());
        h
    }

    #[test]
    fn services_are_told_apart() {
        for ours in SERVED {
            assert_eq!(unserved(&signed(ours), ""), None, "{ours}");
        }
        assert_eq!(unserved(&signed("s3"), "").as_deref(), Some("s3"));
        assert_eq!(
            unserved(&signed("dynamodb"), "").as_deref(),
            Some("dynamodb")
        );
        let mut target = HeaderMap::new();
        target.insert(
            "x-amz-target",
            HeaderValue::from_static("Logs_20140328.DescribeLogGroups"),
        );
        assert_eq!(unserved(&target, "").as_deref(), Some("Logs_20140328"));
        target.insert(
            "x-amz-target",
            HeaderValue::from_static("secretsmanager.ListSecrets"),
        );
        assert_eq!(unserved(&target, ""), None);
        assert_eq!(unserved(&HeaderMap::new(), ""), None);
        let presigned = "X-Amz-Credential=test%2F20260101%2Fus-east-1%2Fsqs%2Faws4_request";
        assert_eq!(
            unserved(&HeaderMap::new(), presigned).as_deref(),
            Some("sqs")
        );
    }
}
