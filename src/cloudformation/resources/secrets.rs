//! `AWS::SecretsManager::Secret`, `ResourcePolicy` and `RotationSchedule`, through Secrets
//! Manager's own operations.

use super::{call, document, flag, number, required, tags, text, Fail, Made, Outcome, Target};
use crate::generated::secretsmanager as sg;
use serde_json::Value;

/// Calls a Secrets Manager operation for the resource `t` works on.
macro_rules! sm {
    ($t:expr, $op:ident, $method:ident, $req:expr $(,)?) => {
        call!(
            &$t.services.secrets,
            secretsmanager,
            "SecretsManager",
            $op,
            $method,
            &$t.caller,
            $req
        )
    };
}

fn token() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The value `GenerateSecretString` asks for, made by GetRandomPassword.
async fn generate(t: &Target<'_>, g: &Value) -> Outcome<String> {
    let request = sg::GetRandomPasswordRequest {
        password_length: number(g, "PasswordLength")?,
        exclude_characters: text(g, "ExcludeCharacters"),
        exclude_numbers: flag(g, "ExcludeNumbers"),
        exclude_punctuation: flag(g, "ExcludePunctuation"),
        exclude_uppercase: flag(g, "ExcludeUppercase"),
        exclude_lowercase: flag(g, "ExcludeLowercase"),
        include_space: flag(g, "IncludeSpace"),
        require_each_included_type: flag(g, "RequireEachIncludedType"),
    };
    let out = sm!(t, GetRandomPassword, get_random_password, request)?;
    let password = out.random_password.unwrap_or_default();
    match (
        text(g, "SecretStringTemplate"),
        text(g, "GenerateStringKey"),
    ) {
        (None, None) => Ok(password),
        (Some(template), Some(key)) => {
            let mut doc: serde_json::Map<String, Value> =
                serde_json::from_str(&template).map_err(|_| {
                    Fail::Plain(
                        "Properties validation failed: SecretStringTemplate must be a JSON object."
                            .into(),
                    )
                })?;
            doc.insert(key, Value::String(password));
            Ok(Value::Object(doc).to_string())
        }
        (Some(template), None) => Ok(template),
        (None, Some(_)) => Err(Fail::Plain(
            "Properties validation failed: GenerateStringKey needs a SecretStringTemplate.".into(),
        )),
    }
}

/// The value a secret's properties give it, if any.
async fn value(t: &Target<'_>, props: &Value) -> Outcome<Option<String>> {
    match (text(props, "SecretString"), props.get("GenerateSecretString")) {
        (Some(_), Some(_)) => Err(Fail::Plain(
            "Properties validation failed: specify either SecretString or GenerateSecretString, not both.".into(),
        )),
        (Some(s), None) => Ok(Some(s)),
        (None, Some(g)) => Ok(Some(generate(t, g).await?)),
        (None, None) => Ok(None),
    }
}

