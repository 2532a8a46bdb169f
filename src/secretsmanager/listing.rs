//! ListSecrets: filters, sort orders and NextToken pagination that is stable under writes.

use super::describe::{stage_map, SecretMetadata};
use super::model::{check_filters, require_filter_parts, WireFilter};
use super::{Caller, SecretsManager};
use crate::domain::filter::{matches_all, Filter};
use crate::domain::secret::Secret;
use crate::domain::validate::Violations;
use crate::error::{Error, Result};
use crate::store::{NamespaceStore, ScanKey, ScanOrder};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

pub const DEFAULT_PAGE: usize = 100;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSecretsInput {
    pub include_planned_deletion: Option<bool>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
    pub filters: Option<Vec<WireFilter>>,
    pub sort_order: Option<String>,
    pub sort_by: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretListEntry {
    #[serde(flatten)]
    pub metadata: SecretMetadata,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_versions_to_stages: Option<super::describe::StageMap>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSecretsOutput {
    pub secret_list: Vec<SecretListEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// A page position: the sort key of the last entry returned.
pub(crate) fn encode_token(key: &ScanKey) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", key.0, key.1))
}

pub(crate) fn decode_token(token: &str) -> Result<ScanKey> {
    let raw = URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(Error::invalid_next_token)?;
    let (num, name) = raw.split_once(':').ok_or_else(Error::invalid_next_token)?;
    let num = num.parse().map_err(|_| Error::invalid_next_token())?;
    Ok((num, name.to_string()))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SortBy {
    Created,
    Name,
    LastChanged,
    LastAccessed,
}

struct Query<'a> {
    filters: &'a [Filter],
    include_deleted: bool,
    reverse: bool,
    limit: usize,
    from: Option<ScanKey>,
}

impl Query<'_> {
    fn wants(&self, s: &Secret) -> bool {
        (self.include_deleted || !s.is_deleted()) && matches_all(self.filters, s)
    }
}

fn entry(s: &Secret) -> SecretListEntry {
    SecretListEntry {
        metadata: SecretMetadata::of(s),
        secret_versions_to_stages: stage_map(s),
    }
}

impl SecretsManager {
    pub fn list_secrets(
        &self,
        caller: &Caller,
        input: ListSecretsInput,
    ) -> Result<ListSecretsOutput> {
        let mut v = Violations::new();
        v.range("maxResults", input.max_results, 1, 100);
        v.length("nextToken", input.next_token.as_deref(), 1, 4096);
        let filters = check_filters(input.filters.as_deref().unwrap_or_default(), &mut v);
        v.one_of("sortOrder", input.sort_order.as_deref(), &["asc", "desc"]);
        let sort_names = [
            "created-date",
            "last-accessed-date",
            "last-changed-date",
            "name",
        ];
        v.one_of("sortBy", input.sort_by.as_deref(), &sort_names);
        v.finish()?;
        require_filter_parts(input.filters.as_deref().unwrap_or_default())?;
        let sort_by = match input.sort_by.as_deref() {
            Some("name") => SortBy::Name,
            Some("last-changed-date") => SortBy::LastChanged,
            Some("last-accessed-date") => SortBy::LastAccessed,
            _ => SortBy::Created,
        };
        let query = Query {
            filters: &filters,
            include_deleted: input.include_planned_deletion.unwrap_or(false),
            reverse: input.sort_order.as_deref() == Some("desc"),
            limit: input.max_results.map_or(DEFAULT_PAGE, |n| n as usize),
            from: input.next_token.as_deref().map(decode_token).transpose()?,
        };
        let Some(ns) = self.store.namespace(&caller.namespace) else {
            return Ok(ListSecretsOutput {
                secret_list: Vec::new(),
                next_token: None,
            });
        };
        Ok(match sort_by {
            SortBy::Created => indexed_page(&ns, ScanOrder::Created, &query),
            SortBy::Name => indexed_page(&ns, ScanOrder::Name, &query),
            SortBy::LastChanged => sorted_page(&ns, &query, |s| s.last_changed),
            SortBy::LastAccessed => sorted_page(&ns, &query, |s| s.last_accessed.unwrap_or(0)),
        })
    }
}

/// A page read straight from an index: the cost does not grow with the namespace size.
fn indexed_page(ns: &NamespaceStore, order: ScanOrder, q: &Query) -> ListSecretsOutput {
    let mut list = Vec::new();
    let mut last: Option<ScanKey> = None;
    let mut next_token = None;
    ns.scan(order, q.reverse, q.from.as_ref(), |key, cell| {
        let s = cell.read();
        if !q.wants(&s) {
            return true;
        }
        if list.len() == q.limit {
            next_token = last.as_ref().map(encode_token);
            return false;
        }
        list.push(entry(&s));
        last = Some(key.clone());
        true
    });
    ListSecretsOutput {
        secret_list: list,
        next_token,
    }
}

/// A page in an order no index keeps (dates that change): sorts every match.
fn sorted_page(
    ns: &NamespaceStore,
    q: &Query,
    key_of: impl Fn(&Secret) -> i64,
) -> ListSecretsOutput {
    let mut matches: Vec<(ScanKey, SecretListEntry)> = Vec::new();
    ns.scan(ScanOrder::Name, false, None, |_, cell| {
        let s = cell.read();
        if q.wants(&s) {
            matches.push(((key_of(&s), s.name.clone()), entry(&s)));
        }
        true
    });
    matches.sort_by(|a, b| a.0.cmp(&b.0));
    if q.reverse {
        matches.reverse();
    }
    let start = match &q.from {
        None => 0,
        Some(from) => matches
            .iter()
            .position(|(k, _)| if q.reverse { k < from } else { k > from })
            .unwrap_or(matches.len()),
    };
    let mut rest = matches.into_iter().skip(start);
    let page: Vec<_> = rest.by_ref().take(q.limit).collect();
    let next_token = match rest.next() {
        Some(_) => page.last().map(|(k, _)| encode_token(k)),
        None => None,
    };
    ListSecretsOutput {
        secret_list: page.into_iter().map(|(_, e)| e).collect(),
        next_token,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_garbage_is_refused() {
        let key = (1_700_000_000_123, "a/b:c".to_string());
        assert_eq!(decode_token(&encode_token(&key)).unwrap(), key);
        assert!(decode_token("!!!").is_err());
        assert!(decode_token(&URL_SAFE_NO_PAD.encode("nocolon")).is_err());
    }
}
