//! A small client for LocalEmu's own admin endpoints, used by `awsemu clock`, `rotations`,
//! `reset` and `health`.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;

/// POSTs (or GETs, without a body) `path` on the emulator at `endpoint`; returns the body.
pub async fn call(endpoint: &str, path: &str, body: Option<String>) -> Result<String, String> {
    let uri: hyper::Uri = format!("{}{path}", endpoint.trim_end_matches('/'))
        .parse()
        .map_err(|e| format!("invalid endpoint {endpoint}: {e}"))?;
    let host = uri
        .host()
        .ok_or_else(|| format!("invalid endpoint {endpoint}"))?
        .to_string();
    let port = uri.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| {
            format!(
                "cannot reach LocalEmu at {endpoint}: {e}. Is it running? Start it with \
                 `awsemu start`, or give --endpoint-url (or AWS_ENDPOINT_URL)."
            )
        })?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let method = if body.is_some() { "POST" } else { "GET" };
    let request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", format!("{host}:{port}"))
        .header("content-type", "application/json");
    // Strict mode's admin endpoints want the token `awsemu start --strict` printed.
    let request = match std::env::var("AWSEMU_ADMIN_TOKEN") {
        Ok(token) if !token.is_empty() => request.header("x-awsemu-admin-token", token),
        _ => request,
    };
    let request = request
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let ok = response.status().is_success();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    let text = String::from_utf8_lossy(&bytes).to_string();
    if ok {
        Ok(text)
    } else {
        Err(text)
    }
}

fn json(text: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(text).map_err(|e| format!("unexpected answer from the emulator: {e}"))
}

/// The emulator's time as `2026-01-15T12:00:00Z (1768478400 seconds since 1970-01-01)`,
/// after moving it when `body` asks to.
pub async fn clock(endpoint: &str, body: Option<String>) -> Result<String, String> {
    let answer = json(&call(endpoint, "/_awsemu/clock", body).await?)?;
    let now = answer["now"]
        .as_f64()
        .ok_or_else(|| format!("unexpected answer from the emulator: {answer}"))?;
    let readable = time::OffsetDateTime::from_unix_timestamp(now as i64)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    Ok(format!("{readable} ({now:.0} seconds since 1970-01-01)"))
}

/// Recent rotations (of `secret`, when given). With `wait` = (seconds, version), the answer
/// waits up to that long (at most 60 s) for the rotation of `version` to end, or, without one,
/// for one more rotation than there is now.
pub async fn rotations(
    endpoint: &str,
    secret: Option<&str>,
    wait: Option<(u64, Option<&str>)>,
) -> Result<serde_json::Value, String> {
    use crate::rotations::query_value;
    let base = match secret {
        Some(s) => format!("/_awsemu/rotations?secret={}", query_value(s)),
        None => "/_awsemu/rotations?".to_string(),
    };
    let path = match wait {
        None => base,
        Some((seconds, Some(version))) => format!(
            "{base}&wait={}&version={}",
            seconds.min(60),
            query_value(version)
        ),
        Some((seconds, None)) => {
            let now = json(&call(endpoint, &base, None).await?)?["Rotations"]
                .as_array()
                .map_or(0, Vec::len);
            format!("{base}&wait={}&count={}", seconds.min(60), now + 1)
        }
    };
    json(&call(endpoint, &path, None).await?)
}
