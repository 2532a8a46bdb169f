//! The resource types a stack can hold: for each, how it is created, updated (in place or by
//! replacement) and deleted through the owning service's own operations, and what `Ref` and
//! `Fn::GetAtt` return. Every type LocalEmu does not provide fails with a clear reason.

mod functions;
mod keys;
mod names;
mod parameters;
mod props;
mod rules;
mod secrets;

use crate::domain::caller::Caller;
use crate::generated::cloudformation::Error;
use crate::kms::Kms;
use crate::lambda::Lambda;
use crate::secretsmanager::SecretsManager;
use crate::ssm::Ssm;
use serde_json::{Map, Value};
use std::sync::Arc;

pub use names::{made_since, pending_name, random};
pub use props::{carries_stack_tags, tag_changes, text, with_stack_tags, StackTags};
use props::{document, flag, number, required, tags};

/// The services stacks create resources in.
#[derive(Clone)]
pub struct Services {
    pub secrets: Arc<SecretsManager>,
    pub lambda: Arc<Lambda>,
    pub kms: Arc<Kms>,
    pub ssm: Arc<Ssm>,
    pub events: Arc<crate::events::Events>,
    pub ids: Arc<dyn crate::clock::IdSource>,
}

/// The resource being worked on, and on whose behalf.
pub struct Target<'a> {
    pub services: &'a Services,
    pub caller: Caller,
}

/// A created or updated resource: its physical id and return values.
#[derive(Debug, Clone, Default)]
pub struct Made {
    pub physical: String,
    pub reference: String,
    pub attributes: Map<String, Value>,
}

impl Made {
    fn named(physical: impl Into<String>) -> Made {
        let physical = physical.into();
        Made {
            reference: physical.clone(),
            physical,
            attributes: Map::new(),
        }
    }

    fn with(mut self, attribute: &str, value: impl Into<String>) -> Made {
        self.attributes
            .insert(attribute.into(), Value::String(value.into()));
        self
    }
}

/// Why a resource operation failed.
#[derive(Debug)]
pub enum Fail {
    /// An owning service refused: shown as CloudFormation's resource handlers show it.
    Service(&'static str, crate::error::Error<crate::error::Modeled>),
    /// CloudFormation's own reason (a property missing, a type not provided).
    Plain(String),
}

impl Fail {
    pub fn message(&self) -> String {
        match self {
            Fail::Plain(m) => m.clone(),
            Fail::Service(service, e) => {
                let status = e.status(JSON);
                let handler = match e.name(JSON) {
                    "ResourceNotFoundException" | "NotFoundException" | "ParameterNotFound" => {
                        "NotFound"
                    }
                    "ResourceExistsException"
                    | "AlreadyExistsException"
                    | "ResourceConflictException"
                    | "ParameterAlreadyExists" => "AlreadyExists",
                    "AccessDeniedException" => "AccessDenied",
                    _ if status >= 500 => "ServiceInternalError",
                    _ => "InvalidRequest",
                };
                format!(
                    "Resource handler returned message: \"{} (Service: {service}, Status Code: {status}, Request ID: {})\" (HandlerErrorCode: {handler})",
                    e.message,
                    uuid::Uuid::new_v4()
                )
            }
        }
    }

