//! Sending operations: SigV4-signed requests on the public wire protocols (JSON 1.1 for
//! Secrets Manager, REST-JSON for Lambda), error decoding, and automatic pagination.

use super::ops::{Loc, Op, Ty};
use super::params::Globals;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{Map, Value};
use std::time::SystemTime;

/// Where and as whom requests go.
pub struct Target {
    pub endpoint: String,
    pub region: String,
    pub service: &'static str,
    pub credentials: Credentials,
    /// `--debug`: print each request and answer to stderr (bodies included, as the AWS CLI
    /// does; they may hold secret values).
    pub debug: bool,
}

pub enum CallError {
    /// An AWS error answer: (code, message).
    Service(String, String),
    /// The endpoint could not be reached or answered something unreadable.
    Other(String),
}

/// A raw answer: status, headers, body.
pub struct Answer {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Vec<u8>,
}

/// Percent-encodes everything but RFC 3986's unreserved characters (a path segment or a
/// query value).
pub(super) fn encode_path_segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Builds (method, path with query, extra headers, body) for one call.
fn build(
    service: &str,
    op: &Op,
    input: &Map<String, Value>,
) -> (String, String, Vec<(String, String)>, Vec<u8>) {
    if let Some(version) = super::query::version(service) {
        let headers = vec![(
            "content-type".to_string(),
            "application/x-www-form-urlencoded; charset=utf-8".to_string(),
        )];
        let body = super::query::form(op.name, version, input);
        return ("POST".into(), "/".into(), headers, body);
    }
    let Some((method, template)) = op.http else {
        let prefix = match service {
            "kms" => crate::generated::kms::TARGET_PREFIX,
            "ssm" => crate::generated::ssm::TARGET_PREFIX,
            "events" => crate::generated::events::TARGET_PREFIX,
            _ => crate::generated::secretsmanager::TARGET_PREFIX,
        };
        let headers = vec![
            (
                "content-type".to_string(),
                "application/x-amz-json-1.1".to_string(),
            ),
            ("x-amz-target".to_string(), format!("{prefix}{}", op.name)),
        ];
        let body = serde_json::to_vec(&Value::Object(input.clone())).unwrap_or_default();
        return ("POST".into(), "/".into(), headers, body);
    };
    let mut path = template.to_string();
    let mut query = Vec::new();
    let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
    let mut body_map = Map::new();
    let mut payload = None;
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    for member in op.members {
        let Some(v) = input.get(member.name) else {
            continue;
        };
        match member.loc {
            Loc::Uri => {
                path = path.replace(
                    &format!("{{{}}}", member.name),
                    &encode_path_segment(&text(v)),
                );
            }
            Loc::Query(q) => query.push(format!("{q}={}", encode_path_segment(&text(v)))),
            Loc::Header(h) => headers.push((h.to_ascii_lowercase(), text(v))),
            Loc::Payload => payload = v.as_str().and_then(|b| STANDARD.decode(b).ok()),
            Loc::Body => {
                body_map.insert(member.name.to_string(), v.clone());
            }
        }
    }
    if !query.is_empty() {
        path = format!("{path}?{}", query.join("&"));
    }
    let body = match payload {
        Some(bytes) => bytes,
        None if method == "GET" || method == "DELETE" => Vec::new(),
        None => serde_json::to_vec(&Value::Object(body_map)).unwrap_or_default(),
    };
    (method.to_string(), path, headers, body)
}

/// The largest answer the client reads (Lambda's largest payload is 6 MB).
const MAX_ANSWER: usize = 64 * 1024 * 1024;

