//! The names resources go by: those CloudFormation makes up for resources a template does not
//! name, the name chosen before a resource is made, and whether a resource found under that
//! name is the one the stack made.

use super::{call, text, Services, Target};
use serde_json::Value;

/// `n` (at most 16) letters of both cases and digits, as CloudFormation's suffixes are, from
/// the injected id source (so tests can fix them).
pub fn random(services: &Services, n: usize) -> String {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let hex: Vec<u8> = services
        .ids
        .version_id()
        .chars()
        .filter_map(|c| c.to_digit(16))
        .map(|d| d as u8)
        .collect();
    hex.chunks(2)
        .map(|pair| {
            pair.iter()
                .fold(0u8, |acc, d| acc.wrapping_mul(16).wrapping_add(*d))
        })
        .map(|b| ALPHABET[usize::from(b) % ALPHABET.len()] as char)
        .take(n)
        .collect()
}

/// A name CloudFormation makes up for a resource the template does not name:
/// `<stack>-<logical>-<random>`, each part cut so the whole fits in `max` characters.
pub fn generated_name(services: &Services, stack: &str, logical: &str, max: usize) -> String {
    let random = random(services, 12);
    let room = max.saturating_sub(random.len() + 2);
    let stack_part: String = stack.chars().take(room / 2).collect();
    let logical_part: String = logical.chars().take(room - stack_part.len()).collect();
    format!("{stack_part}-{logical_part}-{random}")
}

/// The name a resource will be created under, chosen before it is created (None for types
/// whose identifiers the service assigns).
pub fn pending_name(
    services: &Services,
    type_: &str,
    stack: &str,
    logical: &str,
    props: &Value,
) -> Option<String> {
    match type_ {
        "AWS::SecretsManager::Secret" => Some(
            text(props, "Name").unwrap_or_else(|| format!("{logical}-{}", random(services, 12))),
        ),
        "AWS::Lambda::Function" => Some(
            text(props, "FunctionName")
                .unwrap_or_else(|| generated_name(services, stack, logical, 64)),
        ),
        "AWS::Lambda::Permission" => Some(generated_name(services, stack, logical, 100)),
        "AWS::SSM::Parameter" => Some(
            text(props, "Name").unwrap_or_else(|| generated_name(services, "CFN", logical, 64)),
        ),
        "AWS::KMS::Alias" => text(props, "AliasName"),
        "AWS::Events::EventBus" => text(props, "Name"),
        "AWS::Events::Rule" | "AWS::Events::Connection" | "AWS::Events::ApiDestination" => Some(
            text(props, "Name").unwrap_or_else(|| generated_name(services, stack, logical, 64)),
        ),
        "AWS::IAM::Role" => Some(
            text(props, "RoleName").unwrap_or_else(|| generated_name(services, stack, logical, 64)),
        ),
        "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" | "AWS::CDK::Metadata" => {
            Some(generated_name(services, stack, logical, 128))
        }
        _ => None,
    }
}

/// Whether the resource `name` of `type_` was made at or after `since` (ms): so a create cut
/// short by a restart can tell the resource it made from one the user already had.
pub async fn made_since(
    t: &Target<'_>,
    type_: &str,
    name: &str,
    since: crate::clock::Millis,
) -> bool {
    let after = |seconds: Option<f64>| {
        seconds.is_some_and(|c| (c * 1000.0) as crate::clock::Millis >= since)
    };
    match type_ {
        "AWS::SecretsManager::Secret" => {
            let secrets = &t.services.secrets;
            let request = crate::generated::secretsmanager::DescribeSecretRequest {
                secret_id: Some(name.to_string()),
            };
            call!(
                secrets,
                secretsmanager,
                "SecretsManager",
                DescribeSecret,
                describe_secret,
                &t.caller,
                request
            )
            .is_ok_and(|d| after(d.created_date))
        }
        "AWS::SSM::Parameter" => {
            let ssm = &t.services.ssm;
            let request = crate::generated::ssm::GetParameterRequest {
                name: Some(name.to_string()),
                with_decryption: Some(false),
            };
            call!(
                ssm,
                ssm,
                "Ssm",
                GetParameter,
                get_parameter,
                &t.caller,
                request
            )
            .is_ok_and(|o| {
                o.parameter
                    .is_some_and(|p| p.version == Some(1) && after(p.last_modified_date))
            })
        }
        _ => false,
    }
}