fn replicas(props: &Value) -> Vec<sg::ReplicaRegionType> {
    match props.get("ReplicaRegions") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|r| sg::ReplicaRegionType {
                region: text(r, "Region"),
                kms_key_id: text(r, "KmsKeyId"),
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn made(arn: String) -> Made {
    Made::named(arn.clone()).with("Id", arn)
}

pub async fn create_secret(t: &Target<'_>, props: &Value, name: &str) -> Outcome<Made> {
    let secret_string = value(t, props).await?;
    let tag_list = tags(props);
    let replica_list = replicas(props);
    let request = sg::CreateSecretRequest {
        name: Some(name.to_string()),
        client_request_token: Some(token()),
        description: text(props, "Description"),
        kms_key_id: text(props, "KmsKeyId"),
        secret_string,
        tags: (!tag_list.is_empty()).then(|| {
            tag_list
                .into_iter()
                .map(|(k, v)| sg::Tag {
                    key: Some(k),
                    value: Some(v),
                })
                .collect()
        }),
        add_replica_regions: (!replica_list.is_empty()).then_some(replica_list),
        ..Default::default()
    };
    let out = sm!(t, CreateSecret, create_secret, request)?;
    Ok(made(out.arn.unwrap_or_default()))
}

pub async fn update_secret(t: &Target<'_>, arn: &str, old: &Value, new: &Value) -> Outcome<Made> {
    let changed = |k: &str| old.get(k) != new.get(k);
    let value = if changed("SecretString") || changed("GenerateSecretString") {
        value(t, new).await?
    } else {
        None
    };
    if changed("Description") || changed("KmsKeyId") || value.is_some() {
        let request = sg::UpdateSecretRequest {
            secret_id: Some(arn.to_string()),
            client_request_token: Some(token()),
            description: text(new, "Description")
                .or_else(|| changed("Description").then(String::new)),
            kms_key_id: text(new, "KmsKeyId"),
            secret_string: value,
            ..Default::default()
        };
        sm!(t, UpdateSecret, update_secret, request)?;
    }
    if changed("Tags") {
        let (gone, set) = super::tag_changes(old, new);
        if !gone.is_empty() {
            let request = sg::UntagResourceRequest {
                secret_id: Some(arn.to_string()),
                tag_keys: Some(gone),
            };
            sm!(t, UntagResource, untag_resource, request)?;
        }
        if !set.is_empty() {
            let request = sg::TagResourceRequest {
                secret_id: Some(arn.to_string()),
                tags: Some(
                    set.into_iter()
                        .map(|(k, v)| sg::Tag {
                            key: Some(k),
                            value: Some(v),
                        })
                        .collect(),
                ),
            };
            sm!(t, TagResource, tag_resource, request)?;
        }
    }
    if changed("ReplicaRegions") {
        let (before, after) = (replicas(old), replicas(new));
        let gone: Vec<String> = before
            .iter()
            .filter(|r| !after.iter().any(|a| a.region == r.region))
            .filter_map(|r| r.region.clone())
            .collect();
        let added: Vec<sg::ReplicaRegionType> = after
            .into_iter()
            .filter(|a| !before.iter().any(|r| r.region == a.region))
            .collect();
        if !gone.is_empty() {
            let request = sg::RemoveRegionsFromReplicationRequest {
                secret_id: Some(arn.to_string()),
                remove_replica_regions: Some(gone),
            };
            sm!(
                t,
                RemoveRegionsFromReplication,
                remove_regions_from_replication,
                request
            )?;
        }
        if !added.is_empty() {
            let request = sg::ReplicateSecretToRegionsRequest {
                secret_id: Some(arn.to_string()),
                add_replica_regions: Some(added),
                force_overwrite_replica_secret: None,
            };
            sm!(
                t,
                ReplicateSecretToRegions,
                replicate_secret_to_regions,
                request
            )?;
        }
    }
    Ok(made(arn.to_string()))
}

/// A secret deleted by its stack goes at once, without a recovery window (its replicas first).
pub async fn delete_secret(t: &Target<'_>, arn: &str) -> Outcome<()> {
    let described = sm!(
        t,
        DescribeSecret,
        describe_secret,
        sg::DescribeSecretRequest {
            secret_id: Some(arn.to_string()),
        }
    )?;
    let regions: Vec<String> = described
        .replication_status
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| r.region)
        .collect();
    if !regions.is_empty() {
        let request = sg::RemoveRegionsFromReplicationRequest {
            secret_id: Some(arn.to_string()),
            remove_replica_regions: Some(regions),
        };
        sm!(
            t,
            RemoveRegionsFromReplication,
            remove_regions_from_replication,
            request
        )?;
    }
    let request = sg::DeleteSecretRequest {
        secret_id: Some(arn.to_string()),
        force_delete_without_recovery: Some(true),
        recovery_window_in_days: None,
    };
    sm!(t, DeleteSecret, delete_secret, request)?;
    Ok(())
}

pub async fn put_policy(t: &Target<'_>, props: &Value) -> Outcome<Made> {
    let request = sg::PutResourcePolicyRequest {
        secret_id: Some(required(props, "SecretId")?),
        resource_policy: Some(document(props, "ResourcePolicy").ok_or_else(|| {
            Fail::Plain("Properties validation failed for resource: #: required key [ResourcePolicy] not found".into())
        })?),
        block_public_policy: flag(props, "BlockPublicPolicy"),
    };
    let out = sm!(t, PutResourcePolicy, put_resource_policy, request)?;
    Ok(made(out.arn.unwrap_or_default()))
}

pub async fn delete_policy(t: &Target<'_>, arn: &str) -> Outcome<()> {
    sm!(
        t,
        DeleteResourcePolicy,
        delete_resource_policy,
        sg::DeleteResourcePolicyRequest {
            secret_id: Some(arn.to_string()),
        }
    )?;
    Ok(())
}

/// Turns rotation on with the schedule's function and rules; `now`: rotate at once.
pub async fn rotate(t: &Target<'_>, props: &Value, now: bool) -> Outcome<Made> {
    if props.get("HostedRotationLambda").is_some() {
        return Err(Fail::Plain(
            "HostedRotationLambda is not supported by LocalEmu: AWS's hosted rotation functions (and the Serverless Application Repository they come from) are not available locally. Deploy your own rotation function and name it in RotationLambdaARN.".into(),
        ));
    }
    let rules = props
        .get("RotationRules")
        .map(|r| -> Outcome<sg::RotationRulesType> {
            Ok(sg::RotationRulesType {
                automatically_after_days: number(r, "AutomaticallyAfterDays")?,
                schedule_expression: text(r, "ScheduleExpression"),
                duration: text(r, "Duration"),
            })
        });
    let request = sg::RotateSecretRequest {
        secret_id: Some(required(props, "SecretId")?),
        client_request_token: Some(token()),
        rotation_lambda_arn: text(props, "RotationLambdaARN"),
        rotation_rules: rules.transpose()?,
        rotate_immediately: Some(now),
        ..Default::default()
    };
    let out = sm!(t, RotateSecret, rotate_secret, request)?;
    Ok(made(out.arn.unwrap_or_default()))
}

pub async fn cancel_rotation(t: &Target<'_>, arn: &str) -> Outcome<()> {
    sm!(
        t,
        CancelRotateSecret,
        cancel_rotate_secret,
        sg::CancelRotateSecretRequest {
            secret_id: Some(arn.to_string()),
        }
    )?;
    Ok(())
}
