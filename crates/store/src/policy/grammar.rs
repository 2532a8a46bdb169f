//! Parsing a policy document into the typed model, collecting every grammar error.

use super::{
    Condition, Effect, Negatable, Operator, Policy, Principal, SetQualifier, Statement,
    MAX_POLICY_LEN,
};
use serde_json::{Map, Value};
use std::collections::HashSet;

const VERSIONS: [&str; 2] = ["2012-10-17", "2008-10-17"];
const STATEMENT_KEYS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];
const PRINCIPAL_KINDS: [&str; 4] = ["AWS", "Service", "Federated", "CanonicalUser"];
const OPERATORS: [&str; 29] = [
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
    "ArnEqualsIgnoreCase",
    "NumericLessThanOrEquals",
];

/// What a policy document is attached to, which decides what its statements must say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A resource's policy (a secret's, a key's): each statement names who it applies to.
    Resource,
    /// An identity's policy, a session policy among them: it applies to its holder, so no
    /// statement names a Principal, and each names what it applies to.
    Identity,
}

/// Parses a resource policy; on failure returns every problem found, each naming where.
pub fn parse(text: &str) -> Result<Policy, Vec<String>> {
    parse_as(text, Kind::Resource)
}

/// Parses `text` as a policy of `kind`; on failure returns every problem found.
pub fn parse_as(text: &str, kind: Kind) -> Result<Policy, Vec<String>> {
    let mut errors = Vec::new();
    if text.len() > MAX_POLICY_LEN {
        errors.push(format!(
            "The policy is larger than {MAX_POLICY_LEN} characters."
        ));
    }
    let doc: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return Err(vec![format!("The policy is not valid JSON: {e}.")]),
    };
    let Some(obj) = doc.as_object() else {
        return Err(vec!["The policy must be a JSON object.".into()]);
    };
    for key in obj.keys() {
        if !["Version", "Id", "Statement"].contains(&key.as_str()) {
            errors.push(format!("The policy has an unknown element \"{key}\"."));
        }
    }
    let version = match obj.get("Version") {
        None => "2008-10-17".to_string(),
        Some(Value::String(v)) if VERSIONS.contains(&v.as_str()) => v.clone(),
        Some(v) => {
            errors.push(format!(
                "Version {v} is not supported: use \"2012-10-17\" or \"2008-10-17\"."
            ));
            String::new()
        }
    };
    let id = match obj.get("Id") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.push("Id must be a string.".into());
            None
        }
    };
    let raw: Vec<&Value> = match obj.get("Statement") {
        None => {
            errors.push("The policy has no Statement.".into());
            Vec::new()
        }
        Some(Value::Array(list)) if list.is_empty() => {
            errors.push("Statement must not be empty.".into());
            Vec::new()
        }
        Some(Value::Array(list)) => list.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        Some(_) => {
            errors.push("Statement must be an object or a list of objects.".into());
            Vec::new()
        }
    };
    let mut sids = HashSet::new();
    let mut statements = Vec::new();
    for (i, v) in raw.into_iter().enumerate() {
        let at = format!("Statement {}", i + 1);
        let Some(s) = v.as_object() else {
            errors.push(format!("{at} must be an object."));
            continue;
        };
        if let Some(st) = statement(s, &at, kind, &mut errors) {
            if let Some(sid) = &st.sid {
                if !sids.insert(sid.clone()) {
                    errors.push(format!(
                        "{at}: the Sid \"{sid}\" is used by more than one statement."
                    ));
                }
            }
            statements.push(st);
        }
    }
    if errors.is_empty() {
        Ok(Policy {
            version,
            id,
            statements,
        })
    } else {
        Err(errors)
    }
}

/// A string or a non-empty list of strings.
fn strings(v: &Value, what: &str, errors: &mut Vec<String>) -> Vec<String> {
    let list: Vec<&Value> = match v {
        Value::String(_) => vec![v],
        Value::Array(a) if !a.is_empty() => a.iter().collect(),
        _ => {
            errors.push(format!(
                "{what} must be a string or a non-empty list of strings."
            ));
            return Vec::new();
        }
    };
    list.into_iter()
        .filter_map(|x| match x.as_str() {
            Some(s) if !s.is_empty() => Some(s.to_string()),
            _ => {
                errors.push(format!(
                    "{what} contains a value that is not a non-empty string."
                ));
                None
            }
        })
        .collect()
}

/// Exactly one of `key` and `Not<key>`; `required` says whether neither is an error.
fn one_of<'a>(
    s: &'a Map<String, Value>,
    key: &str,
    at: &str,
    required: bool,
    errors: &mut Vec<String>,
) -> Option<(bool, &'a Value)> {
    let not_key = format!("Not{key}");
    match (s.get(key), s.get(&not_key)) {
        (Some(v), None) => Some((false, v)),
        (None, Some(v)) => Some((true, v)),
        (Some(_), Some(_)) => {
            errors.push(format!("{at} can't have both {key} and {not_key}."));
            None
        }
        (None, None) => {
            if required {
                errors.push(format!("{at} must have {key} or {not_key}."));
            }
            None
        }
    }
}

