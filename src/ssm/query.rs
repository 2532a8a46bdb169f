//! Parameter Store's listings: GetParametersByPath, DescribeParameters and
//! GetParameterHistory, with AWS's filters and pages.

use super::filters::{self, Listing};
use super::names::read_name;
use super::{not_found, parameter_arn, Parameter, Ssm};
use crate::domain::caller::Caller;
use crate::generated::ssm as g;
use crate::generated::ssm::Answer;
use crate::generated::ssm::{Error, ErrorCode, Result};
use crate::wire::{Ack, Ticket};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// Page tokens carry the position to go on from.
fn token(offset: usize) -> String {
    STANDARD.encode(format!("localemu-ssm:{offset}"))
}

fn offset(t: Option<&str>) -> Result<usize> {
    let Some(t) = t else { return Ok(0) };
    STANDARD
        .decode(t)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("localemu-ssm:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidNextToken,
                "The specified token is not valid.",
            )
        })
}

/// One page of `items` and the token of the next.
fn page<T: Clone>(
    items: &[T],
    next: Option<&str>,
    max: Option<i64>,
    default: usize,
) -> Result<(Vec<T>, Option<String>)> {
    let start = offset(next)?.min(items.len());
    let size = max.map_or(default, |m| m.max(1) as usize);
    let end = (start + size).min(items.len());
    Ok((
        items[start..end].to_vec(),
        (end < items.len()).then(|| token(end)),
    ))
}

fn filter_key_error(key: &str, valid: &str) -> Error {
    Error::new(
        ErrorCode::InvalidFilterKey,
        format!(
            "The following filter key is not valid: {key}. Valid filter keys include: [{valid}]."
        ),
    )
}

/// Whether a parameter passes one ParameterStringFilter.
fn passes(p: &Parameter, f: &g::ParameterStringFilter) -> Result<bool> {
    let Some(v) = p.current() else {
        return Ok(false);
    };
    let key = f.key.as_deref().unwrap_or_default();
    let option = f.option.as_deref().unwrap_or("Equals");
    let values = f.values.clone().unwrap_or_default();
    let any = |s: &str| values.is_empty() || values.iter().any(|x| x == s);
    Ok(match key {
        "Name" => {
            let name = p.name.trim_start_matches('/');
            values.iter().any(|x| {
                let x = x.trim_start_matches('/');
                match option {
                    "BeginsWith" => name.starts_with(x),
                    "Contains" => name.contains(x),
                    _ => name == x,
                }
            })
        }
        "Type" => any(&v.type_),
        "KeyId" => v.key_id.as_deref().is_some_and(any),
        "Tier" => any(&v.tier),
        "DataType" => any(&v.data_type),
        "Label" => p
            .versions
            .iter()
            .any(|ver| ver.labels.iter().any(|l| any(l))),
        "Path" => values
            .iter()
            .any(|path| under(&p.name, path, option == "Recursive")),
        k if k.starts_with("tag:") => {
            let tag = &k[4..];
            let wanted = |tv: &str| match option {
                "BeginsWith" => values.iter().any(|x| tv.starts_with(x.as_str())),
                _ => any(tv),
            };
            p.tags.iter().any(|(tk, tv)| tk == tag && wanted(tv))
        }
        other => {
            return Err(filter_key_error(
                other,
                "Name, Type, KeyId, Path, Tier, DataType, Label, tag:<key>",
            ))
        }
    })
}

/// Whether `name` lies under `path` (directly, or at any depth when recursive). A root-level
/// name is under `/` whether or not it was written with its slash (`foo` is `/foo`).
fn under(name: &str, path: &str, recursive: bool) -> bool {
    let prefix = if path.ends_with('/') {
        path.to_string()
    } else {
        format!("{path}/")
    };
    let slashed;
    let name = if name.starts_with('/') {
        name
    } else {
        slashed = format!("/{name}");
        &slashed
    };
    let Some(rest) = name.strip_prefix(&prefix) else {
        return false;
    };
    recursive || !rest.contains('/')
}

impl Ssm {
    /// The parameters of the caller's namespace that pass `keep`, in name order.
    fn matching(
        &self,
        cx: &Caller,
        keep: impl Fn(&Parameter) -> Result<bool>,
    ) -> Result<Vec<Parameter>> {
        let all: Vec<Parameter> = self
            .read()
            .get(&cx.namespace)
            .map(|s| s.values().cloned().collect())
            .unwrap_or_default();
        let mut out = Vec::new();
        for p in all {
            if keep(&p)? {
                out.push(p);
            }
        }
        Ok(out)
    }
}

