//! Printing results as the AWS CLI does: `json` (4-space indent, response order), `text`
//! (tab-separated rows with upper-case section names) and `table` (boxed sections).

use serde_json::{Map, Value};
use std::fmt::Write;

pub fn render(value: &Value, format: &str, title: &str) -> String {
    match format {
        "text" => text(value),
        "table" => table(value, title),
        _ => json(value),
    }
}

pub fn json(value: &Value) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    serde::Serialize::serialize(value, &mut ser).expect("JSON values always serialise");
    String::from_utf8(out).unwrap_or_default() + "\n"
}

/// A scalar as Python's `str()` prints it, which is what the AWS CLI's text output shows.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => other.to_string(),
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Object(_) | Value::Array(_))
}

pub fn text(value: &Value) -> String {
    let mut out = String::new();
    if is_scalar(value) {
        out.push_str(&scalar(value));
        out.push('\n');
    } else {
        text_item(value, &mut out, None, None);
    }
    out
}

fn text_item(
    v: &Value,
    out: &mut String,
    identifier: Option<&str>,
    scalar_keys: Option<&[String]>,
) {
    match v {
        Value::Object(map) => text_dict(map, out, identifier, scalar_keys),
        Value::Array(list) => text_list(list, out, identifier),
        other => {
            if let Some(id) = identifier {
                let _ = write!(out, "{}\t", id.to_uppercase());
            }
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn text_list(list: &[Value], out: &mut String, identifier: Option<&str>) {
    if list.is_empty() {
        return;
    }
    if list.iter().any(Value::is_object) {
        let mut keys: Vec<String> = list
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|m| {
                m.iter()
                    .filter(|(_, v)| is_scalar(v))
                    .map(|(k, _)| k.clone())
            })
            .collect();
        keys.sort();
        keys.dedup();
        for item in list {
            text_item(item, out, identifier, Some(&keys));
        }
    } else if list.iter().any(Value::is_array) {
        for item in list {
            text_item(item, out, identifier, None);
        }
    } else {
        let mut row: Vec<String> = list.iter().map(scalar).collect();
        if let Some(id) = identifier {
            row.insert(0, id.to_uppercase());
        }
        out.push_str(&row.join("\t"));
        out.push('\n');
    }
}

fn text_dict(
    map: &Map<String, Value>,
    out: &mut String,
    identifier: Option<&str>,
    scalar_keys: Option<&[String]>,
) {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    let mut scalars: Vec<String> = match scalar_keys {
        Some(list) => list
            .iter()
            .map(|k| map.get(k).map(scalar).unwrap_or_default())
            .collect(),
        None => keys
            .iter()
            .filter(|k| is_scalar(&map[**k]))
            .map(|k| scalar(&map[*k]))
            .collect(),
    };
    if !scalars.is_empty() {
        if let Some(id) = identifier {
            scalars.insert(0, id.to_uppercase());
        }
        out.push_str(&scalars.join("\t"));
        out.push('\n');
    }
    for key in keys.into_iter().filter(|k| !is_scalar(&map[*k])) {
        text_item(&map[key], out, Some(key), None);
    }
}

/// A boxed table: a title row, then `key | value` rows, with nested values as sub-tables.
pub fn table(value: &Value, title: &str) -> String {
    let mut rows: Vec<Row> = Vec::new();
    table_rows(value, title, 0, &mut rows);
    let width = rows
        .iter()
        .map(Row::width)
        .max()
        .unwrap_or(0)
        .max(title.len() + 4);
    let mut out = String::new();
    for row in rows {
        row.draw(width, &mut out);
    }
    out
}

enum Row {
    Title(usize, String),
    Pair(usize, String, String),
    Line(usize, String),
    Rule(usize),
}

impl Row {
    fn width(&self) -> usize {
        match self {
            Row::Title(d, t) | Row::Line(d, t) => t.len() + 4 + 2 * d,
            Row::Pair(d, k, v) => k.len() + v.len() + 7 + 2 * d,
            Row::Rule(d) => 2 + 2 * d,
        }
    }

    fn draw(&self, width: usize, out: &mut String) {
        let depth = match self {
            Row::Title(d, _) | Row::Pair(d, _, _) | Row::Line(d, _) | Row::Rule(d) => *d,
        };
        let left = "|".repeat(depth);
        let inner = width - 2 * depth;
        let line = match self {
            Row::Title(_, t) => format!("|{:^w$}|", t, w = inner - 2),
            Row::Pair(_, k, v) => {
                let cell = format!(" {k} | {v}");
                format!("|{cell:<w$}|", w = inner - 2)
            }
            Row::Line(_, t) => format!("| {t:<w$}|", w = inner - 3),
            Row::Rule(_) => format!("+{}+", "-".repeat(inner - 2)),
        };
        let _ = writeln!(out, "{left}{line}{}", "|".repeat(depth));
    }
}

fn table_rows(v: &Value, title: &str, depth: usize, rows: &mut Vec<Row>) {
    rows.push(Row::Rule(depth));
    rows.push(Row::Title(depth, title.to_string()));
    rows.push(Row::Rule(depth));
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for k in keys.iter().filter(|k| is_scalar(&map[**k])) {
                rows.push(Row::Pair(depth, k.to_string(), scalar(&map[*k])));
            }
            for k in keys.iter().filter(|k| !is_scalar(&map[**k])) {
                table_rows(&map[*k], k, depth + 1, rows);
            }
        }
        Value::Array(list) => {
            for item in list {
                if is_scalar(item) {
                    rows.push(Row::Line(depth, scalar(item)));
                } else {
                    table_rows(item, title, depth + 1, rows);
                }
            }
        }
        other => rows.push(Row::Line(depth, scalar(other))),
    }
    rows.push(Row::Rule(depth));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_uses_four_spaces_and_keeps_order() {
        let v: Value = serde_json::from_str(r#"{"Name":"a","ARN":"b","List":[1]}"#).unwrap();
        assert_eq!(
            json(&v),
            "{\n    \"Name\": \"a\",\n    \"ARN\": \"b\",\n    \"List\": [\n        1\n    ]\n}\n"
        );
    }

    #[test]
    fn text_like_the_aws_cli() {
        assert_eq!(text(&json!("plain")), "plain\n");
        assert_eq!(text(&json!(true)), "True\n");
        assert_eq!(text(&json!(["a", "b"])), "a\tb\n");
        let describe = json!({"Name": "n", "ARN": "arn", "VersionIdsToStages": {"v1": ["AWSCURRENT"]}, "Tags": [{"Key": "k", "Value": "v"}]});
        assert_eq!(text(&describe), "arn\tn\nTAGS\tk\tv\nV1\tAWSCURRENT\n");
        let versions = json!({"Versions": [{"VersionId": "v1", "VersionStages": ["AWSCURRENT"]}, {"VersionId": "v2"}]});
        assert_eq!(
            text(&versions),
            "VERSIONS\tv1\nVERSIONSTAGES\tAWSCURRENT\nVERSIONS\tv2\n"
        );
    }

    #[test]
    fn tables_are_boxed() {
        let t = table(&json!({"Name": "n", "ARN": "arn:x"}), "DescribeSecret");
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].starts_with("+--") && lines[1].contains("DescribeSecret"));
        assert!(t.contains("| ARN | arn:x"));
        assert!(lines.iter().all(|l| l.len() == lines[0].len()));
    }
}
