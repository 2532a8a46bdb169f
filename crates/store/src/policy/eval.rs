//! Evaluating a resource or key policy against one request: principal, action, resource and
//! conditions as IAM matches them. Pure: the caller supplies the request context.

use super::{Condition, Effect, Negatable, Policy, Principal, SetQualifier, Statement};
use std::collections::HashMap;

/// Who is asking, as a policy's `Principal` element sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// An IAM identity: the account root, a user, a role, or an assumed-role session (whose
    /// `role` is the ARN of the role it assumed).
    Aws {
        account: String,
        arn: String,
        role: Option<String>,
    },
    /// An AWS service acting on its own behalf (`secretsmanager.amazonaws.com`).
    Service(String),
}

impl Who {
    pub fn account(&self) -> Option<&str> {
        match self {
            Who::Aws { account, .. } => Some(account),
            Who::Service(_) => None,
        }
    }
}

/// Condition keys and their values. Keys are matched case-insensitively, as IAM does.
#[derive(Debug, Clone, Default)]
pub struct Context {
    keys: HashMap<String, Vec<String>>,
}

impl Context {
    pub fn set(&mut self, key: &str, values: Vec<String>) -> &mut Self {
        self.keys.insert(key.to_ascii_lowercase(), values);
        self
    }

    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.set(key, vec![value.into()]);
        self
    }

    /// The values of `key` (any case), if the request has it.
    pub fn values(&self, key: &str) -> Option<&[String]> {
        self.keys.get(&key.to_ascii_lowercase()).map(Vec::as_slice)
    }
}

/// One request as a policy sees it.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub who: &'a Who,
    pub action: &'a str,
    pub resource: &'a str,
    pub context: &'a Context,
}

/// What one policy says about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A statement denies it; nothing else can allow it.
    Deny,
    Allow,
    /// No statement applies.
    NotApplicable,
}

/// Whether a resource-based policy's decision refuses a request: None when it passes,
/// Some(explicit) when refused. Another account needs an Allow; the owner only a lack of Deny.
pub fn refusal(decision: Decision, cross_account: bool) -> Option<bool> {
    match decision {
        Decision::Deny => Some(true),
        Decision::Allow => None,
        Decision::NotApplicable if cross_account => Some(false),
        Decision::NotApplicable => None,
    }
}

/// An explicit Deny wins over any Allow.
pub fn evaluate(policy: &Policy, request: &Request<'_>) -> Decision {
    let mut decision = Decision::NotApplicable;
    for s in &policy.statements {
        if !applies(s, request) {
            continue;
        }
        match s.effect {
            Effect::Deny => return Decision::Deny,
            Effect::Allow => decision = Decision::Allow,
        }
    }
    decision
}

fn applies(s: &Statement, r: &Request<'_>) -> bool {
    let principal = s
        .principal
        .as_ref()
        .is_none_or(|p| p.not != principal_matches(&p.value, r.who));
    let action = negated(&s.action, |a| wildcard(a, r.action, true));
    let resource = s
        .resource
        .as_ref()
        .is_none_or(|res| negated(res, |p| wildcard(p, r.resource, false)));
    principal && action && resource && s.conditions.iter().all(|c| condition(c, r.context))
}

fn negated(list: &Negatable<Vec<String>>, matches: impl Fn(&str) -> bool) -> bool {
    list.not != list.value.iter().any(|p| matches(p))
}

fn principal_matches(p: &Principal, who: &Who) -> bool {
    let map = match p {
        Principal::Anyone => return true,
        Principal::Map(map) => map,
    };
    map.iter().any(|(kind, values)| {
        values.iter().any(|v| match (kind.as_str(), who) {
            ("AWS", Who::Aws { account, arn, role }) => {
                v == "*"
                    || v == account
                    || crate::domain::arn::Arn::parse(v).is_some_and(|a| {
                        a.service == "iam" && a.resource == "root" && a.account == account.as_str()
                    })
                    || v == arn
                    || role.as_ref() == Some(v)
            }
            ("AWS", Who::Service(_)) => v == "*",
            ("Service", Who::Service(name)) => v.eq_ignore_ascii_case(name),
            _ => false,
        })
    })
}

