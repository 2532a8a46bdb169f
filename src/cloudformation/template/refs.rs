//! Which names a template value refers to (`Ref`, `Fn::GetAtt`, the variables of `Fn::Sub`,
//! `Condition`), read without evaluating anything: for the template checks and the creation
//! order.

use super::intrinsics::Target;
use serde_json::Value;

pub(super) enum Piece<'a> {
    Text(&'a str),
    Var(&'a str),
}

/// `a ${X} b ${!Y}`: text, variables, and `${!...}` kept literally as `${...}`.
pub(super) fn sub_pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push(Piece::Text(&rest[..start]));
        let inner = &rest[start + 2..start + len];
        if let Some(literal) = inner.strip_prefix('!') {
            out.push(Piece::Text("${"));
            out.push(Piece::Text(literal));
            out.push(Piece::Text("}"));
        } else {
            out.push(Piece::Var(inner.trim()));
        }
        rest = &rest[start + len + 1..];
    }
    out.push(Piece::Text(rest));
    out
}

/// The names `v` always refers to: those outside every `Fn::If` (a branch not taken
/// refers to nothing).
pub fn unconditional_references(v: &Value) -> Vec<Target> {
    fn strip(v: &Value) -> Value {
        match v {
            Value::Array(a) => Value::Array(a.iter().map(strip).collect()),
            Value::Object(m) if m.len() == 1 && m.contains_key("Fn::If") => Value::Null,
            Value::Object(m) => {
                Value::Object(m.iter().map(|(k, x)| (k.clone(), strip(x))).collect())
            }
            other => other.clone(),
        }
    }
    references(&strip(v))
}

/// Every name `v` refers to through Ref, Fn::GetAtt and Fn::Sub.
pub fn references(v: &Value) -> Vec<Target> {
    let mut out = Vec::new();
    collect(v, &mut out, 0);
    out
}

fn collect(v: &Value, out: &mut Vec<Target>, depth: usize) {
    if depth > 64 {
        return;
    }
    match v {
        Value::Array(a) => a.iter().for_each(|i| collect(i, out, depth + 1)),
        Value::Object(m) => {
            if m.len() == 1 {
                if let Some(Value::String(name)) = m.get("Ref") {
                    out.push(Target {
                        name: name.clone(),
                        attribute: false,
                    });
                    return;
                }
                if let Some(g) = m.get("Fn::GetAtt") {
                    let name = match g {
                        Value::Array(a) => a.first().and_then(Value::as_str).map(str::to_string),
                        Value::String(s) => s.split('.').next().map(str::to_string),
                        _ => None,
                    };
                    if let Some(name) = name {
                        out.push(Target {
                            name,
                            attribute: true,
                        });
                    }
                    return;
                }
                if let Some(s) = m.get("Fn::Sub") {
                    let (text, vars) = match s {
                        Value::String(t) => (t.as_str(), None),
                        Value::Array(a) if a.len() == 2 => {
                            (a[0].as_str().unwrap_or_default(), a[1].as_object())
                        }
                        _ => ("", None),
                    };
                    for p in sub_pieces(text) {
                        if let Piece::Var(name) = p {
                            if vars.is_some_and(|m| m.contains_key(name)) {
                                continue;
                            }
                            match name.split_once('.') {
                                Some((res, _)) if !super::is_pseudo(name) => out.push(Target {
                                    name: res.to_string(),
                                    attribute: true,
                                }),
                                _ => out.push(Target {
                                    name: name.to_string(),
                                    attribute: false,
                                }),
                            }
                        }
                    }
                    if let Some(vars) = vars {
                        vars.values().for_each(|x| collect(x, out, depth + 1));
                    }
                    return;
                }
            }
            m.values().for_each(|x| collect(x, out, depth + 1));
        }
        _ => {}
    }
}

/// The names of conditions `v` refers to through `{"Condition": name}`.
pub(super) fn condition_names(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Array(a) => a.iter().for_each(|i| condition_names(i, out)),
        Value::Object(m) => {
            if let (1, Some(Value::String(n))) = (m.len(), m.get("Condition")) {
                out.push(n.clone());
            }
            m.values().for_each(|x| condition_names(x, out));
        }
        _ => {}
    }
}
