//! Command-line arguments to an operation's input: flags, `--no-` booleans, JSON, shorthand,
//! `file://` and `fileb://`, and the global options.

use super::ops::{Member, Op, Ty};
use super::shorthand::{self, Raw};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{Map, Value};

/// Options every command takes.
#[derive(Debug, Default, Clone)]
pub struct Globals {
    pub query: Option<String>,
    pub output: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub max_items: Option<usize>,
    pub starting_token: Option<String>,
    pub page_size: Option<i64>,
    pub no_paginate: bool,
    /// `--cli-binary-format raw-in-base64-out`: blob arguments are raw text, not base64.
    pub raw_blobs: bool,
    /// `--debug`: every request and answer is printed to stderr.
    pub debug: bool,
    /// `--profile`: the shared-configuration profile to take credentials and region from.
    pub profile: Option<String>,
}

#[derive(Debug, Default)]
pub struct Parsed {
    pub input: Map<String, Value>,
    pub globals: Globals,
    pub positional: Vec<String>,
}

pub const VALUE_GLOBALS: [&str; 9] = [
    "--profile",
    "--query",
    "--output",
    "--region",
    "--endpoint-url",
    "--max-items",
    "--starting-token",
    "--page-size",
    "--cli-binary-format",
];
pub const IGNORED_VALUE_GLOBALS: [&str; 3] =
    ["--color", "--cli-read-timeout", "--cli-connect-timeout"];
pub const FLAG_GLOBALS: [&str; 5] = [
    "--no-paginate",
    "--debug",
    "--no-cli-pager",
    "--no-verify-ssl",
    "--no-sign-request",
];

/// Reads a `file://` or `fileb://` value, or returns the text as given.
fn load(text: &str) -> Result<Vec<u8>, String> {
    let path = text
        .strip_prefix("fileb://")
        .or_else(|| text.strip_prefix("file://"));
    match path {
        Some(p) => std::fs::read(p)
            .map_err(|e| format!("Error parsing parameter: Unable to load paramfile {text}: {e}")),
        None => Ok(text.as_bytes().to_vec()),
    }
}

fn text_of(raw: &str) -> Result<String, String> {
    String::from_utf8(load(raw)?).map_err(|_| format!("{raw} is not UTF-8 text"))
}

/// Converts one command-line value to JSON for a member of type `ty`.
pub fn convert(values: &[String], ty: Ty, flag: &str, raw_blobs: bool) -> Result<Value, String> {
    let one = || values.first().cloned().unwrap_or_default();
    match ty {
        Ty::Str => Ok(Value::String(text_of(&one())?)),
        Ty::Int => {
            let text = text_of(&one())?;
            text.trim().parse::<i64>().map(Value::from).map_err(|_| {
                format!("Error parsing parameter '{flag}': invalid literal for int() with base 10: '{text}'")
            })
        }
        Ty::Bool => Ok(Value::Bool(text_of(&one())?.eq_ignore_ascii_case("true"))),
        Ty::Time => timestamp(&text_of(&one())?, flag),
        Ty::Blob => {
            let raw = one();
            if raw.starts_with("fileb://") || raw_blobs {
                return Ok(Value::String(STANDARD.encode(load(&raw)?)));
            }
            let text = text_of(&raw)?;
            STANDARD
                .decode(text.trim())
                .map(|_| Value::String(text.trim().to_string()))
                .map_err(|_| format!("Invalid base64: \"{text}\""))
        }
        Ty::List(inner) => {
            if values.len() == 1 && values[0].trim_start().starts_with('[') {
                return json(&text_of(&values[0])?, flag);
            }
            let mut out = Vec::new();
            for v in values {
                let text = text_of(v)?;
                match inner {
                    Ty::Struct(_) | Ty::Map(_) => {
                        out.push(convert(&[text], *inner, flag, raw_blobs)?);
                    }
                    _ if values.len() == 1 => {
                        for item in shorthand::list(&text).map_err(|e| shorthand_error(flag, e))? {
                            out.push(from_raw(item, *inner, flag)?);
                        }
                    }
                    _ => out.push(from_raw(Raw::Str(text), *inner, flag)?),
                }
            }
            Ok(Value::Array(out))
        }
        Ty::Struct(_) | Ty::Map(_) => {
            let text = text_of(&one())?;
            if text.trim_start().starts_with('{') {
                return json(&text, flag);
            }
            let pairs = shorthand::parse(&text).map_err(|e| shorthand_error(flag, e))?;
            from_raw(Raw::Obj(pairs), ty, flag)
        }
    }
}

