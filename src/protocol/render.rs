//! Errors onto the wire: one renderer per protocol, shared by every service that speaks it,
//! each given the service's modelled statuses. The internal cause is logged here, never sent.

use crate::error::{Error, Modeled, Naming, Protocol};
use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;

/// Logs an error's internal cause, which the caller never sees; server faults at ERROR.
fn log(e: &Error<Modeled>, code: &str, status: u16) {
    let cause = e.source.as_ref().map(ToString::to_string);
    if status >= 500 {
        tracing::error!(code, cause, "{}", e.message);
    } else if let Some(cause) = cause {
        tracing::debug!(code, cause, "{}", e.message);
    }
}

fn response(status: u16, content_type: &'static str, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// AWS JSON 1.1: `{"__type": code, "Message": text}`, the message's member spelled as the
/// service's model spells it (`message` for KMS); `internal` names the service's own
/// internal failures and `message` its usual spelling, for the errors no shape describes.
pub fn json11(e: &Error<Modeled>, internal: Option<&'static str>, message: &str) -> Response {
    let naming = Naming {
        protocol: Protocol::Json11,
        internal,
    };
    let (code, status) = (e.name(naming), e.status(naming));
    log(e, code, status);
    let member = match e.code {
        crate::error::Kind::Modeled(m) => m.message,
        crate::error::Kind::Common(_) => message,
    };
    let mut body = serde_json::Map::new();
    body.insert("__type".into(), code.into());
    body.insert(member.into(), e.message.clone().into());
    let body = serde_json::Value::Object(body);
    response(status, super::JSON_11, body.to_string())
}

/// REST-JSON as Lambda sends it: the code in `X-Amzn-ErrorType`, the message in the body.
pub fn rest_json(e: &Error<Modeled>, internal: Option<&'static str>) -> Response {
    let naming = Naming {
        protocol: Protocol::RestJson,
        internal,
    };
    let (code, status) = (e.name(naming), e.status(naming));
    log(e, code, status);
    let body = serde_json::json!({ "Type": "User", "message": e.message, "Message": e.message });
    let mut r = response(status, "application/json", body.to_string());
    if let Ok(v) = HeaderValue::from_str(code) {
        r.headers_mut().insert("x-amzn-errortype", v);
    }
    r
}

/// The query protocol (STS and other XML services): an `ErrorResponse` document.
pub fn query_xml(e: &Error<Modeled>, xmlns: &str, request_id: &str) -> Response {
    let naming = Naming {
        protocol: Protocol::Query,
        internal: None,
    };
    let (code, status) = (e.name(naming), e.status(naming));
    log(e, code, status);
    let kind = if status >= 500 { "Receiver" } else { "Sender" };
    let body = format!(
        "<ErrorResponse xmlns=\"{}\">\n  <Error>\n    \
         <Type>{kind}</Type>\n    <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  \
         <RequestId>{}</RequestId>\n</ErrorResponse>\n",
        escape(xmlns),
        escape(code),
        escape(&e.message),
        escape(request_id)
    );
    response(status, "text/xml", body)
}

/// XML text escaping for element content.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    crate::wire::query::escape_into(text, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::{lambda, secretsmanager as sm};
    use http_body_util::BodyExt;

    async fn text(r: Response) -> String {
        let bytes = r.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn query_errors_are_xml_documents_with_escaped_text() {
        let e = Error::<Modeled>::access_denied("User <x> & \"y\" can't");
        let r = query_xml(&e, "https://sts.amazonaws.com/doc/2011-06-15/", "req-1");
        assert_eq!(r.status(), 400);
        assert_eq!(r.headers()["content-type"], "text/xml");
        let body = text(r).await;
        assert!(body.contains("<Type>Sender</Type>"), "{body}");
        // Query services (STS, CloudFormation) name the refusal without `Exception`.
        assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
        assert!(
            body.contains("<Message>User &lt;x&gt; &amp; &quot;y&quot; can&apos;t</Message>"),
            "{body}"
        );
        assert!(body.contains("<RequestId>req-1</RequestId>"));
        let fault = query_xml(&Error::internal(), "x", "r");
        assert_eq!(fault.status(), 500);
        let fault = text(fault).await;
        assert!(fault.contains("<Type>Receiver</Type>"));
        assert!(fault.contains("<Code>InternalFailure</Code>"));
    }

    #[tokio::test]
    async fn json_and_rest_errors_name_the_code_where_each_protocol_does() {
        let e = sm::Error::new(sm::ErrorCode::ResourceNotFoundException, "gone");
        let j = json11(&e.into(), None, "Message");
        assert_eq!(j.status(), 400);
        assert_eq!(
            text(j).await,
            r#"{"__type":"ResourceNotFoundException","Message":"gone"}"#
        );
        let e = lambda::Error::new(lambda::ErrorCode::ResourceNotFoundException, "gone");
        let r = rest_json(&e.into(), Some("ServiceException"));
        assert_eq!(r.status(), 404);
        assert_eq!(r.headers()["x-amzn-errortype"], "ResourceNotFoundException");
        let internal = rest_json(&Error::internal(), Some("ServiceException"));
        assert_eq!(internal.status(), 500);
        assert_eq!(internal.headers()["x-amzn-errortype"], "ServiceException");
    }
}
