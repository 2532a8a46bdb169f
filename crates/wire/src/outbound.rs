//! HTTP and HTTPS requests LocalEmu makes itself: the client's calls to the emulator and
//! EventBridge's calls to API destinations and OAuth endpoints. One connection per request,
//! answers read up to a bound.

use axum::body::Bytes;
use http_body_util::{BodyExt, Full, Limited};

/// An answer: status, headers and body.
pub struct Reply {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Vec<u8>,
}

/// Why a request got no answer.
#[derive(Debug)]
pub enum Failure {
    /// The URL cannot be used.
    BadUrl,
    /// No connection, a broken one, or an answer larger than allowed.
    Unreachable(String),
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn handshake<S>(stream: S) -> Result<Sender, hyper::Error>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

/// TLS with the system's trusted roots.
async fn tls_connect(
    host: &str,
    stream: tokio::net::TcpStream,
) -> std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name =
        rustls::pki_types::ServerName::try_from(host.to_string()).map_err(std::io::Error::other)?;
    tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(name, stream)
        .await
}

/// The `host[:port]` a request to `url` names in its Host header.
pub fn authority(url: &str) -> Option<String> {
    let uri: hyper::Uri = url.parse().ok()?;
    uri.authority().map(ToString::to_string)
}

/// Sends `method url` with `headers` (a Host header is added) and `body`; reads at most
/// `limit` bytes of the answer.
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
    limit: usize,
) -> Result<Reply, Failure> {
    let uri: hyper::Uri = url.parse().map_err(|_| Failure::BadUrl)?;
    let tls = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(Failure::BadUrl),
    };
    let host = uri.host().ok_or(Failure::BadUrl)?.to_string();
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(path.as_str())
        .header("host", authority(url).unwrap_or_else(|| host.clone()));
    for (k, v) in headers {
        request = request.header(k.as_str(), v.as_str());
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(|_| Failure::BadUrl)?;
    let broken = |e: &dyn std::fmt::Display| Failure::Unreachable(e.to_string());
    let bare = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let stream = tokio::net::TcpStream::connect((bare.as_str(), port))
        .await
        .map_err(|e| broken(&e))?;
    let mut sender = if tls {
        let stream = tls_connect(&bare, stream).await.map_err(|e| broken(&e))?;
        handshake(stream).await
    } else {
        handshake(stream).await
    }
    .map_err(|e| broken(&e))?;
    let response = sender.send_request(request).await.map_err(|e| broken(&e))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = Limited::new(response.into_body(), limit)
        .collect()
        .await
        .map_err(|e| Failure::Unreachable(e.to_string()))?
        .to_bytes()
        .to_vec();
    Ok(Reply {
        status,
        headers,
        body,
    })
}
