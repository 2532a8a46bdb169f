//! KMS: symmetric keys with their aliases, policies and tags, and the cryptographic
//! operations over them. Keys live per (account, region) and persist with everything else;
//! Secrets Manager encrypts secret values under them.

mod aliases;
mod cipher;
mod grant_ops;
mod grants;
mod import;
mod key;
mod keyspec;
mod multi_region;
mod ops;
mod policies;
mod records;
mod rotation;
mod services;
mod signing;
mod targets;

pub use key::{Alias, Key, KeyState};
pub use services::AtRest;
use targets::{parse_target, Target};

use crate::crypto;

use crate::clock::{Clock, Millis};
use crate::domain::caller::Caller;
use crate::domain::Namespace;
use crate::generated::kms::{Error, ErrorCode, Result};
use crate::generated::kms::{Operation, Service};
use crate::store::{Gate, Store};
use crate::wire::Ticket;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

#[derive(Default)]
struct Space {
    keys: indexmap::IndexMap<String, Arc<Key>>,
    aliases: BTreeMap<String, Alias>,
}

/// Services whose AWS managed keys are made on first use.
const MANAGED: [&str; 3] = [
    "alias/aws/secretsmanager",
    "alias/aws/ssm",
    "alias/aws/lambda",
];

pub struct Kms {
    clock: Arc<dyn Clock>,
    /// Key ids (UUIDs, as version ids are).
    ids: Arc<dyn crate::clock::IdSource>,
    store: Arc<Store>,
    spaces: RwLock<HashMap<Namespace, Space>>,
    strict: crate::config::Strict,
}

pub fn key_arn(ns: &Namespace, id: &str) -> String {
    ns.arn("kms", &format!("key/{id}"))
}

pub fn alias_arn(ns: &Namespace, name: &str) -> String {
    ns.arn("kms", name)
}

fn not_found(message: String) -> Error {
    Error::new(ErrorCode::NotFoundException, message)
}

/// The default key policy: the account's IAM principals may do everything.
pub fn default_policy(account: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
            "Action": "kms:*",
            "Resource": "*"
        }]
    })
    .to_string()
}

impl Kms {
    pub fn new(
        clock: Arc<dyn Clock>,
        ids: Arc<dyn crate::clock::IdSource>,
        store: Arc<Store>,
    ) -> Kms {
        Kms {
            clock,
            ids,
            store,
            spaces: RwLock::default(),
            strict: crate::config::Strict::default(),
        }
    }

    #[must_use]
    pub fn with_strict(mut self, strict: crate::config::Strict) -> Self {
        self.strict = strict;
        self
    }

