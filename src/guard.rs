//! Who may talk to the emulator, and to the Runtime API and extension servers it runs for
//! functions, at all: refuses requests a web browser sends on a page's behalf (cross-origin
//! requests and DNS rebinding), before any route runs.
//!
//! The rules, in order:
//! 1. The `Host` header, when present, must name a loopback host (`localhost`, `*.localhost`,
//!    `localhost.localstack.cloud` and its subdomains, and `host.docker.internal` and
//!    `localstack`, which function processes use), be an IP address, or be one of the
//!    configured allowed hosts. A page that rebinds its own name to 127.0.0.1 still sends its
//!    own name, so it is refused; an IP address cannot be rebound.
//! 2. A request carrying `Origin` was sent by a browser for a page; refused. AWS SDKs, the AWS
//!    CLI, `awsemu` and curl never send it.
//! 3. A request whose `Sec-Fetch-Site` says a page caused it (anything but `none`, which is a
//!    user typing the address) is refused, for browsers that omit `Origin` on some requests.
//!
//! One exception: the console's own requests. The console page (`/_awsemu/console`, opened by
//! typing its address) carries a token that changes with every start; its same-origin
//! requests send it in `X-Awsemu-Console`. Another page cannot read the token (the console
//! page itself is refused to them, and no CORS header is ever sent), and a cross-origin
//! request with that header needs a preflight, which is refused.
//!
//! Refusals are 403 with an AWS-shaped body carrying both JSON 1.1 and REST-JSON fields.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use std::net::IpAddr;
use std::sync::Arc;

/// Host names, besides loopback ones and IP addresses, that requests may be addressed to.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts {
    /// Lower-case names; `*` allows every host, `*.example.com` every subdomain.
    names: Vec<String>,
    /// The console's token for this run.
    console: Option<String>,
}

impl AllowedHosts {
    pub fn new(names: &[String]) -> AllowedHosts {
        let names = names
            .iter()
            .map(|n| n.trim().trim_end_matches('.').to_ascii_lowercase())
            .filter(|n| !n.is_empty())
            .collect();
        AllowedHosts {
            names,
            console: None,
        }
    }

    /// Lets the console's same-origin requests through when they carry `token`.
    #[must_use]
    pub fn with_console(mut self, token: &str) -> AllowedHosts {
        self.console = Some(token.to_string());
        self
    }

    /// Whether a request is the console's own: its token, sent by the console's origin.
    fn console_request(&self, headers: &axum::http::HeaderMap) -> bool {
        let Some(token) = &self.console else {
            return false;
        };
        let given = headers.get(CONSOLE_HEADER).map(HeaderValue::as_bytes);
        if given != Some(token.as_bytes()) {
            return false;
        }
        let site_ok = headers
            .get("sec-fetch-site")
            .is_none_or(|s| s.as_bytes() == b"same-origin");
        let origin_ok = match headers.get(header::ORIGIN) {
            None => true,
            Some(origin) => {
                let origin = String::from_utf8_lossy(origin.as_bytes());
                let host = headers
                    .get(header::HOST)
                    .map(|h| String::from_utf8_lossy(h.as_bytes()).to_string())
                    .unwrap_or_default();
                origin.strip_prefix("http://") == Some(host.as_str())
            }
        };
        site_ok && origin_ok
    }
}

/// The header the console's requests carry its token in.
pub const CONSOLE_HEADER: &str = "x-awsemu-console";

impl AllowedHosts {
    /// Whether a `Host` header value may be served.
    pub fn permits(&self, host_header: &str) -> bool {
        let Some(name) = host_name(host_header) else {
            return false;
        };
        if name.parse::<IpAddr>().is_ok() || is_loopback_name(&name) {
            return true;
        }
        self.names.iter().any(|allowed| {
            allowed == "*"
                || *allowed == name
                || allowed
                    .strip_prefix("*.")
                    .is_some_and(|suffix| name.ends_with(&format!(".{suffix}")))
        })
    }
}

