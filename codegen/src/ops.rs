//! Emits a service's operation enum, its handler trait and the exhaustive dispatch.

use crate::model::{field_name, kind, members, split_case, Model};
use std::fmt::Write;

const RESULT: &str = "Result";

fn output_type(m: &Model, op: &str) -> String {
    m.io(op, "output").unwrap_or_else(|| "()".into())
}

pub fn emit_enum(ops: &[String], out: &mut String) {
    writeln!(
        out,
        "/// The operations of this service that LocalEmu serves."
    )
    .ok();
    writeln!(out, "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]").ok();
    writeln!(out, "pub enum Operation {{").ok();
    for op in ops {
        writeln!(out, "    {op},").ok();
    }
    writeln!(out, "}}\n\nimpl Operation {{").ok();
    writeln!(out, "    pub const ALL: [Operation; {}] = [", ops.len()).ok();
    for op in ops {
        writeln!(out, "        Operation::{op},").ok();
    }
    writeln!(out, "    ];\n").ok();
    writeln!(
        out,
        "    pub fn name(self) -> &'static str {{\n        match self {{"
    )
    .ok();
    for op in ops {
        writeln!(out, "            Operation::{op} => \"{op}\",").ok();
    }
    writeln!(out, "        }}\n    }}\n").ok();
    writeln!(
        out,
        "    pub fn from_name(name: &str) -> ::std::option::Option<Operation> {{\n        match name {{"
    )
    .ok();
    for op in ops {
        writeln!(out, "            \"{op}\" => Some(Operation::{op}),").ok();
    }
    writeln!(out, "            _ => None,\n        }}\n    }}\n}}\n").ok();
}

fn emit_trait(m: &Model, ops: &[String], asynchronous: bool, out: &mut String) {
    let bound = if asynchronous { ": Send + Sync" } else { "" };
    writeln!(
        out,
        "/// What every operation of the service shares: the caller and the guard around a handler."
    )
    .ok();
    writeln!(out, "pub trait Service{bound} {{").ok();
    writeln!(
        out,
        "    /// Who is calling, as the protocol layer worked it out."
    )
    .ok();
    writeln!(out, "    type Context{bound};").ok();
    writeln!(
        out,
        "    /// Held while a handler runs; taken once the input is decoded and valid."
    )
    .ok();
    writeln!(out, "    type Guard<'a> where Self: 'a;").ok();
    writeln!(
        out,
        "    fn begin(&self, op: Operation) -> {RESULT}<Self::Guard<'_>>;"
    )
    .ok();
    writeln!(out, "}}\n").ok();
    for op in ops {
        let input = m.io(op, "input").unwrap_or_else(|| "()".into());
        let output = output_type(m, op);
        let ret = format!("{RESULT}<crate::wire::Ack<{output}>>");
        let ret = if asynchronous {
            format!("impl ::std::future::Future<Output = {ret}> + Send")
        } else {
            ret
        };
        writeln!(
            out,
            "/// The {op} operation; implemented where its behaviour lives."
        )
        .ok();
        writeln!(out, "pub trait {op}: Service {{").ok();
        writeln!(
            out,
            "    fn {}(&self, cx: &Self::Context, input: {input}) -> {ret};",
            split_case(op, '_')
        )
        .ok();
        writeln!(out, "}}\n").ok();
    }
    writeln!(
        out,
        "/// Every operation: a service that misses one does not compile where it is dispatched."
    )
    .ok();
    writeln!(
        out,
        "pub trait Handlers: Service + {} {{}}\n",
        ops.join(" + ")
    )
    .ok();
    writeln!(
        out,
        "impl<T: Service + {}> Handlers for T {{}}\n",
        ops.join(" + ")
    )
    .ok();
    writeln!(
        out,
        "/// Every operation's trait, for code that calls handlers directly (tests, in-process use)."
    )
    .ok();
    writeln!(
        out,
        "pub mod handlers {{\n    pub use super::{{{}}};\n}}\n",
        ops.join(", ")
    )
    .ok();
    emit_calls(m, ops, asynchronous, out);
}