/// A time as the AWS CLI takes it (epoch seconds, or ISO 8601 with or without a time of day
/// and offset), as the epoch seconds the JSON protocols carry.
fn timestamp(text: &str, flag: &str) -> Result<Value, String> {
    use time::format_description::well_known::Rfc3339;
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return Ok(Value::from(seconds));
    }
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else if text.contains('T')
        && !text.ends_with('Z')
        && !text.get(11..).unwrap_or_default().contains(['+', '-'])
    {
        format!("{text}Z")
    } else {
        text.to_string()
    };
    let at = time::OffsetDateTime::parse(&full, &Rfc3339)
        .map_err(|_| format!("Error parsing parameter '{flag}': Invalid timestamp '{text}'"))?;
    let seconds = at.unix_timestamp_nanos() as f64 / 1e9;
    Ok(Value::from(seconds))
}

fn shorthand_error(flag: &str, e: String) -> String {
    format!("Error parsing parameter '{flag}': {e}")
}

fn json(text: &str, flag: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| {
        format!("Error parsing parameter '{flag}': Invalid JSON: {e}\nJSON received: {text}")
    })
}

/// Types a shorthand value by the member it fills.
fn from_raw(raw: Raw, ty: Ty, flag: &str) -> Result<Value, String> {
    match (raw, ty) {
        (Raw::Str(s), Ty::Int) => s
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("Error parsing parameter '{flag}': '{s}' is not an integer")),
        (Raw::Str(s), Ty::Bool) => Ok(Value::Bool(s.eq_ignore_ascii_case("true"))),
        (Raw::Str(s), Ty::Time) => timestamp(&s, flag),
        (Raw::Str(s), Ty::List(inner)) => {
            Ok(Value::Array(vec![from_raw(Raw::Str(s), *inner, flag)?]))
        }
        (Raw::Str(s), _) => Ok(Value::String(s)),
        (Raw::List(items), Ty::List(inner)) => items
            .into_iter()
            .map(|i| from_raw(i, *inner, flag))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        (Raw::Obj(pairs), Ty::Struct(members)) => {
            let mut out = Map::new();
            for (key, value) in pairs {
                let member = members.iter().find(|m| m.name == key).ok_or_else(|| {
                    let valid: Vec<&str> = members.iter().map(|m| m.name).collect();
                    format!("Error parsing parameter '{flag}': Unknown key '{key}', valid choices are: {}", valid.join(", "))
                })?;
                out.insert(key, from_raw(value, member.ty, flag)?);
            }
            Ok(Value::Object(out))
        }
        (Raw::Obj(pairs), Ty::Map(inner)) => pairs
            .into_iter()
            .map(|(k, v)| from_raw(v, *inner, flag).map(|v| (k, v)))
            .collect::<Result<Map<_, _>, _>>()
            .map(Value::Object),
        (other, _) => Err(format!(
            "Error parsing parameter '{flag}': unexpected value {other:?}"
        )),
    }
}

fn member_flag(m: &Member) -> String {
    format!("--{}", m.flag)
}

/// The AWS CLI's own extra flags for some commands, as (flag, member path, type).
fn extras(op: &Op) -> &'static [(&'static str, &'static str, Ty)] {
    match op.name {
        "CreateFunction" => &[("--zip-file", "Code.ZipFile", Ty::Blob)],
        _ => &[],
    }
}

