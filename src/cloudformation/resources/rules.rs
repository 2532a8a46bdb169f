//! `AWS::Events::Rule` (with its targets), `AWS::Events::Connection` and
//! `AWS::Events::ApiDestination`, through EventBridge's own operations.

use super::{call, required, tags, text, Fail, Made, Outcome, Target};
use crate::generated::events as eg;
use serde_json::Value;

/// Calls an EventBridge operation for the resource `t` works on.
macro_rules! eb {
    ($t:expr, $op:ident, $method:ident, $req:expr $(,)?) => {
        call!(
            &$t.services.events,
            events,
            "EventBridge",
            $op,
            $method,
            &$t.caller,
            $req
        )
    };
}

/// A property read into one of the API's own shapes (CloudFormation spells them the same).
fn shape<T: serde::de::DeserializeOwned>(props: &Value, name: &str) -> Outcome<Option<T>> {
    props
        .get(name)
        .map(|v| {
            serde_json::from_value(v.clone())
                .map_err(|e| Fail::Plain(format!("Properties validation failed: #/{name}: {e}")))
        })
        .transpose()
}

fn pattern(props: &Value) -> Option<String> {
    match props.get("EventPattern")? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn targets(props: &Value) -> Outcome<Vec<eg::Target>> {
    Ok(shape::<Vec<eg::Target>>(props, "Targets")?.unwrap_or_default())
}

fn ids(list: &[eg::Target]) -> Vec<String> {
    list.iter().filter_map(|t| t.id.clone()).collect()
}

/// Puts the rule `name` and its targets (removing targets the properties no longer name).
pub async fn put_rule(
    t: &Target<'_>,
    props: &Value,
    name: &str,
    old: Option<&Value>,
) -> Outcome<Made> {
    let bus = text(props, "EventBusName");
    let request = eg::PutRuleRequest {
        // PutRule takes tags only when it makes the rule; an update retags it below.
        tags: if old.is_none() {
            event_tags(props)
        } else {
            None
        },
        name: Some(name.to_string()),
        schedule_expression: text(props, "ScheduleExpression"),
        event_pattern: pattern(props),
        state: text(props, "State"),
        description: text(props, "Description"),
        role_arn: text(props, "RoleArn"),
        event_bus_name: bus.clone(),
    };
    let out = eb!(t, PutRule, put_rule, request)?;
    if let (Some(old), Some(arn)) = (old, &out.rule_arn) {
        retag(t, arn, old, props).await?;
    }
    let wanted = targets(props)?;
    if let Some(old) = old {
        let keep = ids(&wanted);
        let gone: Vec<String> = ids(&targets(old)?)
            .into_iter()
            .filter(|i| !keep.contains(i))
            .collect();
        if !gone.is_empty() {
            let request = eg::RemoveTargetsRequest {
                rule: Some(name.to_string()),
                event_bus_name: bus.clone(),
                ids: Some(gone),
                force: None,
            };
            eb!(t, RemoveTargets, remove_targets, request)?;
        }
    }
    if !wanted.is_empty() {
        let request = eg::PutTargetsRequest {
            rule: Some(name.to_string()),
            event_bus_name: bus,
            targets: Some(wanted),
        };
        let put = eb!(t, PutTargets, put_targets, request)?;
        if let Some(f) = put.failed_entries.unwrap_or_default().into_iter().next() {
            return Err(Fail::Plain(f.error_message.unwrap_or_default()));
        }
    }
    Ok(Made::named(name).with("Arn", out.rule_arn.unwrap_or_default()))
}

pub async fn delete_rule(t: &Target<'_>, name: &str, props: &Value) -> Outcome<()> {
    let bus = text(props, "EventBusName");
    let current = ids(&targets(props)?);
    if !current.is_empty() {
        let request = eg::RemoveTargetsRequest {
            rule: Some(name.to_string()),
            event_bus_name: bus.clone(),
            ids: Some(current),
            force: None,
        };
        eb!(t, RemoveTargets, remove_targets, request)?;
    }
    let request = eg::DeleteRuleRequest {
        name: Some(name.to_string()),
        event_bus_name: bus,
        force: Some(true),
    };
    eb!(t, DeleteRule, delete_rule, request)?;
    Ok(())
}

fn connection_made(name: &str, arn: String, t: &Target<'_>) -> Outcome<Made> {
    let request = eg::DescribeConnectionRequest {
        name: Some(name.to_string()),
    };
    let d = eg::call::describe_connection(&*t.services.events, &t.caller, request)
        .map_err(|e| Fail::Service("EventBridge", e.into()))?
        .output;
    Ok(Made::named(name)
        .with("Arn", arn)
        .with("SecretArn", d.secret_arn.unwrap_or_default()))
}

pub async fn create_connection(t: &Target<'_>, props: &Value, name: &str) -> Outcome<Made> {
    let request = eg::CreateConnectionRequest {
        name: Some(name.to_string()),
        description: text(props, "Description"),
        authorization_type: Some(required(props, "AuthorizationType")?),
        auth_parameters: shape(props, "AuthParameters")?,
        ..Default::default()
    };
    let out = eb!(t, CreateConnection, create_connection, request)?;
    connection_made(name, out.connection_arn.unwrap_or_default(), t)
}

pub async fn update_connection(t: &Target<'_>, props: &Value, name: &str) -> Outcome<Made> {
    let request = eg::UpdateConnectionRequest {
        name: Some(name.to_string()),
        description: text(props, "Description"),
        authorization_type: text(props, "AuthorizationType"),
        auth_parameters: shape(props, "AuthParameters")?,
        ..Default::default()
    };
    let out = eb!(t, UpdateConnection, update_connection, request)?;
    connection_made(name, out.connection_arn.unwrap_or_default(), t)
}

pub async fn delete_connection(t: &Target<'_>, name: &str) -> Outcome<()> {
    let request = eg::DeleteConnectionRequest {
        name: Some(name.to_string()),
    };
    eb!(t, DeleteConnection, delete_connection, request)?;
    Ok(())
}

fn rate(props: &Value) -> Outcome<Option<i64>> {
    super::number(props, "InvocationRateLimitPerSecond")
}

pub async fn put_destination(
    t: &Target<'_>,
    props: &Value,
    name: &str,
    exists: bool,
) -> Outcome<Made> {
    let arn = if exists {
        let request = eg::UpdateApiDestinationRequest {
            name: Some(name.to_string()),
            description: text(props, "Description"),
            connection_arn: text(props, "ConnectionArn"),
            invocation_endpoint: text(props, "InvocationEndpoint"),
            http_method: text(props, "HttpMethod"),
            invocation_rate_limit_per_second: rate(props)?,
        };
        eb!(t, UpdateApiDestination, update_api_destination, request)?.api_destination_arn
    } else {
        let request = eg::CreateApiDestinationRequest {
            name: Some(name.to_string()),
            description: text(props, "Description"),
            connection_arn: Some(required(props, "ConnectionArn")?),
            invocation_endpoint: Some(required(props, "InvocationEndpoint")?),
            http_method: Some(required(props, "HttpMethod")?),
            invocation_rate_limit_per_second: rate(props)?,
        };
        eb!(t, CreateApiDestination, create_api_destination, request)?.api_destination_arn
    };
    Ok(Made::named(name).with("Arn", arn.unwrap_or_default()))
}

pub async fn delete_destination(t: &Target<'_>, name: &str) -> Outcome<()> {
    let request = eg::DeleteApiDestinationRequest {
        name: Some(name.to_string()),
    };
    eb!(t, DeleteApiDestination, delete_api_destination, request)?;
    Ok(())
}

/// `AWS::Events::EventBus`: a custom bus; `Ref` is its name, `Arn` and `Name` its attributes.
pub async fn create_bus(t: &Target<'_>, props: &Value, name: &str) -> Outcome<Made> {
    let tags = event_tags(props);
    let request = eg::CreateEventBusRequest {
        name: Some(name.to_string()),
        description: text(props, "Description"),
        tags,
        ..Default::default()
    };
    let out = eb!(t, CreateEventBus, create_event_bus, request)?;
    Ok(Made::named(name)
        .with("Arn", out.event_bus_arn.unwrap_or_default())
        .with("Name", name.to_string()))
}

/// A resource's `Tags` (Key/Value pairs) as EventBridge takes them.
fn event_tags(props: &Value) -> Option<Vec<eg::Tag>> {
    let list = tags(props);
    (!list.is_empty()).then(|| {
        list.into_iter()
            .map(|(k, v)| eg::Tag {
                key: Some(k),
                value: Some(v),
            })
            .collect()
    })
}

/// Brings the tags of the rule or bus `arn` from `old`'s to `new`'s.
async fn retag(t: &Target<'_>, arn: &str, old: &Value, new: &Value) -> Outcome<()> {
    let (gone, set) = super::tag_changes(old, new);
    if !gone.is_empty() {
        let request = eg::UntagResourceRequest {
            resource_arn: Some(arn.to_string()),
            tag_keys: Some(gone),
        };
        eb!(t, UntagResource, untag_resource, request)?;
    }
    let set: Vec<eg::Tag> = set
        .into_iter()
        .map(|(k, v)| eg::Tag {
            key: Some(k),
            value: Some(v),
        })
        .collect();
    if !set.is_empty() {
        let request = eg::TagResourceRequest {
            resource_arn: Some(arn.to_string()),
            tags: Some(set),
        };
        eb!(t, TagResource, tag_resource, request)?;
    }
    Ok(())
}

pub async fn update_bus(t: &Target<'_>, props: &Value, name: &str, old: &Value) -> Outcome<Made> {
    let request = eg::UpdateEventBusRequest {
        name: Some(name.to_string()),
        description: text(props, "Description"),
        ..Default::default()
    };
    let out = eb!(t, UpdateEventBus, update_event_bus, request)?;
    if let Some(arn) = &out.arn {
        retag(t, arn, old, props).await?;
    }
    Ok(Made::named(name)
        .with("Arn", out.arn.unwrap_or_default())
        .with("Name", name.to_string()))
}

pub async fn delete_bus(t: &Target<'_>, name: &str) -> Outcome<()> {
    let request = eg::DeleteEventBusRequest {
        name: Some(name.to_string()),
    };
    eb!(t, DeleteEventBus, delete_event_bus, request)?;
    Ok(())
}