fn statement(
    s: &Map<String, Value>,
    at: &str,
    kind: Kind,
    errors: &mut Vec<String>,
) -> Option<Statement> {
    let before = errors.len();
    if kind == Kind::Identity && (s.contains_key("Principal") || s.contains_key("NotPrincipal")) {
        errors.push(format!(
            "{at}: a policy of an identity or a session must not specify a principal."
        ));
    }
    for key in s.keys() {
        if !STATEMENT_KEYS.contains(&key.as_str()) {
            errors.push(format!("{at} has an unknown element \"{key}\"."));
        }
    }
    let sid = match s.get("Sid") {
        None => None,
        Some(Value::String(x)) => Some(x.clone()),
        Some(_) => {
            errors.push(format!("{at}: Sid must be a string."));
            None
        }
    };
    let effect = match s.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        Some(other) => {
            errors.push(format!("{at}: Effect \"{other}\" must be Allow or Deny."));
            Effect::Deny
        }
        None => {
            errors.push(format!("{at} must have an Effect of Allow or Deny."));
            Effect::Deny
        }
    };
    let principal =
        one_of(s, "Principal", at, kind == Kind::Resource, errors).map(|(not, v)| Negatable {
            not,
            value: principal(v, at, errors),
        });
    let action = one_of(s, "Action", at, true, errors).map(|(not, v)| {
        let list = strings(v, &format!("{at}: Action"), errors);
        for a in &list {
            if !action_ok(a) {
                errors.push(format!(
                    "{at}: the action \"{a}\" must look like service:Action (wildcards allowed)."
                ));
            }
        }
        Negatable { not, value: list }
    });
    let resource = one_of(s, "Resource", at, kind == Kind::Identity, errors).map(|(not, v)| {
        let list = strings(v, &format!("{at}: Resource"), errors);
        for r in &list {
            if r != "*" && !r.starts_with("arn:") {
                errors.push(format!(
                    "{at}: the resource \"{r}\" must be \"*\" or an ARN."
                ));
            }
        }
        Negatable { not, value: list }
    });
    let conditions = match s.get("Condition") {
        None => Vec::new(),
        Some(c) => conditions(c, at, errors),
    };
    (errors.len() == before).then(|| Statement {
        sid,
        effect,
        principal,
        action: action.unwrap_or(Negatable {
            not: false,
            value: Vec::new(),
        }),
        resource,
        conditions,
    })
}

fn principal(v: &Value, at: &str, errors: &mut Vec<String>) -> Principal {
    match v {
        Value::String(s) if s == "*" => Principal::Anyone,
        Value::Object(map) if !map.is_empty() => {
            let mut out = Vec::new();
            for (kind, values) in map {
                if !PRINCIPAL_KINDS.contains(&kind.as_str()) {
                    errors.push(format!("{at}: the principal type \"{kind}\" must be one of AWS, Service, Federated or CanonicalUser."));
                }
                out.push((
                    kind.clone(),
                    strings(values, &format!("{at}: Principal {kind}"), errors),
                ));
            }
            Principal::Map(out)
        }
        _ => {
            errors.push(format!(
                "{at}: Principal must be \"*\" or an object such as {{\"AWS\": \"...\"}}."
            ));
            Principal::Map(Vec::new())
        }
    }
}

fn action_ok(a: &str) -> bool {
    if a == "*" {
        return true;
    }
    let Some((service, name)) = a.split_once(':') else {
        return false;
    };
    !service.is_empty()
        && service
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'*' || b == b'?')
}

/// Splits `ForAnyValue:StringLikeIfExists` into its parts; None if it is not an operator.
fn operator(name: &str) -> Option<Operator> {
    let (qualifier, rest) = match name.split_once(':') {
        Some(("ForAllValues", r)) => (Some(SetQualifier::ForAllValues), r),
        Some(("ForAnyValue", r)) => (Some(SetQualifier::ForAnyValue), r),
        Some(_) => return None,
        None => (None, name),
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(b) if b != "Null" => (b, true),
        Some(_) => return None,
        None => (rest, false),
    };
    OPERATORS.contains(&base).then(|| Operator {
        base: base.to_string(),
        qualifier,
        if_exists,
    })
}

fn value_ok(base: &str, v: &str) -> bool {
    if base.starts_with("Numeric") {
        v.parse::<f64>().is_ok()
    } else if base.starts_with("Date") {
        v.parse::<i64>().is_ok()
            || time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
                .is_ok()
            || (v.len() == 10 && v.as_bytes()[4] == b'-' && v.as_bytes()[7] == b'-')
    } else if base == "Bool" || base == "Null" {
        v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false")
    } else if base.contains("IpAddress") {
        let ip = v.split('/').next().unwrap_or_default();
        ip.parse::<std::net::IpAddr>().is_ok()
    } else {
        true
    }
}

fn conditions(c: &Value, at: &str, errors: &mut Vec<String>) -> Vec<Condition> {
    let Some(ops) = c.as_object() else {
        errors.push(format!("{at}: Condition must be an object."));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, block) in ops {
        let Some(op) = operator(name) else {
            errors.push(format!("{at}: \"{name}\" is not a condition operator."));
            continue;
        };
        let Some(block) = block.as_object().filter(|b| !b.is_empty()) else {
            errors.push(format!(
                "{at}: the {name} condition must map condition keys to values."
            ));
            continue;
        };
        for (key, raw) in block {
            let items: Vec<&Value> = match raw {
                Value::Array(a) if !a.is_empty() => a.iter().collect(),
                Value::Array(_) => Vec::new(),
                v => vec![v],
            };
            let mut values = Vec::new();
            for item in items {
                let text = match item {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => {
                        errors.push(format!(
                            "{at}: the value of {name} {key} must be a string, number or boolean."
                        ));
                        continue;
                    }
                };
                if !value_ok(&op.base, &text) {
                    errors.push(format!(
                        "{at}: \"{text}\" is not a valid value for the {name} operator."
                    ));
                }
                values.push(text);
            }
            if values.is_empty() {
                errors.push(format!(
                    "{at}: the {name} condition on {key} has no values."
                ));
            }
            out.push(Condition {
                operator: op.clone(),
                key: key.clone(),
                values,
            });
        }
    }
    out
}
