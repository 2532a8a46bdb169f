//! AWS's protocol test cases (botocore's, kept as data in `codegen/conformance/`) as wire
//! structures: each suite's shapes become a module, each case a row the wire crate's tests
//! read back through them.

use crate::model::{kind, Model};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::Path;

/// Whether structure `name` reaches itself (a recursive shape needs boxing, which the wire
/// structures do not do: no served model has one).
fn recursive(shapes: &Map<String, Value>, name: &str) -> bool {
    fn reach(shapes: &Map<String, Value>, from: &str, seen: &mut BTreeSet<String>) {
        let Some(s) = shapes.get(from) else { return };
        let targets: Vec<&str> = match kind(s) {
            "structure" => s["members"]
                .as_object()
                .map(|m| m.values().filter_map(|v| v["shape"].as_str()).collect())
                .unwrap_or_default(),
            "list" => s["member"]["shape"].as_str().into_iter().collect(),
            "map" => s["value"]["shape"].as_str().into_iter().collect(),
            _ => Vec::new(),
        };
        for t in targets {
            if seen.insert(t.to_string()) {
                reach(shapes, t, seen);
            }
        }
    }
    let mut seen = BTreeSet::new();
    reach(shapes, name, &mut seen);
    seen.contains(name)
}

/// One file of cases (`input`: request bodies; else response bodies) as modules and rows.
/// `params` as LocalEmu's structures write them back as JSON: blobs in base64.
fn normalized(shapes: &Map<String, Value>, shape: &str, v: &Value) -> Value {
    use base64::Engine as _;
    let Some(s) = shapes.get(shape) else {
        return v.clone();
    };
    match (kind(s), v) {
        ("blob", Value::String(text)) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(text))
        }
        ("structure", Value::Object(m)) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let target = s["members"][k]["shape"].as_str().unwrap_or_default();
                    (k.clone(), normalized(shapes, target, v))
                })
                .collect(),
        ),
        ("list", Value::Array(items)) => {
            let target = s["member"]["shape"].as_str().unwrap_or_default();
            Value::Array(
                items
                    .iter()
                    .map(|i| normalized(shapes, target, i))
                    .collect(),
            )
        }
        ("map", Value::Object(m)) => {
            let target = s["value"]["shape"].as_str().unwrap_or_default();
            Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), normalized(shapes, target, v)))
                    .collect(),
            )
        }
        _ => v.clone(),
    }
}

/// Every member of REST input structure `name` as JSON, those bound outside the body included
/// (a blob payload in base64), to set beside a case's members.
fn emit_rest_members(m: &Model, name: &str, out: &mut String) -> Result<(), String> {
    let s = m.shape(name)?;
    writeln!(out, "impl super::super::RestMembers for {name} {{").ok();
    writeln!(
        out,
        "    #[allow(unused_mut, reason = \"not every input has members outside its body\")]"
    )
    .ok();
    writeln!(out, "    fn rest_members(&self) -> serde_json::Value {{").ok();
    writeln!(
        out,
        "        let mut all = serde_json::to_value(self).unwrap_or_default();"
    )
    .ok();
    for mem in crate::model::members(s) {
        if let (Some(key), false) = (mem.location_name, crate::shapes::outside_body(&mem)) {
            // The case names members as the model does, not by their JSON key.
            writeln!(
                out,
                "        if let Some(m) = all.as_object_mut() {{ if let Some(v) = m.remove({key:?}) {{ m.insert({:?}.into(), v); }} }}",
                mem.name
            )
            .ok();
        }
        if !crate::shapes::outside_body(&mem) {
            continue;
        }
        let field = crate::model::field_name(mem.name);
        let value = if kind(m.shape(mem.target)?) == "blob" {
            "serde_json::Value::String(base64::Engine::encode(&base64::engine::general_purpose::STANDARD, v))"
        } else {
            "serde_json::to_value(v).unwrap_or_default()"
        };
        writeln!(
            out,
            "        if let (Some(v), Some(m)) = (&self.{field}, all.as_object_mut()) {{ m.insert({:?}.into(), {value}); }}",
            mem.name
        )
        .ok();
    }
    writeln!(out, "        all\n    }}\n}}\n").ok();
    Ok(())
}