/// One typed entry per operation for callers inside the emulator (a stack's resources, an
/// init document, the extension): the model's constraints, the service's guard, the handler,
/// as a request from outside gets them. `dispatch` decodes and calls the same entry.
fn emit_calls(m: &Model, ops: &[String], asynchronous: bool, out: &mut String) {
    writeln!(
        out,
        "/// Each operation as called in-process: the model's constraints, the service's guard, the handler."
    )
    .ok();
    writeln!(out, "pub mod call {{").ok();
    writeln!(out, "    use super::*;\n").ok();
    for op in ops {
        let input = m.io(op, "input").unwrap_or_else(|| "()".into());
        let output = output_type(m, op);
        let method = split_case(op, '_');
        let (kw, wait) = if asynchronous {
            ("async ", ".await")
        } else {
            ("", "")
        };
        writeln!(out, "    /// {op}, checked and guarded.").ok();
        writeln!(
            out,
            "    pub {kw}fn {method}<S: {op}>(svc: &S, cx: &S::Context, input: {input}) -> Result<crate::wire::Ack<{output}>> {{"
        )
        .ok();
        writeln!(out, "        crate::wire::check(&input)?;").ok();
        writeln!(out, "        let _guard = svc.begin(Operation::{op})?;").ok();
        writeln!(out, "        {op}::{method}(svc, cx, input){wait}").ok();
        writeln!(out, "    }}\n").ok();
    }
    writeln!(out, "}}\n").ok();
}

/// JSON 1.1: one body in, one body out.
pub fn emit_json(m: &Model, ops: &[String], out: &mut String) {
    emit_trait(m, ops, false, out);
    writeln!(
        out,
        "/// Decodes `body` for `op`, checks the model's constraints, runs the handler and encodes its output."
    )
    .ok();
    writeln!(
        out,
        "pub fn dispatch<S: Handlers, C: crate::wire::Codec>(svc: &S, cx: &S::Context, op: Operation, codec: &C, body: &[u8]) -> {RESULT}<crate::wire::Ack<::std::vec::Vec<u8>>> where Error: From<crate::error::Error<C::Code>> {{"
    )
    .ok();
    writeln!(out, "    match op {{").ok();
    for op in ops {
        let input = m.io(op, "input").unwrap_or_else(|| "()".into());
        writeln!(out, "        Operation::{op} => {{").ok();
        writeln!(out, "            let input: {input} = codec.decode(body)?;").ok();
        // An operation without output members answers with an empty JSON object.
        let encode = if m.io(op, "output").is_some() {
            "|o| codec.encode(&o)"
        } else {
            "|()| codec.encode(&crate::wire::Empty {})"
        };
        writeln!(
            out,
            "            Ok(call::{}(svc, cx, input)?.try_map({encode})?)",
            split_case(op, '_')
        )
        .ok();
        writeln!(out, "        }}").ok();
    }
    writeln!(out, "    }}\n}}\n").ok();
}

/// The query protocol: form parameters in, the operation's result element out (the protocol
/// layer wraps it in the response element with the request id).
pub fn emit_query(m: &Model, ops: &[String], out: &mut String) {
    emit_trait(m, ops, false, out);
    writeln!(
        out,
        "/// Reads `form` for `op`, checks the model's constraints, runs the handler and writes its result element."
    )
    .ok();
    writeln!(
        out,
        "pub fn dispatch<S: Handlers>(svc: &S, cx: &S::Context, op: Operation, form: &crate::wire::query::Form) -> {RESULT}<crate::wire::Ack<::std::string::String>> {{"
    )
    .ok();
    writeln!(out, "    use crate::wire::query::{{FromForm, ToXml}};").ok();
    writeln!(out, "    match op {{").ok();
    for op in ops {
        let input = m.io(op, "input").unwrap_or_else(|| "()".into());
        let wrapper = m
            .op(op)
            .ok()
            .and_then(|o| o["output"]["resultWrapper"].as_str())
            .map_or_else(|| format!("{op}Result"), str::to_string);
        writeln!(out, "        Operation::{op} => {{").ok();
        writeln!(
            out,
            "            let input = <{input} as FromForm>::from_form(form, \"\")?.unwrap_or_default();"
        )
        .ok();
        // An operation without output answers with the response metadata alone.
        if m.io(op, "output").is_some() {
            writeln!(
                out,
                "            call::{}(svc, cx, input)?.try_map(|o| {{ let mut x = ::std::string::String::from(\"<{wrapper}>\"); o.to_xml(&mut x); x.push_str(\"</{wrapper}>\"); Ok(x) }})",
                split_case(op, '_')
            )
            .ok();
        } else {
            writeln!(
                out,
                "            call::{}(svc, cx, input)?.try_map(|()| Ok(::std::string::String::new()))",
                split_case(op, '_')
            )
            .ok();
        }
        writeln!(out, "        }}").ok();
    }
    writeln!(out, "    }}\n}}\n").ok();
}

