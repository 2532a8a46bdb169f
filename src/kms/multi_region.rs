//! Multi-Region keys: one key id (`mrk-…`) and one material in several regions of an
//! account, a primary and its replicas. ReplicateKey, UpdatePrimaryRegion, and the
//! MultiRegionConfiguration DescribeKey shows.

use super::key::metadata;
use super::ops::{check_policy, ok, unsupported, Answer};
use super::policies::{check_tags, merge_tags};
use super::{key_arn, not_found, Key, KeyState, Kms};
use crate::domain::caller::Caller;
use crate::domain::Namespace;
use crate::generated::kms as g;
use crate::generated::kms::{Error, ErrorCode};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A multi-Region key's part: the primary, or one of its replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Part {
    Primary,
    Replica,
}

impl Part {
    fn as_str(self) -> &'static str {
        match self {
            Part::Primary => "PRIMARY",
            Part::Replica => "REPLICA",
        }
    }
}

/// A multi-Region key's id: `mrk-` and 32 hexadecimal digits.
pub(super) fn key_id(uuid: &str) -> String {
    format!("mrk-{}", uuid.replace('-', ""))
}

pub(super) fn is_key_id(id: &str) -> bool {
    id.strip_prefix("mrk-")
        .is_some_and(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn not_multi_region(k: &Key) -> Error {
    unsupported(format!("{} is not a multi-region key.", k.arn))
}

/// Refuses a key that is not a multi-Region primary key.
fn primary(k: &Key) -> crate::generated::kms::Result<()> {
    match k.multi_region {
        Some(Part::Primary) => Ok(()),
        Some(Part::Replica) => Err(unsupported(format!(
            "{} is not a multi-region primary key.",
            k.arn
        ))),
        None => Err(not_multi_region(k)),
    }
}

impl Kms {
    /// The regions of the account holding `key`'s id, with each copy.
    fn copies(&self, key: &Key) -> Vec<Arc<Key>> {
        let mut out: Vec<Arc<Key>> = self
            .read()
            .iter()
            .filter(|(ns, _)| ns.account == key.account)
            .filter_map(|(_, s)| s.keys.get(&key.id).cloned())
            .filter(|k| k.multi_region.is_some())
            .collect();
        out.sort_by(|a, b| a.region.cmp(&b.region));
        out
    }

    /// DescribeKey's metadata, with a multi-Region key's configuration.
    pub(super) fn describe(&self, key: &Key) -> g::KeyMetadata {
        let mut m = metadata(key);
        let Some(part) = key.multi_region else {
            return m;
        };
        let copies = self.copies(key);
        let entry = |k: &Key| g::MultiRegionKey {
            arn: Some(k.arn.clone()),
            region: Some(k.region.clone()),
        };
        m.multi_region = Some(true);
        m.multi_region_configuration = Some(g::MultiRegionConfiguration {
            multi_region_key_type: Some(part.as_str().into()),
            primary_key: copies
                .iter()
                .find(|k| k.multi_region == Some(Part::Primary))
                .map(|k| entry(k)),
            replica_keys: Some(
                copies
                    .iter()
                    .filter(|k| k.multi_region == Some(Part::Replica))
                    .map(|k| entry(k))
                    .collect(),
            ),
        });
        m
    }
}

impl g::ReplicateKey for Kms {
    fn replicate_key(
        &self,
        cx: &Caller,
        i: g::ReplicateKeyRequest,
    ) -> Answer<g::ReplicateKeyResponse> {
        let key = self.key_for(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            "kms:ReplicateKey",
        )?;
        let region = i.replica_region.unwrap_or_default();
        primary(&key)?;
        if key.state == KeyState::PendingDeletion {
            return Err(super::ops::pending(&key));
        }
        if region == key.region {
            return Err(Error::validation(format!(
                "The replica region {region} is the region of the primary key."
            )));
        }
        let ns = Namespace::new(key.account.clone(), region.clone());
        if let Some(p) = &i.policy {
            check_policy(p)?;
        }
        let tags = check_tags(cx, i.tags.as_deref().unwrap_or_default())?;
        // Shared with the primary: id, key spec and usage, material, rotation. Not shared:
        // description, policy, tags, state.
        let mut replica = Key {
            arn: key_arn(&ns, &key.id),
            region: region.clone(),
            description: i.description.unwrap_or_default(),
            state: KeyState::Enabled,
            created: self.now(),
            deletion: None,
            tags: Vec::new(),
            grants: Vec::new(),
            multi_region: Some(Part::Replica),
            ..Key::clone(&key)
        };
        replica.set_policy(
            i.policy
                .unwrap_or_else(|| super::default_policy(&key.account)),
        );
        merge_tags(&mut replica.tags, tags)?;
        {
            let mut spaces = self.write();
            let space = spaces.entry(ns).or_default();
            if space.keys.contains_key(&key.id) {
                return Err(Error::new(
                    ErrorCode::AlreadyExistsException,
                    format!("{} already exists", replica.arn),
                ));
            }
            space.keys.insert(key.id.clone(), Arc::new(replica.clone()));
        }
        let ticket = self.save_key(&replica);
        // AWS answers while the replica is still being made.
        let mut shown = self.describe(&replica);
        shown.key_state = Some("Creating".into());
        shown.enabled = Some(false);
        let tags = replica
            .tags
            .iter()
            .map(|(k, v)| g::Tag {
                tag_key: Some(k.clone()),
                tag_value: Some(v.clone()),
            })
            .collect();
        ok(
            g::ReplicateKeyResponse {
                replica_key_metadata: Some(shown),
                replica_policy: Some(replica.policy.clone()),
                replica_tags: Some(tags),
            },
            ticket,
        )
    }
}

impl g::UpdatePrimaryRegion for Kms {
    fn update_primary_region(&self, cx: &Caller, i: g::UpdatePrimaryRegionRequest) -> Answer<()> {
        let key = self.key_for(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            "kms:UpdatePrimaryRegion",
        )?;
        let region = i.primary_region.unwrap_or_default();
        primary(&key)?;
        if region == key.region {
            return ok((), crate::wire::Ticket::ready());
        }
        let target = Namespace::new(key.account.clone(), region.clone());
        let exists = self
            .read()
            .get(&target)
            .is_some_and(|s| s.keys.contains_key(&key.id));
        if !exists {
            return Err(not_found(format!(
                "Key '{}' does not exist",
                key_arn(&target, &key.id)
            )));
        }
        let here = Namespace::new(key.account.clone(), key.region.clone());
        let set = |part| {
            move |k: &mut Key| {
                k.multi_region = Some(part);
                Ok(())
            }
        };
        let _ = self.change(&target, &key.id, set(Part::Primary))?;
        let (_, ticket) = self.change(&here, &key.id, set(Part::Replica))?;
        ok((), ticket)
    }
}
