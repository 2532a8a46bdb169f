//! What a connection's secret holds, and how: the authorization (API key, basic, OAuth client
//! credentials) and the HTTP parameters in the spelling EventBridge's secrets use, read from
//! CreateConnection's and UpdateConnection's parameters; and the part DescribeConnection shows.

use super::invalid;
use crate::generated::events as g;
use crate::generated::events::Result;
use serde_json::{json, Value};

/// HTTP parameters as DescribeConnection shows them: secret values left out.
fn shown_http(p: Option<&g::ConnectionHttpParameters>) -> Option<g::ConnectionHttpParameters> {
    let p = p?;
    let hide = |secret: Option<bool>, v: &Option<String>| {
        if secret == Some(true) {
            None
        } else {
            v.clone()
        }
    };
    Some(g::ConnectionHttpParameters {
        header_parameters: p.header_parameters.as_ref().map(|l| {
            l.iter()
                .map(|x| g::ConnectionHeaderParameter {
                    key: x.key.clone(),
                    value: hide(x.is_value_secret, &x.value),
                    is_value_secret: x.is_value_secret,
                })
                .collect()
        }),
        query_string_parameters: p.query_string_parameters.as_ref().map(|l| {
            l.iter()
                .map(|x| g::ConnectionQueryStringParameter {
                    key: x.key.clone(),
                    value: hide(x.is_value_secret, &x.value),
                    is_value_secret: x.is_value_secret,
                })
                .collect()
        }),
        body_parameters: p.body_parameters.as_ref().map(|l| {
            l.iter()
                .map(|x| g::ConnectionBodyParameter {
                    key: x.key.clone(),
                    value: hide(x.is_value_secret, &x.value),
                    is_value_secret: x.is_value_secret,
                })
                .collect()
        }),
    })
}

/// The secret's spelling of HTTP parameters: `{"header_parameters": [{"key", "value",
/// "is_value_secret"}], "query_string_parameters": [...], "body_parameters": [...]}`, from the
/// API's (`HeaderParameters`, `Key`, ...).
fn to_secret(api: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for (from, to) in [
        ("HeaderParameters", "header_parameters"),
        ("QueryStringParameters", "query_string_parameters"),
        ("BodyParameters", "body_parameters"),
    ] {
        if let Some(Value::Array(items)) = api.get(from) {
            let list: Vec<Value> = items
                .iter()
                .map(|i| {
                    json!({
                        "key": i.get("Key").cloned().unwrap_or(Value::Null),
                        "value": i.get("Value").cloned().unwrap_or(Value::Null),
                        "is_value_secret": i.get("IsValueSecret").and_then(Value::as_bool).unwrap_or(false),
                    })
                })
                .collect();
            out.insert(to.into(), Value::Array(list));
        }
    }
    Value::Object(out)
}

/// One stored HTTP parameter: key, value, whether the value is secret.
type Param = (Option<String>, Option<String>, Option<bool>);

/// The API's spelling of HTTP parameters the secret holds (see [`to_secret`]).
fn from_secret(stored: Option<&Value>) -> Option<g::ConnectionHttpParameters> {
    let stored = stored?;
    let list = |k: &str| -> Option<Vec<Param>> {
        stored.get(k).and_then(Value::as_array).map(|items| {
            items
                .iter()
                .map(|i| {
                    (
                        i.get("key").and_then(Value::as_str).map(str::to_string),
                        i.get("value").and_then(Value::as_str).map(str::to_string),
                        i.get("is_value_secret").and_then(Value::as_bool),
                    )
                })
                .collect()
        })
    };
    Some(g::ConnectionHttpParameters {
        header_parameters: list("header_parameters").map(|l| {
            l.into_iter()
                .map(
                    |(key, value, is_value_secret)| g::ConnectionHeaderParameter {
                        key,
                        value,
                        is_value_secret,
                    },
                )
                .collect()
        }),
        query_string_parameters: list("query_string_parameters").map(|l| {
            l.into_iter()
                .map(
                    |(key, value, is_value_secret)| g::ConnectionQueryStringParameter {
                        key,
                        value,
                        is_value_secret,
                    },
                )
                .collect()
        }),
        body_parameters: list("body_parameters").map(|l| {
            l.into_iter()
                .map(|(key, value, is_value_secret)| g::ConnectionBodyParameter {
                    key,
                    value,
                    is_value_secret,
                })
                .collect()
        }),
    })
}

