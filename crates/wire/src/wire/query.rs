//! The AWS query protocol's runtime: form parameters in (`Tags.member.1.Key=...`), XML out.
//! The generated code implements [`FromForm`] and [`ToXml`] for each shape.

pub mod xml;

pub use xml::{escape_into, ToXml};

use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// The decoded parameters of a query request (body and URL query string together).
#[derive(Debug, Default, Clone)]
pub struct Form {
    params: BTreeMap<String, String>,
}

/// No query request of a served service has this many parameters; more is an attack.
const MAX_PARAMS: usize = 1000;
/// A list longer than this is refused before it is built.
const MAX_LIST: usize = 1000;

impl Form {
    /// Parses `a=1&b=2` (percent-encoded). A name given twice with different values is
    /// refused: the body and a presigned URL's query string are read together, and a body
    /// must not override what the URL's signature covers (its `Action`, say).
    pub fn parse(text: &[u8]) -> Result<Form> {
        let mut params = BTreeMap::new();
        for (k, v) in form_urlencoded(text) {
            if params.len() >= MAX_PARAMS {
                return Err(Error::validation(format!(
                    "The request has more than {MAX_PARAMS} parameters."
                )));
            }
            match params.entry(k) {
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(v);
                }
                std::collections::btree_map::Entry::Occupied(given) if *given.get() != v => {
                    return Err(Error::validation(format!(
                        "The parameter {} is given more than once with different values.",
                        given.key()
                    )));
                }
                std::collections::btree_map::Entry::Occupied(_) => {}
            }
        }
        Ok(Form { params })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    /// Whether any parameter starts with `prefix.` (a structure or list was given).
    fn has_under(&self, prefix: &str) -> bool {
        let dotted = format!("{prefix}.");
        self.params
            .range(dotted.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&dotted))
    }
}

fn form_urlencoded(text: &[u8]) -> Vec<(String, String)> {
    let decode = |s: &[u8]| -> String {
        let plus: Vec<u8> = s
            .iter()
            .map(|b| if *b == b'+' { b' ' } else { *b })
            .collect();
        percent_encoding::percent_decode(&plus)
            .decode_utf8_lossy()
            .into_owned()
    };
    text.split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.iter().position(|b| *b == b'=') {
            Some(i) => (decode(&pair[..i]), decode(&pair[i + 1..])),
            None => (decode(pair), String::new()),
        })
        .collect()
}

/// AWS names members in validation messages with a lower-case first letter.
fn malformed(key: &str, value: &str, what: &str) -> Error {
    let mut name = key.to_string();
    if let Some(first) = name.get(..1).map(str::to_ascii_lowercase) {
        name.replace_range(..1, &first);
    }
    Error::validation(format!(
        "1 validation error detected: Value '{value}' at '{name}' failed to satisfy constraint: Member must be {what}"
    ))
}

/// A value read from the parameters under `key` (absent: None).
pub trait FromForm: Sized {
    fn from_form(form: &Form, key: &str) -> Result<Option<Self>>;
}

impl FromForm for String {
    fn from_form(form: &Form, key: &str) -> Result<Option<Self>> {
        Ok(form.get(key).map(str::to_string))
    }
}

impl FromForm for i64 {
    fn from_form(form: &Form, key: &str) -> Result<Option<Self>> {
        form.get(key)
            .map(|v| v.trim().parse().map_err(|_| malformed(key, v, "a number")))
            .transpose()
    }
}

impl FromForm for bool {
    fn from_form(form: &Form, key: &str) -> Result<Option<Self>> {
        form.get(key)
            .map(|v| match v {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(malformed(key, v, "true or false")),
            })
            .transpose()
    }
}

impl FromForm for f64 {
    fn from_form(form: &Form, key: &str) -> Result<Option<Self>> {
        form.get(key)
            .map(|v| v.trim().parse().map_err(|_| malformed(key, v, "a number")))
            .transpose()
    }
}

