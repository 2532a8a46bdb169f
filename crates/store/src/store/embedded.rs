//! The embedded store's database: a redb file, read safely at start-up (read-only, or
//! repaired in a copy, never written before it is accepted) and committed to by the writer.

use super::backend::Backend;
use super::format::{check_format, damaged, precheck, BLOBS, DB_FILE, SECRETS, VALUES};
use super::journal::Touched;
use super::journal::{parse_key, value_range, Job, Loaded, Op, Opener, Reverted};
use super::record::SecretRecords;
use super::seal::{open_row, Keyring};
use crate::domain::secret::Secret;
use crate::domain::Namespace;
use redb::{Database, ReadableDatabase, ReadableTable};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The embedded file.
pub struct Redb {
    pub(super) db: Option<Database>,
    pub(super) opener: Opener,
    /// The database file, read back from a copy when it cannot be reopened.
    pub(super) path: PathBuf,
}

impl Backend for Redb {
    fn commit(&mut self, batch: &[Job]) -> Result<Vec<usize>, String> {
        match &self.db {
            Some(db) => commit(db, batch)
                .map(|()| Vec::new())
                .map_err(|e| e.to_string()),
            None => Err("the database is not open".to_string()),
        }
    }

    fn close(&mut self) {
        // redb refuses every write after an I/O error until it is reopened.
        drop(self.db.take());
    }

    fn reopen(&mut self) -> Result<(), String> {
        self.db = Some((self.opener)()?);
        Ok(())
    }

    fn is_open(&self) -> bool {
        self.db.is_some()
    }

    /// Read from a copy of the file when it cannot be reopened: that needs no write.
    fn read_back(
        &mut self,
        keys: &HashSet<Touched>,
        keyring: &Keyring,
    ) -> Result<Reverted, String> {
        match &self.db {
            Some(d) => read_back(d, keys, keyring),
            None => snapshot(&self.path).and_then(|d| read_back(&d, keys, keyring)),
        }
    }
}

/// The stored state of every key in `keys`.
fn read_back(
    db: &Database,
    keys: &HashSet<Touched>,
    keyring: &Keyring,
) -> Result<Reverted, String> {
    let path = Path::new("<database>");
    if keys.contains(&Touched::Everything) {
        return Ok(Reverted {
            everything: Some(load(db, path)?),
            ..Reverted::default()
        });
    }
    let txn = db.begin_read().map_err(|e| e.to_string())?;
    let mut out = Reverted::default();
    for key in keys {
        match key {
            Touched::Secret(key) => {
                out.secrets
                    .push((key.clone(), read_secret(&txn, key, keyring)?));
            }
            Touched::Blob(key) => {
                let stored = match txn.open_table(BLOBS) {
                    Ok(t) => t
                        .get(key.as_str())
                        .map_err(|e| e.to_string())?
                        .map(|v| v.value().to_vec()),
                    Err(_) => None,
                };
                out.blobs.push((key.clone(), stored));
            }
            Touched::Everything => {}
        }
    }
    Ok(out)
}

fn read_secret(
    txn: &redb::ReadTransaction,
    key: &str,
    keyring: &Keyring,
) -> Result<Option<Secret>, String> {
    let (Ok(secrets), Ok(values)) = (txn.open_table(SECRETS), txn.open_table(VALUES)) else {
        return Ok(None);
    };
    let Some(raw) = secrets.get(key).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let record = super::table::decode::<SecretRecords>(raw.value())?;
    let mut missing = false;
    let secret = record.into_secret(|id| {
        let row_key = format!("{key}\0{id}");
        let raw = values.get(row_key.as_str()).ok().flatten();
        let value = raw.and_then(|r| open_row(keyring, &row_key, r.value()));
        missing |= value.is_none();
        value
    });
    if missing {
        return Err(format!("a value of {key:?} is missing"));
    }
    Ok(Some(secret))
}

fn commit(db: &Database, batch: &[Job]) -> Result<(), redb::Error> {
    let mut txn = db.begin_write()?;
    txn.set_durability(redb::Durability::Immediate)
        .map_err(|e| redb::Error::Io(std::io::Error::other(e.to_string())))?;
    {
        let mut secrets = txn.open_table(SECRETS)?;
        let mut values = txn.open_table(VALUES)?;
        let mut blobs = txn.open_table(BLOBS)?;
        for job in batch {
            match &job.op {
                Op::PutBlob { key, bytes } => {
                    blobs.insert(key.as_str(), bytes.as_slice())?;
                }
                Op::RemoveBlob { key } => {
                    blobs.remove(key.as_str())?;
                }
                Op::Clear => {
                    blobs.retain(|_, _| false)?;
                    apply(&job.op, &mut secrets, &mut values)?;
                }
                Op::Invalid { key, .. } => {
                    return Err(redb::Error::Io(std::io::Error::other(format!(
                        "the record of {key:?} could not be encoded"
                    ))));
                }
                op => apply(op, &mut secrets, &mut values)?,
            }
        }
    }
    txn.commit()?;
    Ok(())
}

