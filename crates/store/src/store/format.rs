//! Opening the database file safely: owner-only permissions, one process at a time, and the
//! format version checked (read-only first) before anything is written.

use super::record::{FORMAT_VERSION, OLDEST_FORMAT};
use redb::{
    Database, DatabaseError, ReadableDatabase, ReadableTable, ReadableTableMetadata,
    TableDefinition,
};
use std::path::{Path, PathBuf};

/// The file in the data directory, and its tables.
pub const META: TableDefinition<&str, &str> = TableDefinition::new("meta");
pub const SECRETS: TableDefinition<&str, &[u8]> = TableDefinition::new("secrets");
pub const VALUES: TableDefinition<&str, &[u8]> = TableDefinition::new("values");
/// Other services' records (Lambda functions), opaque to the store: key to bytes.
pub const BLOBS: TableDefinition<&str, &[u8]> = TableDefinition::new("blobs");
pub const DB_FILE: &str = "localemu.redb";

pub(super) fn damaged(path: &Path, detail: impl std::fmt::Display) -> String {
    format!(
        "cannot read {}: {detail}. The file is damaged or is not a LocalEmu database; LocalEmu \
         has left it untouched. Move it aside (or restore a backup) and start again, or choose \
         another data directory.",
        path.display()
    )
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("cannot set permissions of {}: {e}", path.display()))
}

#[cfg(not(unix))]
fn restrict(_: &Path, _: u32) -> Result<(), String> {
    Ok(())
}

pub(super) fn open_database(dir: &Path) -> Result<Database, String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the data directory {}: {e}", dir.display()))?;
    restrict(dir, 0o700)?;
    // The directory holds secret values: keep it out of the repository it may sit in.
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        let _ = std::fs::write(&ignore, "# LocalEmu's state, secret values included.\n*\n");
    }
    let path: PathBuf = dir.join(DB_FILE);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    restrict(&path, 0o600)?;
    Database::builder().create(&path).map_err(|e| match e {
        DatabaseError::DatabaseAlreadyOpen => in_use(dir),
        DatabaseError::UpgradeRequired(v) => format!(
            "{} uses storage format {v}, which this build cannot read; upgrade awsemu",
            path.display()
        ),
        other => damaged(&path, other),
    })
}

fn in_use(dir: &Path) -> String {
    format!(
        "the data directory {} is in use by another LocalEmu process; stop it first or choose \
         another data directory",
        dir.display()
    )
}

/// Reads the format version without writing, so a file that will be refused is not touched.
/// A file that needs crash recovery cannot be opened read-only; the writable open repairs
/// it and the version is checked after.
pub(super) fn precheck(path: &Path, dir: &Path) -> Result<(), String> {
    let empty = std::fs::metadata(path).map_or(true, |m| m.len() == 0);
    if empty {
        return Ok(());
    }
    let ro = match Database::builder().open_read_only(path) {
        Ok(ro) => ro,
        Err(DatabaseError::DatabaseAlreadyOpen) => return Err(in_use(dir)),
        Err(_) => return Ok(()),
    };
    let txn = ro.begin_read().map_err(|e| damaged(path, e))?;
    let Ok(meta) = txn.open_table(META) else {
        return Ok(());
    };
    let stored = meta.get("format_version").map_err(|e| damaged(path, e))?;
    match stored {
        Some(v) => check_version(v.value(), path),
        None => Ok(()),
    }
}

fn check_version(v: &str, path: &Path) -> Result<(), String> {
    match v.parse::<u32>() {
        Ok(n) if (OLDEST_FORMAT..=FORMAT_VERSION).contains(&n) => Ok(()),
        Ok(n) if n > FORMAT_VERSION => Err(format!(
            "{} was written by a newer LocalEmu (format {n}; this build reads format \
             {FORMAT_VERSION}). Upgrade awsemu or choose another data directory; the file has \
             been left untouched.",
            path.display()
        )),
        _ => Err(damaged(path, format!("unknown format version {v:?}"))),
    }
}

/// Refuses files written by a newer or unknown format; stamps new files.
pub(super) fn check_format(db: &Database, path: &Path) -> Result<(), String> {
    let txn = db.begin_write().map_err(|e| damaged(path, e))?;
    {
        let mut meta = txn.open_table(META).map_err(|e| damaged(path, e))?;
        let stored = meta
            .get("format_version")
            .map_err(|e| damaged(path, e))?
            .map(|v| v.value().to_string());
        match stored {
            None => {
                let has_data = txn
                    .open_table(SECRETS)
                    .map_err(|e| damaged(path, e))?
                    .len()
                    .map_err(|e| damaged(path, e))?
                    > 0;
                if has_data {
                    return Err(damaged(path, "it holds data but no format version"));
                }
                let v = FORMAT_VERSION.to_string();
                meta.insert("format_version", v.as_str())
                    .map_err(|e| damaged(path, e))?;
            }
            Some(v) => {
                check_version(&v, path)?;
                // An older format is read as it is; from now on it is written as the current.
                if v != FORMAT_VERSION.to_string() {
                    let current = FORMAT_VERSION.to_string();
                    meta.insert("format_version", current.as_str())
                        .map_err(|e| damaged(path, e))?;
                }
            }
        }
    }
    txn.commit().map_err(|e| damaged(path, e))
}
