//! LocalEmu's own endpoints beside the AWS APIs: health, LocalStack's init report, reset, the
//! clock and the rotation history, and the strict-mode token that guards them.

use super::{guard, read_body, render_error, AppState};
use crate::error::Error;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Arc;

/// The largest `/_awsemu/clock` body: a span is a few bytes.
const MAX_ADMIN_BODY: usize = 4096;

/// The header (or `?token=` in a console address typed into a browser) that carries the admin
/// token.
pub const ADMIN_HEADER: &str = "x-awsemu-admin-token";

/// In strict mode the admin endpoints, which can wipe everything, move the clock and show
/// function logs, need the admin token printed at start (or the console's own token, which
/// only a console page opened with the admin token holds). Without strict mode they are as
/// open as the AWS APIs are.
pub(super) async fn require_token(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let Some(token) = &state.admin_token else {
        return next.run(request).await;
    };
    let headers = request.headers();
    let same = |given: &[u8], expected: &str| {
        use sha2::{Digest, Sha256};
        // Hashes compared, so that the time taken says nothing about the token.
        Sha256::digest(given) == Sha256::digest(expected.as_bytes())
    };
    let by_header = headers
        .get(ADMIN_HEADER)
        .is_some_and(|v| same(v.as_bytes(), token));
    let by_query = request.uri().query().is_some_and(|q| {
        q.split('&')
            .filter_map(|p| p.strip_prefix("token="))
            .any(|t| same(t.as_bytes(), token))
    });
    let by_console = headers
        .get(guard::CONSOLE_HEADER)
        .is_some_and(|v| same(v.as_bytes(), &state.console_token));
    if by_header || by_query || by_console {
        return next.run(request).await;
    }
    admin_json(
        StatusCode::FORBIDDEN,
        serde_json::json!({
            "__type": "AccessDeniedException",
            "Message": "In strict mode LocalEmu's own endpoints need the admin token printed at \
                        start: send it in X-Awsemu-Admin-Token (the awsemu client sends \
                        AWSEMU_ADMIN_TOKEN), or open the console as /_awsemu/console?token=....",
        }),
    )
}