/// A REST output structure made from a case's members (named as the model names them):
/// body members read as JSON under their keys, the others set from their own values.
fn emit_from_members(m: &Model, name: &str, out: &mut String) -> Result<(), String> {
    let s = m.shape(name)?;
    writeln!(out, "impl super::super::FromMembers for {name} {{").ok();
    writeln!(
        out,
        "    #[allow(unused_mut, reason = \"not every output has members to move\")]\n    fn from_members(v: &serde_json::Value) -> ::std::result::Result<Self, String> {{"
    )
    .ok();
    writeln!(
        out,
        "        let mut body = v.as_object().cloned().unwrap_or_default();"
    )
    .ok();
    let ms = crate::model::members(s);
    for mem in &ms {
        if crate::shapes::outside_body(mem) {
            writeln!(out, "        body.remove({:?});", mem.name).ok();
        } else if let Some(key) = mem.location_name {
            writeln!(
                out,
                "        if let Some(x) = body.remove({:?}) {{ body.insert({key:?}.into(), x); }}",
                mem.name
            )
            .ok();
        }
    }
    writeln!(
        out,
        "        let mut made: Self = serde_json::from_value(serde_json::Value::Object(body)).map_err(|e| e.to_string())?;"
    )
    .ok();
    for mem in &ms {
        if !crate::shapes::outside_body(mem) {
            continue;
        }
        let field = crate::model::field_name(mem.name);
        let read = if kind(m.shape(mem.target)?) == "blob" {
            "x.as_str().and_then(|t| base64::Engine::decode(&base64::engine::general_purpose::STANDARD, t).ok())"
        } else {
            "serde_json::from_value(x.clone()).ok()"
        };
        writeln!(
            out,
            "        made.{field} = v.get({:?}).and_then(|x| {read});",
            mem.name
        )
        .ok();
    }
    writeln!(out, "        Ok(made)\n    }}\n}}\n").ok();
    Ok(())
}

/// What a file of cases checks.
#[derive(Clone, Copy, PartialEq)]
enum Cases {
    /// JSON request bodies, read and written back.
    JsonRequests,
    /// JSON response bodies, read and written back.
    JsonResponses,
    /// Query forms an SDK sends, read with `FromForm` into the case's members.
    QueryRequests,
    /// The case's members written with `ToXml`, against the XML AWS sent.
    QueryResponses,
    /// REST-JSON requests an SDK sends (path, query string, headers, body), bound with the
    /// generated `FromRest` into the case's members.
    RestRequests,
    /// The case's members written with the generated `ToRest`, against the status, headers
    /// and body AWS sent.
    RestResponses,
}

/// Why a suite's shapes are not generated: what no served model uses, so the wire
/// structures do not take it.
fn unsupported(shapes: &Map<String, Value>, cases: Cases) -> Option<&'static str> {
    let token = |s: &Value| {
        s["idempotencyToken"].as_bool() == Some(true)
            || s["members"].as_object().is_some_and(|m| {
                m.values()
                    .any(|v| v["idempotencyToken"].as_bool() == Some(true))
            })
    };
    shapes.iter().find_map(|(name, s)| {
        if s["document"].as_bool() == Some(true) {
            Some("document types")
        } else if s["members"]
            .as_object()
            .is_some_and(|m| m.values().any(|v| v["jsonvalue"].as_bool() == Some(true)))
        {
            Some("JSON values in headers")
        } else if s["timestampFormat"].is_string() {
            Some("timestamps in a format other than epoch seconds")
        } else if matches!(cases, Cases::QueryRequests | Cases::RestRequests) && token(s) {
            // The case's form carries a token the client made up; its params do not.
            Some("a token the client fills in")
        } else if kind(s) == "structure" && recursive(shapes, name) {
            Some("recursive structures")
        } else {
            None
        }
    })
}

