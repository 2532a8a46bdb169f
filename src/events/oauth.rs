//! OAuth client credentials for connections: the access token fetched from the authorization
//! endpoint (client id and secret as Basic authorization, the connection's OAuth header, query
//! and body parameters), kept until a minute before it expires, fetched again on a 401 or 407.

use super::model::Connection;
use super::Events;
use crate::clock::Millis;
use crate::domain::Namespace;
use base64::Engine;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

/// The longest answer read from an authorization endpoint.
const MAX_TOKEN_ANSWER: usize = 64 * 1024;
/// A token is fetched again when it has less than this left.
const REFRESH_BEFORE: Millis = 60_000;
/// How long a call to an authorization endpoint may take.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// What form and query encoding escapes: all but RFC 3986's unreserved characters.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Name and value pairs.
pub type Pairs = Vec<(String, String)>;

/// Header, query string and body parameters of `params` (HTTP parameters as the connection's
/// secret spells them).
pub fn parts(params: Option<&Value>) -> (Pairs, Pairs, Pairs) {
    let list = |k: &str| -> Pairs {
        params
            .and_then(|p| p.get(k))
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| {
                        Some((
                            i.get("key")?.as_str()?.to_string(),
                            i.get("value")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    (
        list("header_parameters"),
        list("query_string_parameters"),
        list("body_parameters"),
    )
}

/// `a=1&b=2`, percent-encoded.
pub fn form(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, ESCAPED),
                utf8_percent_encode(v, ESCAPED)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `url` with `query` appended.
pub fn with_query(url: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        return url.to_string();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{}", form(query))
}

impl Events {
    /// The connection's access token: the one kept, or (when `fresh`, or it is about to
    /// expire) a new one from the authorization endpoint. The error is the connection's
    /// StateReason.
    pub(super) async fn token(
        &self,
        ns: &Namespace,
        c: &Connection,
        fresh: bool,
    ) -> Result<String, String> {
        let now = self.now();
        if !fresh {
            let kept = self
                .tokens
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(&c.arn)
                .cloned();
            if let Some((token, expires)) = kept {
                if expires - now > REFRESH_BEFORE {
                    return Ok(token);
                }
            }
        }
        let secret = self.credentials(ns, c).map_err(|e| e.message)?;
        let text = |k: &str| {
            secret
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let (mut headers, query, body) = parts(secret.get("oauth_http_parameters"));
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            text("client_id"),
            text("client_secret")
        ));
        headers.push(("authorization".into(), format!("Basic {basic}")));
        let method = text("http_method");
        let url = with_query(&text("authorization_endpoint"), &query);
        let payload = if body.is_empty() || method == "GET" {
            Vec::new()
        } else {
            headers.push((
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ));
            form(&body).into_bytes()
        };
        let sent = tokio::time::timeout(
            TIMEOUT,
            crate::outbound::send(&method, &url, &headers, payload, MAX_TOKEN_ANSWER),
        )
        .await;
        let reply = match sent {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                return Err(format!(
                    "Failed to connect to the authorization endpoint: {e:?}"
                ))
            }
            Err(_) => {
                return Err("The authorization endpoint did not answer within 5 seconds.".into())
            }
        };
        if !(200..300).contains(&reply.status) {
            return Err(format!(
                "The authorization endpoint answered with status {}.",
                reply.status
            ));
        }
        let doc: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
        let Some(token) = doc.get("access_token").and_then(Value::as_str) else {
            return Err("The authorization endpoint's answer has no access_token.".into());
        };
        let lifetime = doc
            .get("expires_in")
            .and_then(Value::as_i64)
            .unwrap_or(3600);
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(
                c.arn.clone(),
                (token.to_string(), now + lifetime.max(0) * 1000),
            );
        Ok(token.to_string())
    }
}