fn scalar_from_text(m: &Model, target: &str) -> Result<&'static str, String> {
    Ok(match kind(m.shape(target)?) {
        "string" => "text",
        "integer" | "long" => "integer",
        "boolean" => "boolean",
        other => {
            return Err(format!(
                "{target}: a {other} cannot travel in a URI or header"
            ))
        }
    })
}

/// REST-JSON: members bound to the path, query string, headers and body.
pub fn emit_rest(m: &Model, ops: &[String], out: &mut String) -> Result<(), String> {
    emit_trait(m, ops, true, out);
    writeln!(
        out,
        "/// Method, path template and operation, in the model's order."
    )
    .ok();
    writeln!(
        out,
        "pub const ROUTES: [crate::wire::Route<Operation>; {}] = [",
        ops.len()
    )
    .ok();
    for op in ops {
        let http = &m.op(op)?["http"];
        writeln!(
            out,
            "    crate::wire::Route {{ method: {:?}, path: {:?}, op: Operation::{op} }},",
            http["method"].as_str().unwrap_or("POST"),
            http["requestUri"].as_str().unwrap_or("/"),
        )
        .ok();
    }
    writeln!(out, "];\n").ok();
    writeln!(
        out,
        "/// Binds `request` to `op`'s input, checks the model's constraints, runs the handler and encodes its output."
    )
    .ok();
    writeln!(
        out,
        "pub async fn dispatch<S: Handlers, C: crate::wire::Codec>(svc: &S, cx: &S::Context, op: Operation, codec: &C, request: crate::wire::RestRequest) -> {RESULT}<crate::wire::RestResponse> where Error: From<crate::error::Error<C::Code>> {{"
    )
    .ok();
    writeln!(out, "    match op {{").ok();
    for op in ops {
        emit_rest_arm(m, op, out)?;
    }
    writeln!(out, "    }}\n}}\n").ok();
    let mut bound = std::collections::BTreeSet::new();
    for op in ops {
        if let Some(input) = m.io(op, "input") {
            if bound.insert(input.clone()) {
                emit_from_rest(m, &input, out)?;
            }
        }
        if let Some(output) = m.io(op, "output") {
            if bound.insert(output.clone()) {
                emit_to_rest(m, &output, out)?;
            }
        }
    }
    Ok(())
}

/// How a REST request binds to structure `input`: the JSON body (when members travel in it),
/// then path labels, query string and headers, then the payload, which takes the body.
pub fn emit_from_rest(m: &Model, input: &str, out: &mut String) -> Result<(), String> {
    let s = m.shape(input)?;
    let ms = members(s);
    let in_body = ms.iter().any(|mem| !crate::shapes::outside_body(mem));
    writeln!(out, "impl crate::wire::FromRest for {input} {{").ok();
    writeln!(
        out,
        "    #[allow(unused_mut, unused_variables, reason = \"not every input binds every part\")]"
    )
    .ok();
    writeln!(
        out,
        "    fn from_rest<C: crate::wire::Codec>(codec: &C, request: crate::wire::RestRequest) -> ::std::result::Result<Self, crate::error::Error<C::Code>> {{"
    )
    .ok();
    if in_body {
        writeln!(
            out,
            "        let mut input: {input} = codec.decode(&request.body)?;"
        )
        .ok();
    } else {
        writeln!(out, "        let mut input = {input}::default();").ok();
    }
    let mut ordered: Vec<&crate::model::Member<'_>> = ms.iter().filter(|m| !m.payload).collect();
    ordered.extend(ms.iter().filter(|m| m.payload));
    for mem in ordered {
        let field = field_name(mem.name);
        let wire = mem.location_name.unwrap_or(mem.name);
        match mem.location {
            Some("uri") => {
                writeln!(out, "        input.{field} = request.label({wire:?});").ok();
            }
            Some("querystring" | "header") => {
                let from = if mem.location == Some("header") {
                    "header"
                } else {
                    "query"
                };
                let how = scalar_from_text(m, mem.target)?;
                writeln!(
                    out,
                    "        input.{field} = crate::wire::{how}(codec, {wire:?}, request.{from}({wire:?}))?;"
                )
                .ok();
            }
            Some(other) => return Err(format!("{input}.{}: location {other}", mem.name)),
            None if mem.payload => {
                if kind(m.shape(mem.target)?) != "blob" {
                    return Err(format!("{input}: only blob payloads are supported"));
                }
                writeln!(
                    out,
                    "        input.{field} = Some(request.body).filter(|b| !b.is_empty());"
                )
                .ok();
            }
            None => {}
        }
    }
    writeln!(out, "        Ok(input)\n    }}\n}}\n").ok();
    Ok(())
}