/// The host part of a `Host` header: without the port, brackets or a trailing dot, lower-case.
fn host_name(value: &str) -> Option<String> {
    let value = value.trim();
    if let Some(rest) = value.strip_prefix('[') {
        let (ip, tail) = rest.split_once(']')?;
        let port_ok = tail.is_empty()
            || tail
                .strip_prefix(':')
                .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
        return port_ok.then(|| ip.to_ascii_lowercase());
    }
    let name = match value.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        Some(_) => return None,
        None => value,
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
    valid.then_some(name)
}

/// Names that reach this machine only: loopback names, and the names Docker-based emulators
/// are known by, which function processes resolve to the emulator (none of them is a name a
/// web page's origin can have).
fn is_loopback_name(name: &str) -> bool {
    name == "localhost"
        || name.ends_with(".localhost")
        || name == "localhost.localstack.cloud"
        || name.ends_with(".localhost.localstack.cloud")
        || name == "host.docker.internal"
        || name == "localstack"
}

fn refuse(message: String) -> Response {
    tracing::warn!(%message, "refused a request");
    let body = serde_json::json!({
        "__type": "AccessDeniedException",
        "Message": message,
        "message": message,
    });
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = StatusCode::FORBIDDEN;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        "x-amzn-errortype",
        HeaderValue::from_static("AccessDeniedException"),
    );
    response
}

/// Why a request must be refused, if it must.
pub fn check(allowed: &AllowedHosts, headers: &axum::http::HeaderMap) -> Option<String> {
    for host in headers.get_all(header::HOST) {
        let text = String::from_utf8_lossy(host.as_bytes());
        if !allowed.permits(&text) {
            return Some(format!(
                "LocalEmu does not serve requests addressed to host {text:?}. Use localhost or \
                 an IP address, or allow the name with --allowed-hosts (AWSEMU_ALLOWED_HOSTS)."
            ));
        }
    }
    if allowed.console_request(headers) {
        return None;
    }
    if headers.contains_key(header::ORIGIN) {
        return Some(
            "LocalEmu does not serve requests sent by web pages (the request carries an \
             Origin header)."
                .into(),
        );
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        if site.as_bytes() != b"none" {
            return Some(
                "LocalEmu does not serve requests sent by web pages (Sec-Fetch-Site).".into(),
            );
        }
    }
    None
}

/// The middleware form of [`check`], run before every route.
pub async fn guard(
    State(allowed): State<Arc<AllowedHosts>>,
    request: Request,
    next: Next,
) -> Response {
    match check(&allowed, request.headers()) {
        Some(reason) => refuse(reason),
        None => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let none = AllowedHosts::default();
        for ok in [
            "localhost",
            "localhost:4566",
            "LOCALHOST.:4566",
            "127.0.0.1:4566",
            "10.1.2.3",
            "[::1]:4566",
            "[::1]",
            "api.localhost",
            "localhost.localstack.cloud:4566",
            "sqs.us-east-1.localhost.localstack.cloud",
            "host.docker.internal:4566",
            "localstack:4566",
        ] {
            assert!(none.permits(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:4566",
            "localhost.evil.example",
            "localhost:x",
            "",
            "[::1",
            "a b",
            "localstack.cloud",
        ] {
            assert!(!none.permits(bad), "{bad}");
        }
        let some = AllowedHosts::new(&["emu.internal".into(), "*.ci.example".into()]);
        assert!(some.permits("emu.internal:4566"));
        assert!(some.permits("runner-1.ci.example"));
        assert!(!some.permits("ci.example"));
        assert!(AllowedHosts::new(&["*".into()]).permits("anything.example"));
    }

    #[test]
    fn browsers() {
        let allowed = AllowedHosts::default();
        let mut h = axum::http::HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("localhost:4566"));
        assert!(check(&allowed, &h).is_none());
        h.insert("sec-fetch-site", HeaderValue::from_static("none"));
        assert!(check(&allowed, &h).is_none());
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(check(&allowed, &h).is_some());
        h.remove("sec-fetch-site");
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(check(&allowed, &h).is_some());
    }
}
