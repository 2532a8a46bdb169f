//! Connections: the authorization of an HTTP API (API key, basic, OAuth client credentials)
//! kept in a Secrets Manager secret that EventBridge creates and owns (`events!connection/...`,
//! OwningService `events`): users can read it, only the connection changes or deletes it.

use super::credentials::auth_of;
use super::model::Connection;
use super::{exists, invalid, limit, not_found, seconds, Events};
use crate::domain::caller::Caller;
use crate::domain::Namespace;
use crate::generated::events::Answer;
use crate::generated::events::Result;
use crate::generated::events::{self as g, handlers as h};
// The connection's secret is changed from inside EventBridge's own operation, which already
// holds the store's gate: Secrets Manager's handlers are called directly (the generated
// `call` entry's guard would take the gate a second time), with requests EventBridge builds.
use crate::generated::secretsmanager::{self as sg, handlers as sh};
use crate::policy::Who;
use crate::wire::{answer, Ack};
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

fn missing(name: &str) -> crate::generated::events::Error {
    not_found(format!(
        "Failed to describe the connection(s). Connection '{name}' does not exist."
    ))
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
        )
        .map_err(crate::generated::events::Error::from_other)?;
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
        )
        .map_err(crate::generated::events::Error::from_other)?;
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
        )
        .map_err(crate::generated::events::Error::from_other)?;
        let now = self.now();
        let c = Connection {
            arn: ns.arn("events", &format!("connection/{name}/{uuid}")),
            name: name.clone(),
            description: i.description,
            auth_type: auth.kind,
            state: state_of(&kind).into(),
            state_reason: None,
            secret_arn: created.output.arn.unwrap_or_default(),
            shown: auth.shown,
            created: now,
            modified: now,
            // AWS shows a LastAuthorizedTime from the start, an OAuth connection's included
            // while it is still AUTHORIZING.
            authorized: Some(now),
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
        let (page, next) = super::page(list, i.next_token.as_deref(), i.limit)?;
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
        )
        .map_err(crate::generated::events::Error::from_other)?;
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
