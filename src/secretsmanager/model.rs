//! Conversions between the generated wire shapes and the domain that several operation
//! families share (tags, filters, timestamps), and the rules AWS checks beyond the model.

use crate::clock::Millis;
use crate::domain::filter::{Filter, FilterKey};
use crate::domain::secret::Tag;
use crate::generated::secretsmanager as sm;
use crate::generated::secretsmanager::{Error, Result};
use crate::wire::{At, Pattern, Violations};

/// JSON 1.1 timestamps are epoch seconds as a number; ours carry milliseconds.
pub fn ts(ms: Millis) -> f64 {
    ms as f64 / 1000.0
}

pub fn wire_tags(tags: &[Tag]) -> Vec<sm::Tag> {
    tags.iter()
        .map(|t| sm::Tag {
            key: Some(t.key.clone()),
            value: Some(t.value.clone()),
        })
        .collect()
}

/// The characters Secrets Manager allows in tag keys and values (not part of its model).
static TAG_TEXT: Pattern = Pattern::new(
    "^(?:^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$)$",
    "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$",
);

/// Converts a tag list whose model constraints passed, checking the characters and the
/// reserved `aws:` prefix as Secrets Manager does.
pub fn domain_tags(
    caller: &crate::domain::caller::Caller,
    member: &str,
    tags: Option<Vec<sm::Tag>>,
) -> Result<Vec<Tag>> {
    let mut v = Violations::new();
    let tags: Vec<Tag> = tags
        .unwrap_or_default()
        .into_iter()
        .map(|t| Tag {
            key: t.key.unwrap_or_default(),
            value: t.value.unwrap_or_default(),
        })
        .collect();
    for (i, t) in tags.iter().enumerate() {
        let base = format!("{member}.{}.member", i + 1);
        v.pattern(At::new(&base, "key"), Some(&t.key), &t.key, &TAG_TEXT);
        v.pattern(At::new(&base, "value"), Some(&t.value), &t.value, &TAG_TEXT);
    }
    v.finish()?;
    if tags
        .iter()
        .any(|t| t.key.to_lowercase().starts_with("aws:") && !caller.may_set_reserved_tag(&t.key))
    {
        return Err(Error::invalid_parameter(
            "Tag keys beginning with aws: are reserved for AWS use.",
        ));
    }
    Ok(tags)
}

/// Tags per secret, from AWS's tagging quotas.
pub const MAX_TAGS: usize = 50;

pub fn too_many_tags() -> Error {
    Error::invalid_parameter(format!("A secret can have at most {MAX_TAGS} tags."))
}

/// Converts filters whose model constraints passed. A filter with no Key, or with no
/// Values, is refused as Secrets Manager refuses it (the model requires neither).
pub fn domain_filters(filters: Option<&[sm::Filter]>) -> Result<Vec<Filter>> {
    let mut out = Vec::new();
    for f in filters.unwrap_or_default() {
        let Some(key) = f.key.as_deref() else {
            return Err(Error::invalid_parameter("Invalid filter key"));
        };
        let Some(values) = f.values.clone() else {
            return Err(Error::invalid_parameter(format!(
                "Invalid filter values for key: {key}"
            )));
        };
        if let Some(key) = FilterKey::parse(key) {
            out.push(Filter { key, values });
        }
    }
    Ok(out)
}