/// One file of cases as modules (a suite's shapes each) and a table of rows.
fn suites(file: &Path, cases: Cases, prefix: &str, out: &mut String) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let suites: Vec<Value> =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut rows = Vec::new();
    for (i, suite) in suites.iter().enumerate() {
        let mut shapes = suite["shapes"].as_object().cloned().unwrap_or_default();
        // The classic suites name an input's payload member on the operation; the models
        // (which the generator reads) name it on the structure.
        for case in suite["cases"].as_array().into_iter().flatten() {
            for io in ["input", "output"] {
                let given = &case["given"][io];
                if let (Some(shape), Some(payload)) =
                    (given["shape"].as_str(), given.get("payload"))
                {
                    if let Some(Value::Object(s)) = shapes.get_mut(shape) {
                        s.insert("payload".into(), payload.clone());
                    }
                }
            }
        }
        let protocol = match cases {
            Cases::JsonRequests | Cases::JsonResponses => "json",
            Cases::RestRequests | Cases::RestResponses => "rest-json",
            Cases::QueryRequests | Cases::QueryResponses => "query",
        };
        let model = Model {
            metadata: [("protocol".to_string(), Value::from(protocol))]
                .into_iter()
                .collect(),
            operations: Map::new(),
            shapes: shapes.clone(),
            paginators: Map::new(),
        };
        let description = suite["description"].as_str().unwrap_or_default();
        let mut skipped = unsupported(&shapes, cases);
        let mut module = String::new();
        for (name, s) in &shapes {
            if skipped.is_some() {
                break;
            }
            if kind(s) != "structure" {
                continue;
            }
            let rest = matches!(cases, Cases::RestRequests | Cases::RestResponses);
            let emitted = crate::shapes::emit_struct(&model, name, rest, &mut module).is_ok()
                && match cases {
                    Cases::QueryRequests => {
                        crate::shapes::emit_from_form(&model, name, &mut module).is_ok()
                    }
                    Cases::QueryResponses => {
                        crate::shapes::emit_to_xml(&model, name, &mut module).is_ok()
                    }
                    _ => true,
                };
            if !emitted {
                skipped = Some("types the wire structures do not have");
            }
        }
        if cases == Cases::RestResponses && skipped.is_none() {
            let outputs: BTreeSet<&str> = suite["cases"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["given"]["output"]["shape"].as_str())
                .collect();
            for output in outputs {
                let written = crate::ops::emit_to_rest(&model, output, &mut module)
                    .and_then(|()| emit_from_members(&model, output, &mut module));
                if written.is_err() {
                    skipped = Some("members written to headers as other than strings, integers and booleans, or payloads other than blobs");
                }
            }
        }
        if cases == Cases::RestRequests && skipped.is_none() {
            let inputs: BTreeSet<&str> = suite["cases"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["given"]["input"]["shape"].as_str())
                .collect();
            for input in inputs {
                let bound = crate::ops::emit_from_rest(&model, input, &mut module)
                    .and_then(|()| emit_rest_members(&model, input, &mut module));
                if let Err(why) = bound {
                    skipped = Some(if why.contains("payload") {
                        "payloads other than blobs"
                    } else {
                        "members bound from text of types other than strings, integers and booleans"
                    });
                }
            }
            let greedy = suite["cases"].as_array().into_iter().flatten().any(|c| {
                c["given"]["http"]["requestUri"]
                    .as_str()
                    .is_some_and(|u| u.contains("+}"))
            });
            if greedy {
                skipped = Some("greedy path labels");
            }
        }
        if let Some(why) = skipped {
            writeln!(
                out,
                "// Not generated: {prefix} suite {i} ({description}): {why}."
            )
            .ok();
            continue;
        }
        writeln!(out, "pub mod {prefix}_{i} {{\n    #![allow(unused_imports)]\n    use crate::wire::Map;\n{module}}}\n").ok();
        for case in suite["cases"].as_array().into_iter().flatten() {
            let (shape, body) = match cases {
                Cases::JsonResponses | Cases::QueryResponses | Cases::RestResponses => (
                    case["given"]["output"]["shape"].as_str(),
                    case["response"]["body"].as_str(),
                ),
                _ => (
                    case["given"]["input"]["shape"].as_str(),
                    case["serialized"]["body"].as_str(),
                ),
            };
            let body = if matches!(cases, Cases::RestRequests | Cases::RestResponses) {
                Some(body.unwrap_or_default())
            } else {
                body
            };
            let (Some(shape), Some(body)) = (shape, body) else {
                continue;
            };
            // Non-finite floats travel as strings; no served model has a float member.
            if ["\"NaN\"", "\"Infinity\"", "\"-Infinity\""]
                .iter()
                .any(|n| body.contains(n))
            {
                continue;
            }
            rows.push(if cases == Cases::RestResponses {
                let result = normalized(&shapes, shape, &case["result"]).to_string();
                let response = &case["response"];
                format!(
                    "({description:?}, {}, {:?}, {body:?}, {result:?}, |r| rest_written::<{prefix}_{i}::{shape}>(r))",
                    response["status_code"].as_u64().unwrap_or(200),
                    response["headers"].to_string(),
                )
            } else if cases == Cases::RestRequests {
                let params = normalized(&shapes, shape, &case["params"]).to_string();
                let http = &case["given"]["http"];
                let serialized = &case["serialized"];
                let headers = serialized["headers"].to_string();
                format!(
                    "({description:?}, {:?}, {:?}, {:?}, {headers:?}, {body:?}, {params:?}, |r| rest_read::<{prefix}_{i}::{shape}>(r))",
                    serialized["method"].as_str().or(http["method"].as_str()).unwrap_or("POST"),
                    serialized["uri"].as_str().unwrap_or("/"),
                    http["requestUri"].as_str().unwrap_or("/"),
                )
            } else if cases == Cases::QueryRequests {
                let params = normalized(&shapes, shape, &case["params"]).to_string();
                format!(
                    "({description:?}, {body:?}, {params:?}, |b| form_read::<{prefix}_{i}::{shape}>(b))"
                )
            } else if cases == Cases::QueryResponses {
                let result = normalized(&shapes, shape, &case["result"]).to_string();
                let wrapper = case["given"]["output"]["resultWrapper"].as_str();
                format!(
                    "({description:?}, {body:?}, {wrapper:?}, {result:?}, |r| xml_written::<{prefix}_{i}::{shape}>(r))"
                )
            } else {
                format!("({description:?}, {body:?}, |b| round_trip::<{prefix}_{i}::{shape}>(b))")
            });
        }
    }
    let (doc, row) = if cases == Cases::RestResponses {
        (
            "the status, headers (as JSON) and body AWS sent, the\n/// members (as JSON), and those members written as a REST answer",
            "RestOutCase",
        )
    } else if cases == Cases::RestRequests {
        (
            "the method, URI (with its query string), the operation's\n/// path template, headers (as JSON) and body an SDK sends, the members it carries (as JSON),\n/// and the request bound into the suite's structure",
            "RestCase",
        )
    } else if cases == Cases::QueryRequests {
        (
            "the form an SDK sends, the members it carries (as\n/// JSON), and the form read into the suite's structure",
            "FormCase",
        )
    } else if cases == Cases::QueryResponses {
        (
            "the XML AWS sent, the element its members are in\n/// (none: the root), the members (as JSON), and those members written as XML",
            "XmlCase",
        )
    } else {
        (
            "the body AWS wrote, and the body read into the\n/// suite's structure and written again",
            "Case",
        )
    };
    writeln!(
        out,
        "/// Each case: its suite's description, {doc}.\npub const {}: &[{row}] = &[\n{}\n];\n",
        prefix.to_uppercase(),
        rows.join(",\n")
    )
    .ok();
    Ok(())
}

