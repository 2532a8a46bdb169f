//! Template text to one JSON value: JSON as it is, YAML with its short-form tags (`!Ref`,
//! `!GetAtt a.b`, `!Sub`, ...) rewritten to the long forms (`{"Fn::GetAtt": ["a", "b"]}`),
//! so that everything after parsing sees one shape.

use serde_json::{Map, Value};
use serde_yaml_ng::Value as Yaml;

/// The largest template body CloudFormation takes inline, in bytes.
pub const MAX_BODY: usize = 51_200;

/// Parses a template body; the error is the text after "Template format error: ".
pub fn parse(body: &str) -> Result<Value, String> {
    let trimmed = body.trim_start();
    if trimmed.starts_with('{') {
        // serde_json counts up to the last character it took; CloudFormation names the one
        // after it, where the template went wrong.
        return serde_json::from_str(body).map_err(|e| {
            format!(
                "JSON not well-formed. (line {}, column {})",
                e.line(),
                e.column() + 1
            )
        });
    }
    let yaml: Yaml = serde_yaml_ng::from_str(body).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!(" (line {}, column {})", l.line(), l.column()))
            .unwrap_or_default();
        format!("YAML not well-formed.{at}")
    })?;
    convert(yaml, 0)
}

/// Nesting deeper than this is refused rather than followed (a hostile template).
const MAX_DEPTH: usize = 64;

fn convert(y: Yaml, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err("the template nests too deeply.".into());
    }
    Ok(match y {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => serde_json::from_str(&n.to_string()).unwrap_or(Value::Null),
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(|i| convert(i, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Yaml::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Yaml::String(s) => s,
                    Yaml::Bool(b) => b.to_string(),
                    Yaml::Number(n) => n.to_string(),
                    Yaml::Null => "null".into(),
                    _ => return Err("a mapping key must be a scalar.".into()),
                };
                out.insert(key, convert(v, depth + 1)?);
            }
            Value::Object(out)
        }
        Yaml::Tagged(t) => {
            let tag = t.tag.to_string();
            let name = tag.trim_start_matches('!');
            let inner = convert(t.value, depth + 1)?;
            let (key, value) = match name {
                "Ref" => ("Ref".to_string(), inner),
                "Condition" => ("Condition".to_string(), inner),
                // `!GetAtt Resource.Attribute`: the attribute may itself hold dots.
                "GetAtt" => match inner {
                    Value::String(s) => {
                        let Some((res, attr)) = s.split_once('.') else {
                            return Err(format!(
                                "every Fn::GetAtt object requires two non-empty parameters, the resource name and the resource attribute ({s})"
                            ));
                        };
                        (
                            "Fn::GetAtt".to_string(),
                            Value::Array(vec![res.into(), attr.into()]),
                        )
                    }
                    other => ("Fn::GetAtt".to_string(), other),
                },
                other => (format!("Fn::{other}"), inner),
            };
            let mut m = Map::new();
            m.insert(key, value);
            Value::Object(m)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_forms_become_long_forms() {
        let v = parse(
            "A: !Ref X\nB: !GetAtt Res.Arn\nC: !Sub '${AWS::Region}-x'\nD: !Join [',', [a, !Ref Y]]\nE: !If [Cond, 1, 2]\nF: !Condition C\nG: !GetAtt [R, Out.Value]\n",
        )
        .unwrap();
        assert_eq!(v["A"], json!({"Ref": "X"}));
        assert_eq!(v["B"], json!({"Fn::GetAtt": ["Res", "Arn"]}));
        assert_eq!(v["C"], json!({"Fn::Sub": "${AWS::Region}-x"}));
        assert_eq!(v["D"], json!({"Fn::Join": [",", ["a", {"Ref": "Y"}]]}));
        assert_eq!(v["E"], json!({"Fn::If": ["Cond", 1, 2]}));
        assert_eq!(v["F"], json!({"Condition": "C"}));
        assert_eq!(v["G"], json!({"Fn::GetAtt": ["R", "Out.Value"]}));
    }

    #[test]
    fn json_and_errors() {
        assert_eq!(parse("{\"a\": 1}").unwrap(), json!({"a": 1}));
        assert!(parse("{\"a\": ")
            .unwrap_err()
            .starts_with("JSON not well-formed"));
        assert_eq!(
            parse(r#"{"this is invalid JSON"="bobbins"}"#).unwrap_err(),
            "JSON not well-formed. (line 1, column 25)"
        );
        assert!(parse("a: [")
            .unwrap_err()
            .starts_with("YAML not well-formed"));
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert!(parse(&format!("a: {deep}")).is_err());
    }
}