impl<T: FromForm> FromForm for Vec<T> {
    fn from_form(form: &Form, key: &str) -> Result<Option<Self>> {
        list(form, key, Some("member"))
    }
}

/// A list's items at `key.<item>.1`, `key.<item>.2`, ... (a flattened list, `item` None: at
/// `key.1`, ...) up to the first gap; `key=` alone is an empty list.
pub fn list<T: FromForm>(form: &Form, key: &str, item: Option<&str>) -> Result<Option<Vec<T>>> {
    let mut out = Vec::new();
    for i in 1..=MAX_LIST + 1 {
        let at = match item {
            Some(item) => format!("{key}.{item}.{i}"),
            None => format!("{key}.{i}"),
        };
        match T::from_form(form, &at)? {
            Some(v) if i <= MAX_LIST => out.push(v),
            Some(_) => {
                return Err(Error::validation(format!(
                    "The list {key} has more than {MAX_LIST} members."
                )))
            }
            None => break,
        }
    }
    if out.is_empty() && form.get(key).is_none() && !form.has_under(key) {
        return Ok(None);
    }
    Ok(Some(out))
}

impl<V: FromForm> FromForm for super::Map<String, V> {
    fn from_form(form: &Form, key: &str) -> Result<Option<Self>> {
        map(form, key, true, ("key", "value"))
    }
}

/// A map's entries at `key.entry.1.<k>` / `key.entry.1.<v>`, ... (flattened, `entry` false:
/// at `key.1.<k>`, ...) up to the first gap.
pub fn map<V: FromForm>(
    form: &Form,
    key: &str,
    entry: bool,
    (k, v): (&str, &str),
) -> Result<Option<super::Map<String, V>>> {
    if !form.has_under(key) {
        return Ok(None);
    }
    let mut out = super::Map::new();
    for i in 1..=MAX_LIST {
        let at = if entry {
            format!("{key}.entry.{i}")
        } else {
            format!("{key}.{i}")
        };
        let Some(name) = form.get(&format!("{at}.{k}")) else {
            break;
        };
        if let Some(value) = V::from_form(form, &format!("{at}.{v}"))? {
            out.insert(name.to_string(), value);
        }
    }
    Ok(Some(out))
}

/// For generated structures: whether any member was given under `key`.
pub fn present(form: &Form, key: &str) -> bool {
    key.is_empty() || form.has_under(key)
}

/// The key of member `name` of the structure at `key`.
pub fn member(key: &str, name: &str) -> String {
    if key.is_empty() {
        name.to_string()
    } else {
        format!("{key}.{name}")
    }
}

/// Decoded `name=value` pairs of a raw query string, in order.
pub fn pairs(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_members() {
        let f = Form::parse(b"Action=AssumeRole&Tags.member.1.Key=a&Tags.member.2.Key=b+c&X=%41")
            .unwrap();
        assert_eq!(f.get("X"), Some("A"));
        assert_eq!(f.get("Tags.member.2.Key"), Some("b c"));
        let keys: Option<Vec<String>> = FromForm::from_form(&f, "Nope").unwrap();
        assert_eq!(keys, None);
        assert!(present(&f, "Tags.member.1"));
        assert!(!present(&f, "Tags.member.3"));
        let n = i64::from_form(&Form::parse(b"D=x").unwrap(), "D");
        assert!(n.is_err());
    }

    #[test]
    fn xml() {
        use super::xml::{element, timestamp};
        let mut out = String::new();
        element(&mut out, "A", Some(&"<&>".to_string()));
        element(&mut out, "L", Some(&vec![1i64, 2]));
        timestamp(&mut out, "T", Some(&1.5));
        timestamp(&mut out, "W", Some(&2.0));
        // Milliseconds when the time has them, three digits; whole seconds stay whole.
        assert_eq!(
            out,
            "<A>&lt;&amp;&gt;</A><L><member>1</member><member>2</member></L><T>1970-01-01T00:00:01.500Z</T><W>1970-01-01T00:00:02Z</W>"
        );
    }
}
