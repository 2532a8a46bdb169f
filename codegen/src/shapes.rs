//! Emits the wire structures of one service and their model-constraint checks.

use crate::model::{field_name, kind, members, message_name, Model};
use serde_json::Value;
use std::fmt::Write;

/// The Rust type a member of shape `target` is held in (inside its `Option`).
pub fn rust_type(m: &Model, target: &str) -> Result<String, String> {
    let s = m.shape(target)?;
    Ok(match kind(s) {
        "string" => "::std::string::String".into(),
        "integer" | "long" => "i64".into(),
        "float" | "double" => "f64".into(),
        "boolean" => "bool".into(),
        "blob" => "::std::vec::Vec<u8>".into(),
        "timestamp" => "f64".into(),
        "list" => format!(
            "::std::vec::Vec<{}>",
            element_type(m, s["member"]["shape"].as_str().unwrap_or(""))?
        ),
        "map" => format!(
            "crate::wire::Map<{}, {}>",
            rust_type(m, s["key"]["shape"].as_str().unwrap_or(""))?,
            element_type(m, s["value"]["shape"].as_str().unwrap_or(""))?
        ),
        "structure" => target.to_string(),
        other => return Err(format!("shape {target}: type {other} is not supported")),
    })
}

/// List elements an answer may carry already encoded (`crate::wire::Encoded`): ListSecrets
/// copies each secret's entry kept from an earlier page instead of encoding it again.
const ENCODED_ELEMENTS: [&str; 1] = ["SecretListEntry"];

/// The type of a list's member or a map's value: a blob there is base64 text by itself.
fn element_type(m: &Model, target: &str) -> Result<String, String> {
    if kind(m.shape(target)?) == "blob" {
        return Ok("crate::wire::Blob".into());
    }
    if ENCODED_ELEMENTS.contains(&target) {
        return Ok(format!("crate::wire::Encoded<{target}>"));
    }
    rust_type(m, target)
}

fn sensitive(m: &Model, target: &str) -> bool {
    m.shape(target)
        .is_ok_and(|s| s["sensitive"].as_bool() == Some(true))
}

/// Members that travel outside the JSON body in a REST protocol.
pub fn outside_body(mem: &crate::model::Member<'_>) -> bool {
    mem.location.is_some() || mem.payload
}

pub fn emit_struct(m: &Model, name: &str, rest: bool, out: &mut String) -> Result<(), String> {
    let s = m.shape(name)?;
    let ms = members(s);
    // JSON protocols key a body member by its locationName; query ones name XML with it.
    let json_keys = matches!(
        m.metadata.get("protocol").and_then(Value::as_str),
        Some("json" | "rest-json")
    );
    let redact = ms.iter().any(|mem| sensitive(m, mem.target));
    let derive = if redact { "" } else { "Debug, " };
    // `remote = "Self"` makes the derives inherent functions; the trait impls below wrap
    // deserialization so that a structure is read from a JSON object only.
    writeln!(
        out,
        "#[derive({derive}Clone, Default, PartialEq, ::serde::Serialize, ::serde::Deserialize)]\n#[serde(remote = \"Self\")]"
    )
    .ok();
    writeln!(out, "pub struct {name} {{").ok();
    for mem in &ms {
        let ty = rust_type(m, mem.target)?;
        let field = field_name(mem.name);
        if rest && outside_body(mem) {
            writeln!(out, "    #[serde(skip)]").ok();
        } else {
            let with = if kind(m.shape(mem.target)?) == "blob" {
                ", with = \"crate::wire::blob\""
            } else {
                ""
            };
            // A body member's JSON key is its locationName when it has one.
            writeln!(
                out,
                "    #[serde(rename = \"{}\", default, skip_serializing_if = \"Option::is_none\"{with})]",
                mem.location_name
                    .filter(|_| mem.location.is_none() && json_keys)
                    .unwrap_or(mem.name)
            )
            .ok();
        }
        writeln!(out, "    pub {field}: ::std::option::Option<{ty}>,").ok();
    }
    writeln!(out, "}}\n").ok();
    writeln!(
        out,
        "impl<'de> ::serde::Deserialize<'de> for {name} {{\n    fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {{\n        Self::deserialize(crate::wire::object::Only(d))\n    }}\n}}\n\nimpl ::serde::Serialize for {name} {{\n    fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {{\n        Self::serialize(self, s)\n    }}\n}}\n"
    )
    .ok();
    if redact {
        writeln!(out, "impl ::std::fmt::Debug for {name} {{").ok();
        writeln!(
            out,
            "    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {{"
        )
        .ok();
        writeln!(out, "        let mut d = f.debug_struct(\"{name}\");").ok();
        for mem in &ms {
            let field = field_name(mem.name);
            if sensitive(m, mem.target) {
                writeln!(out, "        d.field(\"{field}\", &crate::wire::REDACTED);").ok();
            } else {
                writeln!(out, "        d.field(\"{field}\", &self.{field});").ok();
            }
        }
        writeln!(out, "        d.finish()\n    }}\n}}\n").ok();
    }
    emit_validate(m, name, &ms, out)
}

