//! The grant operations: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant and
//! RevokeGrant.

use super::grants::{
    allowed_operations, check_tokens, constraints, is_principal, malformed_grant_id, new_grant_id,
    new_token, read_token, Grant,
};
use super::ops::{ok, page, pending, secs, Answer};
use super::{not_found, Key, KeyState, Kms};
use crate::domain::caller::Caller;
use crate::generated::kms as g;
use crate::generated::kms::{Error, ErrorCode, Result};
use crate::wire::Ticket;

fn entry(key: &Key, g: &Grant) -> g::GrantListEntry {
    let constraints =
        (g.equals.is_some() || g.subset.is_some() || g.source_arn.is_some()).then(|| {
            g::GrantConstraints {
                encryption_context_equals: g.equals.clone().map(|m| m.into_iter().collect()),
                encryption_context_subset: g.subset.clone().map(|m| m.into_iter().collect()),
                source_arn: g.source_arn.clone(),
            }
        });
    g::GrantListEntry {
        key_id: Some(key.arn.clone()),
        grant_id: Some(g.id.clone()),
        name: g.name.clone().or_else(|| Some(String::new())),
        creation_date: Some(secs(g.created)),
        grantee_principal: Some(g.grantee.clone()),
        retiring_principal: g.retiring.clone(),
        issuing_account: Some(g.issuing_account.clone()),
        operations: Some(g.operations.clone()),
        constraints,
        grantee_service_principal: g.service_grantee.clone(),
        retiring_service_principal: g.service_retiring.clone(),
    }
}

fn principal_pair(
    iam: Option<String>,
    service: Option<String>,
    what: &str,
) -> Result<(Option<String>, Option<String>)> {
    if iam.is_some() && service.is_some() {
        return Err(Error::validation(format!(
            "Specify either {what}Principal or {what}ServicePrincipal, not both."
        )));
    }
    Ok((iam, service))
}

