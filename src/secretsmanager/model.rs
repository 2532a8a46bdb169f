//! Wire shapes shared by several operations: tags, filters, timestamps, blobs.

use crate::clock::Millis;
use crate::domain::filter::{Filter, FilterKey};
use crate::domain::secret::Tag;
use crate::domain::validate::Violations;
use serde::{Deserialize, Serialize};

/// JSON 1.1 timestamps are epoch seconds as a number; ours carry milliseconds.
pub fn ts(ms: Millis) -> f64 {
    ms as f64 / 1000.0
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct WireTag {
    pub key: Option<String>,
    pub value: Option<String>,
}

impl WireTag {
    pub fn from_domain(t: &Tag) -> Self {
        WireTag {
            key: Some(t.key.clone()),
            value: Some(t.value.clone()),
        }
    }
}

pub fn wire_tags(tags: &[Tag]) -> Vec<WireTag> {
    tags.iter().map(WireTag::from_domain).collect()
}

const TAG_PATTERN: &str = "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$";

fn tag_text_ok(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
}

/// Checks the model's constraints on a tag list and converts it.
pub fn check_tags(member: &str, tags: &[WireTag], v: &mut Violations) -> Vec<Tag> {
    let mut out = Vec::with_capacity(tags.len());
    for (i, t) in tags.iter().enumerate() {
        let key_member = format!("{member}.{}.member.key", i + 1);
        let value_member = format!("{member}.{}.member.value", i + 1);
        let key = t.key.clone().unwrap_or_default();
        let value = t.value.clone().unwrap_or_default();
        v.length(&key_member, Some(&key), 1, 128);
        v.length(&value_member, Some(&value), 0, 256);
        v.pattern(&key_member, &key, TAG_PATTERN, tag_text_ok(&key));
        v.pattern(&value_member, &value, TAG_PATTERN, tag_text_ok(&value));
        out.push(Tag { key, value });
    }
    out
}

/// Tags per secret, from AWS's tagging quotas.
pub const MAX_TAGS: usize = 50;

/// Service-level tag rules checked after the model constraints.
pub fn check_tag_rules(tags: &[Tag]) -> crate::error::Result<()> {
    if tags
        .iter()
        .any(|t| t.key.to_lowercase().starts_with("aws:"))
    {
        return Err(crate::error::Error::invalid_parameter(
            "Tag keys beginning with aws: are reserved for AWS use.",
        ));
    }
    Ok(())
}

pub fn too_many_tags() -> crate::error::Error {
    crate::error::Error::invalid_parameter(format!("A secret can have at most {MAX_TAGS} tags."))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WireFilter {
    pub key: Option<String>,
    pub values: Option<Vec<String>>,
}

const FILTER_VALUE_PATTERN: &str = "^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$";

fn filter_value_ok(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || " :_@/+=.-!".contains(c))
}

/// Checks a filter list against the model and converts it.
pub fn check_filters(filters: &[WireFilter], v: &mut Violations) -> Vec<Filter> {
    v.list_len("filters", Some(filters.len()), 0, 10);
    let mut out = Vec::with_capacity(filters.len());
    for (i, f) in filters.iter().enumerate() {
        let base = format!("filters.{}.member", i + 1);
        v.one_of(
            &format!("{base}.key"),
            f.key.as_deref(),
            &FilterKey::WIRE_NAMES,
        );
        let values = f.values.clone().unwrap_or_default();
        v.list_len(
            &format!("{base}.values"),
            f.values.as_ref().map(Vec::len),
            1,
            10,
        );
        for (j, value) in values.iter().enumerate() {
            let m = format!("{base}.values.{}.member", j + 1);
            v.length(&m, Some(value), 0, 512);
            v.pattern(&m, value, FILTER_VALUE_PATTERN, filter_value_ok(value));
        }
        if let Some(key) = f.key.as_deref().and_then(FilterKey::parse) {
            out.push(Filter { key, values });
        }
    }
    out
}

/// After the model's checks: a filter with no Key, or with no Values, is refused as Secrets
/// Manager refuses it (the model requires neither).
pub fn require_filter_parts(filters: &[WireFilter]) -> crate::error::Result<()> {
    for f in filters {
        let Some(key) = f.key.as_deref() else {
            return Err(crate::error::Error::invalid_parameter("Invalid filter key"));
        };
        if f.values.is_none() {
            return Err(crate::error::Error::invalid_parameter(format!(
                "Invalid filter values for key: {key}"
            )));
        }
    }
    Ok(())
}

/// The input of every operation whose only member is SecretId.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretIdInput {
    pub secret_id: Option<String>,
}

/// Serialises to `{}`: TagResource and UntagResource have no output members.
#[derive(Debug, Serialize)]
pub struct Empty {}

pub mod blob {
    //! SecretBinary travels as base64 text inside JSON.
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(bytes) => s.serialize_str(&STANDARD.encode(bytes)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.map(|t| {
            STANDARD
                .decode(t.as_bytes())
                .map_err(|_| serde::de::Error::custom("SecretBinary is not valid base64"))
        })
        .transpose()
    }
}
