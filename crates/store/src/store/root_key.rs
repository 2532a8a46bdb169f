//! The root key: seals every stored record that is not a secret's value (KMS key material,
//! the STS signing key, stacks, functions, parameters, rules) so that a copy of the database
//! alone reveals nothing. It is never written to the database: it comes from
//! `AWSEMU_ROOT_KEY` (base64 of 32 bytes), else from a key file (`AWSEMU_ROOT_KEY_FILE`, by
//! default `root.key` beside the embedded database, or the user's
//! `~/.config/localemu/root.key` for a PostgreSQL store), made on first use with mode 0600.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::path::{Path, PathBuf};

/// The record that tells whether a key is the one a database was sealed with.
pub const CHECK: &str = "localemu\0root-key-check";
/// What [`CHECK`] holds, sealed.
pub const CHECK_TEXT: &[u8] = b"\"localemu root key\"";
/// The key file's name beside an embedded database.
pub const FILE_NAME: &str = "root.key";

pub const KEY_LEN: usize = 32;

/// Where a store lives, which decides where its key file is by default.
pub enum Place<'a> {
    /// An embedded database in this directory.
    Dir(&'a Path),
    /// A database shared by nodes, which must all be given the same key.
    Shared,
}

fn default_file(place: &Place<'_>) -> Option<PathBuf> {
    match place {
        Place::Dir(dir) => Some(dir.join(FILE_NAME)),
        Place::Shared => {
            let config = std::env::var_os("XDG_CONFIG_HOME")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
            Some(config.join("localemu").join(FILE_NAME))
        }
    }
}

fn decode(text: &str, from: &str) -> Result<[u8; KEY_LEN], String> {
    STANDARD
        .decode(text.trim())
        .ok()
        .and_then(|b| <[u8; KEY_LEN]>::try_from(b).ok())
        .ok_or_else(|| format!("{from} must hold a root key: 32 bytes in base64 (44 characters)"))
}

/// Writes a new key to `path`, readable by this user only; another process that made it
/// first wins, and its key is read instead.
fn create(path: &Path) -> Result<[u8; KEY_LEN], String> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let key: [u8; KEY_LEN] = rand::random();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            let text = format!("{}\n", STANDARD.encode(key));
            file.write_all(text.as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| format!("cannot write the root key {}: {e}", path.display()))?;
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(path),
        Err(e) => Err(format!(
            "cannot create the root key {}: {e}",
            path.display()
        )),
    }
}

fn read(path: &Path) -> Result<[u8; KEY_LEN], String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the root key {}: {e}", path.display()))?;
    decode(&text, &path.display().to_string())
}

/// The root key of a store whose check record is `check` (None: the store has none yet, so
/// a key may be made).
pub fn resolve(place: &Place<'_>, check: Option<&[u8]>) -> Result<[u8; KEY_LEN], String> {
    let env_file = std::env::var_os("AWSEMU_ROOT_KEY_FILE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let (key, source) = match std::env::var("AWSEMU_ROOT_KEY") {
        Ok(text) if !text.is_empty() => (
            decode(&text, "AWSEMU_ROOT_KEY")?,
            "AWSEMU_ROOT_KEY".to_string(),
        ),
        _ => {
            let path = env_file.or_else(|| default_file(place)).ok_or_else(|| {
                "no root key: set AWSEMU_ROOT_KEY or AWSEMU_ROOT_KEY_FILE".to_string()
            })?;
            let key = if path.exists() {
                read(&path)?
            } else if check.is_some() {
                return Err(format!(
                    "the database is sealed with a root key that is not here ({} does not \
                     exist). Put the key file back, or give the key in AWSEMU_ROOT_KEY or \
                     AWSEMU_ROOT_KEY_FILE.",
                    path.display()
                ));
            } else {
                create(&path)?
            };
            (key, path.display().to_string())
        }
    };
    if let Some(check) = check {
        if open(&key, CHECK, check).as_deref() != Some(CHECK_TEXT) {
            return Err(format!(
                "the database was sealed with another root key than the one in {source}. Give \
                 the key it was made with (AWSEMU_ROOT_KEY, AWSEMU_ROOT_KEY_FILE or the key \
                 file beside the database)."
            ));
        }
    }
    Ok(key)
}

/// Sealed records start with this, and a layout version.
const MAGIC: &[u8; 4] = b"LER1";

/// `plain`, the record stored under `key`, sealed under the root key (bound to its key, so
/// that a sealed record cannot be moved to another).
pub fn seal(root: &[u8; KEY_LEN], key: &str, plain: &[u8]) -> Vec<u8> {
    let sealed = crate::crypto::seal(root, plain, key.as_bytes()).unwrap_or_default();
    let mut out = Vec::with_capacity(MAGIC.len() + sealed.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&sealed);
    out
}

pub fn is_sealed(row: &[u8]) -> bool {
    row.starts_with(MAGIC)
}

/// The plain record inside a sealed one; None if it was not sealed under this key for `key`.
pub fn open(root: &[u8; KEY_LEN], key: &str, row: &[u8]) -> Option<Vec<u8>> {
    let sealed = row.strip_prefix(MAGIC.as_slice())?;
    crate::crypto::open(root, sealed, key.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_seal_bound_to_their_key() {
        let root = [7u8; KEY_LEN];
        let row = seal(&root, "a", b"{\"password\":\"hunter2\"}");
        assert!(is_sealed(&row));
        assert!(!row.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(
            open(&root, "a", &row).unwrap(),
            b"{\"password\":\"hunter2\"}"
        );
        assert_eq!(open(&root, "b", &row), None, "bound to its record");
        assert_eq!(open(&[8u8; KEY_LEN], "a", &row), None, "another key");
    }

    #[test]
    fn a_key_file_is_made_private_and_checked() {
        let dir = std::env::temp_dir().join(format!("localemu-root-key-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir(&dir).unwrap();
        let key = resolve(&Place::Dir(&dir), None).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(FILE_NAME))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let check = seal(&key, CHECK, CHECK_TEXT);
        assert_eq!(resolve(&Place::Dir(&dir), Some(&check)).unwrap(), key);
        let other = seal(&[1u8; KEY_LEN], CHECK, CHECK_TEXT);
        let e = resolve(&Place::Dir(&dir), Some(&other)).unwrap_err();
        assert!(e.contains("another root key"), "{e}");
        std::fs::remove_file(dir.join(FILE_NAME)).unwrap();
        let e = resolve(&Place::Dir(&dir), Some(&check)).unwrap_err();
        assert!(e.contains("not here"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