/// The authorization an API destination call uses, as the connection's secret holds it.
pub(super) struct Auth {
    pub kind: String,
    pub secret: Value,
    pub shown: g::ConnectionAuthResponseParameters,
}

/// Reads CreateConnection's or UpdateConnection's parameters into the secret's value and the
/// shown parameters; `old` is the secret's value before an update.
pub(super) fn auth_of(kind: &str, p: &Value, old: Option<&Value>) -> Result<Auth> {
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let mut secret = old.cloned().unwrap_or_else(|| json!({}));
    let merge = |secret: &mut Value, pairs: &[(&str, Option<String>)]| {
        for (k, v) in pairs {
            if let Some(v) = v {
                secret[*k] = Value::String(v.clone());
            }
        }
    };
    if let Some(i) = p.get("InvocationHttpParameters") {
        secret["invocation_http_parameters"] = to_secret(i);
    }
    let invocation_params = from_secret(secret.get("invocation_http_parameters"));
    let mut shown = g::ConnectionAuthResponseParameters {
        invocation_http_parameters: shown_http(invocation_params.as_ref()),
        ..Default::default()
    };
    match kind {
        "API_KEY" => {
            let a = p
                .get("ApiKeyAuthParameters")
                .cloned()
                .unwrap_or(Value::Null);
            merge(
                &mut secret,
                &[
                    ("api_key_name", text(&a, "ApiKeyName")),
                    ("api_key_value", text(&a, "ApiKeyValue")),
                ],
            );
            if text(&secret, "api_key_name").is_none() || text(&secret, "api_key_value").is_none() {
                return Err(invalid(
                    "ApiKeyAuthParameters must specify ApiKeyName and ApiKeyValue.",
                ));
            }
            shown.api_key_auth_parameters = Some(g::ConnectionApiKeyAuthResponseParameters {
                api_key_name: text(&secret, "api_key_name"),
            });
        }
        "BASIC" => {
            let a = p.get("BasicAuthParameters").cloned().unwrap_or(Value::Null);
            merge(
                &mut secret,
                &[
                    ("username", text(&a, "Username")),
                    ("password", text(&a, "Password")),
                ],
            );
            if text(&secret, "username").is_none() || text(&secret, "password").is_none() {
                return Err(invalid(
                    "BasicAuthParameters must specify Username and Password.",
                ));
            }
            shown.basic_auth_parameters = Some(g::ConnectionBasicAuthResponseParameters {
                username: text(&secret, "username"),
            });
        }
        "OAUTH_CLIENT_CREDENTIALS" => {
            let a = p.get("OAuthParameters").cloned().unwrap_or(Value::Null);
            let client = a.get("ClientParameters").cloned().unwrap_or(Value::Null);
            merge(
                &mut secret,
                &[
                    ("client_id", text(&client, "ClientID")),
                    ("client_secret", text(&client, "ClientSecret")),
                    ("authorization_endpoint", text(&a, "AuthorizationEndpoint")),
                    // Taken in any case, kept (and shown) as the method's name.
                    (
                        "http_method",
                        text(&a, "HttpMethod").map(|m| m.to_ascii_uppercase()),
                    ),
                ],
            );
            if let Some(o) = a.get("OAuthHttpParameters") {
                secret["oauth_http_parameters"] = to_secret(o);
            }
            for k in [
                "client_id",
                "client_secret",
                "authorization_endpoint",
                "http_method",
            ] {
                if text(&secret, k).is_none() {
                    return Err(invalid("OAuthParameters must specify ClientParameters (ClientID, ClientSecret), AuthorizationEndpoint and HttpMethod."));
                }
            }
            let endpoint = text(&secret, "authorization_endpoint").unwrap_or_default();
            if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
                return Err(invalid(
                    "AuthorizationEndpoint must be an http or https URL.",
                ));
            }
            let oauth_http = from_secret(secret.get("oauth_http_parameters"));
            shown.o_auth_parameters = Some(g::ConnectionOAuthResponseParameters {
                client_parameters: Some(g::ConnectionOAuthClientResponseParameters {
                    client_id: text(&secret, "client_id"),
                }),
                authorization_endpoint: Some(endpoint),
                http_method: text(&secret, "http_method"),
                o_auth_http_parameters: shown_http(oauth_http.as_ref()),
            });
        }
        other => return Err(invalid(format!("AuthorizationType {other} is not valid."))),
    }
    Ok(Auth {
        kind: kind.to_string(),
        secret,
        shown,
    })
}