/// `crates/wire/src/conformance/cases.rs`, from the case files in `dir`.
pub fn emit(dir: &Path) -> Result<String, String> {
    let mut out = String::from(
        "//! AWS's protocol test cases (botocore's JSON and query suites, see `codegen/conformance/`) as wire\n//! structures and rows.\n// @generated by `cargo codegen` from codegen/conformance/. Do not edit.\n\nuse super::{form_read, rest_read, rest_written, round_trip, xml_written, Case, FormCase, RestCase, RestOutCase, XmlCase};\n\n",
    );
    for (file, cases, prefix) in [
        ("input-json.json", Cases::JsonRequests, "json_input"),
        ("output-json.json", Cases::JsonResponses, "json_output"),
        (
            "input-json-classic.json",
            Cases::JsonRequests,
            "classic_input",
        ),
        (
            "output-json-classic.json",
            Cases::JsonResponses,
            "classic_output",
        ),
        (
            "input-query-classic.json",
            Cases::QueryRequests,
            "query_input",
        ),
        (
            "output-query-classic.json",
            Cases::QueryResponses,
            "query_output",
        ),
        (
            "input-rest-json-classic.json",
            Cases::RestRequests,
            "rest_json_input",
        ),
        (
            "output-rest-json-classic.json",
            Cases::RestResponses,
            "rest_json_output",
        ),
    ] {
        suites(&dir.join(file), cases, prefix, &mut out)?;
    }
    Ok(out)
}
