//! AWS JSON 1.1 for Secrets Manager: `X-Amz-Target` routing and the typed body codec.

use crate::error::{Error, NoService, Result};
use crate::generated::secretsmanager::{self as sm, Operation};
use crate::secretsmanager::{Caller, SecretsManager};
use crate::wire::{Ack, Codec};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// JSON nested deeper than this is refused before it is parsed; no Secrets Manager request
/// nests more than a few levels.
const MAX_DEPTH: usize = 32;

/// Refuses bodies whose arrays and objects nest deeper than [`MAX_DEPTH`].
pub(crate) fn check_depth(body: &[u8]) -> Result<()> {
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

/// serde's message names the expected type; AWS's front end reports which member was wrong.
fn describe_type_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let expected = text.split(", expected ").nth(1).unwrap_or("another type");
    format!("A member of the request has the wrong type: expected {expected}.")
}

/// The JSON 1.1 body codec: SerializationException for bodies that are not JSON objects of
/// the right member types.
pub struct Json11;

impl Codec for Json11 {
    type Code = NoService;

    fn decode<I: DeserializeOwned + Default>(&self, body: &[u8]) -> Result<I> {
        decode(body)
    }

    fn encode<O: Serialize>(&self, output: &O) -> Result<Vec<u8>> {
        // Most answers fit; a page of entries grows it a few times instead of a dozen.
        let mut body = Vec::with_capacity(4096);
        serde_json::to_writer(&mut body, output).map_err(|e| Error::internal().because(e))?;
        Ok(body)
    }

    fn bad_value(&self, member: &str, _: &str) -> Error {
        Error::serialization(format!("The value of {member} is not of its type."))
    }
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

/// Decodes the body for `op`, runs it, and encodes its output.
pub fn dispatch(
    sm: &SecretsManager,
    caller: &Caller,
    op: Operation,
    body: &[u8],
) -> sm::Result<Ack<Vec<u8>>> {
    sm::dispatch(sm, caller, op, &Json11, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Common;

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
            assert_eq!(e.code, Common::Serialization);
        }
    }

    #[test]
    fn depth() {
        let deep = format!("{{\"N\": {}{}}}", "[".repeat(40), "]".repeat(40));
        assert_eq!(
            check_depth(deep.as_bytes()).unwrap_err().code,
            Common::Serialization
        );
        let quoted = format!("{{\"N\": \"{}\\\"\"}}", "[".repeat(100));
        assert!(check_depth(quoted.as_bytes()).is_ok());
        assert!(check_depth(b"{\"A\": [{\"B\": [1]}]}").is_ok());
    }
}
