//! Reading a pattern: its JSON into field conditions, each refusal worded as EventBridge
//! words its InvalidEventPatternException reasons.

use super::{Matcher, Node, Op, MAX_PATTERN};
use serde_json::{Map, Value};

/// Nesting deeper than this is refused (a hostile pattern).
const MAX_DEPTH: usize = 32;

/// The most NFA states one wildcard may keep active at once before AWS calls it too complex
/// (see [`wildcard_complexity`]).
const MAX_WILDCARD_STATES: usize = 10;

fn invalid(reason: impl Into<String>) -> String {
    format!("Event pattern is not valid. Reason: {}", reason.into())
}

pub(super) fn parse(text: &str) -> Result<Node, String> {
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
    object(&m, "", 0)
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn object(m: &Map<String, Value>, prefix: &str, depth: usize) -> Result<Node, String> {
    if depth > MAX_DEPTH {
        return Err(invalid("Filter nests too deeply"));
    }
    let mut all = Vec::new();
    for (k, v) in m {
        if k == "$or" {
            let Value::Array(alternatives) = v else {
                return Err(invalid("$or must be an array of objects"));
            };
            if alternatives.len() < 2 {
                return Err(invalid("$or must have at least 2 elements"));
            }
            let mut any = Vec::new();
            for a in alternatives {
                let Value::Object(am) = a else {
                    return Err(invalid("$or must be an array of objects"));
                };
                any.push(object(am, prefix, depth + 1)?);
            }
            all.push(Node::Any(any));
            continue;
        }
        let path = join(prefix, k);
        match v {
            Value::Object(inner) => all.push(object(inner, &path, depth + 1)?),
            Value::Array(items) => {
                if items.is_empty() {
                    return Err(invalid("Empty arrays are not allowed"));
                }
                let matchers = items.iter().map(matcher).collect::<Result<_, _>>()?;
                all.push(Node::Field(path, matchers));
            }
            _ => return Err(invalid(format!("\"{k}\" must be an object or an array"))),
        }
    }
    Ok(Node::All(all))
}

/// The one key of a matcher object and its argument.
fn single(obj: &Map<String, Value>) -> Option<(&str, &Value)> {
    let mut it = obj.iter();
    let first = it.next()?;
    it.next().is_none().then_some((first.0.as_str(), first.1))
}

fn text_arg(arg: &Value, what: &str) -> Result<String, String> {
    arg.as_str()
        .map(str::to_string)
        .ok_or_else(|| invalid(format!("{what} match pattern must be a string")))
}

fn matcher(item: &Value) -> Result<Matcher, String> {
    let obj = match item {
        Value::Object(obj) => obj,
        Value::Array(_) => {
            return Err(invalid(
                "Match value must be String, number, true, false, or null",
            ))
        }
        literal => return Ok(Matcher::Exact(literal.clone())),
    };
    let Some((kind, arg)) = single(obj) else {
        return Err(invalid("Each matcher must have exactly one key"));
    };
    Ok(match kind {
        "prefix" | "suffix" => {
            let (text, folded) = match arg {
                Value::Object(i) => match single(i) {
                    Some(("equals-ignore-case", Value::String(s))) => (s.clone(), true),
                    _ => return Err(invalid(format!("{kind} match pattern must be a string"))),
                },
                _ => (text_arg(arg, kind)?, false),
            };
            if kind == "prefix" {
                Matcher::Prefix(text, folded)
            } else {
                Matcher::Suffix(text, folded)
            }
        }
        "equals-ignore-case" => Matcher::EqualsIgnoreCase(text_arg(arg, kind)?),
        "wildcard" => Matcher::Wildcard(checked_wildcard(text_arg(arg, kind)?)?),
        "exists" => Matcher::Exists(
            arg.as_bool()
                .ok_or_else(|| invalid("exists match pattern must be either true or false."))?,
        ),
        // AWS names the wrong argument type of a CIDR matcher as it does a prefix's.
        "cidr" => {
            let (net, bits) = cidr(&text_arg(arg, "prefix")?)?;
            Matcher::Cidr(net, bits)
        }
        "numeric" => Matcher::Numeric(numeric(arg)?),
        "anything-but" => anything_but(arg)?,
        other => return Err(invalid(format!("Unrecognized match type {other}"))),
    })
}

fn cidr(text: &str) -> Result<(std::net::IpAddr, u8), String> {
    let Some((ip, bits)) = text.split_once('/') else {
        return Err(invalid("Malformed CIDR, one '/' required"));
    };
    let bits: u8 = bits
        .parse()
        .map_err(|_| invalid("Malformed CIDR, mask bits must be an integer"))?;
    let ip: std::net::IpAddr = ip
        .parse()
        .map_err(|_| invalid(format!("Nonstandard IP address: {ip}")))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    if bits > max {
        return Err(invalid(format!(
            "Malformed CIDR, mask bits must be between 0 and {max}"
        )));
    }
    Ok((ip, bits))
}

/// `[">", 0, "<=", 5]`: one bound, or a lower bound then an upper one.
fn numeric(arg: &Value) -> Result<Vec<(Op, f64)>, String> {
    let Value::Array(parts) = arg else {
        return Err(invalid("Value of numeric must be an array."));
    };
    let mut out: Vec<(Op, f64)> = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        let name = parts[i].as_str().unwrap_or_default();
        let op = match name {
            "<" => Op::Lt,
            "<=" => Op::Le,
            "=" => Op::Eq,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            _ => {
                return Err(invalid(format!(
                    "Unrecognized numeric range operator: {name}"
                )))
            }
        };
        let Some(bound) = parts.get(i + 1).and_then(Value::as_f64) else {
            return Err(invalid(format!("Value of {name} must be numeric")));
        };
        // One bound on each side at most, the lower first; `=` stands alone.
        let lower = |o: Op| matches!(o, Op::Gt | Op::Ge);
        let bad = match out.as_slice() {
            [] => false,
            [(first, _)] => *first == Op::Eq || op == Op::Eq || !lower(*first) || lower(op),
            _ => true,
        };
        if bad {
            return Err(invalid(format!("Bad numeric range operator: {name}")));
        }
        out.push((op, bound));
        i += 2;
    }
    if out.is_empty() {
        return Err(invalid(
            "Value of numeric must be an array of 2 or 4 elements.",
        ));
    }
    Ok(out)
}