    fn now(&self) -> Millis {
        self.clock.now()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Namespace, Space>> {
        self.spaces
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<Namespace, Space>> {
        self.spaces
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Forgets everything, for test isolation (the store is reset by its owner).
    pub fn reset(&self) {
        self.write().clear();
    }

    /// A new key of `spec` and `usage` with `material`, the material journaled.
    fn new_key(
        &self,
        ns: &Namespace,
        description: String,
        policy: Option<String>,
        (aws_managed, multi_region): (bool, bool),
        (spec, usage, material): (&str, &str, Vec<u8>),
    ) -> Key {
        let id = self.ids.version_id();
        let id = if multi_region {
            multi_region::key_id(&id)
        } else {
            id
        };
        // Journaled ahead of the key's record, whose ticket the caller waits for.
        let _ = self.store.put_key_material(&id, &material);
        let mut key = Key {
            arn: key_arn(ns, &id),
            id,
            account: ns.account.clone(),
            region: ns.region.clone(),
            description,
            state: KeyState::Enabled,
            created: self.now(),
            deletion: None,
            aws_managed,
            policy: String::new(),
            tags: Vec::new(),
            spec: spec.to_string(),
            usage: usage.to_string(),
            rotation: None,
            rotations: Vec::new(),
            grants: Vec::new(),
            multi_region: multi_region.then_some(multi_region::Part::Primary),
            origin: key::aws_kms(),
            import: None,
            material,
            parsed: None,
        };
        key.set_policy(policy.unwrap_or_else(|| default_policy(&ns.account)));
        key
    }

    /// The key `id` names, seen from `caller` (a key id, key ARN, alias name or alias ARN),
    /// with the ticket of an AWS managed key made on this first use.
    fn lookup(&self, caller: &Namespace, id: &str) -> Result<(Arc<Key>, Ticket)> {
        let (ns, key_id) = match parse_target(caller, id)? {
            Target::Key(ns, k) => (ns, k),
            Target::Alias(ns, name) => match self.alias_target(&ns, &name) {
                Some(k) => (ns, k),
                None if MANAGED.contains(&name.as_str()) => {
                    return Ok(self.managed_key(&ns, &name));
                }
                None => {
                    return Err(not_found(format!(
                        "Alias {} is not found.",
                        alias_arn(&ns, &name)
                    )))
                }
            },
        };
        let missing = || not_found(format!("Key '{}' does not exist", key_arn(&ns, &key_id)));
        let key = self
            .read()
            .get(&ns)
            .and_then(|s| s.keys.get(&key_id).cloned())
            .ok_or_else(missing)?;
        // A key whose waiting period ended is gone, with its aliases.
        if let (KeyState::PendingDeletion, Some((at, _))) = (key.state, key.deletion) {
            if self.now() >= at {
                let _ = self.purge(&ns, &key_id);
                return Err(missing());
            }
        }
        // Rotations that fell due are made now; their materials are derived, so a record a
        // crash loses is made again alike.
        let now = self.now();
        if import::expired(&key, now) {
            return self.change(&ns, &key_id, |k| {
                import::forget_material(k);
                Ok(())
            });
        }
        if rotation::due(&key, now) {
            return self.change(&ns, &key_id, |k| {
                rotation::catch_up(k, now);
                Ok(())
            });
        }
        Ok((key, Ticket::ready()))
    }

    fn purge(&self, ns: &Namespace, key_id: &str) -> Ticket {
        let mut spaces = self.write();
        let Some(space) = spaces.get_mut(ns) else {
            return Ticket::ready();
        };
        let Some(key) = space.keys.shift_remove(key_id) else {
            return Ticket::ready();
        };
        let aliases: Vec<String> = space
            .aliases
            .values()
            .filter(|a| a.target == key_id)
            .map(|a| a.name.clone())
            .collect();
        let mut last = self.forget_key(&key);
        for name in aliases {
            space.aliases.remove(&name);
            last = self.save_alias(ns, None, &name);
        }
        last
    }

    /// The ARN of key `id` in the caller's region, in whichever account holds it.
    fn key_arn_in_region(&self, caller: &Caller, id: &str) -> Option<String> {
        self.read()
            .iter()
            .filter(|(ns, _)| ns.region == caller.namespace.region)
            .find_map(|(_, s)| s.keys.get(id).map(|k| k.arn.clone()))
    }

    fn alias_target(&self, ns: &Namespace, name: &str) -> Option<String> {
        self.read()
            .get(ns)
            .and_then(|s| s.aliases.get(name))
            .map(|a| a.target.clone())
    }

    /// The AWS managed key behind `alias/aws/<service>`, made now if it does not exist yet.
    fn managed_key(&self, ns: &Namespace, alias: &str) -> (Arc<Key>, Ticket) {
        let mut spaces = self.write();
        let space = spaces.entry(ns.clone()).or_default();
        if let Some(k) = space
            .aliases
            .get(alias)
            .and_then(|a| space.keys.get(&a.target))
        {
            return (k.clone(), Ticket::ready());
        }
        let service = alias.rsplit('/').next().unwrap_or_default();
        let key = Arc::new(self.new_key(
            ns,
            format!("Default key that protects my {service} data when no other key is defined"),
            None,
            (true, false),
            (
                "SYMMETRIC_DEFAULT",
                "ENCRYPT_DECRYPT",
                crypto::random_bytes(32),
            ),
        ));
        let now = self.now();
        let a = Alias {
            name: alias.to_string(),
            target: key.id.clone(),
            created: now,
            updated: now,
        };
        space.keys.insert(key.id.clone(), key.clone());
        space.aliases.insert(alias.to_string(), a.clone());
        let _ = self.save_key(&key);
        let ticket = self.save_alias(ns, Some(&a), alias);
        (key, ticket)
    }

    /// A key usable for cryptography: enabled, not pending deletion.
    fn usable(key: &Key) -> Result<()> {
        match key.state {
            KeyState::Enabled => Ok(()),
            KeyState::Disabled => Err(Error::new(
                ErrorCode::DisabledException,
                format!("{} is disabled.", key.arn),
            )),
            KeyState::PendingDeletion => Err(Error::new(
                ErrorCode::KMSInvalidStateException,
                format!("{} is pending deletion.", key.arn),
            )),
            KeyState::PendingImport => Err(Error::new(
                ErrorCode::KMSInvalidStateException,
                format!("{} is pending import.", key.arn),
            )),
        }
    }

    /// The key a request names, checked for the caller's `action`.
    fn key_for(&self, caller: &Caller, id: &str, action: &str) -> Result<Arc<Key>> {
        self.key_for_in(caller, id, action, grants::Scope::Management)
    }

    /// [`Kms::key_for`] for a use in `scope` (a cryptographic operation's encryption
    /// context meets grant constraints).
    fn key_for_in(
        &self,
        caller: &Caller,
        id: &str,
        action: &str,
        scope: grants::Scope<'_>,
    ) -> Result<Arc<Key>> {
        let (key, _) = self.lookup(&caller.namespace, id)?;
        self.authorize_in(caller, &key, action, scope)?;
        Ok(key)
    }

    fn change(
        &self,
        ns: &Namespace,
        id: &str,
        f: impl FnOnce(&mut Key) -> Result<()>,
    ) -> Result<(Arc<Key>, Ticket)> {
        let mut spaces = self.write();
        let entry = spaces
            .get_mut(ns)
            .and_then(|s| s.keys.get_mut(id))
            .ok_or_else(|| not_found(format!("Key '{}' does not exist", key_arn(ns, id))))?;
        // Changed on a copy, so a refused change leaves the key as it was.
        let mut changed = Key::clone(entry);
        f(&mut changed)?;
        let rotated = changed.multi_region == Some(multi_region::Part::Primary)
            && (changed.rotations != entry.rotations || changed.rotation != entry.rotation);
        *entry = Arc::new(changed);
        let k = entry.clone();
        // A multi-Region primary's rotation is shared by its replicas, which then seal with
        // the same generation.
        let mut replicas = Vec::new();
        if rotated {
            for (other, space) in spaces.iter_mut() {
                if other == ns || other.account != ns.account {
                    continue;
                }
                if let Some(r) = space.keys.get_mut(id) {
                    let mut copy = Key::clone(r);
                    copy.rotation.clone_from(&k.rotation);
                    copy.rotations.clone_from(&k.rotations);
                    *r = Arc::new(copy);
                    replicas.push(r.clone());
                }
            }
        }
        drop(spaces);
        for r in &replicas {
            let _ = self.save_key(r);
        }
        let ticket = self.save_key(&k);
        Ok((k, ticket))
    }
}

impl Service for Kms {
    type Context = Caller;
    type Guard<'a> = Gate<'a>;

    fn begin(&self, op: Operation) -> Result<Gate<'_>> {
        let gate = self.store.gate();
        if !ops::reads_only(op) && !self.store.writable() {
            return Err(Error::unwritable());
        }
        Ok(gate)
    }
}
