//! Creating what an init document names, through the services' own operations (so every rule
//! of the API applies), skipping what already exists.

use super::{text_of, zip_code, Document, Place};
use crate::domain::caller::Caller;
use crate::domain::Namespace;
use crate::generated::kms as kg;
use crate::generated::lambda as lg;
use crate::generated::secretsmanager as sg;
use crate::generated::ssm as pg;
use crate::generated::{lambda, secretsmanager as sm, ssm};
use crate::kms::Kms;
use crate::lambda::api::{Api, Call};
use crate::lambda::Lambda;
use crate::secretsmanager::SecretsManager;
use crate::ssm::Ssm;
use std::path::Path;
use std::sync::Arc;

/// What was created and what was found already there.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    pub created: usize,
    pub existing: usize,
}

/// The services an init document is applied to.
pub struct Services<'a> {
    pub secrets: &'a SecretsManager,
    pub lambda: &'a Arc<Lambda>,
    pub kms: &'a Kms,
    pub ssm: &'a Ssm,
    pub default_region: &'a str,
    /// A trial on a scratch emulator: no function is run.
    pub trial: bool,
}

fn caller(place: &Place, default_region: &str) -> Caller {
    Caller::root(Namespace::new(
        place
            .account
            .clone()
            .unwrap_or_else(|| crate::sts::identity::DEFAULT_ACCOUNT.into()),
        place
            .region
            .clone()
            .unwrap_or_else(|| default_region.into()),
    ))
}

/// `entry` named in the message of a failed step.
fn failed(entry: &str, e: impl Into<crate::error::Error<crate::error::Modeled>>) -> String {
    let e = e.into();
    let naming = crate::error::Naming {
        protocol: crate::error::Protocol::Json11,
        internal: None,
    };
    format!("{entry}: {} ({})", e.message, e.name(naming))
}

async fn durable<O>(ack: crate::wire::Ack<O>, entry: &str) -> Result<O, String> {
    if ack.ticket.durable().await {
        Ok(ack.output)
    } else {
        Err(format!("{entry}: the change could not be stored"))
    }
}

/// Applies `doc` (whose relative paths start at `base`).
pub async fn apply(s: &Services<'_>, doc: &Document, base: &Path) -> Result<Applied, String> {
    let mut done = Applied::default();
    for k in &doc.keys {
        let entry = format!("key {}", k.alias);
        let cx = caller(&k.place, s.default_region);
        let found = {
            kg::call::describe_key(
                s.kms,
                &cx,
                kg::DescribeKeyRequest {
                    key_id: Some(k.alias.clone()),
                    ..Default::default()
                },
            )
        };
        if found.is_ok() {
            done.existing += 1;
            continue;
        }
        let created = {
            let request = kg::CreateKeyRequest {
                description: k.description.clone(),
                policy: k.policy.as_ref().map(text_of),
                ..Default::default()
            };
            kg::call::create_key(s.kms, &cx, request).map_err(|e| failed(&entry, e))?
        };
        let key = durable(created, &entry)
            .await?
            .key_metadata
            .and_then(|m| m.key_id)
            .unwrap_or_default();
        let alias = {
            let request = kg::CreateAliasRequest {
                alias_name: Some(k.alias.clone()),
                target_key_id: Some(key),
            };
            kg::call::create_alias(s.kms, &cx, request).map_err(|e| failed(&entry, e))?
        };
        durable(alias, &entry).await?;
        done.created += 1;
    }
    for f in &doc.functions {
        let entry = format!("function {}", f.name);
        let cx = caller(&f.place, s.default_region);
        let call = Call {
            namespace: cx.namespace.clone(),
            caller: cx.clone(),
            request_id: uuid::Uuid::new_v4().to_string(),
        };
        let zip = zip_code(&base.join(&f.code)).map_err(|e| format!("{entry}: {e}"))?;
        let request = lg::CreateFunctionRequest {
            function_name: Some(f.name.clone()),
            runtime: Some(f.runtime.clone()),
            handler: Some(f.handler.clone()),
            role: Some(
                f.role
                    .clone()
                    .unwrap_or_else(|| cx.namespace.global_arn("iam", "role/lambda-role")),
            ),
            timeout: f.timeout,
            memory_size: f.memory_size,
            environment: (!f.environment.is_empty()).then(|| lg::Environment {
                variables: Some(
                    f.environment
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                ),
            }),
            layers: (!f.layers.is_empty()).then(|| f.layers.clone()),
            code: Some(lg::FunctionCode {
                zip_file: Some(zip),
                ..Default::default()
            }),
            ..Default::default()
        };
        match lg::call::create_function(&Api(s.lambda.clone()), &call, request).await {
            Ok(ack) => {
                durable(ack, &entry).await?;
                done.created += 1;
            }
            Err(e) if e.code == lambda::ErrorCode::ResourceConflictException => {
                done.existing += 1;
                continue;
            }
            Err(e) => return Err(failed(&entry, e)),
        }
        for p in &f.permissions {
            let request = lg::AddPermissionRequest {
                function_name: Some(f.name.clone()),
                statement_id: Some(p.statement_id.clone()),
                action: Some(p.action.clone()),
                principal: Some(p.principal.clone()),
                ..Default::default()
            };
            let ack = lg::call::add_permission(&Api(s.lambda.clone()), &call, request)
                .await
                .map_err(|e| failed(&entry, e))?;
            durable(ack, &entry).await?;
        }
    }
    for p in &doc.secrets {
        let entry = format!("secret {}", p.name);
        if secret(s, p, &entry).await? {
            done.created += 1;
        } else {
            done.existing += 1;
        }
    }
    for p in &doc.parameters {
        let entry = format!("parameter {}", p.name);
        let cx = caller(&p.place, s.default_region);
        let request = pg::PutParameterRequest {
            name: Some(p.name.clone()),
            value: Some(p.value.clone()),
            type_: Some(p.type_.clone()),
            key_id: p.key_id.clone(),
            description: p.description.clone(),
            tags: (!p.tags.is_empty()).then(|| {
                p.tags
                    .iter()
                    .map(|(k, v)| pg::Tag {
                        key: Some(k.clone()),
                        value: Some(v.clone()),
                    })
                    .collect()
            }),
            ..Default::default()
        };
        let result = { pg::call::put_parameter(s.ssm, &cx, request) };
        match result {
            Ok(ack) => {
                durable(ack, &entry).await?;
                done.created += 1;
            }
            Err(e) if e.code == ssm::ErrorCode::ParameterAlreadyExists => done.existing += 1,
            Err(e) => return Err(failed(&entry, e)),
        }
    }
    Ok(done)
}