/// `*` matches any run of characters and `?` any one, as in IAM's Action, Resource and
/// `*Like` operators.
pub fn wildcard(pattern: &str, text: &str, ignore_case: bool) -> bool {
    if pattern == "*" {
        return true;
    }
    // Policies and ARNs are ASCII in practice: matched as bytes, without allocating.
    if pattern.is_ascii() && text.is_ascii() {
        let eq = |a: &u8, b: &u8| {
            if ignore_case {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        };
        return glob(pattern.as_bytes(), text.as_bytes(), b'*', b'?', eq);
    }
    let fold = |s: &str| -> Vec<char> {
        if ignore_case {
            s.to_lowercase().chars().collect()
        } else {
            s.chars().collect()
        }
    };
    glob(&fold(pattern), &fold(text), '*', '?', |a, b| a == b)
}

/// Iterative glob matching with one backtrack point: linear in practice, never exponential.
fn glob<T: PartialEq>(p: &[T], t: &[T], star: T, one: T, eq: impl Fn(&T, &T) -> bool) -> bool {
    let (mut pi, mut ti, mut last_star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] != star && (p[pi] == one || eq(&p[pi], &t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == star {
            last_star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = last_star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == star)
}

/// Operators that match when the value is *not* among the policy's values.
fn is_negated(base: &str) -> bool {
    matches!(
        base,
        "StringNotEquals"
            | "StringNotEqualsIgnoreCase"
            | "StringNotLike"
            | "NumericNotEquals"
            | "DateNotEquals"
            | "NotIpAddress"
            | "ArnNotEquals"
            | "ArnNotLike"
    )
}

/// The positive form of a negated operator.
fn positive(base: &str) -> &str {
    match base {
        "StringNotEquals" => "StringEquals",
        "StringNotEqualsIgnoreCase" => "StringEqualsIgnoreCase",
        "StringNotLike" => "StringLike",
        "NumericNotEquals" => "NumericEquals",
        "DateNotEquals" => "DateEquals",
        "NotIpAddress" => "IpAddress",
        "ArnNotEquals" => "ArnEquals",
        "ArnNotLike" => "ArnLike",
        other => other,
    }
}

fn condition(c: &Condition, context: &Context) -> bool {
    let op = &c.operator;
    let present = context.values(&c.key).filter(|v| !v.is_empty());
    if op.base == "Null" {
        // `"Null": {"k": "true"}` asks that the key be absent.
        let want_absent = c.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
        return want_absent == present.is_none();
    }
    let negated = is_negated(&op.base);
    let base = positive(&op.base);
    let one = |v: &str| {
        let hit = c.values.iter().any(|p| matches_value(base, p, v));
        hit != negated
    };
    match (present, op.qualifier) {
        (None, _) if op.if_exists => true,
        // An absent key matches every value vacuously.
        (None, Some(SetQualifier::ForAllValues)) => true,
        (None, Some(SetQualifier::ForAnyValue)) => false,
        // A negated operator is true when there is nothing to compare.
        (None, None) => negated,
        (Some(values), Some(SetQualifier::ForAllValues)) => values.iter().all(|v| one(v)),
        (Some(values), Some(SetQualifier::ForAnyValue)) => values.iter().any(|v| one(v)),
        (Some(values), None) => {
            if negated {
                values.iter().all(|v| one(v))
            } else {
                values.iter().any(|v| one(v))
            }
        }
    }
}

fn matches_value(base: &str, policy: &str, value: &str) -> bool {
    match base {
        "StringEquals" | "ArnEquals" => policy == value,
        "StringEqualsIgnoreCase" | "ArnEqualsIgnoreCase" => policy.eq_ignore_ascii_case(value),
        "StringLike" | "ArnLike" => wildcard(policy, value, false),
        "Bool" => policy.eq_ignore_ascii_case(value),
        "BinaryEquals" => policy == value,
        "IpAddress" => ip_in(policy, value),
        b if b.starts_with("Numeric") => match (policy.parse::<f64>(), value.parse::<f64>()) {
            (Ok(p), Ok(v)) => compare(&b["Numeric".len()..], v.partial_cmp(&p)),
            _ => false,
        },
        b if b.starts_with("Date") => match (epoch(policy), epoch(value)) {
            (Some(p), Some(v)) => compare(&b["Date".len()..], v.partial_cmp(&p)),
            _ => false,
        },
        _ => false,
    }
}

fn compare(how: &str, order: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    match (how, order) {
        ("Equals", Some(o)) => o == Equal,
        ("LessThan", Some(o)) => o == Less,
        ("LessThanEquals" | "LessThanOrEquals", Some(o)) => o != Greater,
        ("GreaterThan", Some(o)) => o == Greater,
        ("GreaterThanEquals", Some(o)) => o != Less,
        _ => false,
    }
}

/// Seconds since the epoch of an ISO 8601 date, date-time or a number of seconds.
fn epoch(text: &str) -> Option<f64> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(n) = text.parse::<f64>() {
        return Some(n);
    }
    if let Ok(t) = time::OffsetDateTime::parse(text, &Rfc3339) {
        return Some(t.unix_timestamp_nanos() as f64 / 1e9);
    }
    let t = time::OffsetDateTime::parse(&format!("{text}T00:00:00Z"), &Rfc3339).ok()?;
    Some(t.unix_timestamp() as f64)
}

/// Whether `value` (an address) lies in `policy` (an address or CIDR block).
fn ip_in(policy: &str, value: &str) -> bool {
    use std::net::IpAddr;
    let (net, bits) = match policy.split_once('/') {
        Some((n, b)) => (n, b.parse::<u32>().ok()),
        None => (policy, None),
    };
    match (net.parse::<IpAddr>(), value.parse::<IpAddr>()) {
        (Ok(IpAddr::V4(n)), Ok(IpAddr::V4(v))) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(n) & mask == u32::from(v) & mask
        }
        (Ok(IpAddr::V6(n)), Ok(IpAddr::V6(v))) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(n) & mask == u128::from(v) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
#[path = "eval_tests.rs"]
mod tests;
