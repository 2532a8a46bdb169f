//! Every constrained member of every Secrets Manager operation, taken from the official model
//! (the copy in `codegen/models/`), sent just outside its constraint: each must get ValidationException.

use crate::common::*;
use serde_json::{json, Map, Value};

fn model() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/codegen/models/secretsmanager/2017-10-17/service-2.json"
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
                if s["pattern"].is_string() {
                    let n = min.unwrap_or(1).max(1) as usize;
                    out.push(("pattern".into(), json!("~".repeat(n))));
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

#[tokio::test]
async fn every_member_constraint_of_the_model_is_enforced() {
    let m = model();
    let model = Model(m["shapes"].as_object().unwrap().clone());
    let addr = shared().addr;
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (op, o) in m["operations"].as_object().unwrap() {
        let input = model.shape(o["input"]["shape"].as_str().unwrap());
        let base = model.required(input);
        for (member, spec) in input["members"].as_object().unwrap() {
            for (why, value) in model.invalid(spec["shape"].as_str().unwrap()) {
                let mut body = base.clone();
                body.insert(member.clone(), value);
                let r = raw_op(addr, op, &Value::Object(body).to_string()).await;
                checked += 1;
                if r.status != 400 || r.json["__type"] != "ValidationException" {
                    wrong.push(format!("{op}.{member} ({why}): {} {}", r.status, r.json));
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} cases");
    assert!(
        wrong.is_empty(),
        "{} of {checked}:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
