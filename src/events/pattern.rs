//! EventBridge's event-pattern grammar: checking a pattern when a rule is put (AWS's
//! InvalidEventPatternException reasons) and matching events against it. Pure.

use serde_json::{Map, Value};

/// Nesting deeper than this is refused (a hostile pattern).
const MAX_DEPTH: usize = 32;
/// AWS's size quota for a pattern, in characters.
pub const MAX_PATTERN: usize = 4096;

fn invalid(reason: impl Into<String>) -> String {
    format!("Event pattern is not valid. Reason: {}", reason.into())
}

/// A parsed and checked pattern.
#[derive(Debug, Clone)]
pub struct Pattern(Map<String, Value>);

impl Pattern {
    /// Parses and checks `text`; the error is AWS's InvalidEventPatternException message.
    pub fn parse(text: &str) -> Result<Pattern, String> {
        if text.chars().count() > MAX_PATTERN {
            return Err(invalid(format!(
                "Pattern is longer than {MAX_PATTERN} characters"
            )));
        }
        let v: Value = serde_json::from_str(text)
            .map_err(|e| invalid(format!("Filter is not valid JSON: {e}")))?;
        let Value::Object(m) = v else {
            return Err(invalid("Filter is not an object"));
        };
        check_object(&m, 0)?;
        Ok(Pattern(m))
    }

    /// Whether `event` (a whole event, as delivered) matches.
    pub fn matches(&self, event: &Value) -> bool {
        object_matches(&self.0, event)
    }
}

fn check_object(m: &Map<String, Value>, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(invalid("Filter nests too deeply"));
    }
    for (k, v) in m {
        if k == "$or" {
            let Value::Array(alternatives) = v else {
                return Err(invalid("$or must be an array of objects"));
            };
            if alternatives.len() < 2 {
                return Err(invalid("$or must have at least 2 elements"));
            }
            for a in alternatives {
                let Value::Object(am) = a else {
                    return Err(invalid("$or must be an array of objects"));
                };
                check_object(am, depth + 1)?;
            }
            continue;
        }
        match v {
            Value::Object(inner) => check_object(inner, depth + 1)?,
            Value::Array(matchers) => {
                if matchers.is_empty() {
                    return Err(invalid(format!("Empty arrays are not allowed: \"{k}\"")));
                }
                for m in matchers {
                    check_matcher(m)?;
                }
            }
            _ => return Err(invalid(format!("\"{k}\" must be an object or an array"))),
        }
    }
    Ok(())
}

fn check_matcher(matcher: &Value) -> Result<(), String> {
    let Value::Object(obj) = matcher else {
        return match matcher {
            Value::Array(_) => Err(invalid(
                "Match value must be String, number, true, false, or null",
            )),
            _ => Ok(()),
        };
    };
    if obj.len() != 1 {
        return Err(invalid("Each matcher must have exactly one key"));
    }
    let (kind, arg) = obj
        .iter()
        .next()
        .map_or(("", &Value::Null), |(k, v)| (k.as_str(), v));
    match kind {
        "prefix" | "suffix" => match arg {
            Value::String(_) => Ok(()),
            Value::Object(i)
                if i.len() == 1 && i.get("equals-ignore-case").is_some_and(Value::is_string) =>
            {
                Ok(())
            }
            _ => Err(invalid(format!("{kind} match pattern must be a string"))),
        },
        "equals-ignore-case" => arg
            .is_string()
            .then_some(())
            .ok_or_else(|| invalid("equals-ignore-case match pattern must be a string")),
        "wildcard" => match arg {
            Value::String(s) if !s.contains("**") => Ok(()),
            Value::String(_) => Err(invalid("Consecutive wildcard characters at pos")),
            _ => Err(invalid("wildcard match pattern must be a string")),
        },
        "exists" => arg
            .is_boolean()
            .then_some(())
            .ok_or_else(|| invalid("exists match pattern must be either true or false.")),
        "cidr" => match arg.as_str().and_then(parse_cidr) {
            Some(_) => Ok(()),
            None => Err(invalid("Malformed CIDR")),
        },
        "numeric" => {
            let Value::Array(parts) = arg else {
                return Err(invalid("Value of numeric must be an array."));
            };
            numeric_ranges(parts).map(|_| ())
        }
        "anything-but" => match arg {
            Value::String(_) | Value::Number(_) => Ok(()),
            Value::Array(items)
                if !items.is_empty() && items.iter().all(|i| i.is_string() || i.is_number()) =>
            {
                Ok(())
            }
            Value::Object(i) if i.len() == 1 => {
                let (ik, iv) = i
                    .iter()
                    .next()
                    .map_or(("", &Value::Null), |(k, v)| (k.as_str(), v));
                match ik {
                    "prefix" | "suffix" | "wildcard" if iv.is_string() => Ok(()),
                    "equals-ignore-case"
                        if iv.is_string()
                            || iv
                                .as_array()
                                .is_some_and(|a| a.iter().all(Value::is_string)) =>
                    {
                        Ok(())
                    }
                    _ => Err(invalid(format!("Unsupported anything-but pattern: {ik}"))),
                }
            }
            _ => Err(invalid(
                "Value of anything-but must be an array or single string/number value.",
            )),
        },
        other => Err(invalid(format!("Unrecognized match type {other}"))),
    }
}

