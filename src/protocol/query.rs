//! The AWS query protocol for STS: `Action=...` form requests (POST body or GET query
//! string), XML answers wrapped in `<ActionResponse>` with the request id.

use super::{read_body, request_id, AppState, MAX_BODY};
use crate::error::{Error, ErrorCode, Result};
use crate::generated::sts::{self as g, Operation};
use crate::wire::query::Form;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use std::sync::Arc;

/// STS's errors, as the query protocol renders them.
pub fn render_error(e: &Error, id: &str) -> Response {
    super::render::query_xml(e, &g::ERRORS, id)
}

fn operation(form: &Form) -> Result<Operation> {
    let action = form.get("Action").unwrap_or_default();
    Operation::from_name(action).ok_or_else(|| {
        Error::new(
            ErrorCode::InvalidAction,
            format!(
                "Could not find operation {action} for version {}",
                form.get("Version").unwrap_or(g::API_VERSION)
            ),
        )
    })
}

pub async fn handle(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let id = request_id();
    let (parts, body) = request.into_parts();
    let result = async {
        let body = read_body(body, MAX_BODY).await?;
        let mut text = body.to_vec();
        // A GET (or a presigned POST) carries its parameters in the URL.
        if let Some(q) = parts.uri.query() {
            if !text.is_empty() {
                text.push(b'&');
            }
            text.extend_from_slice(q.as_bytes());
        }
        let form = Form::parse(&text)?;
        let op = operation(&form)?;
        let anonymous_ok = op == Operation::AssumeRoleWithWebIdentity;
        let caller = state
            .auth
            .caller(&parts, &body, anonymous_ok)?
            .acting(format!("sts:{}", op.name()));
        let ack = g::dispatch(state.sts.as_ref(), &caller, op, &form)?;
        Ok((op, ack.output))
    }
    .await;
    match result {
        Ok((op, xml)) => {
            let body = format!(
                "<{name}Response xmlns=\"{ns}\">\n  {xml}\n  <ResponseMetadata>\n    <RequestId>{id}</RequestId>\n  </ResponseMetadata>\n</{name}Response>\n",
                name = op.name(),
                ns = g::XMLNS,
            );
            let mut response = Response::new(Body::from(body));
            *response.status_mut() = StatusCode::OK;
            let h = response.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
            if let Ok(v) = HeaderValue::from_str(&id) {
                h.insert("x-amzn-RequestId", v);
            }
            response
        }
        Err(e) => {
            let mut response = render_error(&e, &id);
            if let Ok(v) = HeaderValue::from_str(&id) {
                response.headers_mut().insert("x-amzn-RequestId", v);
            }
            response
        }
    }
}