fn anything_but(arg: &Value) -> Result<Matcher, String> {
    const SHAPE: &str = "Value of anything-but must be an array or single string/number value.";
    match arg {
        Value::String(_) | Value::Number(_) => Ok(Matcher::AnythingBut(vec![arg.clone()])),
        Value::Array(items) => {
            if items.iter().any(|i| !(i.is_string() || i.is_number())) {
                return Err(invalid(
                    "Inside anything but list, start|null|boolean is not supported.",
                ));
            }
            Ok(Matcher::AnythingBut(items.clone()))
        }
        Value::Object(inner) => {
            let Some((kind, v)) = single(inner) else {
                return Err(invalid(SHAPE));
            };
            let many: Vec<&Value> = match v {
                Value::Array(a) => a.iter().collect(),
                one => vec![one],
            };
            match kind {
                "equals-ignore-case" => {
                    let list = many
                        .iter()
                        .map(|x| x.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| {
                            invalid("Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.")
                        })?;
                    Ok(Matcher::AnythingButIgnoreCase(list))
                }
                "prefix" | "suffix" => {
                    if many.iter().any(|x| x.is_object()) {
                        return Err(invalid(SHAPE));
                    }
                    let list = many
                        .iter()
                        .map(|x| x.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| invalid("prefix/suffix match pattern must be a string"))?;
                    if list.iter().any(String::is_empty) {
                        return Err(invalid("Null prefix/suffix not allowed"));
                    }
                    Ok(if kind == "prefix" {
                        Matcher::AnythingButPrefix(list)
                    } else {
                        Matcher::AnythingButSuffix(list)
                    })
                }
                "wildcard" => {
                    let list = many
                        .iter()
                        .map(|x| {
                            x.as_str()
                                .ok_or_else(|| invalid("wildcard match pattern must be a string"))
                                .and_then(|s| checked_wildcard(s.to_string()))
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(Matcher::AnythingButWildcard(list))
                }
                other => Err(invalid(format!(
                    "Unsupported anything-but pattern: {other}"
                ))),
            }
        }
        _ => Err(invalid(SHAPE)),
    }
}

/// A wildcard as AWS accepts it: no `**`, and not so ambiguous that matching it keeps too
/// many possibilities open at once.
fn checked_wildcard(p: String) -> Result<String, String> {
    if let Some(pos) = p.find("**") {
        let chars = p[..pos].chars().count() + 1;
        return Err(invalid(format!(
            "Consecutive wildcard characters at pos {chars}"
        )));
    }
    if wildcard_complexity(&p) > MAX_WILDCARD_STATES {
        return Err(invalid("Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character"));
    }
    Ok(p)
}

/// The most states of the wildcard's automaton any input keeps active together: each `*`
/// stays active once reached, and repeated text after it keeps several positions open. The
/// search stops once it passes the limit, so a hostile pattern costs bounded work.
fn wildcard_complexity(p: &str) -> usize {
    use std::collections::{BTreeSet, HashSet};
    let chars: Vec<char> = p.chars().collect();
    if !chars.contains(&'*') {
        return 1;
    }
    let n = chars.len();
    let close = |mut s: BTreeSet<usize>| {
        let mut stack: Vec<usize> = s.iter().copied().collect();
        while let Some(i) = stack.pop() {
            if i < n && chars[i] == '*' && s.insert(i + 1) {
                stack.push(i + 1);
            }
        }
        s
    };
    let alphabet: BTreeSet<char> = chars.iter().copied().filter(|c| *c != '*').collect();
    let start = close(BTreeSet::from([0]));
    let mut best = start.len();
    let mut seen: HashSet<BTreeSet<usize>> = HashSet::from([start.clone()]);
    let mut todo = vec![start];
    while let Some(s) = todo.pop() {
        for c in alphabet.iter().copied().chain(std::iter::once('\u{0}')) {
            let next: BTreeSet<usize> = s
                .iter()
                .filter_map(|&i| match chars.get(i) {
                    Some('*') => Some(i),
                    Some(x) if *x == c => Some(i + 1),
                    _ => None,
                })
                .collect();
            let next = close(next);
            if !next.is_empty() && !seen.contains(&next) {
                best = best.max(next.len());
                if best > MAX_WILDCARD_STATES || seen.len() > 10_000 {
                    return MAX_WILDCARD_STATES + 1;
                }
                seen.insert(next.clone());
                todo.push(next);
            }
        }
    }
    best
}
