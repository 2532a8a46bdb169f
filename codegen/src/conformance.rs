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

/// Query request suites: each case's form body (what an SDK sends) read with the generated
/// `FromForm`, as rows of (description, body, the params as JSON, the reader).
fn query_suites(file: &Path, prefix: &str, out: &mut String) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let suites: Vec<Value> =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut rows = Vec::new();
    for (i, suite) in suites.iter().enumerate() {
        let shapes = suite["shapes"].as_object().cloned().unwrap_or_default();
        let model = Model {
            metadata: Map::new(),
            operations: Map::new(),
            shapes: shapes.clone(),
            paginators: Map::new(),
        };
        let description = suite["description"].as_str().unwrap_or_default();
        let mut skipped = shapes.iter().find_map(|(name, s)| {
            if s["timestampFormat"].is_string() {
                Some("timestamps in a format other than epoch seconds")
            } else if s["idempotencyToken"].as_bool() == Some(true)
                || s["members"].as_object().is_some_and(|m| {
                    m.values()
                        .any(|v| v["idempotencyToken"].as_bool() == Some(true))
                })
            {
                Some("a token the client fills in")
            } else if kind(s) == "structure" && recursive(&shapes, name) {
                Some("recursive structures")
            } else {
                None
            }
        });
        let mut module = String::new();
        if skipped.is_none() {
            for (name, s) in &shapes {
                if kind(s) == "structure"
                    && (crate::shapes::emit_struct(&model, name, false, &mut module).is_err()
                        || crate::shapes::emit_query_impls(&model, name, &mut module).is_err())
                {
                    skipped = Some("types the wire structures do not have");
                    break;
                }
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
            let (Some(shape), Some(body)) = (
                case["given"]["input"]["shape"].as_str(),
                case["serialized"]["body"].as_str(),
            ) else {
                continue;
            };
            let params = normalized(&shapes, shape, &case["params"]).to_string();
            rows.push(format!(
                "({description:?}, {body:?}, {params:?}, |b| form_read::<{prefix}_{i}::{shape}>(b))"
            ));
        }
    }
    writeln!(
        out,
        "/// Each case: its suite's description, the form an SDK sends, the members it carries (as\n/// JSON), and the form read into the suite's structure.\npub const {}: &[FormCase] = &[\n{}\n];\n",
        prefix.to_uppercase(),
        rows.join(",\n")
    )
    .ok();
    Ok(())
}

fn suites(file: &Path, input: bool, prefix: &str, out: &mut String) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let suites: Vec<Value> =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut rows = Vec::new();
    for (i, suite) in suites.iter().enumerate() {
        let shapes = suite["shapes"].as_object().cloned().unwrap_or_default();
        let model = Model {
            metadata: Map::new(),
            operations: Map::new(),
            shapes: shapes.clone(),
            paginators: Map::new(),
        };
        // What no served model uses, so the wire structures do not take it.
        let mut skipped = shapes.iter().find_map(|(name, s)| {
            if s["document"].as_bool() == Some(true) {
                Some("document types")
            } else if s["timestampFormat"].is_string() {
                Some("timestamps in a format other than epoch seconds")
            } else if kind(s) == "structure" && recursive(&shapes, name) {
                Some("recursive structures")
            } else {
                None
            }
        });
        let mut module = String::new();
        if skipped.is_none() {
            for (name, s) in &shapes {
                if kind(s) == "structure"
                    && crate::shapes::emit_struct(&model, name, false, &mut module).is_err()
                {
                    skipped = Some("types the wire structures do not have");
                    break;
                }
            }
        }
        let description = suite["description"].as_str().unwrap_or_default();
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
            let (shape, body) = if input {
                (
                    case["given"]["input"]["shape"].as_str(),
                    case["serialized"]["body"].as_str(),
                )
            } else {
                (
                    case["given"]["output"]["shape"].as_str(),
                    case["response"]["body"].as_str(),
                )
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
            rows.push(format!(
                "({description:?}, {body:?}, |b| round_trip::<{prefix}_{i}::{shape}>(b))"
            ));
        }
    }
    writeln!(
        out,
        "/// Each case: its suite's description, the body AWS wrote, and the body read into the\n/// suite's structure and written again.\npub const {}: &[Case] = &[\n{}\n];\n",
        prefix.to_uppercase(),
        rows.join(",\n")
    )
    .ok();
    Ok(())
}

/// `crates/wire/src/conformance/cases.rs`, from the case files in `dir`.
pub fn emit(dir: &Path) -> Result<String, String> {
    let mut out = String::from(
        "//! AWS's protocol test cases (botocore's JSON suites, see `codegen/conformance/`) as wire\n//! structures and rows.\n// @generated by `cargo codegen` from codegen/conformance/. Do not edit.\n\nuse super::{form_read, round_trip, Case, FormCase};\n\n",
    );
    for (file, input, prefix) in [
        ("input-json.json", true, "json_input"),
        ("output-json.json", false, "json_output"),
        ("input-json-classic.json", true, "classic_input"),
        ("output-json-classic.json", false, "classic_output"),
    ] {
        suites(&dir.join(file), input, prefix, &mut out)?;
    }
    query_suites(
        &dir.join("input-query-classic.json"),
        "query_input",
        &mut out,
    )?;
    Ok(out)
}