/// The query protocol's reading from form parameters and writing as XML, for one structure.
pub fn emit_query_impls(m: &Model, name: &str, out: &mut String) -> Result<(), String> {
    emit_from_form(m, name, out)?;
    emit_to_xml(m, name, out)
}

/// How a query front reads structure `name` from a form.
pub fn emit_from_form(m: &Model, name: &str, out: &mut String) -> Result<(), String> {
    let s = m.shape(name)?;
    let ms = members(s);
    writeln!(
        out,
        "impl crate::wire::query::FromForm for {name} {{\n    fn from_form(form: &crate::wire::query::Form, key: &str) -> crate::error::Result<::std::option::Option<Self>> {{"
    )
    .ok();
    writeln!(
        out,
        "        if !crate::wire::query::present(form, key) {{ return Ok(None); }}"
    )
    .ok();
    writeln!(out, "        Ok(Some({name} {{").ok();
    for mem in &ms {
        if kind(m.shape(mem.target)?) == "blob" {
            return Err(format!(
                "{name}.{}: blobs are not read from forms yet",
                mem.name
            ));
        }
        let target = m.shape(mem.target)?;
        let name = mem.location_name.unwrap_or(mem.name);
        let flattened = mem.flattened || target["flattened"].as_bool() == Some(true);
        let read = match kind(target) {
            // A flattened list's items are named by the list's member name if it has one.
            "list" if flattened => format!(
                "crate::wire::query::list(form, &crate::wire::query::member(key, {:?}), None)",
                flat_item_name(target, name)
            ),
            "list" => format!(
                "crate::wire::query::list(form, &crate::wire::query::member(key, {name:?}), Some({:?}))",
                target["member"]["locationName"].as_str().unwrap_or("member")
            ),
            "map" => format!(
                "crate::wire::query::map(form, &crate::wire::query::member(key, {name:?}), {}, ({:?}, {:?}))",
                !flattened,
                target["key"]["locationName"].as_str().unwrap_or("key"),
                target["value"]["locationName"].as_str().unwrap_or("value")
            ),
            _ => format!(
                "crate::wire::query::FromForm::from_form(form, &crate::wire::query::member(key, {name:?}))"
            ),
        };
        writeln!(out, "            {}: {read}?,", field_name(mem.name)).ok();
    }
    writeln!(out, "        }}))\n    }}\n}}\n").ok();
    Ok(())
}

/// The name a flattened list's items carry: the list member's own name if the list shape
/// gives one, else the structure member's.
fn flat_item_name<'a>(target: &'a Value, member: &'a str) -> &'a str {
    target["member"]["locationName"].as_str().unwrap_or(member)
}

/// How a query front writes structure `name` as XML: members by their location names, lists
/// wrapped (`member` or the list's item name) or flattened, maps with `entry` or flattened,
/// their key and value elements renamed where the shape says so, blobs in base64.
pub fn emit_to_xml(m: &Model, name: &str, out: &mut String) -> Result<(), String> {
    let ms = members(m.shape(name)?);
    writeln!(
        out,
        "impl crate::wire::query::ToXml for {name} {{\n    fn to_xml(&self, out: &mut ::std::string::String) {{"
    )
    .ok();
    if ms.is_empty() {
        writeln!(out, "        let _ = out;").ok();
    }
    for mem in &ms {
        let target = m.shape(mem.target)?;
        let element = mem.location_name.unwrap_or(mem.name);
        let field = field_name(mem.name);
        let flattened = mem.flattened || target["flattened"].as_bool() == Some(true);
        let write = match kind(target) {
            "timestamp" => format!("timestamp(out, {element:?}, self.{field}.as_ref())"),
            "blob" => format!("blob(out, {element:?}, self.{field}.as_deref())"),
            "list" if flattened => format!(
                "flat_list(out, {:?}, self.{field}.as_ref())",
                flat_item_name(target, element)
            ),
            "list" => format!(
                "wrapped_list(out, {element:?}, {:?}, self.{field}.as_ref())",
                target["member"]["locationName"]
                    .as_str()
                    .unwrap_or("member")
            ),
            "map" => format!(
                "map(out, {element:?}, {}, ({:?}, {:?}), self.{field}.as_ref())",
                !flattened,
                target["key"]["locationName"].as_str().unwrap_or("key"),
                target["value"]["locationName"].as_str().unwrap_or("value")
            ),
            _ => format!("element(out, {element:?}, self.{field}.as_ref())"),
        };
        writeln!(out, "        crate::wire::query::xml::{write};").ok();
    }
    writeln!(out, "    }}\n}}\n").ok();
    Ok(())
}