/// `[">", 0, "<=", 5]` as (operator, bound) pairs.
fn numeric_ranges(parts: &[Value]) -> Result<Vec<(String, f64)>, String> {
    if parts.is_empty() || !parts.len().is_multiple_of(2) || parts.len() > 4 {
        return Err(invalid(
            "Value of numeric must be an array of 2 or 4 elements.",
        ));
    }
    let mut out = Vec::new();
    for pair in parts.chunks(2) {
        let op = pair[0].as_str().unwrap_or_default();
        if !matches!(op, "<" | "<=" | "=" | ">" | ">=") {
            return Err(invalid(format!(
                "Unrecognized numeric range operator: {op}"
            )));
        }
        let Some(n) = pair[1].as_f64() else {
            return Err(invalid("Value of numeric must be a number."));
        };
        out.push((op.to_string(), n));
    }
    Ok(out)
}

fn parse_cidr(text: &str) -> Option<(std::net::IpAddr, u8)> {
    let (ip, bits) = text.split_once('/')?;
    let ip: std::net::IpAddr = ip.parse().ok()?;
    let bits: u8 = bits.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((ip, bits))
}

fn in_cidr(value: &str, cidr: &str) -> bool {
    let (Some((net, bits)), Ok(ip)) = (parse_cidr(cidr), value.parse::<std::net::IpAddr>()) else {
        return false;
    };
    let (a, b, width): (u128, u128, u32) = match (net, ip) {
        (std::net::IpAddr::V4(n), std::net::IpAddr::V4(i)) => {
            (u32::from(n).into(), u32::from(i).into(), 32)
        }
        (std::net::IpAddr::V6(n), std::net::IpAddr::V6(i)) => (n.into(), i.into(), 128),
        _ => return false,
    };
    let shift = width - u32::from(bits);
    if shift >= 128 {
        return true;
    }
    (a >> shift) == (b >> shift)
}

fn object_matches(pattern: &Map<String, Value>, event: &Value) -> bool {
    pattern.iter().all(|(k, p)| {
        if k == "$or" {
            return p.as_array().is_some_and(|alts| {
                alts.iter()
                    .any(|a| a.as_object().is_some_and(|am| object_matches(am, event)))
            });
        }
        let field = event.get(k);
        match p {
            Value::Object(inner) => field.is_some_and(|f| object_matches(inner, f)),
            Value::Array(matchers) => field_matches(matchers, field),
            _ => false,
        }
    })
}

/// A field matches when any matcher matches it (or, for an array, any of its elements).
fn field_matches(matchers: &[Value], field: Option<&Value>) -> bool {
    matchers.iter().any(|m| {
        if let Some(e) = m.get("exists").and_then(Value::as_bool) {
            let present = field.is_some_and(|f| {
                !matches!(f, Value::Object(_)) && !f.as_array().is_some_and(Vec::is_empty)
            });
            return e == present;
        }
        match field {
            None => false,
            Some(Value::Array(items)) => items.iter().any(|i| one(m, i)),
            Some(v) => one(m, v),
        }
    })
}

fn numbers_equal(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-9,
        _ => false,
    }
}

fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.len() >= part.len() && rest.ends_with(part);
        } else if let Some(pos) = rest.find(part) {
            rest = &rest[pos + part.len()..];
        } else {
            return false;
        }
    }
    true
}

fn text_rule(kind: &str, arg: &Value, s: &str) -> bool {
    match (kind, arg) {
        ("prefix", Value::String(p)) => s.starts_with(p.as_str()),
        ("suffix", Value::String(p)) => s.ends_with(p.as_str()),
        ("prefix", Value::Object(o)) => o
            .get("equals-ignore-case")
            .and_then(Value::as_str)
            .is_some_and(|p| s.to_lowercase().starts_with(&p.to_lowercase())),
        ("suffix", Value::Object(o)) => o
            .get("equals-ignore-case")
            .and_then(Value::as_str)
            .is_some_and(|p| s.to_lowercase().ends_with(&p.to_lowercase())),
        ("equals-ignore-case", Value::String(p)) => {
            s.eq_ignore_ascii_case(p) || s.to_lowercase() == p.to_lowercase()
        }
        ("wildcard", Value::String(p)) => wildcard(p, s),
        _ => false,
    }
}

