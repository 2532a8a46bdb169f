//! Lambda's REST-JSON protocol: requests bound to operations by the generated routing table,
//! answers and errors rendered as Lambda sends them.

use super::pipeline::Failure;
use super::pipeline::{self, Entry, Lost};
use super::{read_body, request_id, AppState, MAX_LAMBDA_BODY};
use crate::generated::lambda::{self as lm, ROUTES};
use crate::generated::lambda::{Error, ErrorCode, Result};
use crate::lambda::api::{Api, Call};
use crate::wire::{Ack, Codec, RestRequest};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Arc;

const BASE: &str = "/2015-03-31/functions";

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(BASE, any(handle))
        .route(&format!("{BASE}/"), any(handle))
        .route(&format!("{BASE}/{{*rest}}"), any(handle))
}

/// REST-JSON bodies: a malformed one is InvalidRequestContentException, as Lambda says.
pub struct RestJson;

impl Codec for RestJson {
    type Code = ErrorCode;

    fn decode<I: DeserializeOwned + Default>(&self, body: &[u8]) -> Result<I> {
        let body: &[u8] = if body.is_empty() { b"{}" } else { body };
        serde_json::from_slice(body).map_err(|e| {
            Error::new(
                ErrorCode::InvalidRequestContentException,
                format!("Could not parse request body into json: {e}"),
            )
        })
    }

    fn encode<O: Serialize>(&self, output: &O) -> Result<Vec<u8>> {
        serde_json::to_vec(output).map_err(|e| Error::internal().because(e))
    }

    fn bad_value(&self, member: &str, value: &str) -> Error {
        Error::new(
            ErrorCode::InvalidParameterValueException,
            format!("Invalid {member}: {value}"),
        )
    }
}

/// Lambda's errors, as REST-JSON renders them.
pub fn render_rest_error(e: &Failure) -> Response {
    super::render::rest_json(e, <ErrorCode as crate::error::Code>::INTERNAL)
}

/// No operation has this method and path: 405 if another method would do, as for every
/// route of the server.
fn unknown_route(method: &str, path: &str) -> Response {
    let known_path = ["GET", "POST", "PUT", "DELETE"]
        .iter()
        .any(|m| ROUTES.iter().any(|r| r.bind(m, path).is_some()));
    if known_path {
        let mut response = render_rest_error(&super::wrong_method(method));
        *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        return response;
    }
    render_rest_error(&Failure::unknown_operation())
}

/// Lambda's part in the pipeline: a change that lost a race is answered as AWS answers
/// concurrent updates of one function.
static LAMBDA: Entry = Entry {
    service: "lambda",
    unstored: || {
        Error::new(
            ErrorCode::ServiceException,
            "The service cannot reach its database, or could not store the change.",
        )
        .into()
    },
    internal: <ErrorCode as crate::error::Code>::INTERNAL,
    message: <ErrorCode as crate::error::Code>::MESSAGE,
    lost: Lost::Answer(|| {
        Error::new(
            ErrorCode::ResourceConflictException,
            "The operation cannot be performed at this time. An update is in progress for \
             resource: the function was changed by another request.",
        )
        .into()
    }),
    again_if_unstored: false,
};

async fn handle(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let request_id = request_id();
    let path = parts.uri.path();
    let Some((op, labels)) = ROUTES
        .iter()
        .find_map(|r| r.bind(parts.method.as_str(), path).map(|l| (r.op, l)))
    else {
        return unknown_route(parts.method.as_str(), path);
    };
    let result = async {
        let query = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map(|q| q.0)
            .unwrap_or_default();
        let headers = parts
            .headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let limit = if op == lm::Operation::Invoke {
            crate::lambda::api::MAX_SYNC_PAYLOAD + 1
        } else {
            MAX_LAMBDA_BODY
        };
        let body = read_body(body, limit).await.map_err(Failure::from)?;
        let parsed = std::sync::Mutex::new(Some((labels, query, headers)));
        // Lambda answers a lost race instead of running again, so the request is taken once.
        let run = |caller: crate::domain::caller::Caller| {
            let call = Call {
                namespace: caller.namespace.clone(),
                caller,
                request_id: request_id.clone(),
            };
            let (labels, query, headers) = parsed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
                .unwrap_or_default();
            let rest = RestRequest {
                labels,
                query,
                headers,
                body: body.to_vec(),
            };
            let state = &state;
            async move {
                let a = lm::dispatch(&Api(state.lambda.clone()), &call, op, &RestJson, rest).await;
                let a = a.map_err(Failure::from)?;
                Ok(Ack::new((a.status, a.headers, a.body), a.ticket))
            }
        };
        let (_, (status, headers, body)) =
            pipeline::call(&state, &LAMBDA, (&parts, &body), (op.name(), false), run).await?;
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
        let h = response.headers_mut();
        if status != 204 {
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        for (name, value) in headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(name, v);
            }
        }
        Ok(response)
    }
    .await;
    let mut response = result.unwrap_or_else(|e| render_rest_error(&e));
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amzn-requestid", v);
    }
    response
}
