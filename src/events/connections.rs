//! Connections: the authorization of an HTTP API (API key, basic, OAuth client credentials)
//! kept in a Secrets Manager secret that EventBridge creates and owns (`events!connection/...`,
//! OwningService `events`): users can read it, only the connection changes or deletes it.

use super::model::Connection;
use super::{exists, invalid, limit, not_found, seconds, Events};
use crate::domain::caller::Caller;
use crate::domain::Namespace;
use crate::error::Result;
use crate::generated::events::{self as g, handlers as h};
use crate::generated::secretsmanager::{self as sg, handlers as sh};
use crate::policy::Who;
use crate::wire::{answer, Ack, Answer};
use serde_json::{json, Value};

/// Connections an account keeps in one region (AWS's quota).
const MAX_CONNECTIONS: usize = 100;

/// EventBridge acting on its own behalf in `ns`: the only caller that may change the secrets
/// it owns.
pub fn as_events(ns: &Namespace) -> Caller {
    let mut c = Caller::root(ns.clone());
    c.who = Who::Service("events.amazonaws.com".into());
    c
}

fn missing(name: &str) -> crate::error::Error {
    not_found(format!(
        "Failed to describe the connection(s). Connection '{name}' does not exist."
    ))
}

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
struct Auth {
    kind: String,
    secret: Value,
    shown: g::ConnectionAuthResponseParameters,
}

/// Reads CreateConnection's or UpdateConnection's parameters into the secret's value and the
/// shown parameters; `old` is the secret's value before an update.
fn auth_of(kind: &str, p: &Value, old: Option<&Value>) -> Result<Auth> {
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
                    ("http_method", text(&a, "HttpMethod")),
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

impl Events {
    /// The secret value of `c`, read as EventBridge reads it at dispatch time.
    pub(super) fn credentials(&self, ns: &Namespace, c: &Connection) -> Result<Value> {
        let out = sh::GetSecretValue::get_secret_value(
            &*self.secrets,
            &as_events(ns),
            sg::GetSecretValueRequest {
                secret_id: Some(c.secret_arn.clone()),
                ..Default::default()
            },
        )?;
        Ok(out
            .output
            .secret_string
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or(Value::Null))
    }

    /// The connection `name` (or with ARN `name`).
    pub(super) fn connection(&self, ns: &Namespace, name: &str) -> Option<Connection> {
        let spaces = self.read();
        let space = spaces.get(ns)?;
        space
            .connections
            .values()
            .find(|c| c.name == name || c.arn == name)
            .cloned()
    }

    fn write_secret(
        &self,
        ns: &Namespace,
        arn: &str,
        value: &Value,
    ) -> Result<crate::wire::Ticket> {
        let ack = sh::PutSecretValue::put_secret_value(
            &*self.secrets,
            &as_events(ns),
            sg::PutSecretValueRequest {
                secret_id: Some(arn.to_string()),
                client_request_token: Some(uuid::Uuid::new_v4().to_string()),
                secret_string: Some(value.to_string()),
                ..Default::default()
            },
        )?;
        Ok(ack.ticket)
    }

    /// Sets a connection's state (and when it was authorized) after its OAuth exchange.
    pub(super) fn set_connection_state(
        &self,
        ns: &Namespace,
        name: &str,
        state: &str,
        reason: Option<String>,
    ) {
        let _gate = self.store.gate();
        let now = self.now();
        let mut spaces = self.write();
        if let Some(c) = spaces.get_mut(ns).and_then(|s| s.connections.get_mut(name)) {
            c.state = state.to_string();
            c.state_reason = reason;
            if state == "AUTHORIZED" {
                c.authorized = Some(now);
            }
            let _ = self.save_connection(ns, name, Some(c));
        }
    }

    /// Starts the OAuth exchange of an OAuth connection in the background.
    fn authorize_later(&self, ns: &Namespace, c: &Connection) {
        if c.auth_type != "OAUTH_CLIENT_CREDENTIALS" {
            return;
        }
        let Some(me) = self.me.upgrade() else {
            return;
        };
        let (ns, c) = (ns.clone(), c.clone());
        tokio::spawn(async move {
            match me.token(&ns, &c, true).await {
                Ok(_) => me.set_connection_state(&ns, &c.name, "AUTHORIZED", None),
                Err(e) => me.set_connection_state(&ns, &c.name, "DEAUTHORIZED", Some(e)),
            }
        });
    }
}

fn state_of(kind: &str) -> &'static str {
    if kind == "OAUTH_CLIENT_CREDENTIALS" {
        "AUTHORIZING"
    } else {
        "AUTHORIZED"
    }
}