/// One matcher against one (non-array) value.
fn one(matcher: &Value, value: &Value) -> bool {
    match matcher {
        Value::Object(obj) => {
            let Some((k, arg)) = obj.iter().next() else {
                return false;
            };
            match k.as_str() {
                "prefix" | "suffix" | "equals-ignore-case" | "wildcard" => {
                    value.as_str().is_some_and(|s| text_rule(k, arg, s))
                }
                "cidr" => value
                    .as_str()
                    .zip(arg.as_str())
                    .is_some_and(|(s, c)| in_cidr(s, c)),
                "numeric" => {
                    let (Some(n), Some(parts)) = (value.as_f64(), arg.as_array()) else {
                        return false;
                    };
                    numeric_ranges(parts).is_ok_and(|ranges| {
                        ranges.iter().all(|(op, b)| match op.as_str() {
                            "<" => n < *b,
                            "<=" => n <= *b,
                            "=" => (n - b).abs() < 1e-9,
                            ">" => n > *b,
                            _ => n >= *b,
                        })
                    })
                }
                "anything-but" => match arg {
                    Value::Array(items) => !items.iter().any(|i| equal(i, value)),
                    Value::Object(inner) => {
                        let Some((ik, iv)) = inner.iter().next() else {
                            return false;
                        };
                        let Some(s) = value.as_str() else {
                            return true;
                        };
                        match (ik.as_str(), iv) {
                            ("equals-ignore-case", Value::Array(list)) => !list
                                .iter()
                                .filter_map(Value::as_str)
                                .any(|x| x.to_lowercase() == s.to_lowercase()),
                            _ => !text_rule(ik, iv, s),
                        }
                    }
                    single => !equal(single, value),
                },
                _ => false,
            }
        }
        literal => equal(literal, value),
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => numbers_equal(a, b),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event() -> Value {
        json!({
            "version": "0", "id": "1", "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.secretsmanager", "account": "111122223333", "time": "2026-01-15T12:00:00Z",
            "region": "us-east-1", "resources": ["arn:a", "arn:b"],
            "detail": {
                "eventName": "RotationFailed", "size": 12, "ip": "10.0.1.7", "flag": true,
                "nothing": null, "tags": ["red", "Blue"], "nested": {"deep": "Value-X"}
            }
        })
    }

    fn check(pattern: Value) -> bool {
        Pattern::parse(&pattern.to_string())
            .unwrap()
            .matches(&event())
    }

    #[test]
    fn the_grammar() {
        let yes = [
            json!({"source": ["aws.secretsmanager"]}),
            json!({"detail": {"eventName": ["RotationFailed", "RotationSucceeded"]}}),
            json!({"resources": ["arn:b"]}),
            json!({"detail": {"tags": ["blue", "red"]}}),
            json!({"source": [{"prefix": "aws."}]}),
            json!({"source": [{"suffix": ".secretsmanager"}]}),
            json!({"source": [{"prefix": {"equals-ignore-case": "AWS.S"}}]}),
            json!({"detail": {"tags": [{"equals-ignore-case": "BLUE"}]}}),
            json!({"detail": {"eventName": [{"anything-but": ["RotationSucceeded"]}]}}),
            json!({"detail": {"eventName": [{"anything-but": {"prefix": "Start"}}]}}),
            json!({"detail": {"size": [{"numeric": [">", 10, "<=", 12]}]}}),
            json!({"detail": {"size": [12]}}),
            json!({"detail": {"flag": [true], "nothing": [null]}}),
            json!({"detail": {"missing": [{"exists": false}], "eventName": [{"exists": true}]}}),
            json!({"detail": {"ip": [{"cidr": "10.0.0.0/16"}]}}),
            json!({"detail": {"nested": {"deep": [{"wildcard": "Value-*"}]}}}),
            json!({"$or": [{"source": ["nope"]}, {"detail": {"size": [{"numeric": ["=", 12]}]}}]}),
        ];
        for p in yes {
            assert!(check(p.clone()), "{p}");
        }
        let no = [
            json!({"source": ["aws.kms"]}),
            json!({"detail": {"eventName": [{"anything-but": "RotationFailed"}]}}),
            json!({"detail": {"size": [{"numeric": ["<", 12]}]}}),
            json!({"detail": {"eventName": [{"exists": false}]}}),
            json!({"detail": {"ip": [{"cidr": "10.1.0.0/16"}]}}),
            json!({"detail": {"nested": {"deep": [{"wildcard": "*-Y"}]}}}),
            json!({"detail": {"missing": ["x"]}}),
            json!({"$or": [{"source": ["nope"]}, {"account": ["1"]}]}),
        ];
        for p in no {
            assert!(!check(p.clone()), "{p}");
        }
    }

    #[test]
    fn invalid_patterns() {
        for bad in [
            "[]",
            "{\"source\": \"x\"}",
            "{\"source\": []}",
            "{\"source\": [{\"bogus\": 1}]}",
            "{\"source\": [{\"numeric\": [\">\"]}]}",
            "{\"source\": [{\"exists\": \"yes\"}]}",
            "{\"source\": [{\"cidr\": \"10.0.0.0/99\"}]}",
            "{\"$or\": [{\"a\": [1]}]}",
            "not json",
        ] {
            let e = Pattern::parse(bad).unwrap_err();
            assert!(
                e.starts_with("Event pattern is not valid. Reason: "),
                "{bad}: {e}"
            );
        }
    }
}
