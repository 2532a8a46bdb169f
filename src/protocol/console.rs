//! The console: one self-contained page (no external assets) that reads and writes through the
//! same APIs as any client, and the one endpoint it needs beyond them (recent invocations).

use super::AppState;
use crate::domain::Namespace;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Arc;

const PAGE: &str = include_str!("console.html");

pub async fn page(State(state): State<Arc<AppState>>) -> Response {
    let html = PAGE.replace("{{TOKEN}}", &state.console_token);
    let mut response = html.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // Never framed by another page, never cached, no script from anywhere else.
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
             connect-src 'self'; img-src data:; frame-ancestors 'none'",
        ),
    );
    response
}

/// The (account, region) pairs that hold secrets or functions, for the console's choosers.
pub async fn namespaces(State(state): State<Arc<AppState>>) -> Response {
    let mut places: std::collections::BTreeMap<(String, String), (usize, usize)> =
        std::collections::BTreeMap::new();
    for (ns, space) in state.secretsmanager.store().namespaces() {
        let n = space.len();
        if n > 0 {
            places.entry((ns.account, ns.region)).or_default().0 = n;
        }
    }
    for (ns, n) in state.lambda.function_counts() {
        places.entry((ns.account, ns.region)).or_default().1 = n;
    }
    let list: Vec<serde_json::Value> = places
        .into_iter()
        .map(|((account, region), (secrets, functions))| {
            serde_json::json!({"account": account, "region": region, "secrets": secrets,
                "functions": functions})
        })
        .collect();
    (
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "Namespaces": list }).to_string(),
    )
        .into_response()
}

/// What a browser gets for `/`: a page that points at the console, instead of the JSON
/// protocol's refusal of a GET downloaded as a file.
pub fn landing() -> Response {
    let html = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
        <title>LocalEmu</title></head><body style=\"font: 15px system-ui, sans-serif; margin: 40px\">\
        <h1>LocalEmu is running</h1><p>This address serves the AWS APIs to SDKs and CLIs \
        (point them at it as their endpoint URL).</p><p><a href=\"/_awsemu/console\">Open the \
        console</a> to browse secrets, functions and rotations.</p></body></html>";
    let mut response = html.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// The functions of an account and region with their recent invocations.
pub async fn invocations(
    State(state): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let ns = Namespace::new(
        q.get("account")
            .map_or(crate::sts::identity::DEFAULT_ACCOUNT, String::as_str),
        q.get("region")
            .map_or(state.auth.default_region(), String::as_str),
    );
    let body = serde_json::json!({ "Functions": state.lambda.recent_invocations(&ns) });
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
