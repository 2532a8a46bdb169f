//! The query protocol's XML out: how each kind of member is written, as AWS's query services
//! and botocore's response suite write it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::fmt::Write;

/// A value written as the content of an element named by its member.
pub trait ToXml {
    fn to_xml(&self, out: &mut String);
}

impl ToXml for String {
    fn to_xml(&self, out: &mut String) {
        escape_into(self, out);
    }
}

impl ToXml for i64 {
    fn to_xml(&self, out: &mut String) {
        write!(out, "{self}").ok();
    }
}

impl ToXml for bool {
    fn to_xml(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

impl ToXml for f64 {
    fn to_xml(&self, out: &mut String) {
        write!(out, "{self}").ok();
    }
}

impl ToXml for crate::wire::Blob {
    fn to_xml(&self, out: &mut String) {
        out.push_str(&STANDARD.encode(&self.0));
    }
}

/// A list inside a list is wrapped the default way: its shape is not a member's, so nothing
/// renames or flattens it.
impl<T: ToXml> ToXml for Vec<T> {
    fn to_xml(&self, out: &mut String) {
        items(out, "member", self);
    }
}

/// A map inside a list or map, the default way (see the `Vec` impl).
impl<V: ToXml> ToXml for crate::wire::Map<String, V> {
    fn to_xml(&self, out: &mut String) {
        entries(out, ("key", "value"), self, Some("entry"));
    }
}

fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn items<T: ToXml>(out: &mut String, item: &str, list: &[T]) {
    for v in list {
        open(out, item);
        v.to_xml(out);
        close(out, item);
    }
}

/// Each entry's key and value elements, each entry inside `wrapper` if there is one.
fn entries<V: ToXml>(
    out: &mut String,
    (key, value): (&str, &str),
    map: &crate::wire::Map<String, V>,
    wrapper: Option<&str>,
) {
    for (k, v) in map {
        if let Some(w) = wrapper {
            open(out, w);
        }
        open(out, key);
        escape_into(k, out);
        close(out, key);
        open(out, value);
        v.to_xml(out);
        close(out, value);
        if let Some(w) = wrapper {
            close(out, w);
        }
    }
}

/// `<name>value</name>` for a member that is set.
pub fn element<T: ToXml>(out: &mut String, name: &str, value: Option<&T>) {
    if let Some(v) = value {
        open(out, name);
        v.to_xml(out);
        close(out, name);
    }
}

/// A blob member: its bytes in base64.
pub fn blob(out: &mut String, name: &str, value: Option<&[u8]>) {
    if let Some(v) = value {
        open(out, name);
        out.push_str(&STANDARD.encode(v));
        close(out, name);
    }
}

/// `<name><item>a</item><item>b</item></name>`: a list member (`item` is `member` unless the
/// list shape names its items).
pub fn wrapped_list<T: ToXml>(out: &mut String, name: &str, item: &str, value: Option<&Vec<T>>) {
    if let Some(list) = value {
        open(out, name);
        items(out, item, list);
        close(out, name);
    }
}

/// `<item>a</item><item>b</item>` straight inside the structure: a flattened list member.
pub fn flat_list<T: ToXml>(out: &mut String, item: &str, value: Option<&Vec<T>>) {
    if let Some(list) = value {
        items(out, item, list);
    }
}

/// A map member: `<name><entry><key>k</key><value>v</value></entry>...</name>`, or, flattened,
/// `<name><key>k</key><value>v</value></name>` once per entry; `names` are the key and value
/// elements' names.
pub fn map<V: ToXml>(
    out: &mut String,
    name: &str,
    wrapped: bool,
    names: (&str, &str),
    value: Option<&crate::wire::Map<String, V>>,
) {
    let Some(m) = value else { return };
    if wrapped {
        open(out, name);
        entries(out, names, m, Some("entry"));
        close(out, name);
    } else {
        entries(out, names, m, Some(name));
    }
}

/// A timestamp member, in ISO 8601 with milliseconds dropped as AWS's query services write it.
pub fn timestamp(out: &mut String, name: &str, value: Option<&f64>) {
    if let Some(v) = value {
        // Milliseconds are written when the time has them (CloudFormation's stack and event
        // times do, as AWS's do: three digits); whole seconds stay whole.
        let millis = (v * 1000.0).round() as i64;
        let t = time::OffsetDateTime::from_unix_timestamp(millis.div_euclid(1000))
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let text = t
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        match millis.rem_euclid(1000) {
            0 => write!(out, "<{name}>{text}</{name}>"),
            ms => write!(
                out,
                "<{name}>{}.{ms:03}Z</{name}>",
                text.trim_end_matches('Z')
            ),
        }
        .ok();
    }
}

/// XML text escaping for element content.
pub fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}