impl g::CreateGrant for Kms {
    fn create_grant(
        &self,
        cx: &Caller,
        i: g::CreateGrantRequest,
    ) -> Answer<g::CreateGrantResponse> {
        check_tokens(i.grant_tokens.as_deref())?;
        let key = self.key_for(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            "kms:CreateGrant",
        )?;
        let (grantee, service_grantee) =
            principal_pair(i.grantee_principal, i.grantee_service_principal, "Grantee")?;
        let (retiring, service_retiring) = principal_pair(
            i.retiring_principal,
            i.retiring_service_principal,
            "Retiring",
        )?;
        let Some(grantee) = grantee.or_else(|| service_grantee.clone()) else {
            return Err(Error::validation(
                "Either GranteePrincipal or GranteeServicePrincipal must be specified.",
            ));
        };
        let mut operations = i.operations.unwrap_or_default();
        if operations.is_empty() {
            return Err(Error::validation(
                "1 validation error detected: Value '[]' at 'operations' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ));
        }
        let allowed = allowed_operations(&key);
        if let Some(bad) = operations.iter().find(|o| !allowed.contains(&o.as_str())) {
            return Err(Error::validation(format!(
                "Grant operation {bad} is not valid for a key of spec {} and usage {}.",
                key.spec, key.usage
            )));
        }
        operations.dedup();
        let (equals, subset, source_arn) = constraints(&key, i.constraints)?;
        if key.state == KeyState::PendingDeletion {
            return Err(pending(&key));
        }
        super::signing::dry_run(i.dry_run)?;
        let grant = Grant {
            id: new_grant_id(),
            name: i.name,
            grantee,
            service_grantee,
            retiring: retiring.or_else(|| service_retiring.clone()),
            service_retiring,
            operations,
            equals,
            subset,
            source_arn,
            created: self.now(),
            issuing_account: cx.namespace.global_arn("iam", "root"),
        };
        let ns = crate::domain::Namespace::new(key.account.clone(), key.region.clone());
        let mut id = grant.id.clone();
        let (key, ticket) = self.change(&ns, &key.id, |k| {
            // A named grant created again alike is the same grant (a retry), with a new token.
            let same = |g: &Grant| {
                Grant {
                    id: g.id.clone(),
                    created: g.created,
                    issuing_account: g.issuing_account.clone(),
                    ..grant.clone()
                } == *g
            };
            match k.grants.iter().find(|g| grant.name.is_some() && same(g)) {
                Some(existing) => id.clone_from(&existing.id),
                None if k.grants.len() >= 50_000 => {
                    return Err(Error::new(
                        ErrorCode::LimitExceededException,
                        "The key has as many grants as KMS allows.",
                    ))
                }
                None => k.grants.push(grant),
            }
            Ok(())
        })?;
        ok(
            g::CreateGrantResponse {
                grant_token: Some(new_token(&key, &id)),
                grant_id: Some(id),
            },
            ticket,
        )
    }
}

impl g::ListGrants for Kms {
    fn list_grants(&self, cx: &Caller, i: g::ListGrantsRequest) -> Answer<g::ListGrantsResponse> {
        let key = self.key_for(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            "kms:ListGrants",
        )?;
        if let Some(id) = i.grant_id.as_deref().filter(|id| malformed_grant_id(id)) {
            return Err(invalid_grant_id(id));
        }
        let all: Vec<g::GrantListEntry> = key
            .grants
            .iter()
            .filter(|g| i.grant_id.as_ref().is_none_or(|id| *id == g.id))
            .filter(|g| i.grantee_principal.as_ref().is_none_or(|p| *p == g.grantee))
            .filter(|g| {
                i.grantee_service_principal
                    .as_ref()
                    .is_none_or(|p| g.service_grantee.as_ref() == Some(p))
            })
            .map(|g| entry(&key, g))
            .collect();
        let (grants, next) = page(&all, i.marker.as_deref(), i.limit)?;
        ok(
            g::ListGrantsResponse {
                grants: Some(grants),
                truncated: Some(next.is_some()),
                next_marker: next,
            },
            Ticket::ready(),
        )
    }
}

impl g::ListRetirableGrants for Kms {
    fn list_retirable_grants(
        &self,
        cx: &Caller,
        i: g::ListRetirableGrantsRequest,
    ) -> Answer<g::ListGrantsResponse> {
        let wanted = i.retiring_principal.or(i.retiring_service_principal);
        let all: Vec<g::GrantListEntry> = self
            .read()
            .get(&cx.namespace)
            .map(|space| {
                space
                    .keys
                    .values()
                    .flat_map(|k| {
                        k.grants
                            .iter()
                            .filter(|g| wanted.is_some() && g.retiring == wanted)
                            .map(|g| entry(k, g))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let (grants, next) = page(&all, i.marker.as_deref(), i.limit)?;
        ok(
            g::ListGrantsResponse {
                grants: Some(grants),
                truncated: Some(next.is_some()),
                next_marker: next,
            },
            Ticket::ready(),
        )
    }
}

fn invalid_grant_id(id: &str) -> Error {
    Error::new(
        ErrorCode::InvalidGrantIdException,
        format!("Grant ID {id} is not valid."),
    )
}

impl Kms {
    /// Removes grant `grant_id` from the key `key_id` names once `may(caller, key, grant)`.
    fn drop_grant(
        &self,
        cx: &Caller,
        key_id: &str,
        grant_id: &str,
        may: impl Fn(&Kms, &Key, &Grant) -> Result<()>,
        dry_run: Option<bool>,
    ) -> Result<Ticket> {
        if malformed_grant_id(grant_id) {
            return Err(invalid_grant_id(grant_id));
        }
        let (key, _) = self.lookup(&cx.namespace, key_id)?;
        let missing = || not_found(format!("Grant ID {grant_id} not found"));
        let grant = key
            .grants
            .iter()
            .find(|g| g.id == grant_id)
            .ok_or_else(missing)?;
        may(self, &key, grant)?;
        super::signing::dry_run(dry_run)?;
        let ns = crate::domain::Namespace::new(key.account.clone(), key.region.clone());
        let (_, ticket) = self.change(&ns, &key.id, |k| {
            let before = k.grants.len();
            k.grants.retain(|g| g.id != grant_id);
            if k.grants.len() == before {
                return Err(missing());
            }
            Ok(())
        })?;
        Ok(ticket)
    }
}

impl g::RetireGrant for Kms {
    fn retire_grant(&self, cx: &Caller, i: g::RetireGrantRequest) -> Answer<()> {
        let (key_id, grant_id) = match (i.grant_token, i.key_id, i.grant_id) {
            (Some(token), _, _) => read_token(&token)?,
            (None, Some(key), Some(grant)) => (key, grant),
            _ => {
                return Err(Error::validation(
                    "Either GrantToken, or both KeyId and GrantId, must be specified.",
                ))
            }
        };
        // The retiring principal may retire a grant, and so may its grantee when the grant
        // allows RetireGrant; anyone else needs the key policy's kms:RetireGrant.
        let may = |kms: &Kms, key: &Key, grant: &Grant| {
            let named = grant
                .retiring
                .as_deref()
                .is_some_and(|p| is_principal(&cx.who, p))
                || (is_principal(&cx.who, &grant.grantee)
                    && grant.operations.iter().any(|o| o == "RetireGrant"));
            if named {
                return Ok(());
            }
            kms.authorize(cx, key, "kms:RetireGrant")
        };
        let ticket = self.drop_grant(cx, &key_id, &grant_id, may, i.dry_run)?;
        ok((), ticket)
    }
}

impl g::RevokeGrant for Kms {
    fn revoke_grant(&self, cx: &Caller, i: g::RevokeGrantRequest) -> Answer<()> {
        let may = |kms: &Kms, key: &Key, _: &Grant| kms.authorize(cx, key, "kms:RevokeGrant");
        let ticket = self.drop_grant(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            i.grant_id.as_deref().unwrap_or_default(),
            may,
            i.dry_run,
        )?;
        ok((), ticket)
    }
}
