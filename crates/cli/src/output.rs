//! Printing results as the AWS CLI does: `json` (4-space indent, response order), `text`
//! (tab-separated rows with upper-case section names), `table` (boxed sections), and AWS CLI
//! v2's `yaml` and `yaml-stream` (the answer as one element of a list of pages).

use serde_json::{Map, Value};
use std::fmt::Write;

pub fn render(value: &Value, format: &str, title: &str) -> String {
    match format {
        "text" => text(value),
        "table" => table(value, title),
        "yaml" => yaml(value),
        "yaml-stream" => yaml(&Value::Array(vec![value.clone()])),
        _ => json(value),
    }
}

/// Block-style YAML in response order, sequences under a key not indented, as AWS CLI v2
/// prints it.
pub fn yaml(value: &Value) -> String {
    serde_yaml_ng::to_string(value).unwrap_or_else(|_| json(value))
}

pub fn json(value: &Value) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    if serde::Serialize::serialize(value, &mut ser).is_err() {
        // A Value always serialises; fall back to the compact form rather than panic.
        return value.to_string() + "\n";
    }
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

/// The AWS CLI's table. A structure becomes a header row and one row of its scalar members
/// (a single scalar becomes a `key | value` row), a list of structures a header row and one row
/// per item, nested values become sections indented by one `|` each side. When the table would
/// be wider than 80 columns, single-row sections are turned into `key | value` rows.
pub fn table(value: &Value, title: &str) -> String {
    let mut sections: Vec<Section> = Vec::new();
    if !build(&mut sections, Some(title), value, 0) {
        return String::new();
    }
    let mut width = max_width(&sections);
    if width > TERMINAL_WIDTH {
        for s in sections
            .iter_mut()
            .filter(|s| s.rows.len() == 1 && !s.headers.is_empty())
        {
            let pairs = std::mem::take(&mut s.headers)
                .into_iter()
                .zip(s.rows.remove(0))
                .map(|(h, v)| vec![h, v]);
            let rows: Vec<Vec<String>> = pairs.collect();
            s.widths.clear();
            for r in rows {
                s.add_row(r);
            }
        }
        width = max_width(&sections);
    }
    let mut out = format!("{}\n", "-".repeat(width));
    for s in &sections {
        s.render(width, &mut out);
    }
    out
}

/// The width the AWS CLI assumes when its output is not a terminal.
const TERMINAL_WIDTH: usize = 80;

fn text_len(s: &str) -> usize {
    s.chars().count()
}

#[derive(Default)]
struct Section {
    title: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    indent: usize,
    widths: Vec<usize>,
}

impl Section {
    fn grow(&mut self, cells: &[String]) {
        for (i, c) in cells.iter().enumerate() {
            match self.widths.get_mut(i) {
                Some(w) => *w = (*w).max(text_len(c)),
                None => self.widths.push(text_len(c)),
            }
        }
    }

    fn add_headers(&mut self, headers: Vec<String>) {
        self.grow(&headers);
        self.headers = headers;
    }

    fn add_row(&mut self, row: Vec<String>) {
        self.grow(&row);
        self.rows.push(row);
    }

    fn total_width(&self) -> usize {
        let columns: usize = self.widths.iter().map(|w| w + 4).sum();
        (text_len(&self.title) + 2 + 2 * self.indent).max(columns + 2 + 2 * self.indent)
    }

    /// Column widths scaled to fill `width`, as the AWS CLI rounds and adjusts them.
    fn column_widths(&self, width: usize) -> Vec<usize> {
        let natural: Vec<usize> = self.widths.iter().map(|w| w + 4).collect();
        let sum: usize = natural.iter().sum();
        if sum == 0 {
            return natural;
        }
        let scale = width as f64 / sum as f64;
        let mut scaled: Vec<i64> = natural
            .iter()
            .map(|w| (scale * *w as f64).round_ties_even() as i64)
            .collect();
        let mut off_by = scaled.iter().sum::<i64>() - width as i64;
        while off_by != 0 {
            let order: Vec<usize> = if off_by < 0 {
                (0..scaled.len()).rev().collect()
            } else {
                (0..scaled.len()).collect()
            };
            for i in order {
                if off_by > 0 {
                    scaled[i] -= 1;
                    off_by -= 1;
                } else {
                    scaled[i] += 1;
                    off_by += 1;
                }
                if off_by == 0 {
                    break;
                }
            }
        }
        scaled.into_iter().map(|w| w.max(0) as usize).collect()
    }