    /// Whether the resource is not there (a delete of it has nothing to do).
    pub fn not_found(&self) -> bool {
        matches!(self, Fail::Service(_, e) if matches!(
            e.name(JSON),
            "ResourceNotFoundException" | "NotFoundException" | "ParameterNotFound"
        ))
    }
}

/// The owning services' codes as their JSON fronts name them (what CloudFormation's
/// resource handlers quote).
pub(crate) const JSON: crate::error::Naming = crate::error::Naming {
    protocol: crate::error::Protocol::Json11,
    internal: Some("InternalServiceError"),
};

pub type Outcome<T> = Result<T, Fail>;

/// Waits until a service's change is durable. A change that lost a race with another node
/// sharing the database is not: Lambda answers that as it answers concurrent updates.
pub(crate) async fn settle<O>(ack: crate::wire::Ack<O>, service: &'static str) -> Outcome<O> {
    match ack.ticket.settle().await {
        crate::wire::Outcome::Committed => Ok(ack.output),
        crate::wire::Outcome::Conflict => Err(Fail::Service(
            service,
            crate::generated::lambda::Error::new(
                crate::generated::lambda::ErrorCode::ResourceConflictException,
                "The operation cannot be performed at this time. An update is in progress \
                 for resource: the resource was changed by another request.",
            )
            .into(),
        )),
        crate::wire::Outcome::Failed => Err(Fail::Service(service, Error::internal().into())),
    }
}

/// How long a provider's call keeps running again after losing races with another node's
/// writes. No client waits on it, and a resource that fails rolls the whole stack back, so it
/// is more patient than a request's fixed number of attempts: on a loaded machine, a node
/// writing the same secret all the time could otherwise win every one of them.
pub(crate) const LOST_RACE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// Calls one operation of a JSON service in-process, through its model checks, its gate and
/// its handler, and waits for the change to be durable. A call whose write lost a race with
/// another node sharing the database runs again on that node's version, exactly as the same
/// call made by a client does: the stack's user sees one boring success, not a failed resource.
macro_rules! call {
    ($svc:expr, $module:ident, $service:literal, $op:ident, $method:ident, $cx:expr, $req:expr) => {{
        use crate::generated::$module as m;
        use crate::wire::Outcome as Settled;
        let request = $req;
        // The call names its IAM action (the module is the service's IAM prefix), so the
        // owning service authorizes it as it would the same call made directly.
        let caller: &crate::domain::caller::Caller = $cx;
        let caller = caller
            .clone()
            .acting(concat!(stringify!($module), ":", stringify!($op)).to_string());
        let fail =
            |e: m::Error| crate::cloudformation::resources::Fail::Service($service, e.into());
        let mut lost = 0;
        let started = std::time::Instant::now();
        loop {
            let ack = m::call::$method(&**$svc, &caller, request.clone());
            let ack = match ack {
                Ok(ack) => ack,
                Err(e) => break Err(fail(e)),
            };
            match ack.ticket.settle().await {
                Settled::Committed => break Ok(ack.output),
                Settled::Conflict
                    if started.elapsed() < crate::cloudformation::resources::LOST_RACE_PATIENCE =>
                {
                    lost += 1;
                    crate::wire::after_lost_race(lost).await;
                }
                Settled::Conflict | Settled::Failed => break Err(fail(m::Error::internal())),
            }
        }
    }};
}
pub(crate) use call;

/// The types LocalEmu provides.
pub const PROVIDED: [&str; 16] = [
    "AWS::SecretsManager::Secret",
    "AWS::SecretsManager::ResourcePolicy",
    "AWS::SecretsManager::RotationSchedule",
    "AWS::Lambda::Function",
    "AWS::Lambda::Permission",
    "AWS::KMS::Key",
    "AWS::KMS::Alias",
    "AWS::SSM::Parameter",
    "AWS::Events::EventBus",
    "AWS::Events::Rule",
    "AWS::Events::Connection",
    "AWS::Events::ApiDestination",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::CDK::Metadata",
];

fn unsupported(type_: &str) -> Fail {
    Fail::Plain(format!(
        "Resource type {type_} is not supported by LocalEmu. Supported types: {}.",
        PROVIDED.join(", ")
    ))
}

/// Whether changing `old` properties to `new` replaces the resource rather than updating it.
pub fn replaces(type_: &str, old: &Value, new: &Value) -> bool {
    let changed = |name: &str| old.get(name) != new.get(name);
    match type_ {
        "AWS::SecretsManager::Secret" => changed("Name"),
        "AWS::SecretsManager::ResourcePolicy" | "AWS::SecretsManager::RotationSchedule" => {
            changed("SecretId")
        }
        "AWS::Lambda::Function" => changed("FunctionName"),
        "AWS::KMS::Key" => changed("KeySpec") || changed("KeyUsage") || changed("MultiRegion"),
        "AWS::KMS::Alias" => changed("AliasName"),
        "AWS::SSM::Parameter" => changed("Name"),
        "AWS::IAM::Role" => changed("RoleName") || changed("Path"),
        "AWS::Events::Rule" => changed("Name") || changed("EventBusName"),
        "AWS::Events::EventBus" => changed("Name"),
        "AWS::Events::Connection" | "AWS::Events::ApiDestination" => changed("Name"),
        "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" | "AWS::CDK::Metadata" => false,
        // Every property of a Lambda permission needs a new statement.
        _ => true,
    }
}

/// The properties that differ between `old` and `new`.
pub fn changed_properties(old: &Value, new: &Value) -> Vec<String> {
    let empty = Map::new();
    let o = old.as_object().unwrap_or(&empty);
    let n = new.as_object().unwrap_or(&empty);
    let mut out: Vec<String> = o
        .keys()
        .chain(n.keys())
        .filter(|k| o.get(*k) != n.get(*k))
        .cloned()
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Creates a resource of `type_` (`name`: its pending name).
pub async fn create(
    t: &Target<'_>,
    type_: &str,
    props: &Value,
    name: Option<&str>,
) -> Outcome<Made> {
    let name = name.unwrap_or_default();
    match type_ {
        "AWS::SecretsManager::Secret" => secrets::create_secret(t, props, name).await,
        "AWS::SecretsManager::ResourcePolicy" => secrets::put_policy(t, props).await,
        "AWS::SecretsManager::RotationSchedule" => secrets::rotate(t, props, true).await,
        "AWS::Lambda::Function" => functions::create(t, props, name).await,
        "AWS::Lambda::Permission" => functions::permit(t, props, name).await,
        "AWS::KMS::Key" => keys::create_key(t, props).await,
        "AWS::KMS::Alias" => keys::put_alias(t, props, false).await,
        "AWS::SSM::Parameter" => parameters::put(t, props, name, false).await,
        "AWS::Events::EventBus" => rules::create_bus(t, props, name).await,
        "AWS::Events::Rule" => rules::put_rule(t, props, name, None).await,
        "AWS::Events::Connection" => rules::create_connection(t, props, name).await,
        "AWS::Events::ApiDestination" => rules::put_destination(t, props, name, false).await,
        "AWS::IAM::Role" => Ok(role(t, props, name)),
        "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" | "AWS::CDK::Metadata" => {
            Ok(Made::named(name))
        }
        other => Err(unsupported(other)),
    }
}

/// Updates a resource in place.
pub async fn update(
    t: &Target<'_>,
    type_: &str,
    physical: &str,
    old: &Value,
    new: &Value,
) -> Outcome<Made> {
    match type_ {
        "AWS::SecretsManager::Secret" => secrets::update_secret(t, physical, old, new).await,
        "AWS::SecretsManager::ResourcePolicy" => secrets::put_policy(t, new).await,
        "AWS::SecretsManager::RotationSchedule" => {
            let now = flag(new, "RotateImmediatelyOnUpdate").unwrap_or(true);
            secrets::rotate(t, new, now).await
        }
        "AWS::Lambda::Function" => functions::update(t, physical, old, new).await,
        "AWS::KMS::Key" => keys::update_key(t, physical, old, new).await,
        "AWS::KMS::Alias" => keys::put_alias(t, new, true).await,
        "AWS::SSM::Parameter" => parameters::update(t, old, new, physical).await,
        "AWS::Events::EventBus" => rules::update_bus(t, new, physical, old).await,
        "AWS::Events::Rule" => rules::put_rule(t, new, physical, Some(old)).await,
        "AWS::Events::Connection" => rules::update_connection(t, new, physical).await,
        "AWS::Events::ApiDestination" => rules::put_destination(t, new, physical, true).await,
        "AWS::IAM::Role" => Ok(role(t, new, physical)),
        "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" | "AWS::CDK::Metadata" => {
            Ok(Made::named(physical))
        }
        other => Err(unsupported(other)),
    }
}

/// Deletes a resource; one that is already gone counts as deleted.
pub async fn delete(t: &Target<'_>, type_: &str, physical: &str, props: &Value) -> Outcome<()> {
    let result = match type_ {
        "AWS::SecretsManager::Secret" => secrets::delete_secret(t, physical).await,
        "AWS::SecretsManager::ResourcePolicy" => secrets::delete_policy(t, physical).await,
        "AWS::SecretsManager::RotationSchedule" => secrets::cancel_rotation(t, physical).await,
        "AWS::Lambda::Function" => functions::delete(t, physical).await,
        "AWS::Lambda::Permission" => functions::unpermit(t, physical, props).await,
        "AWS::KMS::Key" => keys::delete_key(t, physical, props).await,
        "AWS::KMS::Alias" => keys::delete_alias(t, physical).await,
        "AWS::SSM::Parameter" => parameters::delete(t, physical).await,
        "AWS::Events::EventBus" => rules::delete_bus(t, physical).await,
        "AWS::Events::Rule" => rules::delete_rule(t, physical, props).await,
        "AWS::Events::Connection" => rules::delete_connection(t, physical).await,
        "AWS::Events::ApiDestination" => rules::delete_destination(t, physical).await,
        _ => Ok(()),
    };
    match result {
        Err(f) if f.not_found() => Ok(()),
        other => other,
    }
}

/// IAM is not emulated: a role is a name and an ARN, so that templates that declare one for
/// their functions deploy; its policies are not evaluated.
fn role(t: &Target<'_>, props: &Value, name: &str) -> Made {
    let path = text(props, "Path").unwrap_or_else(|| "/".into());
    let id = random(t.services, 17).to_ascii_uppercase();
    Made::named(name)
        .with(
            "Arn",
            t.caller
                .namespace
                .global_arn("iam", &format!("role{path}{name}")),
        )
        .with("RoleId", format!("AROA{id}"))
}