/// Creates one secret with its policy and rotation; false if it was already there.
async fn secret(s: &Services<'_>, p: &super::SecretEntry, entry: &str) -> Result<bool, String> {
    let cx = caller(&p.place, s.default_region);
    let binary = match &p.binary {
        Some(b) => {
            use base64::Engine;
            Some(
                base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .map_err(|_| format!("{entry}: binary is not base64"))?,
            )
        }
        None => None,
    };
    let request = sg::CreateSecretRequest {
        name: Some(p.name.clone()),
        client_request_token: Some(uuid::Uuid::new_v4().to_string()),
        secret_string: p.value.as_ref().map(text_of),
        secret_binary: binary,
        description: p.description.clone(),
        kms_key_id: p.kms_key_id.clone(),
        tags: (!p.tags.is_empty()).then(|| {
            p.tags
                .iter()
                .map(|(k, v)| sg::Tag {
                    key: Some(k.clone()),
                    value: Some(v.clone()),
                })
                .collect()
        }),
        add_replica_regions: (!p.replicas.is_empty()).then(|| {
            p.replicas
                .iter()
                .map(|r| sg::ReplicaRegionType {
                    region: Some(r.clone()),
                    kms_key_id: None,
                })
                .collect()
        }),
        ..Default::default()
    };
    let created = { sg::call::create_secret(s.secrets, &cx, request) };
    let arn = match created {
        Ok(ack) => durable(ack, entry).await?.arn.unwrap_or_default(),
        Err(e) if e.code == sm::ErrorCode::ResourceExistsException => return Ok(false),
        Err(e) => return Err(failed(entry, e)),
    };
    if let Some(policy) = &p.policy {
        let request = sg::PutResourcePolicyRequest {
            secret_id: Some(arn.clone()),
            resource_policy: Some(text_of(policy)),
            ..Default::default()
        };
        let ack = {
            sg::call::put_resource_policy(s.secrets, &cx, request).map_err(|e| failed(entry, e))?
        };
        durable(ack, entry).await?;
    }
    // A trial does not configure rotation: even without RotateImmediately, Secrets Manager
    // runs the function's testSecret step, and user code must not run twice.
    if let Some(r) = p.rotation.as_ref().filter(|_| !s.trial) {
        let function = if r.function.starts_with("arn:") {
            r.function.clone()
        } else {
            crate::domain::arn::function_arn(&cx.namespace, &r.function)
        };
        let request = sg::RotateSecretRequest {
            secret_id: Some(arn),
            client_request_token: Some(uuid::Uuid::new_v4().to_string()),
            rotation_lambda_arn: Some(function),
            rotation_rules: Some(sg::RotationRulesType {
                automatically_after_days: r.automatically_after_days,
                schedule_expression: r.schedule_expression.clone(),
                duration: r.duration.clone(),
            }),
            rotate_immediately: Some(r.rotate_immediately),
            ..Default::default()
        };
        let ack =
            { sg::call::rotate_secret(s.secrets, &cx, request).map_err(|e| failed(entry, e))? };
        durable(ack, entry).await?;
    }
    Ok(true)
}
