//! `awsemu state export` / `import`: a data directory's or a shared database's state as one
//! JSON document, so that it can move between the two.

use super::record::SecretRecord;
use super::Store;
use crate::domain::versions::SecretValue;
use crate::domain::Namespace;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where state is kept.
pub enum Location {
    Dir(PathBuf),
    /// A PostgreSQL URL.
    Postgres(String),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Dir(d) => write!(f, "{}", d.display()),
            Location::Postgres(url) => f.write_str(&super::postgres::redacted(url)),
        }
    }
}

pub const DOCUMENT_FORMAT: &str = "localemu-state";
pub const DOCUMENT_VERSION: u32 = 1;

/// The exported document. It contains every secret value in clear text.
#[derive(Serialize, Deserialize)]
pub struct StateDocument {
    pub format: String,
    pub version: u32,
    pub secrets: Vec<ExportedSecret>,
    /// Other services' records (Lambda functions, with their code), as they are stored.
    #[serde(default)]
    pub records: Vec<ExportedRecord>,
}

#[derive(Serialize, Deserialize)]
pub struct ExportedRecord {
    pub key: String,
    /// The format the record was written in (0, or missing: before records carried one).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub format: u16,
    pub value: serde_json::Value,
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde passes a reference"
)]
fn is_zero(n: &u16) -> bool {
    *n == 0
}

#[derive(Serialize, Deserialize)]
pub struct ExportedSecret {
    pub account: String,
    pub region: String,
    pub secret: SecretRecord,
    /// Version id to value, for every version that has one.
    pub values: BTreeMap<String, ExportedValue>,
}

#[derive(Serialize, Deserialize)]
pub enum ExportedValue {
    SecretString(String),
    /// Base64, as on the wire.
    SecretBinary(String),
}

pub fn export(from: &Location, file: &Path) -> Result<String, String> {
    let store = match from {
        Location::Dir(dir) => Store::open_existing(dir)?,
        Location::Postgres(url) => Store::open_postgres(url)?,
    };
    let mut secrets = Vec::new();
    for (ns, space) in store.namespaces() {
        for cell in space.all() {
            let s = cell.read();
            let values = s
                .versions
                .iter()
                .filter_map(|v| {
                    let value = match v.value.as_ref()? {
                        SecretValue::String(t) => ExportedValue::SecretString(t.clone()),
                        SecretValue::Binary(b) => ExportedValue::SecretBinary(STANDARD.encode(b)),
                    };
                    Some((v.id.clone(), value))
                })
                .collect();
            secrets.push(ExportedSecret {
                account: ns.account.clone(),
                region: ns.region.clone(),
                secret: SecretRecord::of(&s),
                values,
            });
        }
    }
    let count = secrets.len();
    let records = store
        .take_loaded_blobs("")
        .into_iter()
        .filter_map(|(key, bytes)| {
            let (format, json) = super::table::split(&bytes);
            serde_json::from_slice(json)
                .ok()
                .map(|value| ExportedRecord { key, format, value })
        })
        .collect();
    let doc = StateDocument {
        format: DOCUMENT_FORMAT.into(),
        version: DOCUMENT_VERSION,
        secrets,
        records,
    };
    let json = serde_json::to_vec_pretty(&doc).map_err(|e| e.to_string())?;
    write_private(file, &json)?;
    Ok(format!("exported {count} secrets to {}", file.display()))
}

fn write_private(file: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options
        .open(file)
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    // The mode above applies only to a new file; an existing one is made private too,
    // before any secret is written to it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("cannot make {} private: {e}", file.display()))?;
    }
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", file.display()))
}

pub async fn import(into: &Location, file: &Path, create: bool) -> Result<String, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let doc: StateDocument = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{} is not a LocalEmu state document: {e}", file.display()))?;
    if doc.format != DOCUMENT_FORMAT || doc.version > DOCUMENT_VERSION {
        return Err(format!(
            "{} is not a LocalEmu state document of version {DOCUMENT_VERSION} or older",
            file.display()
        ));
    }
    let store = match into {
        Location::Postgres(url) => Store::open_postgres(url)?,
        Location::Dir(dir) if create => Store::open(dir)?,
        Location::Dir(dir) => {
            Store::open_existing(dir).map_err(|e| format!("{e}; pass --create to make one"))?
        }
    };
    if !store.reset().durable().await {
        return Err("cannot clear the data directory".into());
    }
    let count = doc.secrets.len();
    let mut tickets = Vec::with_capacity(count);
    for entry in doc.secrets {
        let ns = store.namespace_or_create(&Namespace::new(entry.account, entry.region));
        let values = entry.values;
        let secret = entry.secret.into_secret(|id| match values.get(id)? {
            ExportedValue::SecretString(s) => Some(SecretValue::String(s.clone())),
            ExportedValue::SecretBinary(b) => STANDARD.decode(b).ok().map(SecretValue::Binary),
        });
        let name = secret.name.clone();
        match ns.insert_unless(secret, |_| false) {
            Ok((_, ticket)) => tickets.push(ticket),
            Err(_) => return Err(format!("cannot import secret {name}")),
        }
    }
    for record in doc.records {
        let bytes = super::table::join(record.format, record.value.to_string().as_bytes());
        tickets.push(store.put_blob(&record.key, Some(bytes)));
    }
    // Submitted together so that they share group commits.
    for ticket in tickets {
        if !ticket.durable().await {
            return Err("cannot write the imported secrets".into());
        }
    }
    Ok(format!("imported {count} secrets into {into}"))
}
