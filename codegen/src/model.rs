//! Reading an AWS service model (the `service-2.json` format) into what the emitters need.

use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::Path;

pub struct Model {
    pub metadata: Map<String, Value>,
    pub operations: Map<String, Value>,
    pub shapes: Map<String, Value>,
    pub paginators: Map<String, Value>,
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn object(v: &Value, what: &str) -> Result<Map<String, Value>, String> {
    v.get(what)
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| format!("the model has no `{what}` object"))
}

impl Model {
    pub fn load(dir: &Path) -> Result<Model, String> {
        let service = read_json(&dir.join("service-2.json"))?;
        let paginators = match read_json(&dir.join("paginators-1.json")) {
            Ok(p) => object(&p, "pagination")?,
            Err(_) => Map::new(),
        };
        Ok(Model {
            metadata: object(&service, "metadata")?,
            operations: object(&service, "operations")?,
            shapes: object(&service, "shapes")?,
            paginators,
        })
    }

    pub fn shape(&self, name: &str) -> Result<&Value, String> {
        self.shapes
            .get(name)
            .ok_or_else(|| format!("shape {name} is not in the model"))
    }

    pub fn protocol(&self) -> &str {
        self.metadata
            .get("protocol")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn meta(&self, key: &str) -> &str {
        self.metadata.get(key).and_then(Value::as_str).unwrap_or("")
    }

    /// Every shape an operation's input or output reaches, errors excluded.
    pub fn reachable(&self, ops: &[String]) -> Result<BTreeSet<String>, String> {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<String> = Vec::new();
        for op in ops {
            let o = self.op(op)?;
            for side in ["input", "output"] {
                if let Some(s) = o.get(side).and_then(|v| v["shape"].as_str()) {
                    todo.push(s.to_string());
                }
            }
        }
        while let Some(name) = todo.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            let s = self.shape(&name)?;
            for m in members(s) {
                todo.push(m.target.to_string());
            }
            for key in ["member", "key", "value"] {
                if let Some(t) = s.get(key).and_then(|v| v["shape"].as_str()) {
                    todo.push(t.to_string());
                }
            }
        }
        Ok(seen)
    }

    pub fn op(&self, name: &str) -> Result<&Value, String> {
        self.operations
            .get(name)
            .ok_or_else(|| format!("operation {name} is not in the model"))
    }

    pub fn io(&self, op: &str, side: &str) -> Option<String> {
        self.operations
            .get(op)
            .and_then(|o| o.get(side))
            .and_then(|v| v["shape"].as_str())
            .map(str::to_string)
    }
}

/// One member of a structure, with the traits the emitters read.
pub struct Member<'a> {
    pub name: &'a str,
    pub target: &'a str,
    pub required: bool,
    pub location: Option<&'a str>,
    pub location_name: Option<&'a str>,
    pub idempotency_token: bool,
    pub payload: bool,
    /// Set on the member itself rather than its list or map shape (botocore merges the two).
    pub flattened: bool,
}

pub fn members(s: &Value) -> Vec<Member<'_>> {
    let required: Vec<&str> = s["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let payload = s["payload"].as_str();
    s["members"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(name, spec)| Member {
                    name,
                    target: spec["shape"].as_str().unwrap_or(""),
                    required: required.contains(&name.as_str()),
                    location: spec["location"].as_str(),
                    location_name: spec["locationName"].as_str(),
                    idempotency_token: spec["idempotencyToken"].as_bool() == Some(true),
                    payload: payload == Some(name.as_str()),
                    flattened: spec["flattened"].as_bool() == Some(true),
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn kind(s: &Value) -> &str {
    s["type"].as_str().unwrap_or("")
}

/// `RotationLambdaARN` -> `rotation_lambda_arn` (with `sep` `_`) or `rotation-lambda-arn`.
pub fn split_case(name: &str, sep: char) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push(sep);
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The member name AWS's validation messages use: the first letter in lower case.
pub fn message_name(name: &str) -> String {
    let mut c = name.chars();
    c.next().map_or_else(String::new, |f| {
        f.to_ascii_lowercase().to_string() + c.as_str()
    })
}

pub fn field_name(member: &str) -> String {
    let snake = split_case(member, '_');
    match snake.as_str() {
        "type" | "match" | "ref" | "self" | "fn" | "mod" | "use" | "loop" | "move" | "box" => {
            format!("{snake}_")
        }
        _ => snake,
    }
}