/// Sends one signed request and returns the raw answer.
pub async fn send(
    target: &Target,
    op: &Op,
    input: &Map<String, Value>,
) -> Result<Answer, CallError> {
    let (method, path, mut headers, body) = build(target.service, op, input);
    let url = format!("{}{path}", target.endpoint.trim_end_matches('/'));
    if target.debug {
        eprintln!(
            "DEBUG {} {method} {url} {headers:?} {}",
            op.name,
            String::from_utf8_lossy(&body)
        );
    }
    let authority = crate::outbound::authority(&url)
        .ok_or_else(|| CallError::Other(format!("Invalid endpoint: {}", target.endpoint)))?;
    // Signed over, then sent by `outbound`, which adds it itself.
    headers.push(("host".into(), authority));
    let identity = target.credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&target.region)
        .name(target.service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| CallError::Other(e.to_string()))?
        .into();
    let signable = SignableRequest::new(
        &method,
        &url,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(&body),
    )
    .map_err(|e| CallError::Other(e.to_string()))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| CallError::Other(e.to_string()))?
        .into_parts();
    for (k, v) in instructions.headers() {
        headers.push((k.to_string(), v.to_string()));
    }
    headers.retain(|(k, _)| !k.eq_ignore_ascii_case("host"));
    let unreachable = || {
        CallError::Other(format!(
            "Could not connect to the endpoint URL: \"{url}\"\n\
                 Is LocalEmu running? Start it with `awsemu start`, or point --endpoint-url \
                 (or AWS_ENDPOINT_URL) at the running emulator."
        ))
    };
    let reply = crate::outbound::send(&method, &url, &headers, body, MAX_ANSWER)
        .await
        .map_err(|_| unreachable())?;
    let (status, headers, body) = (reply.status, reply.headers, reply.body);
    if target.debug {
        eprintln!(
            "DEBUG {} answered {status}: {}",
            op.name,
            String::from_utf8_lossy(&body)
        );
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// Calls `op` and decodes its JSON answer (or its AWS error).
pub async fn call(
    target: &Target,
    op: &Op,
    input: &Map<String, Value>,
) -> Result<Value, CallError> {
    let answer = send(target, op, input).await?;
    if super::query::version(target.service).is_some() {
        return super::query::answer(op.name, &answer.body)
            .map_err(|(code, message)| CallError::Service(code, message));
    }
    let json: Value = if answer.body.is_empty() {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(&answer.body).unwrap_or(Value::Null)
    };
    if answer.status >= 300 {
        let code = answer
            .headers
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(':').next().unwrap_or(s).to_string())
            .or_else(|| {
                json["__type"]
                    .as_str()
                    .map(|t| t.rsplit('#').next().unwrap_or(t).to_string())
            })
            .unwrap_or_else(|| format!("HTTP{}", answer.status));
        let message = json["Message"]
            .as_str()
            .or(json["message"].as_str())
            .unwrap_or_default()
            .to_string();
        return Err(CallError::Service(code, message));
    }
    Ok(json)
}

/// Encodes the AWS CLI's resume token: where to continue, and how many items to skip there.
fn resume_token(token: Option<&Value>, skip: usize) -> String {
    let mut doc = Map::new();
    doc.insert("NextToken".into(), token.cloned().unwrap_or(Value::Null));
    if skip > 0 {
        doc.insert("boto_truncate_amount".into(), Value::from(skip));
    }
    STANDARD.encode(Value::Object(doc).to_string())
}

fn parse_resume(token: &str) -> (Value, usize) {
    let decoded = STANDARD
        .decode(token)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
    match decoded {
        Some(doc) if doc.get("NextToken").is_some() => {
            let skip = doc["boto_truncate_amount"].as_u64().unwrap_or(0) as usize;
            (doc["NextToken"].clone(), skip)
        }
        _ => (Value::String(token.to_string()), 0),
    }
}

/// Calls a paginated operation page after page, as the AWS CLI does by default.
pub async fn paginate(
    target: &Target,
    op: &Op,
    mut input: Map<String, Value>,
    g: &Globals,
) -> Result<Value, CallError> {
    let Some(p) = op.paging.filter(|_| !g.no_paginate) else {
        return call(target, op, &input).await;
    };
    if let Some(size) = g.page_size {
        let limit_ty = op.members.iter().find(|m| m.name == p.limit).map(|m| m.ty);
        let value = match limit_ty {
            Some(Ty::Int) => Value::from(size),
            _ => Value::String(size.to_string()),
        };
        input.entry(p.limit.to_string()).or_insert(value);
    }
    let mut skip = 0;
    if let Some(t) = &g.starting_token {
        let (token, n) = parse_resume(t);
        input.insert(p.input_token.to_string(), token);
        skip = n;
    }
    let mut merged: Option<Map<String, Value>> = None;
    let mut items = Vec::new();
    loop {
        let page = call(target, op, &input).await?;
        let mut page = page.as_object().cloned().unwrap_or_default();
        let next = page.remove(p.output_token).filter(|v| !v.is_null());
        let page_items = page
            .remove(p.result)
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default();
        merged.get_or_insert(page);
        for (i, item) in page_items
            .iter()
            .enumerate()
            .skip(std::mem::take(&mut skip))
        {
            if g.max_items.is_some_and(|m| items.len() >= m) {
                let token = input.get(p.input_token).cloned();
                return Ok(finish(
                    merged,
                    p.result,
                    items,
                    Some(resume_token(token.as_ref(), i)),
                ));
            }
            items.push(item.clone());
        }
        match next {
            Some(token) if g.max_items.is_some_and(|m| items.len() >= m) => {
                return Ok(finish(
                    merged,
                    p.result,
                    items,
                    Some(resume_token(Some(&token), 0)),
                ));
            }
            Some(token) => {
                input.insert(p.input_token.to_string(), token);
            }
            None => return Ok(finish(merged, p.result, items, None)),
        }
    }
}

fn finish(
    merged: Option<Map<String, Value>>,
    result: &str,
    items: Vec<Value>,
    next: Option<String>,
) -> Value {
    let mut out = Map::new();
    out.insert(result.to_string(), Value::Array(items));
    for (k, v) in merged.unwrap_or_default() {
        out.insert(k, v);
    }
    if let Some(token) = next {
        out.insert("NextToken".into(), Value::String(token));
    }
    Value::Object(out)
}
