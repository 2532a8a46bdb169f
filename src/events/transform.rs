//! What a target receives: the whole event, a constant `Input`, the part of the event at
//! `InputPath`, or an `InputTransformer`'s template filled from the event. Pure.

use crate::generated::events as g;
use serde_json::Value;

/// A JSON path as EventBridge takes them: `$`, `$.a.b`, `$.a[0].b`.
pub fn at_path<'a>(event: &'a Value, path: &str) -> Option<&'a Value> {
    let rest = path.strip_prefix('$')?;
    let mut v = event;
    for part in rest.split('.').filter(|p| !p.is_empty()) {
        let (name, indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            v = v.get(name)?;
        }
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            let n: usize = index.trim_end_matches(']').parse().ok()?;
            v = v.get(n)?;
        }
    }
    Some(v)
}

/// The checks PutTargets makes of an input transformer; the error is the message.
pub fn check(target: &str, t: &g::InputTransformer) -> Result<(), String> {
    let template = t.input_template.as_deref().unwrap_or_default();
    if template.chars().count() > 8192 {
        return Err("InputTemplate must be at most 8192 characters.".into());
    }
    let known = |name: &str| {
        VARIABLES.contains(&name)
            || t.input_paths_map
                .as_ref()
                .is_some_and(|m| m.contains_key(name))
    };
    if let Some(name) = placeholders(template).find(|name| !known(name)) {
        return Err(format!(
            "InputTemplate for target {target} contains invalid placeholder {name}."
        ));
    }
    if let Some(map) = &t.input_paths_map {
        if map.len() > 100 {
            return Err("InputPathsMap can have at most 100 entries.".into());
        }
        for (k, v) in map {
            if k.starts_with("aws.") {
                return Err(format!("InputPathsMap key {k} is reserved."));
            }
            if !v.starts_with('$') {
                return Err(format!(
                    "InputPathsMap value for {k} must be a JSON path starting with $."
                ));
            }
        }
    }
    Ok(())
}

/// The variables every template may name besides its InputPathsMap's keys.
const VARIABLES: [&str; 5] = [
    "aws.events.rule-name",
    "aws.events.rule-arn",
    "aws.events.event.ingestion-time",
    "aws.events.event",
    "aws.events.event.json",
];

/// The names `template` puts between `<` and `>`: a run of letters, digits, `_`, `-` and
/// `.`, so that other text with angle brackets is left alone.
fn placeholders(template: &str) -> impl Iterator<Item = &str> {
    template.split('<').skip(1).filter_map(|rest| {
        let (name, _) = rest.split_once('>')?;
        let word = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        word.then_some(name)
    })
}

/// What the rule's delivery knows besides the event, for the `aws.events.*` variables.
pub struct RuleInfo<'a> {
    pub name: &'a str,
    pub arn: &'a str,
    pub ingestion_time: &'a str,
}

/// The payload `target` gets for `event`.
pub fn payload(target: &g::Target, event: &Value, rule: &RuleInfo<'_>) -> String {
    if let Some(input) = &target.input {
        return input.clone();
    }
    if let Some(path) = &target.input_path {
        return at_path(event, path).map_or_else(|| "null".into(), Value::to_string);
    }
    let Some(t) = &target.input_transformer else {
        return event.to_string();
    };
    let template = t.input_template.as_deref().unwrap_or_default();
    let lookup = |name: &str| -> Option<Value> {
        match name {
            "aws.events.rule-name" => Some(Value::String(rule.name.to_string())),
            "aws.events.rule-arn" => Some(Value::String(rule.arn.to_string())),
            "aws.events.event.ingestion-time" => {
                Some(Value::String(rule.ingestion_time.to_string()))
            }
            "aws.events.event" | "aws.events.event.json" => Some(event.clone()),
            _ => {
                let path = t.input_paths_map.as_ref()?.get(name)?;
                Some(at_path(event, path).cloned().unwrap_or(Value::Null))
            }
        }
    };
    fill(template, &lookup)
}