impl g::GetParametersByPath for Ssm {
    fn get_parameters_by_path(
        &self,
        cx: &Caller,
        i: g::GetParametersByPathRequest,
    ) -> Answer<g::GetParametersByPathResult> {
        let path = i.path.unwrap_or_default();
        if !path.starts_with('/') {
            return Err(Error::validation("The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\"."));
        }
        if super::reference::is_reference(&path)
            || path.trim_end_matches('/') == "/aws/reference/secretsmanager"
        {
            return Err(super::reference::unsupported("GetParametersByPath"));
        }
        let filters = i.parameter_filters.unwrap_or_default();
        filters::check(&filters, Listing::ByPath)?;
        let recursive = i.recursive.unwrap_or(false);
        if super::public::is_public(&path) {
            let found = super::public::under(&cx.namespace, &path, recursive);
            let (slice, next) = page(&found, i.next_token.as_deref(), i.max_results, 10)?;
            return Ok(Ack::new(
                g::GetParametersByPathResult {
                    parameters: Some(slice),
                    next_token: next,
                },
                Ticket::ready(),
            ));
        }
        let found = self.matching(cx, |p| {
            Ok((path == "/"
                && (recursive || !p.name.trim_start_matches('/').contains('/'))
                && p.name.starts_with('/')
                || under(&p.name, &path, recursive))
                && filters
                    .iter()
                    .try_fold(true, |acc, f| Ok::<_, Error>(acc && passes(p, f)?))?)
        })?;
        let (slice, next) = page(&found, i.next_token.as_deref(), i.max_results, 10)?;
        let decrypt = i.with_decryption.unwrap_or(false);
        let mut out = Vec::new();
        for p in &slice {
            if let Some(v) = p.current() {
                out.push(self.shown(cx, p, v, None, decrypt)?);
            }
        }
        Ok(Ack::new(
            g::GetParametersByPathResult {
                parameters: Some(out),
                next_token: next,
            },
            Ticket::ready(),
        ))
    }
}

impl g::DescribeParameters for Ssm {
    fn describe_parameters(
        &self,
        cx: &Caller,
        i: g::DescribeParametersRequest,
    ) -> Answer<g::DescribeParametersResult> {
        let old = i.filters.unwrap_or_default();
        let new = i.parameter_filters.unwrap_or_default();
        filters::check(&new, Listing::Describe)?;
        if !old.is_empty() && !new.is_empty() {
            return Err(Error::validation(
                "You can use either Filters or ParameterFilters in a single request.",
            ));
        }
        // The older Filters are ParameterFilters with Equals (Name matches as BeginsWith, as AWS does).
        let filters: Vec<g::ParameterStringFilter> = old
            .into_iter()
            .map(|f| g::ParameterStringFilter {
                option: (f.key.as_deref() == Some("Name")).then(|| "BeginsWith".to_string()),
                key: f.key,
                values: f.values,
            })
            .chain(new)
            .collect();
        let found = self.matching(cx, |p| {
            filters
                .iter()
                .try_fold(true, |acc, f| Ok::<_, Error>(acc && passes(p, f)?))
        })?;
        let (slice, next) = page(&found, i.next_token.as_deref(), i.max_results, 10)?;
        let out = slice
            .iter()
            .filter_map(|p| {
                let v = p.current()?;
                Some(g::ParameterMetadata {
                    name: Some(p.name.clone()),
                    arn: Some(parameter_arn(&cx.namespace, &p.name)),
                    type_: Some(v.type_.clone()),
                    key_id: v.key_id.clone(),
                    last_modified_date: Some(v.modified as f64 / 1000.0),
                    last_modified_user: Some(v.user.clone()),
                    description: v.description.clone(),
                    allowed_pattern: v.allowed_pattern.clone(),
                    version: Some(v.version),
                    tier: Some(v.tier.clone()),
                    policies: Some(Vec::new()),
                    data_type: Some(v.data_type.clone()),
                })
            })
            .collect();
        Ok(Ack::new(
            g::DescribeParametersResult {
                parameters: Some(out),
                next_token: next,
            },
            Ticket::ready(),
        ))
    }
}

impl g::GetParameterHistory for Ssm {
    fn get_parameter_history(
        &self,
        cx: &Caller,
        i: g::GetParameterHistoryRequest,
    ) -> Answer<g::GetParameterHistoryResult> {
        let id = i.name.unwrap_or_default();
        if super::reference::is_reference(&id) {
            return Err(super::reference::unsupported("GetParameterHistory"));
        }
        let p = self
            .get(&cx.namespace, &read_name(&id)?)
            .ok_or_else(not_found)?;
        let (slice, next) = page(&p.versions, i.next_token.as_deref(), i.max_results, 50)?;
        let decrypt = i.with_decryption.unwrap_or(false);
        let mut out = Vec::new();
        for v in &slice {
            out.push(g::ParameterHistory {
                name: Some(p.name.clone()),
                type_: Some(v.type_.clone()),
                key_id: v.key_id.clone(),
                last_modified_date: Some(v.modified as f64 / 1000.0),
                last_modified_user: Some(v.user.clone()),
                description: v.description.clone(),
                value: Some(self.shown_value(cx, &cx.namespace, &p.name, v, decrypt)?),
                allowed_pattern: v.allowed_pattern.clone(),
                version: Some(v.version),
                labels: Some(v.labels.clone()),
                tier: Some(v.tier.clone()),
                policies: Some(Vec::new()),
                data_type: Some(v.data_type.clone()),
            });
        }
        Ok(Ack::new(
            g::GetParameterHistoryResult {
                parameters: Some(out),
                next_token: next,
            },
            Ticket::ready(),
        ))
    }
}
