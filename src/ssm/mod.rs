//! SSM Parameter Store: parameters with their versions, labels, tiers and tags, per
//! (account, region); SecureString values encrypted under a KMS key; and the read-only
//! `/aws/reference/secretsmanager/...` names that answer with a secret's value.

mod filters;
mod labels;
mod names;
mod ops;
mod public;
mod query;
mod reference;

use crate::clock::{Clock, Millis};
use crate::domain::caller::Caller;
use crate::domain::Namespace;
use crate::generated::ssm::{Error, ErrorCode, Result};
use crate::generated::ssm::{Operation, Service};
use crate::kms::Kms;
use crate::secretsmanager::SecretsManager;
use crate::store::{Gate, Store};
use crate::wire::Ticket;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

/// Versions kept per parameter; the oldest goes when a new one would exceed it.
pub const MAX_VERSIONS: usize = 100;
/// Labels one version may carry.
pub const MAX_LABELS: usize = 10;
/// Tags one parameter may carry.
pub const MAX_TAGS: usize = 50;
/// The deepest hierarchy a name may have.
pub const MAX_LEVELS: usize = 15;
/// Value sizes per tier, in bytes.
pub const STANDARD_MAX: usize = 4096;
pub const ADVANCED_MAX: usize = 8192;

/// One version of a parameter, with the settings it was written with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[allow(
    clippy::struct_field_names,
    reason = "the stored record's and AWS's name"
)]
pub struct Version {
    pub version: i64,
    /// The value; for a SecureString the KMS ciphertext blob, never the plain text.
    #[serde(with = "crate::wire::blob::required")]
    pub value: Vec<u8>,
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_pattern: Option<String>,
    pub tier: String,
    pub data_type: String,
    pub modified: Millis,
    pub user: String,
    #[serde(default)]
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Parameter {
    pub name: String,
    /// Oldest first; the last is the current version.
    pub versions: Vec<Version>,
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}

impl Parameter {
    pub fn current(&self) -> Option<&Version> {
        self.versions.last()
    }
}

const PREFIX: &str = "ssm\0";

/// Parameters in the store: one record per parameter, keyed by account, region and name.
struct Parameters;

impl crate::store::table::Table for Parameters {
    const PREFIX: &'static str = PREFIX;
    const VERSION: u16 = 1;
    type Record = Parameter;
}

fn record_key(ns: &Namespace, name: &str) -> String {
    format!("{PREFIX}{}\0{}\0{name}", ns.account, ns.region)
}

/// Parameter names sort as paths do, so a path's parameters are a range.
type Space = BTreeMap<String, Parameter>;

/// The other spelling of a root-level name: `foo` and `/foo` are one parameter on AWS.
fn other_spelling(name: &str) -> Option<String> {
    match name.strip_prefix('/') {
        Some(rest) if !rest.is_empty() && !rest.contains('/') => Some(rest.to_string()),
        Some(_) => None,
        None if !name.is_empty() && !name.contains('/') => Some(format!("/{name}")),
        None => None,
    }
}

/// The name `name` is stored under, by either spelling.
fn stored_name<'a>(space: &'a Space, name: &str) -> Option<&'a str> {
    if let Some((k, _)) = space.get_key_value(name) {
        return Some(k.as_str());
    }
    let other = other_spelling(name)?;
    space.get_key_value(&other).map(|(k, _)| k.as_str())
}

pub struct Ssm {
    clock: Arc<dyn Clock>,
    store: Arc<Store>,
    kms: Arc<Kms>,
    secrets: Arc<SecretsManager>,
    spaces: RwLock<HashMap<Namespace, Space>>,
}

pub fn parameter_arn(ns: &Namespace, name: &str) -> String {
    let sep = if name.starts_with('/') { "" } else { "/" };
    ns.arn("ssm", &format!("parameter{sep}{name}"))
}

pub fn not_found() -> Error {
    Error::new(ErrorCode::ParameterNotFound, "")
}

impl Ssm {
    pub fn new(
        clock: Arc<dyn Clock>,
        store: Arc<Store>,
        kms: Arc<Kms>,
        secrets: Arc<SecretsManager>,
    ) -> Ssm {
        Ssm {
            clock,
            store,
            kms,
            secrets,
            spaces: RwLock::default(),
        }
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

    /// A copy of the parameter `name` in `ns`, by either of its names.
    fn get(&self, ns: &Namespace, name: &str) -> Option<Parameter> {
        self.read()
            .get(ns)
            .and_then(|s| stored_name(s, name).and_then(|n| s.get(n)))
            .cloned()
    }

    /// Stores (or, with None, forgets) a parameter in memory and journals it. A parameter
    /// keeps the name it was created with, whichever of its names a later call used.
    fn save(&self, ns: &Namespace, name: &str, p: Option<Parameter>) -> Ticket {
        let mut spaces = self.write();
        let space = spaces.entry(ns.clone()).or_default();
        let name = match &p {
            Some(p) => p.name.clone(),
            None => stored_name(space, name).unwrap_or(name).to_string(),
        };
        let key = record_key(ns, &name);
        match p {
            Some(p) => space.insert(name.clone(), p),
            None => space.remove(&name),
        };
        // Journaled after memory changed, as every change is.
        self.store.put::<Parameters>(&key, space.get(&name))
    }

    pub fn reset(&self) {
        self.write().clear();
    }

    /// The value as the caller sees it: SecureString plain text only with decryption.
    fn shown_value(
        &self,
        caller: &Caller,
        ns: &Namespace,
        name: &str,
        v: &Version,
        decrypt: bool,
    ) -> Result<String> {
        use base64::Engine;
        if v.type_ != "SecureString" {
            return Ok(String::from_utf8_lossy(&v.value).into_owned());
        }
        if !decrypt {
            return Ok(base64::engine::general_purpose::STANDARD.encode(&v.value));
        }
        let plain = self
            .kms
            .decrypt_for(caller, &v.value, &context(ns, name))
            .map_err(key_error)?;
        Ok(String::from_utf8_lossy(&plain).into_owned())
    }
}

/// The encryption context Parameter Store binds a SecureString to.
fn context(ns: &Namespace, name: &str) -> crate::wire::Map<String, String> {
    let mut c = crate::wire::Map::new();
    c.insert("PARAMETER_ARN".to_string(), parameter_arn(ns, name));
    c
}

/// KMS's refusals as Parameter Store reports them.
fn key_error(e: crate::generated::kms::Error) -> Error {
    use crate::generated::kms::ErrorCode as Kms;
    match e.code {
        crate::error::Kind::Modeled(
            Kms::NotFoundException
            | Kms::InvalidArnException
            | Kms::DisabledException
            | Kms::KMSInvalidStateException,
        ) => Error::new(ErrorCode::InvalidKeyId, e.message),
        _ => Error::from_other(e),
    }
}

impl crate::store::Records for Ssm {
    fn prefix(&self) -> &'static str {
        PREFIX
    }

    fn put_back(&self, key: &str, bytes: Option<&[u8]>) -> std::result::Result<(), String> {
        let parts = crate::store::table::parts::<Parameters>(key, 3);
        let Some([account, region, name]) = parts.as_deref() else {
            return Err(format!("a malformed parameter record key {key:?}"));
        };
        let ns = Namespace::new(*account, *region);
        let mut spaces = self.write();
        let space = spaces.entry(ns).or_default();
        match bytes {
            Some(b) => {
                let p = crate::store::table::decode::<Parameters>(b)?;
                space.insert((*name).to_string(), p);
            }
            None => {
                space.remove(*name);
            }
        }
        Ok(())
    }
}

impl Service for Ssm {
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
