//! Parameter Store's labels (Label/UnlabelParameterVersion) and tags.

use super::names::read_name;
use super::ops::{ok, select, Answer, Selector};
use super::{not_found, Parameter, Ssm, MAX_LABELS, MAX_TAGS};
use crate::domain::caller::Caller;
use crate::generated::ssm as g;
use crate::generated::ssm::{Error, ErrorCode, Result};
use crate::wire::Ticket;

/// A label AWS accepts: letters, digits, `.`, `-`, `_`; not starting with a digit, `aws` or `ssm`.
fn label_ok(l: &str) -> bool {
    let lower = l.to_ascii_lowercase();
    !l.is_empty()
        && l.len() <= 100
        && l.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && !l.as_bytes()[0].is_ascii_digit()
        && !lower.starts_with("aws")
        && !lower.starts_with("ssm")
}

impl g::LabelParameterVersion for Ssm {
    fn label_parameter_version(
        &self,
        cx: &Caller,
        i: g::LabelParameterVersionRequest,
    ) -> Answer<g::LabelParameterVersionResult> {
        let name = read_name(&i.name.unwrap_or_default())?;
        let mut p = self.get(&cx.namespace, &name).ok_or_else(not_found)?;
        let target = match i.parameter_version {
            Some(n) => select(&p, &Selector::Version(n))?.version,
            None => p.current().ok_or_else(not_found)?.version,
        };
        let (valid, invalid): (Vec<String>, Vec<String>) = i
            .labels
            .unwrap_or_default()
            .into_iter()
            .partition(|l| label_ok(l));
        let mut labels: Vec<String> = p
            .versions
            .iter()
            .find(|v| v.version == target)
            .map(|v| v.labels.clone())
            .unwrap_or_default();
        for l in &valid {
            if !labels.contains(l) {
                labels.push(l.clone());
            }
        }
        if labels.len() > MAX_LABELS {
            return Err(Error::new(
                ErrorCode::ParameterVersionLabelLimitExceeded,
                "An parameter version can have maximum 10 labels.Move one or more labels to another version and try again.",
            ));
        }
        // A label names one version: it moves here from wherever it was.
        for v in &mut p.versions {
            if v.version == target {
                v.labels.clone_from(&labels);
            } else {
                v.labels.retain(|l| !valid.contains(l));
            }
        }
        let ticket = self.save(&cx.namespace, &name, Some(p));
        ok(
            g::LabelParameterVersionResult {
                invalid_labels: Some(invalid),
                parameter_version: Some(target),
            },
            ticket,
        )
    }
}

impl g::UnlabelParameterVersion for Ssm {
    fn unlabel_parameter_version(
        &self,
        cx: &Caller,
        i: g::UnlabelParameterVersionRequest,
    ) -> Answer<g::UnlabelParameterVersionResult> {
        let name = read_name(&i.name.unwrap_or_default())?;
        let mut p = self.get(&cx.namespace, &name).ok_or_else(not_found)?;
        let target = select(
            &p,
            &Selector::Version(i.parameter_version.unwrap_or_default()),
        )?
        .version;
        let (mut removed, mut invalid) = (Vec::new(), Vec::new());
        if let Some(v) = p.versions.iter_mut().find(|v| v.version == target) {
            for l in i.labels.unwrap_or_default() {
                if v.labels.contains(&l) {
                    v.labels.retain(|x| *x != l);
                    removed.push(l);
                } else {
                    invalid.push(l);
                }
            }
        }
        let ticket = self.save(&cx.namespace, &name, Some(p));
        ok(
            g::UnlabelParameterVersionResult {
                removed_labels: Some(removed),
                invalid_labels: Some(invalid),
            },
            ticket,
        )
    }
}

impl Ssm {
    /// The parameter a tagging request names (only parameters are tagged here).
    fn tagged(&self, cx: &Caller, kind: Option<&str>, id: Option<&str>) -> Result<Parameter> {
        if kind != Some("Parameter") {
            return Err(Error::new(
                ErrorCode::InvalidResourceType,
                "LocalEmu tags parameters only: ResourceType must be Parameter.",
            ));
        }
        self.get(&cx.namespace, &read_name(id.unwrap_or_default())?)
            .ok_or_else(|| Error::new(ErrorCode::InvalidResourceId, ""))
    }
}

impl g::AddTagsToResource for Ssm {
    fn add_tags_to_resource(
        &self,
        cx: &Caller,
        i: g::AddTagsToResourceRequest,
    ) -> Answer<g::AddTagsToResourceResult> {
        let mut p = self.tagged(cx, i.resource_type.as_deref(), i.resource_id.as_deref())?;
        for t in i.tags.unwrap_or_default() {
            let (k, v) = (t.key.unwrap_or_default(), t.value.unwrap_or_default());
            match p.tags.iter_mut().find(|(key, _)| *key == k) {
                Some(slot) => slot.1 = v,
                None => p.tags.push((k, v)),
            }
        }
        if p.tags.len() > MAX_TAGS {
            return Err(Error::new(
                ErrorCode::TooManyTagsError,
                "The request contains more than 50 tags.",
            ));
        }
        let name = p.name.clone();
        ok(
            g::AddTagsToResourceResult {},
            self.save(&cx.namespace, &name, Some(p)),
        )
    }
}

impl g::RemoveTagsFromResource for Ssm {
    fn remove_tags_from_resource(
        &self,
        cx: &Caller,
        i: g::RemoveTagsFromResourceRequest,
    ) -> Answer<g::RemoveTagsFromResourceResult> {
        let mut p = self.tagged(cx, i.resource_type.as_deref(), i.resource_id.as_deref())?;
        let keys = i.tag_keys.unwrap_or_default();
        p.tags.retain(|(k, _)| !keys.contains(k));
        let name = p.name.clone();
        ok(
            g::RemoveTagsFromResourceResult {},
            self.save(&cx.namespace, &name, Some(p)),
        )
    }
}

impl g::ListTagsForResource for Ssm {
    fn list_tags_for_resource(
        &self,
        cx: &Caller,
        i: g::ListTagsForResourceRequest,
    ) -> Answer<g::ListTagsForResourceResult> {
        let p = self.tagged(cx, i.resource_type.as_deref(), i.resource_id.as_deref())?;
        let tags = p
            .tags
            .into_iter()
            .map(|(k, v)| g::Tag {
                key: Some(k),
                value: Some(v),
            })
            .collect();
        ok(
            g::ListTagsForResourceResult {
                tag_list: Some(tags),
            },
            Ticket::ready(),
        )
    }
}