/// How structure `output` is written as a REST answer: members bound to headers and the
/// status code, then the payload or the JSON body.
pub fn emit_to_rest(m: &Model, output: &str, out: &mut String) -> Result<(), String> {
    let s = m.shape(output)?;
    let ms = members(s);
    writeln!(out, "impl crate::wire::ToRest for {output} {{").ok();
    writeln!(
        out,
        "    fn to_rest<C: crate::wire::Codec>(&self, codec: &C, response: &mut crate::wire::RestResponse) -> ::std::result::Result<(), crate::error::Error<C::Code>> {{"
    )
    .ok();
    let mut payload = false;
    for mem in &ms {
        let field = field_name(mem.name);
        let wire = mem.location_name.unwrap_or(mem.name);
        match mem.location {
            Some("header") => {
                scalar_from_text(m, mem.target)?;
                writeln!(
                    out,
                    "        if let Some(v) = &self.{field} {{ response.headers.push(({wire:?}, v.to_string())); }}"
                )
                .ok();
            }
            Some("statusCode") => {
                writeln!(
                    out,
                    "        if let Some(code) = self.{field} {{ response.status = u16::try_from(code).unwrap_or(response.status); }}"
                )
                .ok();
            }
            Some(other) => return Err(format!("{output}.{}: output location {other}", mem.name)),
            None if mem.payload => {
                if kind(m.shape(mem.target)?) != "blob" {
                    return Err(format!("{output}: only blob payloads are supported"));
                }
                payload = true;
                writeln!(
                    out,
                    "        response.body = self.{field}.clone().unwrap_or_default();"
                )
                .ok();
            }
            None => {}
        }
    }
    let json_members = ms.iter().any(|mem| !crate::shapes::outside_body(mem));
    if !payload && json_members {
        writeln!(out, "        response.body = codec.encode(self)?;").ok();
    } else {
        writeln!(out, "        let _ = codec;").ok();
    }
    writeln!(out, "        Ok(())\n    }}\n}}\n").ok();
    Ok(())
}

fn emit_rest_arm(m: &Model, op: &str, out: &mut String) -> Result<(), String> {
    let status = m.op(op)?["http"]["responseCode"].as_u64().unwrap_or(200);
    writeln!(out, "        Operation::{op} => {{").ok();
    let input = m.io(op, "input");
    if let Some(input) = &input {
        writeln!(
            out,
            "            let input: {input} = crate::wire::FromRest::from_rest(codec, request)?;"
        )
        .ok();
        writeln!(out, "            crate::wire::check(&input)?;").ok();
    } else {
        writeln!(out, "            let input = ();").ok();
        writeln!(out, "            let _ = request;").ok();
    }
    writeln!(out, "            let _guard = svc.begin(op)?;").ok();
    writeln!(
        out,
        "            let ack = {op}::{}(svc, cx, input).await?;",
        split_case(op, '_')
    )
    .ok();
    let answers = m.io(op, "output").is_some();
    let mutable = if answers { "mut " } else { "" };
    writeln!(
        out,
        "            let {mutable}response = crate::wire::RestResponse::new({status}, ack.ticket);"
    )
    .ok();
    if m.io(op, "output").is_some() {
        writeln!(
            out,
            "            crate::wire::ToRest::to_rest(&ack.output, codec, &mut response)?;"
        )
        .ok();
    }
    writeln!(out, "            Ok(response)\n        }}").ok();
    Ok(())
}
