//! AWS JSON 1.1 for KMS (`TrentService.<Operation>`), on the same endpoint as Secrets Manager.

use super::json11::{self, Json11};
use super::{request_id, AppState, JSON_11};
use crate::error::{Error, ErrorCode};
use crate::generated::kms::{self as g, Operation};
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;

pub async fn handle(state: &AppState, parts: &Parts, body: Body, name: &str) -> Response {
    let id = request_id();
    let result = async {
        let op = Operation::from_name(name).ok_or_else(|| {
            Error::new(
                ErrorCode::UnknownOperationException,
                "The requested operation is not recognized by the service.",
            )
        })?;
        let run =
            |caller: &_, body: &[u8]| g::dispatch(state.kms.as_ref(), caller, op, &Json11, body);
        let unstored = || {
            Error::new(
                ErrorCode::KMSInternalException,
                "The change could not be stored.",
            )
        };
        json11::call(
            &state.auth,
            parts,
            body,
            format!("kms:{}", op.name()),
            run,
            unstored,
        )
        .await
    }
    .await;
    let mut response = match result {
        Ok(out) => {
            let mut r = Response::new(Body::from(out));
            *r.status_mut() = StatusCode::OK;
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_11));
            r
        }
        Err(e) => super::render::json11(&e, &g::ERRORS),
    };
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-amzn-RequestId", v);
    }
    response
}
