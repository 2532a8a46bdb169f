//! Lambda's REST-JSON protocol: the paths of the real Lambda API, mapped to the Lambda service.

use super::{caller, read_body, AppState, MAX_LAMBDA_BODY};
use crate::domain::Namespace;
use crate::error::{Error, ErrorCode, Result};
use crate::lambda::Lambda;
use crate::store::durable::Ticket;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

const BASE: &str = "/2015-03-31/functions";
/// AWS's limits on an invocation's payload: 6 MB synchronous, 1 MB asynchronous.
const MAX_SYNC_PAYLOAD: usize = 6_291_456;
const MAX_EVENT_PAYLOAD: usize = 1_048_576;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(BASE, post(create).get(list))
        .route(&format!("{BASE}/"), post(create).get(list))
        .route(
            &format!("{BASE}/{{name}}"),
            get(get_function).delete(delete_function),
        )
        .route(
            &format!("{BASE}/{{name}}/configuration"),
            get(get_configuration).put(update_configuration),
        )
        .route(
            &format!("{BASE}/{{name}}/code"),
            axum::routing::put(update_code),
        )
        .route(
            &format!("{BASE}/{{name}}/policy"),
            post(add_permission).get(get_policy),
        )
        .route(
            &format!("{BASE}/{{name}}/policy/{{sid}}"),
            delete(remove_permission),
        )
        .route(&format!("{BASE}/{{name}}/invocations"), post(invoke))
}