fn apply(
    op: &Op,
    secrets: &mut redb::Table<&str, &[u8]>,
    values: &mut redb::Table<&str, &[u8]>,
) -> Result<(), redb::Error> {
    match op {
        Op::Upsert {
            key,
            record,
            values: rows,
            keep,
            replace,
        } => {
            let (lo, hi) = value_range(key);
            if *replace {
                values.retain_in(lo.as_str()..hi.as_str(), |_, _| false)?;
            }
            secrets.insert(key.as_str(), record.as_slice())?;
            for (id, bytes) in rows {
                values.insert(format!("{key}\0{id}").as_str(), bytes.as_slice())?;
            }
            values.retain_in(lo.as_str()..hi.as_str(), |k, _| {
                k.rsplit('\0')
                    .next()
                    .is_some_and(|id| keep.iter().any(|x| x == id))
            })?;
        }
        Op::Remove { key } => {
            secrets.remove(key.as_str())?;
            let (lo, hi) = value_range(key);
            values.retain_in(lo.as_str()..hi.as_str(), |_, _| false)?;
        }
        Op::Clear => {
            secrets.retain(|_, _| false)?;
            values.retain(|_, _| false)?;
        }
        Op::PutBlob { .. } | Op::RemoveBlob { .. } | Op::Invalid { .. } => {}
    }
    Ok(())
}

/// The database file as it is on disk, opened from a copy in memory (recovered there if it
/// needs it): reading it never writes to the file, so it works on a full or read-only disk.
pub(super) fn snapshot(path: &Path) -> Result<Database, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let copy = redb::backends::InMemoryBackend::new();
    redb::StorageBackend::set_len(&copy, bytes.len() as u64)
        .and_then(|()| redb::StorageBackend::write(&copy, 0, &bytes))
        .map_err(|e| e.to_string())?;
    Database::builder()
        .create_with_backend(copy)
        .map_err(|e| e.to_string())
}

/// Reads the whole file without writing to it: read-only when it opens cleanly, else (it
/// needs crash recovery) repaired in a copy in memory. A file that will be refused is never
/// written to.
pub(super) fn validate(dir: &Path) -> Result<Loaded, String> {
    let path = dir.join(DB_FILE);
    let empty = std::fs::metadata(&path).map_or(true, |m| m.len() == 0);
    if empty {
        let loaded = Loaded::empty();
        loaded.keyring.set_root(super::root_key::resolve(
            &super::root_key::Place::Dir(dir),
            None,
        )?);
        return Ok(loaded);
    }
    precheck(&path, dir)?;
    match Database::builder().open_read_only(&path) {
        Ok(ro) => load(&ro, &path),
        Err(redb::DatabaseError::DatabaseAlreadyOpen) => Err(format!(
            "the data directory {} is in use by another LocalEmu process; stop it first or \
             choose another data directory",
            dir.display()
        )),
        Err(_) => {
            let db = snapshot(&path).map_err(|e| damaged(&path, e))?;
            check_format(&db, &path)?;
            load(&db, &path)
        }
    }
}

/// Everything stored: key material first, so that sealed value rows can be opened.
pub(super) fn load(db: &impl ReadableDatabase, path: &Path) -> Result<Loaded, String> {
    let blobs = load_blobs(db, path)?;
    let keyring = Arc::new(Keyring::default());
    let check = blobs
        .iter()
        .find(|(k, _)| k == super::root_key::CHECK)
        .map(|(_, b)| b.as_slice());
    let dir = path.parent().unwrap_or(Path::new("."));
    keyring.set_root(super::root_key::resolve(
        &super::root_key::Place::Dir(dir),
        check,
    )?);
    for (key, bytes) in &blobs {
        keyring.load_row(key, bytes).map_err(|e| damaged(path, e))?;
    }
    let (secrets, plain) = load_secrets(db, path, &keyring)?;
    Ok(Loaded {
        secrets,
        blobs,
        keyring,
        plain,
        revs: HashMap::new(),
    })
}

type Secrets = (Vec<(Namespace, Secret)>, Vec<(Namespace, String)>);

fn load_secrets(
    db: &impl ReadableDatabase,
    path: &Path,
    keyring: &Keyring,
) -> Result<Secrets, String> {
    let txn = db.begin_read().map_err(|e| damaged(path, e))?;
    let secrets = txn.open_table(SECRETS);
    let values = txn.open_table(VALUES);
    let (Ok(secrets), Ok(values)) = (secrets, values) else {
        return Ok((Vec::new(), Vec::new()));
    };
    let mut out = Vec::new();
    let mut plain = Vec::new();
    for row in secrets.iter().map_err(|e| damaged(path, e))? {
        let (k, v) = row.map_err(|e| damaged(path, e))?;
        let key = k.value();
        let (ns, _) = parse_key(key).ok_or_else(|| damaged(path, "a malformed key"))?;
        let record =
            super::table::decode::<SecretRecords>(v.value()).map_err(|e| damaged(path, e))?;
        let mut missing = None;
        let mut clear = false;
        let secret = record.into_secret(|id| {
            let row_key = format!("{key}\0{id}");
            let raw = values.get(row_key.as_str()).ok().flatten();
            clear |= raw.as_ref().is_some_and(|r| !Keyring::is_sealed(r.value()));
            let value = raw.and_then(|r| open_row(keyring, &row_key, r.value()));
            if value.is_none() {
                missing = Some(id.to_string());
            }
            value
        });
        if let Some(id) = missing {
            return Err(damaged(
                path,
                format!("the value of version {id} is missing or cannot be decrypted"),
            ));
        }
        if clear {
            plain.push((ns.clone(), secret.name.clone()));
        }
        out.push((ns, secret));
    }
    Ok((out, plain))
}

/// A value row as stored (sealed, or in the clear from older files and imports) read back.
pub(super) fn load_blobs(
    db: &impl ReadableDatabase,
    path: &Path,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let txn = db.begin_read().map_err(|e| damaged(path, e))?;
    let Ok(table) = txn.open_table(BLOBS) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for row in table.iter().map_err(|e| damaged(path, e))? {
        let (k, v) = row.map_err(|e| damaged(path, e))?;
        out.push((k.value().to_string(), v.value().to_vec()));
    }
    Ok(out)
}