/// Replaces `<name>` placeholders: inside a JSON string a string value goes in escaped
/// without its quotes; elsewhere a string goes in as it is and other values as JSON.
fn fill(template: &str, lookup: &dyn Fn(&str) -> Option<Value>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            if let Some(end) = rest.find('>') {
                let name = &rest[1..end];
                if let Some(v) = lookup(name) {
                    match (&v, in_string) {
                        (Value::String(s), true) => {
                            let quoted = Value::String(s.clone()).to_string();
                            out.push_str(&quoted[1..quoted.len() - 1]);
                        }
                        (Value::String(s), false) => out.push_str(s),
                        (Value::Null, true) => {}
                        (other, true) => {
                            let text = Value::String(other.to_string()).to_string();
                            out.push_str(&text[1..text.len() - 1]);
                        }
                        (other, false) => out.push_str(&other.to_string()),
                    }
                    rest = &rest[end + 1..];
                    continue;
                }
            }
        }
        if c == '"' && !escaped {
            in_string = !in_string;
        }
        escaped = c == '\\' && !escaped;
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_and_templates() {
        let e =
            json!({"detail": {"name": "db \"main\"", "n": 3, "list": [{"a": 1}]}, "source": "s"});
        assert_eq!(at_path(&e, "$.detail.n"), Some(&json!(3)));
        assert_eq!(at_path(&e, "$.detail.list[0].a"), Some(&json!(1)));
        assert_eq!(at_path(&e, "$"), Some(&e));
        assert_eq!(at_path(&e, "$.nope"), None);
        let t = g::Target {
            input_transformer: Some(g::InputTransformer {
                input_paths_map: Some([("name".to_string(), "$.detail.name".to_string()), ("n".to_string(), "$.detail.n".to_string()), ("gone".to_string(), "$.x".to_string())].into_iter().collect()),
                input_template: Some(r#"{"who": "<name>", "count": <n>, "rule": "<aws.events.rule-name>", "gone": "<gone>"}"#.into()),
            }),
            ..Default::default()
        };
        let info = RuleInfo {
            name: "r",
            arn: "arn:r",
            ingestion_time: "t",
        };
        let out: Value = serde_json::from_str(&payload(&t, &e, &info)).unwrap();
        assert_eq!(
            out,
            json!({"who": "db \"main\"", "count": 3, "rule": "r", "gone": ""})
        );
        let text = g::Target {
            input_transformer: Some(g::InputTransformer {
                input_paths_map: Some(
                    [("s".to_string(), "$.source".to_string())]
                        .into_iter()
                        .collect(),
                ),
                input_template: Some("from <s>".into()),
            }),
            ..Default::default()
        };
        assert_eq!(payload(&text, &e, &info), "from s");
        let path = g::Target {
            input_path: Some("$.detail.n".into()),
            ..Default::default()
        };
        assert_eq!(payload(&path, &e, &info), "3");
    }

    #[test]
    fn templates_name_only_their_paths_and_awss_variables() {
        let t = |template: &str| g::InputTransformer {
            input_paths_map: Some(
                [("kind".to_string(), "$.detail-type".to_string())]
                    .into_iter()
                    .collect(),
            ),
            input_template: Some(template.into()),
        };
        assert_eq!(
            check("t1", &t(r#""<kind> with <notdefinedkey>""#)),
            Err("InputTemplate for target t1 contains invalid placeholder notdefinedkey.".into())
        );
        assert!(check(
            "t1",
            &t(r#"{"k": "<kind>", "r": <aws.events.rule-arn>, "e": <aws.events.event.json>}"#)
        )
        .is_ok());
        assert!(check("t1", &t("a < b and c > d")).is_ok());
        assert!(check("t1", &t("<aws.events.other>")).is_err());
    }
}
