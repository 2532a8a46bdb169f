//! KMS aliases: create, update, delete and list.

use super::ops::{managed_refused, ok, page, secs, Answer};
use super::{alias_arn, not_found, Alias, Key, Kms};
use crate::domain::caller::Caller;
use crate::generated::kms as g;
use crate::generated::kms::{Error, ErrorCode, Result};
use crate::wire::Ticket;
use std::sync::Arc;

fn check_alias_name(name: &str) -> Result<()> {
    if !name.starts_with("alias/") {
        return Err(Error::validation(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
        ));
    }
    if name.starts_with("alias/aws/") {
        return Err(Error::new(
            ErrorCode::InvalidAliasNameException,
            "Alias names beginning with alias/aws/ are reserved for AWS managed keys.",
        ));
    }
    Ok(())
}

impl Kms {
    /// The customer key an alias may point at: named by key id or key ARN, not by alias.
    fn alias_target_key(&self, cx: &Caller, id: &str) -> Result<Arc<Key>> {
        if id.starts_with("alias/") || id.contains(":alias/") {
            return Err(Error::validation("Aliases must refer to keys. Not aliases"));
        }
        let key = self.key_for(cx, id, "kms:CreateAlias")?;
        if key.account != cx.account() || key.region != cx.namespace.region {
            return Err(not_found(format!("Key '{}' does not exist", key.arn)));
        }
        if key.aws_managed {
            return Err(managed_refused(&key));
        }
        Ok(key)
    }
}

impl g::CreateAlias for Kms {
    fn create_alias(&self, cx: &Caller, i: g::CreateAliasRequest) -> Answer<()> {
        let name = i.alias_name.unwrap_or_default();
        check_alias_name(&name)?;
        let key = self.alias_target_key(cx, i.target_key_id.as_deref().unwrap_or_default())?;
        let ns = &cx.namespace;
        let mut spaces = self.write();
        let space = spaces.entry(ns.clone()).or_default();
        if space.aliases.contains_key(&name) {
            return Err(Error::new(
                ErrorCode::AlreadyExistsException,
                format!(
                    "An alias with the name {} already exists",
                    alias_arn(ns, &name)
                ),
            ));
        }
        let now = self.now();
        let a = Alias {
            name: name.clone(),
            target: key.id.clone(),
            created: now,
            updated: now,
        };
        space.aliases.insert(name.clone(), a.clone());
        drop(spaces);
        ok((), self.save_alias(ns, Some(&a), &name))
    }
}

impl g::UpdateAlias for Kms {
    fn update_alias(&self, cx: &Caller, i: g::UpdateAliasRequest) -> Answer<()> {
        let name = i.alias_name.unwrap_or_default();
        check_alias_name(&name)?;
        let key = self.alias_target_key(cx, i.target_key_id.as_deref().unwrap_or_default())?;
        let ns = &cx.namespace;
        let mut spaces = self.write();
        let alias = spaces
            .get_mut(ns)
            .and_then(|s| s.aliases.get_mut(&name))
            .ok_or_else(|| not_found(format!("Alias {} is not found.", alias_arn(ns, &name))))?;
        alias.target.clone_from(&key.id);
        alias.updated = self.now();
        let a = alias.clone();
        drop(spaces);
        ok((), self.save_alias(ns, Some(&a), &name))
    }
}

impl g::DeleteAlias for Kms {
    fn delete_alias(&self, cx: &Caller, i: g::DeleteAliasRequest) -> Answer<()> {
        let name = i.alias_name.unwrap_or_default();
        check_alias_name(&name)?;
        let ns = &cx.namespace;
        let removed = self
            .write()
            .get_mut(ns)
            .and_then(|s| s.aliases.remove(&name));
        if removed.is_none() {
            return Err(not_found(format!(
                "Alias {} is not found.",
                alias_arn(ns, &name)
            )));
        }
        ok((), self.save_alias(ns, None, &name))
    }
}

impl g::ListAliases for Kms {
    fn list_aliases(
        &self,
        cx: &Caller,
        i: g::ListAliasesRequest,
    ) -> Answer<g::ListAliasesResponse> {
        let ns = &cx.namespace;
        let only = match i.key_id.as_deref() {
            Some(id) => Some(self.key_for(cx, id, "kms:ListAliases")?.id.clone()),
            None => None,
        };
        let all: Vec<g::AliasListEntry> = self
            .read()
            .get(ns)
            .map(|s| {
                s.aliases
                    .values()
                    .filter(|a| only.as_ref().is_none_or(|k| *k == a.target))
                    .map(|a| g::AliasListEntry {
                        alias_name: Some(a.name.clone()),
                        alias_arn: Some(alias_arn(ns, &a.name)),
                        target_key_id: Some(a.target.clone()),
                        creation_date: Some(secs(a.created)),
                        last_updated_date: Some(secs(a.updated)),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let (aliases, next) = page(&all, i.marker.as_deref(), i.limit)?;
        ok(
            g::ListAliasesResponse {
                aliases: Some(aliases),
                truncated: Some(next.is_some()),
                next_marker: next,
            },
            Ticket::ready(),
        )
    }
}