    fn render(&self, total: usize, out: &mut String) {
        let side = "|".repeat(self.indent);
        let width = total - 2 * self.indent;
        let mut line = |text: String| {
            out.push_str(&side);
            out.push_str(&text);
            out.push_str(&side);
            out.push('\n');
        };
        if !self.title.is_empty() {
            line(center(&self.title, width, "|", "|"));
            if self.headers.is_empty() && self.rows.is_empty() {
                line(format!("+{}+", "-".repeat(width.saturating_sub(2))));
            }
        }
        let widths = self.column_widths(width);
        if !self.headers.is_empty() {
            line(rule(&widths));
            let cells: Vec<String> = self
                .headers
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (h, w))| center(h, *w, if i == 0 { "|" } else { "" }, "|"))
                .collect();
            line(cells.concat());
        }
        if !self.rows.is_empty() && !widths.is_empty() {
            line(rule(&widths));
            for row in &self.rows {
                let cells: Vec<String> = row
                    .iter()
                    .zip(&widths)
                    .enumerate()
                    .map(|(i, (c, w))| align_left(c, *w, if i == 0 { "|" } else { "" }))
                    .collect();
                line(cells.concat());
            }
            line(rule(&widths));
        }
    }
}

fn max_width(sections: &[Section]) -> usize {
    sections.iter().map(Section::total_width).max().unwrap_or(0)
}

fn rule(widths: &[usize]) -> String {
    widths
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if i == 0 {
                format!("+{}+", "-".repeat(w.saturating_sub(2)))
            } else {
                format!("{}+", "-".repeat(w.saturating_sub(1)))
            }
        })
        .collect()
}

fn center(text: &str, length: usize, left: &str, right: &str) -> String {
    let start = (length / 2).saturating_sub(text_len(text) / 2 + 1);
    let so_far = left.len() + start + text_len(text);
    let rest = length.saturating_sub(right.len() + so_far);
    format!(
        "{left}{}{text}{}{right}",
        " ".repeat(start),
        " ".repeat(rest)
    )
}

fn align_left(text: &str, length: usize, left: &str) -> String {
    let padding = if length > text_len(text) + 2 + left.len() {
        2
    } else {
        0
    };
    let so_far = left.len() + padding + text_len(text);
    format!(
        "{left}{}{text}{}|",
        " ".repeat(padding),
        " ".repeat(length.saturating_sub(so_far + 1))
    )
}

/// Python's truthiness, which decides whether the AWS CLI shows a value at all.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn split_keys(map: &Map<String, Value>) -> (Vec<String>, Vec<String>) {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    let scalars = keys
        .iter()
        .filter(|k| is_scalar(&map[**k]))
        .map(|k| (*k).clone())
        .collect();
    let nested = keys
        .iter()
        .filter(|k| !is_scalar(&map[**k]))
        .map(|k| (*k).clone())
        .collect();
    (scalars, nested)
}

fn build(sections: &mut Vec<Section>, title: Option<&str>, v: &Value, indent: usize) -> bool {
    if !truthy(v) {
        return false;
    }
    if let Some(t) = title {
        sections.push(Section {
            title: t.to_string(),
            indent,
            ..Section::default()
        });
    }
    match v {
        Value::Array(list) if list[0].is_object() => {
            from_list(sections, list, indent, title.unwrap_or_default());
        }
        Value::Array(list) => {
            for item in list {
                match item {
                    Value::Array(inner) if inner.iter().all(is_scalar) => {
                        current(sections).add_row(inner.iter().map(scalar).collect());
                    }
                    other if is_scalar(other) => current(sections).add_row(vec![scalar(other)]),
                    other => {
                        build(sections, None, other, indent);
                    }
                }
            }
        }
        Value::Object(map) => from_dict(sections, map, indent),
        _ => {}
    }
    true
}

fn current(sections: &mut Vec<Section>) -> &mut Section {
    if sections.is_empty() {
        sections.push(Section::default());
    }
    let last = sections.len() - 1;
    &mut sections[last]
}

fn from_dict(sections: &mut Vec<Section>, map: &Map<String, Value>, indent: usize) {
    let (headers, nested) = split_keys(map);
    if headers.len() == 1 {
        let row = vec![headers[0].clone(), scalar(&map[&headers[0]])];
        current(sections).add_row(row);
    } else if !headers.is_empty() {
        let row = headers.iter().map(|h| scalar(&map[h])).collect();
        let s = current(sections);
        s.add_headers(headers);
        s.add_row(row);
    }
    for key in nested {
        build(sections, Some(&key), &map[&key], indent + 1);
    }
}

