//! Session tags: what AssumeRole's `Tags` and `TransitiveTagKeys` may say, and what a chained
//! session inherits.

use crate::domain::caller::SessionTags;
use crate::generated::sts::{self as g, Error, Result};

fn invalid_tags(message: &str) -> Error {
    Error::common(crate::error::Common::InvalidParameterValue, message)
}

/// The tags of a session assumed by `caller` with `tags` and `transitive` keys, checked as
/// STS checks them: keys are case-insensitive, transitive keys must be among the tags, and a
/// chained session cannot set a key its caller passes on to it.
pub(super) fn session_tags(
    caller: &SessionTags,
    tags: &[g::Tag],
    transitive: &[String],
) -> Result<SessionTags> {
    let mut out = SessionTags {
        tags: caller.inherited(),
        transitive: caller.transitive.clone(),
    };
    let mut seen: Vec<&str> = Vec::new();
    for t in tags {
        let key = t.key.as_deref().unwrap_or_default();
        if seen.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            return Err(invalid_tags(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
        seen.push(key);
    }
    for key in transitive {
        if !seen.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            return Err(invalid_tags(
                "The specified transitive tag key must be included in the requested tags.",
            ));
        }
    }
    for t in tags {
        let key = t.key.clone().unwrap_or_default();
        if out.tags.iter().any(|(k, _)| k.eq_ignore_ascii_case(&key)) {
            return Err(invalid_tags(
                "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.",
            ));
        }
        out.tags.push((key, t.value.clone().unwrap_or_default()));
    }
    out.transitive.extend(transitive.iter().cloned());
    Ok(out)
}
