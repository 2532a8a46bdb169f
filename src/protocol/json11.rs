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

/// JSON nested deeper than this is refused before it is parsed; no Secrets Manager request
/// nests more than a few levels.
const MAX_DEPTH: usize = 32;

/// Refuses bodies whose arrays and objects nest deeper than [`MAX_DEPTH`].
fn check_depth(body: &[u8]) -> Result<()> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(Error::serialization(format!(
                        "The request body nests deeper than {MAX_DEPTH} levels."
                    )));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
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
fn call_ack<I, O>(
    sm: &SecretsManager,
    body: &[u8],
    op: impl FnOnce(I) -> Result<Ack<O>>,
) -> Result<Reply>
where
    I: DeserializeOwned,
    O: Serialize,
{
    let input = decode(body)?;
    if !sm.writable() {
        return Err(Error::new(
            ErrorCode::InternalServiceError,
            "LocalEmu cannot write to its database (see its log); changes are refused until \
             it can.",
        ));
    }
    let ack = op(input)?;
    Ok((encode(&ack.output)?, ack.ticket))
}

fn not_yet(op: &str) -> Result<Reply> {
    Err(Error::invalid_request(format!(
        "The {op} operation is not supported by LocalEmu yet."
    )))
}

/// Decodes the body for `op`, runs it, and encodes its output.
pub fn dispatch(sm: &SecretsManager, caller: &Caller, op: &str, body: &[u8]) -> Result<Reply> {
    check_depth(body)?;
    // Every change to memory and its journal entry happen under the gate, so that a failed
    // commit can put memory back to what the disk holds.
    let _gate = sm.gate();
    match op {
        "CreateSecret" => call_ack(sm, body, |i| sm.create_secret(caller, i)),
        "DescribeSecret" => call(body, |i| sm.describe_secret(caller, i)),
        "UpdateSecret" => call_ack(sm, body, |i| sm.update_secret(caller, i)),
        "DeleteSecret" => call_ack(sm, body, |i| sm.delete_secret(caller, i)),
        "RestoreSecret" => call_ack(sm, body, |i| sm.restore_secret(caller, i)),
        "GetSecretValue" => call(body, |i| sm.get_secret_value(caller, i)),
        "PutSecretValue" => call_ack(sm, body, |i| sm.put_secret_value(caller, i)),
        "BatchGetSecretValue" => call(body, |i| sm.batch_get_secret_value(caller, i)),
        "ListSecrets" => call(body, |i| sm.list_secrets(caller, i)),
        "ListSecretVersionIds" => call(body, |i| sm.list_secret_version_ids(caller, i)),
        "UpdateSecretVersionStage" => {
            call_ack(sm, body, |i| sm.update_secret_version_stage(caller, i))
        }
        "TagResource" => call_ack(sm, body, |i| sm.tag_resource(caller, i)),
        "UntagResource" => call_ack(sm, body, |i| sm.untag_resource(caller, i)),
        "GetRandomPassword" => call(body, |i| sm.get_random_password(caller, i)),
        "RotateSecret" => call_ack(sm, body, |i| sm.rotate_secret(caller, i)),
        "CancelRotateSecret" => call_ack(sm, body, |i| sm.cancel_rotate_secret(caller, i)),
        "PutResourcePolicy" => call_ack(sm, body, |i| sm.put_resource_policy(caller, i)),
        "GetResourcePolicy" => call(body, |i| sm.get_resource_policy(caller, i)),
        "DeleteResourcePolicy" => call_ack(sm, body, |i| sm.delete_resource_policy(caller, i)),
        "ValidateResourcePolicy" => call(body, |i| sm.validate_resource_policy(caller, i)),
        "ReplicateSecretToRegions" => {
            call_ack(sm, body, |i| sm.replicate_secret_to_regions(caller, i))
        }
        "RemoveRegionsFromReplication" => {
            call_ack(sm, body, |i| sm.remove_regions_from_replication(caller, i))
        }
        "StopReplicationToReplica" => {
            call_ack(sm, body, |i| sm.stop_replication_to_replica(caller, i))
        }
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

    #[test]
    fn depth() {
        let deep = format!("{{\"N\": {}{}}}", "[".repeat(40), "]".repeat(40));
        assert_eq!(
            check_depth(deep.as_bytes()).unwrap_err().code,
            ErrorCode::SerializationException
        );
        let quoted = format!("{{\"N\": \"{}\\\"\"}}", "[".repeat(100));
        assert!(check_depth(quoted.as_bytes()).is_ok());
        assert!(check_depth(b"{\"A\": [{\"B\": [1]}]}").is_ok());
    }
}
