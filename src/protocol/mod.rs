//! HTTP in and out: routing, caller identity, the JSON 1.1 codec, and the one function
//! that renders an error to the wire. Never touches storage.

mod admin;
pub mod auth;
mod console;

pub mod json11;
mod json_services;
pub mod lambda_rest;
mod pipeline;
pub mod query;
pub mod render;
pub mod serve;
pub mod sigv4;
mod unserved;

use crate::error::{Common, Error};
use crate::guard;
use crate::secretsmanager::SecretsManager;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

pub const JSON_11: &str = "application/x-amz-json-1.1";
/// Larger than any valid Secrets Manager request (values are at most 64 KiB).
pub const MAX_BODY: usize = 1024 * 1024;
/// Lambda takes zipped code of up to 50 MB inline, base64-encoded in JSON.
pub const MAX_LAMBDA_BODY: usize = 70 * 1024 * 1024;

/// What the protocol layer needs from the rest of the program.
pub struct AppState {
    pub secretsmanager: Arc<SecretsManager>,
    pub ssm: Arc<crate::ssm::Ssm>,
    /// The Parameters and Secrets extension's listeners (Lambda holds them weakly).
    pub sts: Arc<crate::sts::Sts>,
    pub kms: Arc<crate::kms::Kms>,
    pub cloudformation: Arc<crate::cloudformation::CloudFormation>,
    pub events: Arc<crate::events::Events>,
    pub lambda: Arc<crate::lambda::Lambda>,
    pub auth: auth::Auth,
    pub allowed_hosts: Arc<guard::AllowedHosts>,
    /// Put in the console page; its requests carry it (see [`guard`]).
    pub console_token: String,
    /// Waited on before each request (see [`crate::wire::Barrier`]).
    pub barrier: crate::wire::Barrier,
    /// In strict mode, what the admin endpoints require (see [`admin::require_token`]).
    pub admin_token: Option<String>,
    /// Start-up's stages and ready.d scripts, for LocalStack's `/_localstack/init`.
    pub init: Arc<crate::init::hooks::Status>,
}

/// A client that stops sending a body midway is cut off after this long.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_mins(1);

pub fn router(state: Arc<AppState>) -> Router {
    let allowed = state.allowed_hosts.clone();
    // Health stays open to everyone: container checks and test harnesses poll it.
    let admin = Router::new()
        .route("/_awsemu/reset", post(admin::reset))
        .route(
            "/_awsemu/clock",
            get(admin::clock).post(admin::advance_clock),
        )
        .route("/_awsemu/rotations", get(admin::rotations))
        .route("/_awsemu/console", get(console::page))
        .route("/_awsemu/invocations", get(console::invocations))
        .route("/_awsemu/namespaces", get(console::namespaces))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            admin::require_token,
        ));
    Router::new()
        .route("/", post(handle_root).get(handle_get_root))
        .route("/_localstack/health", get(admin::health))
        .route("/_localstack/init", get(admin::init_status))
        .route("/_localstack/init/{stage}", get(admin::init_stage))
        .route("/_awsemu/health", get(admin::health))
        .merge(admin)
        .merge(lambda_rest::routes())
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
        .layer(axum::middleware::from_fn(unserved::guard))
        .layer(axum::middleware::from_fn_with_state(allowed, guard::guard))
}

/// A request id in UUID form: a random per-process prefix and a counter, so that answering
/// does not cost a call into the operating system's random source.
pub(crate) fn request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    static PREFIX: OnceLock<String> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| {
        let id = uuid::Uuid::new_v4().simple().to_string();
        format!(
            "{}-{}-4{}-8{}",
            &id[..8],
            &id[8..12],
            &id[13..16],
            &id[17..20]
        )
    });
    format!(
        "{prefix}-{:012x}",
        COUNTER.fetch_add(1, Ordering::Relaxed) & 0xffff_ffff_ffff
    )
}

/// Secrets Manager's errors, as JSON 1.1 renders them (with the request id header).
pub fn render_error(e: &pipeline::Failure) -> Response {
    use crate::generated::secretsmanager::ErrorCode;
    let (internal, message) = (
        <ErrorCode as crate::error::Code>::INTERNAL,
        <ErrorCode as crate::error::Code>::MESSAGE,
    );
    let mut response = render::json11(e, internal, message);
    if let Ok(id) = HeaderValue::from_str(&request_id()) {
        response.headers_mut().insert("x-amzn-RequestId", id);
    }
    response
}

/// Reads a whole body of at most `limit` bytes, giving a slow client [`BODY_TIMEOUT`]. An
/// over-limit body is read on and dropped (up to a bound) so that the client, still sending,
/// receives the error instead of a reset connection.
pub(crate) async fn read_body(body: Body, limit: usize) -> Result<Bytes, Error> {
    use http_body_util::BodyExt;
    let drain_limit = limit.saturating_mul(2).max(16 * 1024 * 1024);
    let collect = async {
        let mut body = body;
        let mut bytes: Vec<u8> = Vec::new();
        let mut total = 0usize;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                return Err(Error::serialization("The request body could not be read."));
            };
            let Ok(data) = frame.into_data() else {
                continue;
            };
            total = total.saturating_add(data.len());
            if total > drain_limit {
                break;
            }
            if total <= limit {
                bytes.extend_from_slice(&data);
            }
        }
        if total > limit {
            return Err(Error::common(
                Common::RequestEntityTooLarge,
                format!("Request body must be at most {limit} bytes."),
            ));
        }
        Ok(Bytes::from(bytes))
    };
    match tokio::time::timeout(BODY_TIMEOUT, collect).await {
        Ok(result) => result,
        Err(_) => Err(Error::common(
            Common::RequestTimeout,
            "The request body was not received in time.",
        )),
    }
}

/// JSON 1.1 requests name their operation in `X-Amz-Target`; query requests (STS,
/// CloudFormation) in a form.
async fn handle_root(state: State<Arc<AppState>>, request: Request) -> Response {
    let json = request.headers().contains_key("x-amz-target")
        || request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/x-amz-json"));
    if json {
        handle_json11(state, request).await
    } else {
        query::handle(state, request).await
    }
}

/// Only STS answers GET (presigned `?Action=...` URLs); others see the JSON endpoint's 405.
async fn handle_get_root(state: State<Arc<AppState>>, request: Request) -> Response {
    let is_query = request
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("Action=")));
    if is_query {
        return query::handle(state, request).await;
    }
    // A person who typed the address into a browser.
    let html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if html && request.uri().query().is_none() {
        return console::landing();
    }
    let mut response = method_not_allowed(request).await;
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}

async fn handle_json11(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    json_services::handle(&state, &parts, body).await
}

/// A known path asked with a method it does not take.
pub(crate) fn wrong_method(method: &str) -> pipeline::Failure {
    Error::common(
        Common::UnknownOperation,
        format!("The method {method} is not supported for this path."),
    )
}

async fn method_not_allowed(request: Request) -> Response {
    let mut response = render_error(&wrong_method(request.method().as_str()));
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
}

async fn fallback() -> Response {
    render_error(&pipeline::Failure::unknown_operation())
}
