//! AWS JSON 1.1 for Secrets Manager: `X-Amz-Target` routing and the typed body codec.

use crate::error::{Error, ErrorCode, Result};
use crate::secretsmanager::{Ack, Caller, SecretsManager};
use crate::store::durable::Ticket;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub const TARGET_PREFIX: &str = "secretsmanager.";

/// The 23 operations of the Secrets Manager model.
pub const OPERATIONS: [&str; 23] = [
    "BatchGetSecretValue",
    "CancelRotateSecret",
    "CreateSecret",
    "DeleteResourcePolicy",
    "DeleteSecret",
    "DescribeSecret",
    "GetRandomPassword",
    "GetResourcePolicy",
    "GetSecretValue",
    "ListSecretVersionIds",
    "ListSecrets",
    "PutResourcePolicy",
    "PutSecretValue",
    "RemoveRegionsFromReplication",
    "ReplicateSecretToRegions",
    "RestoreSecret",
    "RotateSecret",
    "StopReplicationToReplica",
    "TagResource",
    "UntagResource",
    "UpdateSecret",
    "UpdateSecretVersionStage",
    "ValidateResourcePolicy",
];

/// The operation named by an `X-Amz-Target` header value.
pub fn operation(target: Option<&str>) -> Result<&'static str> {
    let unknown = || {
        Error::new(
            ErrorCode::UnknownOperationException,
            "The requested operation is not recognized by the service.",
        )
    };
    let name = target
        .and_then(|t| t.strip_prefix(TARGET_PREFIX))
        .ok_or_else(unknown)?;
    OPERATIONS
        .iter()
        .find(|op| **op == name)
        .copied()
        .ok_or_else(unknown)
}

fn decode<I: DeserializeOwned>(body: &[u8]) -> Result<I> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let body = match first {
        None => b"{}".as_slice(),
        // Checked first: serde would otherwise read a JSON array as positional members.
        Some(b'{') => body,
        Some(_) => {
            return Err(match serde_json::from_slice::<serde_json::Value>(body) {
                Ok(_) => Error::serialization("The request body must be a JSON object."),
                Err(e) => Error::serialization(format!("The request body is not valid JSON: {e}")),
            })
        }
    };
    serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            Error::serialization(describe_type_error(&e))
        } else {
            Error::serialization(format!("The request body is not valid JSON: {e}"))
        }
    })
}

/// serde's message names the expected type; AWS's front end reports which member was wrong.
fn describe_type_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let expected = text.split(", expected ").nth(1).unwrap_or("another type");
    format!("A member of the request has the wrong type: expected {expected}.")
}

/// An encoded response body and the ticket to wait on before sending it.
pub type Reply = (Vec<u8>, Ticket);

fn encode<O: Serialize>(output: &O) -> Result<Vec<u8>> {
    serde_json::to_vec(output).map_err(|_| Error::internal())
}

/// Runs an operation that changes nothing durable.
fn call<I, O>(body: &[u8], op: impl FnOnce(I) -> Result<O>) -> Result<Reply>
where
    I: DeserializeOwned,
    O: Serialize,
{
    let output = op(decode(body)?)?;
    Ok((encode(&output)?, Ticket::ready()))
}

/// Runs an operation whose change must be durable before it is acknowledged.
fn call_ack<I, O>(body: &[u8], op: impl FnOnce(I) -> Result<Ack<O>>) -> Result<Reply>
where
    I: DeserializeOwned,
    O: Serialize,
{
    let ack = op(decode(body)?)?;
    Ok((encode(&ack.output)?, ack.ticket))
}

fn not_yet(op: &str) -> Result<Reply> {
    Err(Error::invalid_request(format!(
        "The {op} operation is not supported by LocalEmu yet."
    )))
}

/// Decodes the body for `op`, runs it, and encodes its output.
pub fn dispatch(sm: &SecretsManager, caller: &Caller, op: &str, body: &[u8]) -> Result<Reply> {
    match op {
        "CreateSecret" => call_ack(body, |i| sm.create_secret(caller, i)),
        "DescribeSecret" => call(body, |i| sm.describe_secret(caller, i)),
        "UpdateSecret" => call_ack(body, |i| sm.update_secret(caller, i)),
        "DeleteSecret" => call_ack(body, |i| sm.delete_secret(caller, i)),
        "RestoreSecret" => call_ack(body, |i| sm.restore_secret(caller, i)),
        "GetSecretValue" => call(body, |i| sm.get_secret_value(caller, i)),
        "PutSecretValue" => call_ack(body, |i| sm.put_secret_value(caller, i)),
        "BatchGetSecretValue" => call(body, |i| sm.batch_get_secret_value(caller, i)),
        "ListSecrets" => call(body, |i| sm.list_secrets(caller, i)),
        "ListSecretVersionIds" => call(body, |i| sm.list_secret_version_ids(caller, i)),
        "UpdateSecretVersionStage" => call_ack(body, |i| sm.update_secret_version_stage(caller, i)),
        "TagResource" => call_ack(body, |i| sm.tag_resource(caller, i)),
        "UntagResource" => call_ack(body, |i| sm.untag_resource(caller, i)),
        "GetRandomPassword" => call(body, |i| sm.get_random_password(caller, i)),
        "RotateSecret" => call_ack(body, |i| sm.rotate_secret(caller, i)),
        "CancelRotateSecret" => call_ack(body, |i| sm.cancel_rotate_secret(caller, i)),
        "PutResourcePolicy" => call_ack(body, |i| sm.put_resource_policy(caller, i)),
        "GetResourcePolicy" => call(body, |i| sm.get_resource_policy(caller, i)),
        "DeleteResourcePolicy" => call_ack(body, |i| sm.delete_resource_policy(caller, i)),
        "ValidateResourcePolicy" => call(body, |i| sm.validate_resource_policy(caller, i)),
        "ReplicateSecretToRegions" => call_ack(body, |i| sm.replicate_secret_to_regions(caller, i)),
        "RemoveRegionsFromReplication" => {
            call_ack(body, |i| sm.remove_regions_from_replication(caller, i))
        }
        "StopReplicationToReplica" => call_ack(body, |i| sm.stop_replication_to_replica(caller, i)),
        other => not_yet(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            operation(Some("secretsmanager.ListSecrets")),
            Ok("ListSecrets")
        );
        for bad in [
            None,
            Some("ListSecrets"),
            Some("secretsmanager.Nope"),
            Some("kms.ListKeys"),
        ] {
            assert_eq!(
                operation(bad).unwrap_err().code,
                ErrorCode::UnknownOperationException
            );
        }
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "PascalCase")]
    #[allow(dead_code)]
    struct Probe {
        n: Option<i64>,
    }

    #[test]
    fn bodies() {
        assert!(decode::<Probe>(b"").is_ok());
        assert!(decode::<Probe>(b"{\"N\": null}").is_ok());
        for bad in [&b"{"[..], b"[]", b"5", b"{\"N\": \"x\"}"] {
            let e = decode::<Probe>(bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::SerializationException);
        }
    }
}