impl h::CreateConnection for Events {
    fn create_connection(
        &self,
        cx: &Caller,
        i: g::CreateConnectionRequest,
    ) -> Answer<g::CreateConnectionResponse> {
        let name = i.name.unwrap_or_default();
        super::check_name(&name)?;
        let ns = &cx.namespace;
        if self.connection(ns, &name).is_some() {
            return Err(exists(format!("Connection '{name}' already exists.")));
        }
        if self
            .read()
            .get(ns)
            .is_some_and(|s| s.connections.len() >= MAX_CONNECTIONS)
        {
            return Err(limit(
                "The requested resource exceeds the maximum number allowed.",
            ));
        }
        let kind = i.authorization_type.unwrap_or_default();
        let params =
            serde_json::to_value(i.auth_parameters.unwrap_or_default()).unwrap_or(Value::Null);
        let auth = auth_of(&kind, &params, None)?;
        let uuid = self.new_id();
        // The secret first: the connection's record, journaled after it, is durable only if
        // the secret is too.
        let created = sh::CreateSecret::create_secret(
            &*self.secrets,
            &as_events(ns),
            sg::CreateSecretRequest {
                // The secret's name has an id of its own, not the connection's.
                name: Some(format!("events!connection/{name}/{}", self.new_id())),
                client_request_token: Some(uuid::Uuid::new_v4().to_string()),
                secret_string: Some(auth.secret.to_string()),
                kms_key_id: i.kms_key_identifier,
                ..Default::default()
            },
        )?;
        let now = self.now();
        let c = Connection {
            arn: format!(
                "arn:aws:events:{}:{}:connection/{name}/{uuid}",
                ns.region, ns.account
            ),
            name: name.clone(),
            description: i.description,
            auth_type: auth.kind,
            state: state_of(&kind).into(),
            state_reason: None,
            secret_arn: created.output.arn.unwrap_or_default(),
            shown: auth.shown,
            created: now,
            modified: now,
            authorized: (kind != "OAUTH_CLIENT_CREDENTIALS").then_some(now),
        };
        let ticket = self.store_connection(ns, &c);
        self.authorize_later(ns, &c);
        answer(
            g::CreateConnectionResponse {
                connection_arn: Some(c.arn),
                connection_state: Some(c.state),
                creation_time: Some(seconds(c.created)),
                last_modified_time: Some(seconds(c.modified)),
            },
            ticket,
        )
    }
}

impl h::DescribeConnection for Events {
    fn describe_connection(
        &self,
        cx: &Caller,
        i: g::DescribeConnectionRequest,
    ) -> Answer<g::DescribeConnectionResponse> {
        let name = i.name.unwrap_or_default();
        let c = self
            .connection(&cx.namespace, &name)
            .ok_or_else(|| missing(&name))?;
        Ok(Ack::ready(g::DescribeConnectionResponse {
            connection_arn: Some(c.arn),
            name: Some(c.name),
            description: c.description,
            connection_state: Some(c.state),
            state_reason: c.state_reason,
            authorization_type: Some(c.auth_type),
            secret_arn: Some(c.secret_arn),
            auth_parameters: Some(c.shown),
            creation_time: Some(seconds(c.created)),
            last_modified_time: Some(seconds(c.modified)),
            last_authorized_time: c.authorized.map(seconds),
            ..Default::default()
        }))
    }
}

fn summary(c: &Connection) -> g::Connection {
    g::Connection {
        connection_arn: Some(c.arn.clone()),
        name: Some(c.name.clone()),
        connection_state: Some(c.state.clone()),
        state_reason: c.state_reason.clone(),
        authorization_type: Some(c.auth_type.clone()),
        creation_time: Some(seconds(c.created)),
        last_modified_time: Some(seconds(c.modified)),
        last_authorized_time: c.authorized.map(seconds),
    }
}

impl h::ListConnections for Events {
    fn list_connections(
        &self,
        cx: &Caller,
        i: g::ListConnectionsRequest,
    ) -> Answer<g::ListConnectionsResponse> {
        let prefix = i.name_prefix.unwrap_or_default();
        let spaces = self.read();
        let list: Vec<g::Connection> = spaces
            .get(&cx.namespace)
            .map(|s| {
                s.connections
                    .values()
                    .filter(|c| c.name.starts_with(&prefix))
                    .filter(|c| i.connection_state.as_ref().is_none_or(|st| *st == c.state))
                    .map(summary)
                    .collect()
            })
            .unwrap_or_default();
        let (page, next) = super::rules::page(list, i.next_token.as_deref(), i.limit)?;
        Ok(Ack::ready(g::ListConnectionsResponse {
            connections: Some(page),
            next_token: next,
        }))
    }
}

