//! ListSecrets: filters, sort orders and NextToken pagination that is stable under writes.

use super::describe::list_entry;
use super::model::domain_filters;
use super::{Ack, Caller, SecretsManager};
use crate::domain::filter::{matches_all, Filter};
use crate::domain::secret::Secret;
use crate::generated::secretsmanager as sm;
use crate::generated::secretsmanager::{Error, Result};
use crate::store::{NamespaceStore, ScanKey, ScanOrder};
use crate::wire::Encoded;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

pub const DEFAULT_PAGE: usize = 100;

fn page(
    list: Vec<Encoded<sm::SecretListEntry>>,
    next_token: Option<String>,
) -> sm::ListSecretsResponse {
    sm::ListSecretsResponse {
        secret_list: Some(list),
        next_token,
    }
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

/// A page read straight from an index: the cost does not grow with the namespace size.
fn indexed_page(ns: &NamespaceStore, order: ScanOrder, q: &Query) -> sm::ListSecretsResponse {
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
        // The entry kept from an earlier page, when the secret has not changed since.
        let kept = s.listed(|s| Encoded::encode(&list_entry(s)).ok());
        list.push(kept.map_or_else(|| list_entry(&s).into(), Encoded::Json));
        if list.len() == q.limit {
            last = Some(key.clone());
        }
        true
    });
    page(list, next_token)
}

/// A page in an order no index keeps (dates that change): sorts every match.
fn sorted_page(
    ns: &NamespaceStore,
    q: &Query,
    key_of: impl Fn(&Secret) -> i64,
) -> sm::ListSecretsResponse {
    let mut matches: Vec<(ScanKey, sm::SecretListEntry)> = Vec::new();
    ns.scan(ScanOrder::Name, false, None, |_, cell| {
        let s = cell.read();
        if q.wants(&s) {
            matches.push(((key_of(&s), s.name.clone()), list_entry(&s)));
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
    let taken: Vec<_> = rest.by_ref().take(q.limit).collect();
    let next_token = match rest.next() {
        Some(_) => taken.last().map(|(k, _)| encode_token(k)),
        None => None,
    };
    page(
        taken.into_iter().map(|(_, e)| Encoded::Value(e)).collect(),
        next_token,
    )
}

impl sm::ListSecrets for SecretsManager {
    fn list_secrets(
        &self,
        caller: &Caller,
        input: sm::ListSecretsRequest,
    ) -> Result<Ack<sm::ListSecretsResponse>> {
        let filters = domain_filters(input.filters.as_deref())?;
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
            limit: input
                .max_results
                .map_or(DEFAULT_PAGE, |n| usize::try_from(n).unwrap_or(DEFAULT_PAGE)),
            from: input.next_token.as_deref().map(decode_token).transpose()?,
        };
        let Some(ns) = self.store.namespace(&caller.namespace) else {
            return Ok(Ack::ready(page(Vec::new(), None)));
        };
        Ok(Ack::ready(match sort_by {
            SortBy::Created => indexed_page(&ns, ScanOrder::Created, &query),
            SortBy::Name => indexed_page(&ns, ScanOrder::Name, &query),
            SortBy::LastChanged => sorted_page(&ns, &query, |s| s.last_changed),
            SortBy::LastAccessed => sorted_page(&ns, &query, |s| s.last_accessed.unwrap_or(0)),
        }))
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
