//! The services answering AWS JSON 1.1 on the shared endpoint, each described once (its
//! `X-Amz-Target` prefix, signing name, error table and what follows a committed write), and
//! the one handler that routes a call to its service and through the pipeline.

use super::json11::{check_depth, Json11};
use super::pipeline::Failure;
use super::pipeline::{self, Entry, Lost};
use super::{read_body, request_id, AppState, JSON_11, MAX_BODY};
use crate::domain::caller::Caller;
use crate::error::Code;
use crate::generated::{events, kms, secretsmanager as sm, ssm};
use crate::wire::Ack;
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;

/// Runs an operation, named, on a request body.
type Run = fn(&AppState, &Caller, &str, &[u8]) -> Result<Ack<Vec<u8>>, Failure>;

/// One JSON 1.1 service.
pub(crate) struct JsonService {
    pub target_prefix: &'static str,
    pub entry: Entry,
    pub known: fn(&str) -> bool,
    /// Runs the operation `name` on the body.
    pub run: Run,
    /// What follows a committed call of `name`: the request and response bodies.
    pub after: fn(&AppState, &Caller, &str, &[u8], &[u8]),
}

fn nothing_after(_: &AppState, _: &Caller, _: &str, _: &[u8], _: &[u8]) {}

fn unstored() -> Failure {
    Failure::common(
        crate::error::Common::Internal,
        "The change could not be stored.",
    )
}

/// A generated JSON 1.1 service whose state is `AppState::$state`: its signing name is its
/// module's, a change it cannot store answers its internal-failure code, and nothing follows
/// its writes.
macro_rules! json_service {
    ($module:ident, $state:ident, $again:expr) => {
        JsonService {
            target_prefix: $module::TARGET_PREFIX,
            entry: Entry {
                service: stringify!($module),
                unstored,
                internal: $module::ErrorCode::INTERNAL,
                message: <$module::ErrorCode as crate::error::Code>::MESSAGE,
                lost: Lost::RunAgain,
                again_if_unstored: $again,
            },
            known: |name| $module::Operation::from_name(name).is_some(),
            run: |state, caller, name, body| {
                let op = $module::Operation::from_name(name).ok_or_else(unknown)?;
                Ok($module::dispatch(
                    state.$state.as_ref(),
                    caller,
                    op,
                    &Json11,
                    body,
                )?)
            },
            after: nothing_after,
        }
    };
}

/// Secrets Manager first: a target no service claims is answered as Secrets Manager answers.
pub(crate) static SERVICES: [JsonService; 4] = [
    JsonService {
        target_prefix: sm::TARGET_PREFIX,
        entry: Entry {
            service: "secretsmanager",
            unstored: Failure::internal,
            internal: sm::ErrorCode::INTERNAL,
            message: <sm::ErrorCode as crate::error::Code>::MESSAGE,
            lost: Lost::RunAgain,
            again_if_unstored: true,
        },
        known: |name| sm::Operation::from_name(name).is_some(),
        run: |state, caller, name, body| {
            let op = sm::Operation::from_name(name).ok_or_else(unknown)?;
            Ok(super::json11::dispatch(
                &state.secretsmanager,
                caller,
                op,
                body,
            )?)
        },
        // "AWS API Call via CloudTrail": once per committed write, never for a failed one.
        after: |state, caller, name, request, response| {
            if sm::Operation::from_name(name)
                .is_some_and(|op| !crate::secretsmanager::api::reads_only(op))
            {
                state
                    .secretsmanager
                    .after_write(caller, name, request, response);
            }
        },
    },
    json_service!(kms, kms, true),
    json_service!(ssm, ssm, true),
    // PutEvents delivers to targets: never run twice.
    json_service!(events, events, false),
];

fn unknown() -> Failure {
    Failure::unknown_operation()
}

/// Answers one JSON 1.1 call: routed by its target, run through the pipeline, rendered with
/// its service's error table.
pub(super) async fn handle(state: &AppState, parts: &Parts, body: Body) -> Response {
    let started = std::time::Instant::now();
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let (service, name) = SERVICES
        .iter()
        .find_map(|s| target.strip_prefix(s.target_prefix).map(|n| (s, n)))
        .unwrap_or((&SERVICES[0], ""));
    let result = async {
        if !(service.known)(name) {
            return Err(unknown());
        }
        let body = read_body(body, MAX_BODY).await.map_err(Failure::from)?;
        check_depth(&body).map_err(Failure::from)?;
        let run = |caller: Caller| {
            let ack = (service.run)(state, &caller, name, &body);
            async move { ack }
        };
        let (caller, out) =
            pipeline::call(state, &service.entry, (parts, &body), (name, false), run).await?;
        (service.after)(state, &caller, name, &body, &out);
        Ok(out)
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
        Err(e) => super::render::json11(&e, service.entry.internal, service.entry.message),
    };
    if let Ok(v) = HeaderValue::from_str(&request_id()) {
        response.headers_mut().insert("x-amzn-RequestId", v);
    }
    tracing::debug!(
        target,
        status = response.status().as_u16(),
        micros = started.elapsed().as_micros() as u64,
        "json request"
    );
    response
}