fn changed(c: &Connection) -> g::UpdateConnectionResponse {
    g::UpdateConnectionResponse {
        connection_arn: Some(c.arn.clone()),
        connection_state: Some(c.state.clone()),
        creation_time: Some(seconds(c.created)),
        last_modified_time: Some(seconds(c.modified)),
        last_authorized_time: c.authorized.map(seconds),
    }
}

impl h::UpdateConnection for Events {
    fn update_connection(
        &self,
        cx: &Caller,
        i: g::UpdateConnectionRequest,
    ) -> Answer<g::UpdateConnectionResponse> {
        let name = i.name.unwrap_or_default();
        let ns = &cx.namespace;
        let mut c = self.connection(ns, &name).ok_or_else(|| missing(&name))?;
        let kind = i.authorization_type.unwrap_or_else(|| c.auth_type.clone());
        let old = (kind == c.auth_type)
            .then(|| self.credentials(ns, &c))
            .transpose()?;
        let params =
            serde_json::to_value(i.auth_parameters.unwrap_or_default()).unwrap_or(Value::Null);
        let auth = auth_of(&kind, &params, old.as_ref())?;
        let _secret = self.write_secret(ns, &c.secret_arn, &auth.secret)?;
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&c.arn);
        let now = self.now();
        c.auth_type = auth.kind;
        c.shown = auth.shown;
        if i.description.is_some() {
            c.description = i.description;
        }
        c.modified = now;
        c.state = state_of(&kind).into();
        c.state_reason = None;
        if kind != "OAUTH_CLIENT_CREDENTIALS" {
            c.authorized = Some(now);
        }
        let ticket = self.store_connection(ns, &c);
        self.authorize_later(ns, &c);
        answer(changed(&c), ticket)
    }
}

impl h::DeauthorizeConnection for Events {
    fn deauthorize_connection(
        &self,
        cx: &Caller,
        i: g::DeauthorizeConnectionRequest,
    ) -> Answer<g::DeauthorizeConnectionResponse> {
        let name = i.name.unwrap_or_default();
        let ns = &cx.namespace;
        let mut c = self.connection(ns, &name).ok_or_else(|| missing(&name))?;
        // The authorization goes; what the calls carry (invocation parameters) stays.
        let old = self.credentials(ns, &c)?;
        let kept = json!({ "invocation_http_parameters": old.get("invocation_http_parameters").cloned().unwrap_or(Value::Null) });
        let _secret = self.write_secret(ns, &c.secret_arn, &kept)?;
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&c.arn);
        c.state = "DEAUTHORIZED".into();
        c.modified = self.now();
        let ticket = self.store_connection(ns, &c);
        let r = changed(&c);
        answer(
            g::DeauthorizeConnectionResponse {
                connection_arn: r.connection_arn,
                connection_state: r.connection_state,
                creation_time: r.creation_time,
                last_modified_time: r.last_modified_time,
                last_authorized_time: r.last_authorized_time,
            },
            ticket,
        )
    }
}

impl h::DeleteConnection for Events {
    fn delete_connection(
        &self,
        cx: &Caller,
        i: g::DeleteConnectionRequest,
    ) -> Answer<g::DeleteConnectionResponse> {
        let name = i.name.unwrap_or_default();
        let ns = &cx.namespace;
        let c = self.connection(ns, &name).ok_or_else(|| missing(&name))?;
        if self
            .read()
            .get(ns)
            .is_some_and(|s| s.destinations.values().any(|d| d.connection_arn == c.arn))
        {
            return Err(invalid(format!(
                "Connection '{name}' is used by an api-destination: delete or move those first."
            )));
        }
        let _secret = sh::DeleteSecret::delete_secret(
            &*self.secrets,
            &as_events(ns),
            sg::DeleteSecretRequest {
                secret_id: Some(c.secret_arn.clone()),
                force_delete_without_recovery: Some(true),
                recovery_window_in_days: None,
            },
        )?;
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&c.arn);
        let ticket = self.drop_connection(ns, &name);
        answer(
            g::DeleteConnectionResponse {
                connection_arn: Some(c.arn),
                connection_state: Some("DELETING".into()),
                creation_time: Some(seconds(c.created)),
                last_modified_time: Some(seconds(self.now())),
                last_authorized_time: c.authorized.map(seconds),
            },
            ticket,
        )
    }
}
