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

/// The AWS CLI's table: a dashed top line and a centred title, then `key | value` rows for a
/// structure's scalars, a header row and one row per item for a list of structures, and nested
/// values as sections indented by one `|` on each side.
pub fn table(value: &Value, title: &str) -> String {
    let mut sections = Vec::new();
    sections_of(value, title, 0, &mut sections);
    let width = sections
        .iter()
        .map(Section::min_width)
        .max()
        .unwrap_or(0)
        .max(title.len() + 6);
    let mut out = format!("{}\n", "-".repeat(width));
    for s in &sections {
        s.draw(width, &mut out);
    }
    out
}

enum Body {
    Pairs(Vec<(String, String)>),
    Rows(Vec<String>, Vec<Vec<String>>),
    Lines(Vec<String>),
}

struct Section {
    depth: usize,
    title: String,
    body: Body,
}

/// Widths of the columns of a section, as content plus two spaces each side.
fn columns(body: &Body) -> Vec<usize> {
    match body {
        Body::Pairs(pairs) => vec![
            pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 4,
            pairs
                .iter()
                .map(|(_, v)| v.chars().count())
                .max()
                .unwrap_or(0)
                + 4,
        ],
        Body::Rows(headers, rows) => headers
            .iter()
            .enumerate()
            .map(|(i, h)| {
                rows.iter()
                    .map(|r| r[i].chars().count())
                    .max()
                    .unwrap_or(0)
                    .max(h.len())
                    + 4
            })
            .collect(),
        Body::Lines(lines) => vec![lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) + 4],
    }
}

impl Section {
    fn min_width(&self) -> usize {
        let cols = columns(&self.body);
        let inner = cols.iter().sum::<usize>() + cols.len().saturating_sub(1);
        inner.max(self.title.len() + 4) + 2 + 2 * self.depth
    }

    fn draw(&self, width: usize, out: &mut String) {
        let side = "|".repeat(self.depth);
        let inner = width - 2 - 2 * self.depth;
        let mut cols = columns(&self.body);
        let used = cols.iter().sum::<usize>() + cols.len() - 1;
        if let Some(last) = cols.last_mut() {
            *last += inner.saturating_sub(used);
        }
        let rule: Vec<String> = cols.iter().map(|w| "-".repeat(*w)).collect();
        let rule = format!("{side}+{}+{side}\n", rule.join("+"));
        let line = |cells: Vec<String>| -> String {
            let cells: Vec<String> = cells
                .iter()
                .zip(&cols)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            format!("{side}|{}|{side}\n", cells.join("|"))
        };
        out.push_str(&format!("{side}|{:^inner$}|{side}\n", self.title));
        out.push_str(&rule);
        match &self.body {
            Body::Pairs(pairs) => {
                for (k, v) in pairs {
                    out.push_str(&line(vec![format!("  {k}"), format!("  {v}")]));
                }
            }
            Body::Rows(headers, rows) => {
                let centred: Vec<String> = headers
                    .iter()
                    .zip(&cols)
                    .map(|(h, w)| format!("{h:^w$}"))
                    .collect();
                out.push_str(&line(centred));
                out.push_str(&rule);
                for r in rows {
                    out.push_str(&line(r.iter().map(|c| format!("  {c}")).collect()));
                }
            }
            Body::Lines(lines) => {
                for l in lines {
                    out.push_str(&line(vec![format!("  {l}")]));
                }
            }
        }
        out.push_str(&rule);
    }
}

fn sections_of(v: &Value, title: &str, depth: usize, out: &mut Vec<Section>) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let pairs: Vec<(String, String)> = keys
                .iter()
                .filter(|k| is_scalar(&map[**k]))
                .map(|k| (k.to_string(), scalar(&map[*k])))
                .collect();
            let nested = keys.iter().any(|k| !is_scalar(&map[*k]));
            if !pairs.is_empty() || !nested {
                out.push(Section {
                    depth,
                    title: title.to_string(),
                    body: Body::Pairs(pairs),
                });
            }
            let child_depth = if out.last().is_some_and(|s| s.depth == depth) {
                depth + 1
            } else {
                depth
            };
            for k in keys.into_iter().filter(|k| !is_scalar(&map[*k])) {
                sections_of(&map[k], k, child_depth, out);
            }
        }
        Value::Array(list) if list.iter().all(is_scalar) => {
            out.push(Section {
                depth,
                title: title.to_string(),
                body: Body::Lines(list.iter().map(scalar).collect()),
            });
        }
        Value::Array(list) => {
            let mut headers: Vec<String> = list
                .iter()
                .filter_map(Value::as_object)
                .flat_map(|m| {
                    m.iter()
                        .filter(|(_, v)| is_scalar(v))
                        .map(|(k, _)| k.clone())
                })
                .collect();
            headers.sort();
            headers.dedup();
            let rows = list
                .iter()
                .filter_map(Value::as_object)
                .map(|m| {
                    headers
                        .iter()
                        .map(|h| m.get(h).map(scalar).unwrap_or_default())
                        .collect()
                })
                .collect();
            if !headers.is_empty() {
                out.push(Section {
                    depth,
                    title: title.to_string(),
                    body: Body::Rows(headers, rows),
                });
            }
            for item in list.iter().filter_map(Value::as_object) {
                for (k, v) in item.iter().filter(|(_, v)| !is_scalar(v)) {
                    sections_of(v, k, depth + 1, out);
                }
            }
        }
        other => out.push(Section {
            depth,
            title: title.to_string(),
            body: Body::Lines(vec![scalar(other)]),
        }),
    }
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
    fn tables_like_the_aws_cli() {
        let t = table(
            &json!({"Name": "n", "ARN": "arn:x", "Tags": [{"Key": "team", "Value": "db"}]}),
            "DescribeSecret",
        );
        let expected = "\
----------------------
|   DescribeSecret   |
+--------+-----------+
|  ARN   |  arn:x    |
|  Name  |  n        |
+--------+-----------+
||       Tags       ||
|+--------+---------+|
||  Key   |  Value  ||
|+--------+---------+|
||  team  |  db     ||
|+--------+---------+|
";
        assert_eq!(t, expected, "\n{t}");
    }
}