/// Lambda's error shape: the code in `X-Amzn-ErrorType`, and a JSON body.
pub fn render_rest_error(e: &Error) -> Response {
    let body = serde_json::json!({ "Type": "User", "message": e.message, "Message": e.message });
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() =
        StatusCode::from_u16(e.code.rest_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(e.code.as_str()) {
        headers.insert("x-amzn-errortype", v);
    }
    response
}

fn json_reply<T: Serialize>(status: u16, value: &T) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn empty(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

/// Sends `value` once its change is durable.
async fn durable_reply<T: Serialize>(
    status: u16,
    (value, ticket): (T, Ticket),
) -> Result<Response> {
    if !ticket.durable().await {
        return Err(Error::new(
            ErrorCode::ServiceException,
            "The change could not be stored.",
        ));
    }
    Ok(json_reply(status, &value))
}

fn reply(result: Result<Response>) -> Response {
    result.unwrap_or_else(|e| render_rest_error(&e))
}

async fn decode<I: DeserializeOwned>(body: Body) -> Result<I> {
    let bytes = read_body(body, MAX_LAMBDA_BODY).await?;
    let bytes: &[u8] = if bytes.is_empty() { b"{}" } else { &bytes };
    serde_json::from_slice(bytes).map_err(|e| {
        Error::new(
            ErrorCode::InvalidRequestContentException,
            format!("Could not parse request body into json: {e}"),
        )
    })
}

type Ctx = (Arc<AppState>, Namespace);

fn ctx(state: Arc<AppState>, headers: &HeaderMap) -> Result<Ctx> {
    let caller = caller(headers, &state.default_region)?;
    Ok((state, caller.namespace))
}

/// Runs a read-only operation and answers with its JSON.
fn read<T: Serialize>(
    state: Arc<AppState>,
    headers: &HeaderMap,
    op: impl FnOnce(&Lambda, &Namespace) -> Result<T>,
) -> Response {
    reply(ctx(state, headers).and_then(|(state, ns)| Ok(json_reply(200, &op(&state.lambda, &ns)?))))
}

/// Decodes the JSON body, runs a state-changing operation, and answers once it is durable.
async fn change<I, T>(
    state: Arc<AppState>,
    request: Request,
    status: u16,
    op: impl FnOnce(&Lambda, &Namespace, I) -> Result<(T, Ticket)>,
) -> Response
where
    I: DeserializeOwned,
    T: Serialize,
{
    let (parts, body) = request.into_parts();
    reply(
        async {
            let (state, ns) = ctx(state, &parts.headers)?;
            let input = decode(body).await?;
            durable_reply(status, op(&state.lambda, &ns, input)?).await
        }
        .await,
    )
}

/// Runs a removal and answers 204 once it is durable.
async fn remove(
    state: Arc<AppState>,
    headers: HeaderMap,
    op: impl FnOnce(&Lambda, &Namespace) -> Result<Ticket>,
) -> Response {
    reply(
        async {
            let (state, ns) = ctx(state, &headers)?;
            durable_reply(204, ((), op(&state.lambda, &ns)?)).await?;
            Ok(empty(StatusCode::NO_CONTENT))
        }
        .await,
    )
}

/// Like [`change`], on a blocking thread: unpacking code takes disk time that must not
/// hold up a server worker.
async fn change_blocking<I, T>(
    state: Arc<AppState>,
    request: Request,
    status: u16,
    op: impl FnOnce(&Lambda, &Namespace, I) -> Result<(T, Ticket)> + Send + 'static,
) -> Response
where
    I: DeserializeOwned + Send + 'static,
    T: Serialize + Send + 'static,
{
    let (parts, body) = request.into_parts();
    reply(
        async {
            let (state, ns) = ctx(state, &parts.headers)?;
            let input = decode(body).await?;
            let done = tokio::task::spawn_blocking(move || op(&state.lambda, &ns, input))
                .await
                .map_err(|_| Error::new(ErrorCode::ServiceException, "The change failed."))?;
            durable_reply(status, done?).await
        }
        .await,
    )
}

async fn create(State(state): State<Arc<AppState>>, request: Request) -> Response {
    change_blocking(state, request, 201, |l, ns, input| {
        l.create_function(ns, input)
    })
    .await
}

async fn list(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    read(state, &headers, |l, ns| {
        l.list_functions(
            ns,
            q.get("Marker").map(String::as_str),
            q.get("MaxItems").map(String::as_str),
        )
    })
}

async fn get_function(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    read(state, &headers, |l, ns| l.get_function(ns, &name))
}

async fn get_configuration(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    read(state, &headers, |l, ns| {
        l.get_function_configuration(ns, &name)
    })
}

async fn get_policy(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    read(state, &headers, |l, ns| l.get_policy(ns, &name))
}

async fn delete_function(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    remove(state, headers, |l, ns| l.delete_function(ns, &name)).await
}

async fn update_configuration(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    change(state, request, 200, |l, ns, input| {
        l.update_function_configuration(ns, &name, input)
    })
    .await
}

async fn update_code(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    change_blocking(state, request, 200, move |l, ns, input| {
        l.update_function_code(ns, &name, input)
    })
    .await
}

async fn add_permission(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    change(state, request, 201, |l, ns, input| {
        l.add_permission(ns, &name, input)
    })
    .await
}

async fn remove_permission(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((name, sid)): Path<(String, String)>,
) -> Response {
    remove(state, headers, |l, ns| l.remove_permission(ns, &name, &sid)).await
}

async fn invoke(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    reply(
        async {
            let (state, ns) = ctx(state, &parts.headers)?;
            let header = |n: &str| parts.headers.get(n).and_then(|v| v.to_str().ok());
            let kind = header("x-amz-invocation-type")
                .unwrap_or("RequestResponse")
                .to_string();
            let tail = header("x-amz-log-type") == Some("Tail");
            let limit = if kind == "Event" {
                MAX_EVENT_PAYLOAD
            } else {
                MAX_SYNC_PAYLOAD
            };
            let payload = read_body(body, MAX_SYNC_PAYLOAD + 1).await?.to_vec();
            if payload.len() > limit {
                return Err(Error::new(
                    ErrorCode::RequestTooLargeException,
                    format!("Request must be smaller than {limit} bytes for the InvokeFunction operation"),
                ));
            }
            let function = state.lambda.find(&ns, &name)?;
            match kind.as_str() {
                "DryRun" => return Ok(empty(StatusCode::NO_CONTENT)),
                "Event" => {
                    state.lambda.invoke_event(function, payload)?;
                    return Ok(empty(StatusCode::ACCEPTED));
                }
                "RequestResponse" => {}
                other => {
                    return Err(Error::new(
                        ErrorCode::InvalidParameterValueException,
                        format!("Unsupported invocation type: {other}"),
                    ))
                }
            }
            let result = state.lambda.invoke(&function, payload).await;
            let mut response = Response::new(Body::from(result.payload.clone()));
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            headers.insert(
                "x-amz-executed-version",
                HeaderValue::from_static("$LATEST"),
            );
            if let Some(e) = result
                .function_error
                .as_deref()
                .and_then(|e| HeaderValue::from_str(e).ok())
            {
                headers.insert("x-amz-function-error", e);
            }
            if tail {
                if let Ok(v) = HeaderValue::from_str(&result.log_tail_base64()) {
                    headers.insert("x-amz-log-result", v);
                }
            }
            if let Ok(v) = HeaderValue::from_str(&result.request_id) {
                headers.insert("x-amzn-requestid", v);
            }
            Ok(response)
        }
        .await,
    )
}
