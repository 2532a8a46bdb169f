//! How KMS keeps its keys and aliases in the store: one record per key and per alias,
//! saved after each change and put back after a failed commit or at start-up.

use super::{Alias, Key, Kms};
use crate::domain::Namespace;
use crate::store::table::{self, Table};
use crate::wire::Ticket;
use std::sync::Arc;

const PREFIX: &str = "kms\0";

/// KMS keys in the store (their material is kept apart, in the keyring): keyed by account,
/// region, `key` and the key id.
struct Keys;

impl Table for Keys {
    const PREFIX: &'static str = PREFIX;
    /// 2: keys carry their KeySpec and KeyUsage. A version 1 record is a symmetric encryption
    /// key, which the fields' defaults say; an older build refuses a version 2 record rather
    /// than read an RSA key's material as an AES key.
    const VERSION: u16 = 2;
    type Record = Key;
}

/// Aliases: keyed by account, region, `alias` and the alias name.
struct Aliases;

impl Table for Aliases {
    const PREFIX: &'static str = PREFIX;
    const VERSION: u16 = 1;
    type Record = Alias;
}

fn key_record(k: &Key) -> String {
    format!("{PREFIX}{}\0{}\0key\0{}", k.account, k.region, k.id)
}

fn alias_record(ns: &Namespace, name: &str) -> String {
    format!("{PREFIX}{}\0{}\0alias\0{name}", ns.account, ns.region)
}

impl Kms {
    pub(super) fn save_key(&self, k: &Key) -> Ticket {
        self.store.put::<Keys>(&key_record(k), Some(k))
    }

    pub(super) fn forget_key(&self, k: &Key) -> Ticket {
        self.store.put::<Keys>(&key_record(k), None)
    }

    pub(super) fn save_alias(&self, ns: &Namespace, a: Option<&Alias>, name: &str) -> Ticket {
        self.store.put::<Aliases>(&alias_record(ns, name), a)
    }
}

impl crate::store::Records for Kms {
    fn prefix(&self) -> &'static str {
        PREFIX
    }

    fn put_back(&self, record: &str, bytes: Option<&[u8]>) -> std::result::Result<(), String> {
        let parts = table::parts::<Keys>(record, 4);
        let Some([account, region, kind, name]) = parts.as_deref() else {
            return Err(format!("a malformed KMS record key {record:?}"));
        };
        let ns = Namespace::new(*account, *region);
        let mut spaces = self.write();
        let space = spaces.entry(ns).or_default();
        match (*kind, bytes) {
            ("key", Some(b)) => {
                let mut k = table::decode::<Keys>(b)?;
                k.material = self
                    .store
                    .key_material(&k.id)
                    .or_else(|| self.store.fetch_key_material(&k.id))
                    .ok_or_else(|| format!("the material of KMS key {} is missing", k.id))?;
                let text = std::mem::take(&mut k.policy);
                k.set_policy(text);
                space.keys.insert(k.id.clone(), Arc::new(k));
            }
            ("key", None) => {
                space.keys.shift_remove(*name);
            }
            ("alias", Some(b)) => {
                let a = table::decode::<Aliases>(b)?;
                let target = a.target.clone();
                let before = space.aliases.insert(a.name.clone(), a);
                self.drop_orphan(space, before);
                // An alias another node stored first can name a key whose own record has
                // not reached this node yet: it is read now, so the alias never dangles.
                if !space.keys.contains_key(&target) {
                    let key = format!("{PREFIX}{account}\0{region}\0key\0{target}");
                    if let Some(k) = self.stored_key(&key) {
                        space.keys.insert(k.id.clone(), Arc::new(k));
                    }
                }
            }
            ("alias", None) => {
                let before = space.aliases.remove(*name);
                self.drop_orphan(space, before);
            }
            _ => return Err(format!("a malformed KMS record key {record:?}")),
        }
        Ok(())
    }
}

impl Kms {
    /// The key a shared database holds under the record `key`, with its material.
    fn stored_key(&self, key: &str) -> Option<Key> {
        let mut k = self.store.stored::<Keys>(key)?;
        k.material = self
            .store
            .key_material(&k.id)
            .or_else(|| self.store.fetch_key_material(&k.id))?;
        let text = std::mem::take(&mut k.policy);
        k.set_policy(text);
        Some(k)
    }

    /// Two nodes sharing a database may both make an account's AWS managed key on its first
    /// use; the alias stored first wins and the other node's key is left with no alias, which
    /// AWS never shows. That key is dropped here, on the node that made it (the only one whose
    /// alias pointed at it). Its material stays in the store: values sealed with it in the
    /// meantime remain readable.
    fn drop_orphan(&self, space: &mut super::Space, before: Option<Alias>) {
        let Some(before) = before else { return };
        let aliased = space.aliases.values().any(|a| a.target == before.target);
        let orphan = space
            .keys
            .get(&before.target)
            .is_some_and(|k| k.aws_managed && !aliased);
        if orphan {
            if let Some(key) = space.keys.shift_remove(&before.target) {
                tracing::info!(key = %key.id, alias = %before.name, "another node made this AWS managed key first; dropping this node's");
                drop(self.forget_key(&key));
            }
        }
    }
}
