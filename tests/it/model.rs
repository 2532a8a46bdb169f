//! Every constrained member of every served operation of the seven models (the copies in
//! `codegen/models/`), sent just outside its constraint in the service's own protocol: each
//! must get the protocol's validation error (ValidationException, or ValidationError in the
//! query protocol).

use crate::common::*;
use localemu::generated;
use serde_json::{json, Map, Value};

fn model(service: &str, version: &str) -> Value {
    let path = format!(
        "{}/codegen/models/{service}/{version}/service-2.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_slice(&std::fs::read(path).expect("the service model")).unwrap()
}

struct Model(Map<String, Value>);

impl Model {
    fn shape(&self, name: &str) -> &Value {
        &self.0[name]
    }

    /// A value that satisfies every constraint of `name`.
    fn valid(&self, name: &str) -> Value {
        let s = self.shape(name);
        let min = s["min"].as_u64().unwrap_or(1).max(1) as usize;
        match s["type"].as_str().unwrap() {
            "string" if s["enum"].is_array() => s["enum"][0].clone(),
            "string" => json!(match name {
                "ClientRequestTokenType" | "SecretVersionIdType" => "a".repeat(32),
                "RotationTokenType" => "a".repeat(36),
                n if n.contains("Region") => "us-west-2".into(),
                _ => "x".repeat(min),
            }),
            "blob" => json!("eA=="),
            "integer" | "long" => json!(s["min"].as_i64().unwrap_or(1)),
            "boolean" => json!(false),
            "list" => json!(vec![
                self.valid(s["member"]["shape"].as_str().unwrap());
                min
            ]),
            "map" => json!({ "k": self.valid(s["value"]["shape"].as_str().unwrap()) }),
            "timestamp" | "double" | "float" => json!(1),
            "structure" => Value::Object(self.required(s)),
            other => panic!("no value for {other}"),
        }
    }

    fn required(&self, s: &Value) -> Map<String, Value> {
        let required: Vec<&str> = s["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        s["members"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| required.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), self.valid(v["shape"].as_str().unwrap())))
            .collect()
    }

    /// Values that break one constraint of `name` each, with what they break.
    fn invalid(&self, name: &str) -> Vec<(String, Value)> {
        let s = self.shape(name);
        let mut out = Vec::new();
        let (min, max) = (s["min"].as_i64(), s["max"].as_i64());
        match s["type"].as_str().unwrap() {
            "string" => {
                if let Some(max) = max {
                    out.push(("too long".into(), json!("a".repeat(max as usize + 1))));
                }
                if let Some(min) = min.filter(|m| *m >= 1) {
                    out.push(("too short".into(), json!("a".repeat(min as usize - 1))));
                }
                if let Some(pattern) = s["pattern"].as_str() {
                    let n = min.unwrap_or(1).max(1) as usize;
                    if let Some(v) = outside(pattern, n) {
                        out.push(("pattern".into(), json!(v)));
                    }
                }
                if s["enum"].is_array() {
                    out.push(("enum".into(), json!("NotAValue")));
                }
            }
            "integer" | "long" => {
                if let Some(max) = max {
                    out.push(("too big".into(), json!(max + 1)));
                }
                if let Some(min) = min {
                    out.push(("too small".into(), json!(min - 1)));
                }
            }
            "blob" => {
                if let Some(max) = max {
                    out.push((
                        "too long".into(),
                        json!("A".repeat((max as usize + 3) / 3 * 4 + 8)),
                    ));
                }
            }
            "list" => {
                let member = s["member"]["shape"].as_str().unwrap();
                if let Some(max) = max {
                    out.push((
                        "too many".into(),
                        json!(vec![self.valid(member); max as usize + 1]),
                    ));
                }
                if min.is_some_and(|m| m >= 1) {
                    out.push(("empty".into(), json!([])));
                }
                for (why, v) in self.invalid(member) {
                    out.push((format!("item {why}"), json!([v])));
                }
            }
            "map" => {
                for (why, v) in self.invalid(s["value"]["shape"].as_str().unwrap()) {
                    out.push((format!("value {why}"), json!({ "k": v })));
                }
            }
            "structure" => {
                for (k, m) in s["members"].as_object().unwrap() {
                    for (why, v) in self.invalid(m["shape"].as_str().unwrap()) {
                        let mut base = self.required(s);
                        base.insert(k.clone(), v);
                        out.push((format!("{k} {why}"), Value::Object(base)));
                    }
                }
            }
            _ => {}
        }
        out
    }
}

/// A value of `n` characters that the model's `pattern` refuses (None: it takes them all).
fn outside(pattern: &str, n: usize) -> Option<String> {
    let anchored: &'static str = Box::leak(format!("^(?:{pattern})$").into_boxed_str());
    let p = localemu::wire::Pattern::new(anchored, "");
    ["~", "\u{1}", " ", "\t", "\u{7f}"]
        .iter()
        .map(|c| c.repeat(n))
        .find(|v| !p.matches(v))
}

/// A model (service, version), how it is called, and which of its operations are served.
type Served = (&'static str, &'static str, Front, fn(&str) -> bool);

/// How a service is called.
#[derive(Clone, Copy)]
enum Front {
    /// JSON 1.1 with this target prefix.
    Json(&'static str),
    /// The query protocol with this API version.
    Query(&'static str),
    /// Lambda's REST-JSON.
    Rest,
}

/// Query parameters for `value` under `prefix`: structures by member name, lists as
/// `.member.N`, maps as `.entry.N.key` / `.entry.N.value`.
fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                flatten(&join(k), v, out);
            }
        }
        Value::Array(items) if items.is_empty() => out.push((prefix.to_string(), String::new())),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{prefix}.member.{}", i + 1), v, out);
            }
        }
        Value::String(text) => out.push((prefix.to_string(), text.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Sends `op` with `body` (the input as JSON) in the service's protocol; returns the status
/// and the error code.
async fn send(
    addr: std::net::SocketAddr,
    front: Front,
    m: &Value,
    op: &str,
    body: &Map<String, Value>,
) -> (u16, String) {
    match front {
        Front::Json(prefix) => {
            let target = format!("{prefix}{op}");
            let headers = [
                ("x-amz-target", target.as_str()),
                ("content-type", "application/x-amz-json-1.1"),
            ];
            let r = raw(
                addr,
                "POST",
                "/",
                &headers,
                Value::Object(body.clone()).to_string().into(),
            )
            .await;
            (
                r.status,
                r.json["__type"].as_str().unwrap_or_default().to_string(),
            )
        }
        Front::Query(version) => {
            let mut form = vec![
                ("Action".to_string(), op.to_string()),
                ("Version".to_string(), version.to_string()),
            ];
            flatten("", &Value::Object(body.clone()), &mut form);
            let text: Vec<String> = form
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect();
            let headers = [("content-type", "application/x-www-form-urlencoded")];
            let r = raw(addr, "POST", "/", &headers, text.join("&").into_bytes()).await;
            let xml = String::from_utf8_lossy(&r.body).to_string();
            let code = xml
                .split("<Code>")
                .nth(1)
                .and_then(|c| c.split("</Code>").next())
                .unwrap_or_default()
                .to_string();
            (r.status, code)
        }
        Front::Rest => {
            let o = &m["operations"][op];
            let input = &m["shapes"][o["input"]["shape"].as_str().unwrap()]["members"];
            let mut path = o["http"]["requestUri"].as_str().unwrap().to_string();
            let (mut query, mut headers, mut json) = (Vec::new(), Vec::new(), Map::new());
            for (k, v) in body {
                let spec = &input[k.as_str()];
                let wire = spec["locationName"].as_str().unwrap_or(k);
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                match spec["location"].as_str() {
                    Some("uri") => path = path.replace(&format!("{{{wire}}}"), &encode(&text)),
                    Some("querystring") => {
                        query.push(format!("{}={}", encode(wire), encode(&text)));
                    }
                    Some("header") => headers.push((wire.to_string(), text)),
                    _ => {
                        json.insert(k.clone(), v.clone());
                    }
                }
            }
            let path = path.split('?').next().unwrap().to_string();
            let path = if query.is_empty() {
                path
            } else {
                format!("{path}?{}", query.join("&"))
            };
            let headers: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let method = o["http"]["method"].as_str().unwrap();
            let r = raw(
                addr,
                method,
                &path,
                &headers,
                Value::Object(json).to_string().into(),
            )
            .await;
            let code = r
                .headers
                .get("x-amzn-errortype")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            (r.status, code.to_string())
        }
    }
}

/// Every constrained member of every served operation of one model, just outside its
/// constraint; returns how many were sent and the ones answered otherwise.
async fn walk(
    service: &str,
    version: &str,
    front: Front,
    served: fn(&str) -> bool,
) -> (usize, Vec<String>) {
    let m = model(service, version);
    let model = Model(m["shapes"].as_object().unwrap().clone());
    let addr = shared().addr;
    let expected = match front {
        Front::Query(_) => "ValidationError",
        _ => "ValidationException",
    };
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (op, o) in m["operations"].as_object().unwrap() {
        if !served(op) {
            continue;
        }
        let Some(input) = o["input"]["shape"].as_str() else {
            continue;
        };
        let input = model.shape(input);
        let base = model.required(input);
        for (member, spec) in input["members"].as_object().unwrap() {
            for (why, value) in model.invalid(spec["shape"].as_str().unwrap()) {
                // An empty path label names another route (SDKs refuse to send one), and a
                // body over the front's limit is refused before it is read.
                let label = spec["location"].as_str() == Some("uri");
                if (label && value == json!("")) || value.to_string().len() > 1024 * 1024 {
                    continue;
                }
                let mut body = base.clone();
                body.insert(member.clone(), value);
                let (status, code) = send(addr, front, &m, op, &body).await;
                checked += 1;
                if status != 400 || code != expected {
                    wrong.push(format!("{service} {op}.{member} ({why}): {status} {code}"));
                }
            }
        }
    }
    (checked, wrong)
}

#[tokio::test]
async fn every_member_constraint_of_the_models_is_enforced() {
    let mut checked = Vec::new();
    let mut wrong = Vec::new();
    let services: [Served; 7] = [
        (
            "secretsmanager",
            "2017-10-17",
            Front::Json(generated::secretsmanager::TARGET_PREFIX),
            |op| generated::secretsmanager::Operation::from_name(op).is_some(),
        ),
        (
            "kms",
            "2014-11-01",
            Front::Json(generated::kms::TARGET_PREFIX),
            |op| generated::kms::Operation::from_name(op).is_some(),
        ),
        (
            "ssm",
            "2014-11-06",
            Front::Json(generated::ssm::TARGET_PREFIX),
            |op| generated::ssm::Operation::from_name(op).is_some(),
        ),
        (
            "events",
            "2015-10-07",
            Front::Json(generated::events::TARGET_PREFIX),
            |op| generated::events::Operation::from_name(op).is_some(),
        ),
        (
            "sts",
            "2011-06-15",
            Front::Query(generated::sts::API_VERSION),
            |op| generated::sts::Operation::from_name(op).is_some(),
        ),
        (
            "cloudformation",
            "2010-05-15",
            Front::Query(generated::cloudformation::API_VERSION),
            |op| generated::cloudformation::Operation::from_name(op).is_some(),
        ),
        ("lambda", "2015-03-31", Front::Rest, |op| {
            generated::lambda::Operation::from_name(op).is_some()
        }),
    ];
    for (service, version, front, served) in services {
        let (n, w) = walk(service, version, front, served).await;
        checked.push(format!("{service}: {n}"));
        wrong.extend(w);
    }
    assert!(
        wrong.is_empty(),
        "{} cases answered otherwise ({}):\n{}",
        wrong.len(),
        checked.join(", "),
        wrong.join("\n")
    );
}