fn from_list(sections: &mut Vec<Section>, list: &[Value], indent: usize, title: &str) {
    let mut headers: Vec<String> = Vec::new();
    let mut nested: Vec<String> = Vec::new();
    for item in list.iter().filter_map(Value::as_object) {
        let (h, n) = split_keys(item);
        headers.extend(h);
        nested.extend(n);
    }
    headers.sort();
    headers.dedup();
    nested.sort();
    nested.dedup();
    current(sections).add_headers(headers.clone());
    for (i, item) in list.iter().filter_map(Value::as_object).enumerate() {
        if i > 0 && !nested.is_empty() {
            sections.push(Section {
                title: title.to_string(),
                indent,
                ..Section::default()
            });
            current(sections).add_headers(headers.clone());
        }
        let row = headers
            .iter()
            .map(|h| item.get(h).map(scalar).unwrap_or_default())
            .collect();
        current(sections).add_row(row);
        for key in nested.iter().filter(|k| item.contains_key(*k)) {
            build(sections, Some(key), &item[key], indent + 1);
        }
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
        // What the AWS CLI (awscli 1.46) prints for this response with `--output table`.
        let response = json!({"Name": "n", "ARN": "arn:x", "Tags": [{"Key": "team", "Value": "db"}, {"Key": "env", "Value": "prod"}]});
        let expected = "---------------------\n|  DescribeSecret   |\n+---------+---------+\n|   ARN   |  Name   |\n+---------+---------+\n|  arn:x  |  n      |\n+---------+---------+\n||      Tags       ||\n|+-------+---------+|\n||  Key  |  Value  ||\n|+-------+---------+|\n||  team |  db     ||\n||  env  |  prod   ||\n|+-------+---------+|\n";
        assert_eq!(table(&response, "DescribeSecret"), expected);
        let wide = json!({"ARN": "a".repeat(90), "Name": "n"});
        let vertical = table(&wide, "DescribeSecret");
        assert!(
            vertical.lines().nth(3).unwrap().starts_with("|  ARN |"),
            "{vertical}"
        );
        assert_eq!(table(&json!({}), "TagResource"), "");
    }
}

/// Timestamps as the AWS CLI (version 2) prints them by default: ISO 8601 in UTC, with
/// microseconds when there are any (`2026-01-15T12:00:00.123000+00:00`), from the epoch
/// seconds of the JSON protocols or the ISO text of the query protocol.
pub fn readable_times(value: &mut Value, paths: &[&[&str]]) {
    for path in paths {
        at_path(value, path);
    }
}

fn at_path(value: &mut Value, path: &[&str]) {
    let Some((step, rest)) = path.split_first() else {
        if let Some(text) = iso8601(value) {
            *value = Value::String(text);
        }
        return;
    };
    match (*step, value) {
        ("[]", Value::Array(items)) => items.iter_mut().for_each(|v| at_path(v, rest)),
        ("{}", Value::Object(m)) => m.values_mut().for_each(|v| at_path(v, rest)),
        (name, Value::Object(m)) => {
            if let Some(v) = m.get_mut(name) {
                at_path(v, rest);
            }
        }
        _ => {}
    }
}

fn iso8601(value: &Value) -> Option<String> {
    use time::format_description::well_known::Rfc3339;
    let at = match value {
        Value::Number(n) => {
            // Rounded to the microsecond, as Python's datetime reads a float.
            let seconds = n.as_f64()?;
            let whole = seconds.floor();
            let micros = ((seconds - whole) * 1e6).round() as i128;
            let nanos = (whole as i128) * 1_000_000_000 + micros * 1000;
            time::OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?
        }
        Value::String(s) => time::OffsetDateTime::parse(s, &Rfc3339).ok()?,
        _ => return None,
    };
    let at = at.to_offset(time::UtcOffset::UTC);
    let micros = at.microsecond();
    let fraction = if micros == 0 {
        String::new()
    } else {
        format!(".{micros:06}")
    };
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}+00:00",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    ))
}

#[cfg(test)]
mod time_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps_print_as_the_aws_cli_prints_them() {
        let mut v = json!({
            "CreatedDate": 1_768_478_400.123,
            "SecretList": [{"LastChangedDate": 1_768_478_400}, {"Name": "x"}],
            "Stacks": [{"CreationTime": "2026-01-15T12:00:00.5Z"}],
            "Other": 1_768_478_400
        });
        readable_times(
            &mut v,
            &[
                &["CreatedDate"],
                &["SecretList", "[]", "LastChangedDate"],
                &["Stacks", "[]", "CreationTime"],
            ],
        );
        assert_eq!(
            v,
            json!({
                "CreatedDate": "2026-01-15T12:00:00.123000+00:00",
                "SecretList": [{"LastChangedDate": "2026-01-15T12:00:00+00:00"}, {"Name": "x"}],
                "Stacks": [{"CreationTime": "2026-01-15T12:00:00.500000+00:00"}],
                "Other": 1_768_478_400
            })
        );
    }
}