/// Says whether the emulator can take writes: 503 with `"storage": "unavailable"` once its
/// database failed and could not be reopened.
/// With `wait=<seconds>` (at most 60) an unavailable store is waited for until it takes writes
/// again, so that scripts and tests need not poll.
pub(super) async fn health(
    State(state): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    let wait = q
        .get("wait")
        .and_then(|w| w.parse::<u64>().ok())
        .map_or(0, |w| w.min(60));
    if let Some(mut watch) = state.secretsmanager.store().writable_watch() {
        let wait = std::time::Duration::from_secs(wait);
        let _ = tokio::time::timeout(wait, watch.wait_for(|writable| *writable)).await;
    }
    // A shared database must also answer for this node to follow other nodes' writes: one
    // barrier, waited for no longer than a request would (and at most a second), tells.
    let mut database = state.secretsmanager.store().database();
    if let Some(d) = database.as_mut() {
        let limit = state.barrier.limit().min(std::time::Duration::from_secs(1));
        let answering = state.barrier.pass_within(limit).await;
        d["answering"] = answering.into();
        if !answering {
            d["connected"] = false.into();
        }
    }
    let writable = state.secretsmanager.writable()
        && database
            .as_ref()
            .is_none_or(|d| d["connected"] == serde_json::Value::Bool(true));
    let service = if writable { "running" } else { "error" };
    let mut body = serde_json::json!({
        "services": {
            "secretsmanager": service,
            "lambda": service,
            "sts": service,
            "kms": service,
            "ssm": service,
            "cloudformation": service,
            "events": service,
        },
        "storage": if writable { "writable" } else { "unavailable" },
        "edition": "localemu",
        "version": env!("CARGO_PKG_VERSION"),
    });
    if let Some(database) = database {
        body["database"] = database;
    }
    let status = if writable {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
}

/// LocalStack's init report: `completed.READY` turns true once the ready.d scripts have run
/// (at once without an init directory).
pub(super) async fn init_status(State(state): State<Arc<AppState>>) -> Response {
    admin_json(StatusCode::OK, state.init.report(None))
}

/// One stage of it (`/_localstack/init/ready`): `{"completed": ..., "scripts": [...]}`.
pub(super) async fn init_stage(
    State(state): State<Arc<AppState>>,
    axum::extract::Path(stage): axum::extract::Path<String>,
) -> Response {
    if !stage.eq_ignore_ascii_case("ready") {
        let done = !stage.eq_ignore_ascii_case("shutdown");
        return admin_json(
            StatusCode::OK,
            serde_json::json!({"completed": done, "scripts": []}),
        );
    }
    admin_json(StatusCode::OK, state.init.report(Some("READY")))
}

/// Wipes all state, for test isolation between runs.
pub(super) async fn reset(State(state): State<Arc<AppState>>) -> Response {
    let (ticket, key) = {
        let _gate = state.secretsmanager.gate();
        state.lambda.reset();
        state.kms.reset();
        state.ssm.reset();
        state.cloudformation.reset();
        state.events.reset();
        let emptied = state.secretsmanager.reset();
        // After the store was emptied, so that it holds the key again.
        (emptied, state.sts.reset())
    };
    if !ticket.durable().await || !key.durable().await {
        return render_error(&Error::internal());
    }
    let mut response = Response::new(Body::from("{\"reset\": true}"));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn admin_json(status: StatusCode, value: serde_json::Value) -> Response {
    let mut response = Response::new(Body::from(value.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn clock_json(state: &AppState) -> serde_json::Value {
    let now = state.secretsmanager.clock().now();
    serde_json::json!({ "now": now as f64 / 1000.0 })
}

pub(super) async fn clock(State(state): State<Arc<AppState>>) -> Response {
    admin_json(StatusCode::OK, clock_json(&state))
}

fn admin_error(e: &Error) -> Response {
    let e = super::pipeline::Failure::from(e.clone());
    let naming = crate::error::Naming {
        protocol: crate::error::Protocol::Json11,
        internal: None,
    };
    admin_json(
        StatusCode::from_u16(e.status(naming)).unwrap_or(StatusCode::BAD_REQUEST),
        serde_json::json!({ "__type": e.name(naming), "Message": e.message }),
    )
}

/// Moves the emulator's clock forward: `{"advance": "30d"}` (also `h`, `m`, `s`, or seconds).
pub(super) async fn advance_clock(State(state): State<Arc<AppState>>, body: Body) -> Response {
    let body = match read_body(body, MAX_ADMIN_BODY).await {
        Ok(b) => b,
        Err(e) => return admin_error(&e),
    };
    let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let span = match &request["advance"] {
        serde_json::Value::String(s) => crate::clock::parse_span(s),
        serde_json::Value::Number(n) => n.as_i64().and_then(|s| s.checked_mul(1000)),
        _ => None,
    };
    let Some(span) = span.filter(|s| *s >= 0) else {
        return admin_error(&Error::validation(
            "Give {\"advance\": \"30d\"} (d, h, m or s) or a number of seconds.",
        ));
    };
    if let Err(e) = state.secretsmanager.clock().try_advance(span) {
        return admin_error(&Error::validation(e));
    }
    // Let rotations that became due start now rather than at the next tick.
    state.secretsmanager.rotation_engine().fire_due();
    state.events.fire_due();
    admin_json(StatusCode::OK, clock_json(&state))
}

/// Recent rotations, all of them or (`?secret=<name or ARN>`) those of one secret. With
/// `wait=<seconds>` (at most 60) the answer waits until a rotation of `version=<id>` has ended,
/// or `count=<n>` rotations are listed, so that scripts and tests need not poll.
pub(super) async fn rotations(
    State(state): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let engine = state.secretsmanager.rotation_engine();
    let mut ended = engine.ended();
    let wait = q
        .get("wait")
        .and_then(|w| w.parse::<u64>().ok())
        .map_or(0, |w| w.min(60));
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(wait);
    let count = q.get("count").and_then(|c| c.parse::<usize>().ok());
    let version = q.get("version");
    let mut over = wait == 0;
    loop {
        let mut history = engine.history();
        if let Some(secret) = q.get("secret") {
            history.retain(|r| {
                r.secret_arn == *secret
                    || crate::domain::arn::SecretRef::parse(&r.secret_arn)
                        .is_some_and(|s| s.display_name() == secret)
            });
        }
        let satisfied = version.is_none_or(|v| history.iter().any(|r| r.version_id == *v))
            && count.is_none_or(|n| history.len() >= n);
        if satisfied || over {
            return admin_json(StatusCode::OK, serde_json::json!({ "Rotations": history }));
        }
        // Woken when a rotation ends; the last look is taken at the deadline.
        over = !matches!(
            tokio::time::timeout_at(deadline, ended.changed()).await,
            Ok(Ok(()))
        );
    }
}
