//! Emits the client's command and flag tables: one `Op` per served operation.

use crate::model::{kind, members, split_case, Model};
use std::fmt::Write;

/// The `Ty` expression for a member of shape `target`.
fn ty(m: &Model, target: &str, depth: usize) -> Result<String, String> {
    let s = m.shape(target)?;
    if depth > 8 {
        return Err(format!("{target}: nested too deeply for the CLI table"));
    }
    Ok(match kind(s) {
        "string" => "Ty::Str".into(),
        "timestamp" => "Ty::Time".into(),
        "integer" | "long" | "float" | "double" => "Ty::Int".into(),
        "boolean" => "Ty::Bool".into(),
        "blob" => "Ty::Blob".into(),
        "list" => format!(
            "Ty::List(&{})",
            ty(m, s["member"]["shape"].as_str().unwrap_or(""), depth + 1)?
        ),
        "map" => format!(
            "Ty::Map(&{})",
            ty(m, s["value"]["shape"].as_str().unwrap_or(""), depth + 1)?
        ),
        "structure" => {
            let mut parts = Vec::new();
            for mem in members(s) {
                parts.push(member(m, &mem, depth + 1)?);
            }
            format!("Ty::Struct(&[{}])", parts.join(", "))
        }
        other => return Err(format!("{target}: {other} has no CLI type")),
    })
}

fn member(m: &Model, mem: &crate::model::Member<'_>, depth: usize) -> Result<String, String> {
    let wire = mem.location_name.unwrap_or(mem.name);
    let loc = match mem.location {
        Some("uri") => "Loc::Uri".to_string(),
        Some("querystring") => format!("Loc::Query({wire:?})"),
        Some("header") => format!("Loc::Header({wire:?})"),
        _ if mem.payload => "Loc::Payload".to_string(),
        _ => "Loc::Body".to_string(),
    };
    Ok(format!(
        "Member {{ name: {:?}, flag: {:?}, ty: {}, required: {}, loc: {loc} }}",
        mem.name,
        split_case(mem.name, '-'),
        ty(m, mem.target, depth)?,
        mem.required
    ))
}

/// Where an output of shape `target` holds timestamps: each a path of member names, with
/// `[]` for a list's members and `{}` for a map's values.
fn timestamp_paths(
    m: &Model,
    target: &str,
    path: &mut Vec<String>,
    depth: usize,
    out: &mut Vec<Vec<String>>,
) -> Result<(), String> {
    if depth > 10 {
        return Ok(());
    }
    let s = m.shape(target)?;
    let mut within = |step: &str, inner: &str, out: &mut Vec<Vec<String>>| {
        path.push(step.to_string());
        let r = timestamp_paths(m, inner, path, depth + 1, out);
        path.pop();
        r
    };
    match kind(s) {
        "timestamp" => out.push(path.clone()),
        "list" => within("[]", s["member"]["shape"].as_str().unwrap_or(""), out)?,
        "map" => within("{}", s["value"]["shape"].as_str().unwrap_or(""), out)?,
        "structure" => {
            for mem in members(s) {
                within(mem.name, mem.target, out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Paging as the service's paginators (or the generator entry, for models without them) say.
fn paging(m: &Model, op: &str, extra: &[(&str, [&str; 4])]) -> String {
    if let Some((_, [input, output, limit, result])) = extra.iter().find(|(o, _)| *o == op) {
        return format!(
            "Some(Paging {{ input_token: {input:?}, output_token: {output:?}, limit: {limit:?}, result: {result:?} }})"
        );
    }
    let Some(p) = m.paginators.get(op) else {
        return "None".into();
    };
    let text = |k: &str| p[k].as_str().unwrap_or("").to_string();
    format!(
        "Some(Paging {{ input_token: {:?}, output_token: {:?}, limit: {:?}, result: {:?} }})",
        text("input_token"),
        text("output_token"),
        text("limit_key"),
        text("result_key")
    )
}

pub fn emit(
    m: &Model,
    constant: &str,
    ops: &[String],
    extra_paging: &[(&str, [&str; 4])],
    out: &mut String,
) -> Result<(), String> {
    let rest = m.protocol() == "rest-json";
    writeln!(out, "pub const {constant}: &[Op] = &[").ok();
    for op in ops {
        let mut parts = Vec::new();
        let mut token = "None".to_string();
        if let Some(input) = m.io(op, "input") {
            for mem in members(m.shape(&input)?) {
                if mem.idempotency_token {
                    token = format!("Some({:?})", mem.name);
                }
                parts.push(member(m, &mem, 0)?);
            }
        }
        let mut stamps = Vec::new();
        if let Some(output) = m.io(op, "output") {
            timestamp_paths(m, &output, &mut Vec::new(), 0, &mut stamps)?;
        }
        let stamps: Vec<String> = stamps
            .iter()
            .map(|p| {
                format!(
                    "&[{}]",
                    p.iter()
                        .map(|s| format!("{s:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect();
        let http = if rest {
            let h = &m.op(op)?["http"];
            format!(
                "Some(({:?}, {:?}))",
                h["method"].as_str().unwrap_or("POST"),
                h["requestUri"].as_str().unwrap_or("/")
            )
        } else {
            "None".into()
        };
        writeln!(
            out,
            "    Op {{ name: {op:?}, command: {:?}, members: &[{}], http: {http}, paging: {}, idempotency_token: {token}, timestamps: &[{}] }},",
            split_case(op, '-'),
            parts.join(", "),
            paging(m, op, extra_paging),
            stamps.join(", ")
        )
        .ok();
    }
    writeln!(out, "];\n").ok();
    Ok(())
}