/// Whether a value of `target` has anything to check.
fn has_checks(m: &Model, target: &str) -> bool {
    let Ok(s) = m.shape(target) else { return false };
    let bounded = ["min", "max", "pattern", "enum"]
        .iter()
        .any(|k| s.get(*k).is_some());
    bounded
        || match kind(s) {
            "structure" => members(s)
                .iter()
                .any(|mem| mem.required || has_checks(m, mem.target)),
            "list" => has_checks(m, s["member"]["shape"].as_str().unwrap_or("")),
            "map" => {
                has_checks(m, s["key"]["shape"].as_str().unwrap_or(""))
                    || has_checks(m, s["value"]["shape"].as_str().unwrap_or(""))
            }
            _ => false,
        }
}

fn emit_validate(
    m: &Model,
    name: &str,
    ms: &[crate::model::Member<'_>],
    out: &mut String,
) -> Result<(), String> {
    writeln!(out, "impl crate::wire::Validate for {name} {{").ok();
    let any = ms
        .iter()
        .any(|mem| mem.required || has_checks(m, mem.target));
    let (base, v) = if any { ("base", "v") } else { ("_base", "_v") };
    writeln!(
        out,
        "    fn validate(&self, {base}: &str, {v}: &mut crate::wire::Violations) {{"
    )
    .ok();
    for mem in ms {
        let field = field_name(mem.name);
        let shown = message_name(mem.name);
        if mem.required {
            writeln!(
                out,
                "        if self.{field}.is_none() {{ v.missing(crate::wire::At::new(base, \"{shown}\")); }}"
            )
            .ok();
        }
        if has_checks(m, mem.target) {
            writeln!(out, "        if let Some(x) = &self.{field} {{").ok();
            writeln!(
                out,
                "            let at = crate::wire::At::new(base, \"{shown}\");"
            )
            .ok();
            emit_check(m, mem.target, "x", out, 3)?;
            writeln!(out, "        }}").ok();
        }
    }
    writeln!(out, "    }}\n}}\n").ok();
    Ok(())
}

/// List shapes whose size violations show the list as AWS's Java front end prints it
/// (recorded: eleven PutEvents entries are printed whole); their members implement
/// `crate::wire::java::JavaText` by hand.
const SHOWN_LISTS: [&str; 1] = ["PutEventsRequestEntryList"];

/// Enum shapes whose refusal lists the values in another order than the model's (recorded:
/// EventBridge's front end prints the HTTP methods in the order of its own set).
const SHOWN_ENUM_ORDER: [(&str, &[&str]); 1] = [(
    "ApiDestinationHttpMethod",
    &["HEAD", "POST", "PATCH", "DELETE", "PUT", "GET", "OPTIONS"],
)];

/// Enum shapes whose values AWS accepts in any case (recorded: EventBridge takes an OAuth
/// connection's `HttpMethod` as `post`), though their models list them in capitals.
const CASELESS_ENUMS: [&str; 1] = ["ConnectionOAuthHttpMethod"];

/// Checks `value` (a reference to a value of shape `target`) against the shape's constraints,
/// reporting at `at`.
fn emit_check(
    m: &Model,
    target: &str,
    value: &str,
    out: &mut String,
    depth: usize,
) -> Result<(), String> {
    let s = m.shape(target)?;
    let pad = "    ".repeat(depth);
    let bound = |k: &str| {
        s[k].as_i64()
            .map_or("None".to_string(), |n| format!("Some({n})"))
    };
    let (min, max) = (bound("min"), bound("max"));
    let has_bounds = s.get("min").is_some() || s.get("max").is_some();
    let shown = if sensitive(m, target) {
        "None".to_string()
    } else {
        format!("Some({value} as &dyn ::std::fmt::Display)")
    };
    match kind(s) {
        "string" => {
            if has_bounds {
                writeln!(
                    out,
                    "{pad}v.length(at, {shown}, {value}.chars().count(), {min}, {max});"
                )
                .ok();
            }
            if let Some(p) = s["pattern"].as_str() {
                let full = format!("^(?:{p})$");
                if regex::Regex::new(&full).is_ok() || fancy_regex::Regex::new(&full).is_ok() {
                    writeln!(
                        out,
                        "{pad}static PATTERN: crate::wire::Pattern = crate::wire::Pattern::new({full:?}, {p:?});"
                    )
                    .ok();
                    writeln!(out, "{pad}v.pattern(at, {shown}, {value}, &PATTERN);").ok();
                } else {
                    writeln!(
                        out,
                        "{pad}// The model's pattern for {target} needs look-around, which is not checked."
                    )
                    .ok();
                }
            }
            if let Some(values) = s["enum"].as_array() {
                let shown = SHOWN_ENUM_ORDER
                    .iter()
                    .find(|(shape, _)| *shape == target)
                    .map(|(_, order)| order.to_vec());
                let list: Vec<String> = shown
                    .unwrap_or_else(|| values.iter().filter_map(Value::as_str).collect())
                    .iter()
                    .map(|v| format!("{v:?}"))
                    .collect();
                let check = if CASELESS_ENUMS.contains(&target) {
                    "one_of_ignoring_case"
                } else {
                    "one_of"
                };
                writeln!(out, "{pad}v.{check}(at, {value}, &[{}]);", list.join(", ")).ok();
            }
        }
        "integer" | "long" if has_bounds => {
            writeln!(out, "{pad}v.range(at, *{value}, {min}, {max});").ok();
        }
        "float" | "double" => {
            let fbound = |k: &str| {
                s[k].as_f64()
                    .map_or("None".to_string(), |n| format!("Some({n:?})"))
            };
            if has_bounds {
                writeln!(
                    out,
                    "{pad}v.range(at, *{value}, {}, {});",
                    fbound("min"),
                    fbound("max")
                )
                .ok();
            }
        }
        "blob" if has_bounds => {
            writeln!(out, "{pad}v.length(at, None, {value}.len(), {min}, {max});").ok();
        }
        "list" => {
            if has_bounds && SHOWN_LISTS.contains(&target) {
                writeln!(
                    out,
                    "{pad}v.length(at, Some(&crate::wire::java::JavaList({value})), {value}.len(), {min}, {max});"
                )
                .ok();
            } else if has_bounds {
                writeln!(out, "{pad}v.size(at, {value}.len(), {min}, {max});").ok();
            }
            let member = s["member"]["shape"].as_str().unwrap_or("");
            if has_checks(m, member) {
                writeln!(out, "{pad}for (i, item) in {value}.iter().enumerate() {{").ok();
                writeln!(
                    out,
                    "{pad}    let path = format!(\"{{at}}.{{}}.member\", i + 1);"
                )
                .ok();
                writeln!(out, "{pad}    let at = crate::wire::At::new(&path, \"\");").ok();
                // A member whose only check cannot be made leaves both unused.
                writeln!(out, "{pad}    let _ = (&item, &at);").ok();
                emit_check(m, member, "item", out, depth + 1)?;
                writeln!(out, "{pad}}}").ok();
            }
        }
        "map" => {
            if has_bounds {
                writeln!(out, "{pad}v.size(at, {value}.len(), {min}, {max});").ok();
            }
            let key = s["key"]["shape"].as_str().unwrap_or("");
            let val = s["value"]["shape"].as_str().unwrap_or("");
            if has_checks(m, key) || has_checks(m, val) {
                writeln!(out, "{pad}for (key, value) in {value}.iter() {{").ok();
                writeln!(out, "{pad}    let path = format!(\"{{at}}.{{key}}\");").ok();
                writeln!(out, "{pad}    let _ = (&key, &value);").ok();
                if has_checks(m, key) {
                    writeln!(
                        out,
                        "{pad}    {{ let at = crate::wire::At::new(&path, \"key\");"
                    )
                    .ok();
                    emit_check(m, key, "key", out, depth + 2)?;
                    writeln!(out, "{pad}    }}").ok();
                }
                if has_checks(m, val) {
                    writeln!(
                        out,
                        "{pad}    {{ let at = crate::wire::At::new(&path, \"value\");"
                    )
                    .ok();
                    emit_check(m, val, "value", out, depth + 2)?;
                    writeln!(out, "{pad}    }}").ok();
                }
                writeln!(out, "{pad}}}").ok();
            }
        }
        "structure" => {
            writeln!(
                out,
                "{pad}crate::wire::Validate::validate({value}, &at.to_string(), v);"
            )
            .ok();
        }
        _ => {}
    }
    Ok(())
}
