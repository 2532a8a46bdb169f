//! EventBridge's event-pattern language: a pattern is read once into field conditions
//! (`compile`, with AWS's InvalidEventPatternException reasons) and matched against events
//! as AWS's event ruler matches them: both sides are flattened into dot-joined paths, an
//! array in the event offers each of its members, `exists` asks whether a path has any
//! value at all. Pure.

mod compile;
#[cfg(test)]
mod tests;

use serde_json::Value;
use std::collections::HashMap;

/// AWS's size quota for a pattern, in characters.
pub const MAX_PATTERN: usize = 4096;

/// A parsed and checked pattern.
#[derive(Debug, Clone)]
pub struct Pattern(Node);

/// What an event must satisfy.
#[derive(Debug, Clone)]
enum Node {
    /// Every condition (the fields of one object).
    All(Vec<Node>),
    /// At least one alternative (`$or`).
    Any(Vec<Node>),
    /// The values at a dot-joined path satisfy at least one matcher.
    Field(String, Vec<Matcher>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Lt,
    Le,
    Eq,
    Gt,
    Ge,
}

#[derive(Debug, Clone)]
enum Matcher {
    /// A literal: a string, number, boolean or null.
    Exact(Value),
    Prefix(String, bool),
    Suffix(String, bool),
    EqualsIgnoreCase(String),
    Wildcard(String),
    Exists(bool),
    Cidr(std::net::IpAddr, u8),
    Numeric(Vec<(Op, f64)>),
    /// `anything-but` and what it excludes.
    AnythingBut(Vec<Value>),
    AnythingButPrefix(Vec<String>),
    AnythingButSuffix(Vec<String>),
    AnythingButWildcard(Vec<String>),
    AnythingButIgnoreCase(Vec<String>),
}

impl Pattern {
    /// Parses and checks `text`; the error is AWS's InvalidEventPatternException message.
    pub fn parse(text: &str) -> Result<Pattern, String> {
        compile::parse(text).map(Pattern)
    }

    /// Whether `event` (a whole event, as delivered) matches.
    pub fn matches(&self, event: &Value) -> bool {
        let mut fields = HashMap::new();
        flatten(event, "", &mut fields, 0);
        holds(&self.0, &fields)
    }
}

/// Events nested deeper than this are read no further (a pattern cannot reach deeper: its
/// own nesting is limited).
const MAX_EVENT_DEPTH: usize = 64;

/// The leaf values of `v` by dot-joined path; an array's members share its path.
fn flatten<'a>(v: &'a Value, path: &str, out: &mut HashMap<String, Vec<&'a Value>>, depth: usize) {
    if depth > MAX_EVENT_DEPTH {
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, inner) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                flatten(inner, &p, out, depth + 1);
            }
        }
        Value::Array(items) => {
            for i in items {
                flatten(i, path, out, depth + 1);
            }
        }
        leaf => out.entry(path.to_string()).or_default().push(leaf),
    }
}

fn holds(node: &Node, fields: &HashMap<String, Vec<&Value>>) -> bool {
    match node {
        Node::All(nodes) => nodes.iter().all(|n| holds(n, fields)),
        Node::Any(nodes) => nodes.iter().any(|n| holds(n, fields)),
        Node::Field(path, matchers) => {
            let values = fields.get(path).map_or(&[][..], Vec::as_slice);
            matchers.iter().any(|m| match m {
                // exists: true asks for a value at the path, exists: false for none.
                Matcher::Exists(e) => *e != values.is_empty(),
                m => values.iter().any(|v| m.accepts(v)),
            })
        }
    }
}

fn numbers_equal(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-9,
        _ => false,
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => numbers_equal(a, b),
        _ => a == b,
    }
}

/// `*` stands for any run of characters (possibly none).
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

fn lower(s: &str) -> String {
    s.to_lowercase()
}

fn in_cidr(value: &str, net: std::net::IpAddr, bits: u8) -> bool {
    let Ok(ip) = value.parse::<std::net::IpAddr>() else {
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

impl Matcher {
    /// Whether one leaf value satisfies this matcher (`exists` is decided by the field).
    fn accepts(&self, v: &Value) -> bool {
        let text = v.as_str();
        match self {
            Matcher::Exact(x) => equal(x, v),
            Matcher::Prefix(p, false) => text.is_some_and(|s| s.starts_with(p.as_str())),
            Matcher::Prefix(p, true) => text.is_some_and(|s| lower(s).starts_with(&lower(p))),
            Matcher::Suffix(p, false) => text.is_some_and(|s| s.ends_with(p.as_str())),
            Matcher::Suffix(p, true) => text.is_some_and(|s| lower(s).ends_with(&lower(p))),
            Matcher::EqualsIgnoreCase(p) => text.is_some_and(|s| lower(s) == lower(p)),
            Matcher::Wildcard(p) => text.is_some_and(|s| wildcard(p, s)),
            Matcher::Exists(_) => false,
            Matcher::Cidr(net, bits) => text.is_some_and(|s| in_cidr(s, *net, *bits)),
            Matcher::Numeric(ranges) => v.as_f64().is_some_and(|n| {
                ranges.iter().all(|(op, b)| match op {
                    Op::Lt => n < *b,
                    Op::Le => n <= *b,
                    Op::Eq => (n - b).abs() < 1e-9,
                    Op::Gt => n > *b,
                    Op::Ge => n >= *b,
                })
            }),
            // A value of another type is never among what anything-but names.
            Matcher::AnythingBut(list) => !list.iter().any(|x| equal(x, v)),
            Matcher::AnythingButPrefix(list) => {
                text.is_none_or(|s| !list.iter().any(|p| s.starts_with(p.as_str())))
            }
            Matcher::AnythingButSuffix(list) => {
                text.is_none_or(|s| !list.iter().any(|p| s.ends_with(p.as_str())))
            }
            Matcher::AnythingButWildcard(list) => {
                text.is_none_or(|s| !list.iter().any(|p| wildcard(p, s)))
            }
            Matcher::AnythingButIgnoreCase(list) => {
                text.is_none_or(|s| !list.iter().any(|p| lower(p) == lower(s)))
            }
        }
    }
}
