//! How KMS keeps its keys and aliases in the store: one record per key and per alias,
//! saved after each change and put back after a failed commit or at start-up.

use super::{Alias, Key, Kms};
use crate::domain::Namespace;
use crate::wire::Ticket;
use std::sync::Arc;

const PREFIX: &str = "kms\0";

fn key_record(k: &Key) -> String {
    format!("{PREFIX}{}\0{}\0key\0{}", k.account, k.region, k.id)
}

fn alias_record(ns: &Namespace, name: &str) -> String {
    format!("{PREFIX}{}\0{}\0alias\0{name}", ns.account, ns.region)
}

impl Kms {
    pub(super) fn save_key(&self, k: &Key) -> Ticket {
        match serde_json::to_vec(k) {
            Ok(bytes) => self.store.put_blob(&key_record(k), Some(bytes)),
            Err(_) => self.store.invalid(&key_record(k)),
        }
    }

    pub(super) fn forget_key(&self, k: &Key) -> Ticket {
        self.store.put_blob(&key_record(k), None)
    }

    pub(super) fn save_alias(&self, ns: &Namespace, a: Option<&Alias>, name: &str) -> Ticket {
        let bytes = a.and_then(|a| serde_json::to_vec(a).ok());
        self.store.put_blob(&alias_record(ns, name), bytes)
    }
}

impl crate::store::Records for Kms {
    fn prefix(&self) -> &'static str {
        PREFIX
    }

    fn put_back(&self, record: &str, bytes: Option<&[u8]>) -> std::result::Result<(), String> {
        let parts: Vec<&str> = record.splitn(5, '\0').collect();
        let [_, account, region, kind, name] = parts.as_slice() else {
            return Err(format!("a malformed KMS record key {record:?}"));
        };
        let ns = Namespace::new(*account, *region);
        let mut spaces = self.write();
        let space = spaces.entry(ns).or_default();
        match (*kind, bytes) {
            ("key", Some(b)) => {
                let mut k: Key =
                    serde_json::from_slice(b).map_err(|e| format!("a KMS key record: {e}"))?;
                k.material = self
                    .store
                    .key_material(&k.id)
                    .ok_or_else(|| format!("the material of KMS key {} is missing", k.id))?;
                let text = std::mem::take(&mut k.policy);
                k.set_policy(text);
                space.keys.insert(k.id.clone(), Arc::new(k));
            }
            ("key", None) => {
                space.keys.shift_remove(*name);
            }
            ("alias", Some(b)) => {
                let a: Alias =
                    serde_json::from_slice(b).map_err(|e| format!("a KMS alias record: {e}"))?;
                space.aliases.insert(a.name.clone(), a);
            }
            ("alias", None) => {
                space.aliases.remove(*name);
            }
            _ => return Err(format!("a malformed KMS record key {record:?}")),
        }
        Ok(())
    }
}
