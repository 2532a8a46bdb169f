//! AWS JSON 1.1 for KMS (`TrentService.<Operation>`), SSM (`AmazonSSM.<Operation>`) and
//! EventBridge (`AWSEvents.<Operation>`), on the same endpoint as Secrets Manager.

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
            state,
            parts,
            body,
            format!("kms:{}", op.name()),
            run,
            unstored,
        )
        .await
    }
    .await;
    answer(result, &g::ERRORS, &id)
}

/// The answer of a JSON 1.1 call: its output, or its error as the service's table has it.
fn answer(result: crate::error::Result<Vec<u8>>, errors: &[(&str, u16)], id: &str) -> Response {
    let mut response = match result {
        Ok(out) => {
            let mut r = Response::new(Body::from(out));
            *r.status_mut() = StatusCode::OK;
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_11));
            r
        }
        Err(e) => super::render::json11(&e, errors),
    };
    if let Ok(v) = HeaderValue::from_str(id) {
        response.headers_mut().insert("x-amzn-RequestId", v);
    }
    response
}

/// Parameter Store's calls, answered as KMS's are, with its own error table.
pub async fn handle_ssm(state: &AppState, parts: &Parts, body: Body, name: &str) -> Response {
    use crate::generated::ssm as s;
    let id = request_id();
    let result = async {
        let op = s::Operation::from_name(name).ok_or_else(|| {
            Error::new(
                ErrorCode::UnknownOperationException,
                "The requested operation is not recognized by the service.",
            )
        })?;
        let run =
            |caller: &_, body: &[u8]| s::dispatch(state.ssm.as_ref(), caller, op, &Json11, body);
        let unstored = || {
            Error::new(
                ErrorCode::InternalServerError,
                "The change could not be stored.",
            )
        };
        json11::call(
            state,
            parts,
            body,
            format!("ssm:{}", op.name()),
            run,
            unstored,
        )
        .await
    }
    .await;
    answer(result, &s::ERRORS, &id)
}

/// EventBridge's calls, answered as KMS's are, with its own error table.
pub async fn handle_events(state: &AppState, parts: &Parts, body: Body, name: &str) -> Response {
    use crate::generated::events as e;
    let id = request_id();
    let result = async {
        let op = e::Operation::from_name(name).ok_or_else(|| {
            Error::new(
                ErrorCode::UnknownOperationException,
                "The requested operation is not recognized by the service.",
            )
        })?;
        let run =
            |caller: &_, body: &[u8]| e::dispatch(state.events.as_ref(), caller, op, &Json11, body);
        let unstored = || {
            Error::new(
                ErrorCode::InternalException,
                "The change could not be stored.",
            )
        };
        json11::call(
            state,
            parts,
            body,
            format!("events:{}", op.name()),
            run,
            unstored,
        )
        .await
    }
    .await;
    answer(result, &e::ERRORS, &id)
}
