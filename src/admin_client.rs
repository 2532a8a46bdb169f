//! A small client for LocalEmu's own admin endpoints, used by `awsemu clock`.

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