/// Parses the arguments that follow `<service> <command>`.
pub fn parse(op: &Op, tokens: &[String]) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    let mut i = 0;
    let mut seen = Vec::new();
    while i < tokens.len() {
        let token = tokens[i].as_str();
        let (flag, inline) = match token.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (token, None),
        };
        i += 1;
        if !flag.starts_with("--") {
            parsed.positional.push(token.to_string());
            continue;
        }
        let take_values = |i: &mut usize, many: bool| -> Result<Vec<String>, String> {
            if let Some(v) = inline.clone() {
                return Ok(vec![v]);
            }
            let mut out = Vec::new();
            while *i < tokens.len() && !(tokens[*i].starts_with("--") && tokens[*i].len() > 2) {
                out.push(tokens[*i].clone());
                *i += 1;
                if !many {
                    break;
                }
            }
            if out.is_empty() {
                return Err(format!("argument {flag}: expected one argument"));
            }
            Ok(out)
        };
        if FLAG_GLOBALS.contains(&flag) {
            parsed.globals.no_paginate |= flag == "--no-paginate";
            parsed.globals.debug |= flag == "--debug";
            continue;
        }
        if IGNORED_VALUE_GLOBALS.contains(&flag) {
            take_values(&mut i, false)?;
            continue;
        }
        if VALUE_GLOBALS.contains(&flag) {
            let v = take_values(&mut i, false)?.remove(0);
            set_global(&mut parsed.globals, flag, v)?;
            continue;
        }
        if let Some((_, path, ty)) = extras(op).iter().find(|(f, _, _)| *f == flag) {
            let value = convert(
                &take_values(&mut i, false)?,
                *ty,
                flag,
                parsed.globals.raw_blobs,
            )?;
            let (outer, inner) = path.split_once('.').unwrap_or((path, ""));
            let slot = parsed
                .input
                .entry(outer.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(obj) = slot.as_object_mut() {
                obj.insert(inner.to_string(), value);
            }
            seen.push(outer.to_string());
            continue;
        }
        let (member, negated) = match op.members.iter().find(|m| member_flag(m) == flag) {
            Some(m) => (m, false),
            None => match op
                .members
                .iter()
                .find(|m| matches!(m.ty, Ty::Bool) && format!("--no-{}", m.flag) == flag)
            {
                Some(m) => (m, true),
                None => return Err(unknown_option(op, flag)),
            },
        };
        let value = match member.ty {
            Ty::Bool if inline.is_none() => Value::Bool(!negated),
            Ty::List(_) => convert(
                &take_values(&mut i, true)?,
                member.ty,
                flag,
                parsed.globals.raw_blobs,
            )?,
            ty => convert(
                &take_values(&mut i, false)?,
                ty,
                flag,
                parsed.globals.raw_blobs,
            )?,
        };
        seen.push(member.name.to_string());
        parsed.input.insert(member.name.to_string(), value);
    }
    let missing: Vec<String> = op
        .members
        .iter()
        .filter(|m| m.required && !seen.iter().any(|s| s == m.name))
        .map(member_flag)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the following arguments are required: {}",
            missing.join(", ")
        ));
    }
    Ok(parsed)
}

fn set_global(g: &mut Globals, flag: &str, v: String) -> Result<(), String> {
    let int = |v: &str| {
        v.parse::<i64>()
            .map_err(|_| format!("argument {flag}: invalid int value: '{v}'"))
    };
    match flag {
        "--query" => g.query = Some(v),
        "--output" => {
            if !["json", "text", "table", "yaml", "yaml-stream"].contains(&v.as_str()) {
                return Err(
                    "argument --output: Invalid choice, valid choices are:\n\njson                                     | text\ntable                                    | yaml\nyaml-stream"
                        .to_string(),
                );
            }
            g.output = Some(v);
        }
        "--region" => g.region = Some(v),
        "--profile" => g.profile = Some(v),
        "--endpoint-url" => g.endpoint_url = Some(v),
        "--max-items" => g.max_items = Some(int(&v)?.max(0) as usize),
        "--starting-token" => g.starting_token = Some(v),
        "--page-size" => g.page_size = Some(int(&v)?),
        "--cli-binary-format" => g.raw_blobs = v == "raw-in-base64-out",
        _ => {}
    }
    Ok(())
}

fn unknown_option(op: &Op, flag: &str) -> String {
    let mut valid: Vec<String> = op.members.iter().map(member_flag).collect();
    valid.extend(extras(op).iter().map(|(f, _, _)| f.to_string()));
    format!(
        "Unknown options: {flag}\nValid options for {} are: {}",
        op.command,
        valid.join(", ")
    )
}

#[cfg(test)]
#[path = "params_tests.rs"]
mod tests;
