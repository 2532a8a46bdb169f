//! Function code: zip archives checked, hashed and unpacked into a fresh directory.

use crate::generated::lambda::{Error, ErrorCode, Result};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// AWS's limit on unzipped code.
const MAX_UNZIPPED: u64 = 250 * 1024 * 1024;

/// `CodeSha256`: base64 of the SHA-256 of the zip.
pub fn code_sha256(zip: &[u8]) -> String {
    STANDARD.encode(Sha256::digest(zip))
}

fn bad_zip() -> Error {
    Error::new(
        ErrorCode::InvalidParameterValueException,
        "Could not unzip uploaded file. Please check your file, then try to upload again.",
    )
}

/// Checks that `zip` is a readable archive without unpacking it.
pub fn check_zip(zip: &[u8]) -> Result<()> {
    zip::ZipArchive::new(std::io::Cursor::new(zip))
        .map(|_| ())
        .map_err(|_| bad_zip())
}

/// Entry paths longer than this, or deeper than [`MAX_DEPTH`], are refused: they cannot be
/// created on common file systems, and no real function needs them.
const MAX_PATH: usize = 1024;
const MAX_DEPTH: usize = 64;

/// Unpacks `zip` into `dir` (which must not exist yet). Entries that would land outside
/// `dir` and symbolic links are skipped; `bootstrap` is always made executable. On any
/// failure nothing is left behind.
pub fn unpack(zip: &[u8], dir: &Path) -> Result<()> {
    let result = unpack_into(zip, dir);
    if result.is_err() {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

fn unpack_into(zip: &[u8], dir: &Path) -> Result<()> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).map_err(|_| bad_zip())?;
    // A disk failure is the server's: logged with its cause, never shown.
    let io = |e: std::io::Error| {
        Error::new(
            ErrorCode::ServiceException,
            "Cannot store the function code.",
        )
        .because(e)
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|_| bad_zip())?;
        let Some(relative) = entry.enclosed_name() else {
            continue;
        };
        if relative.as_os_str().len() > MAX_PATH || relative.components().count() > MAX_DEPTH {
            return Err(bad_zip());
        }
        let target: PathBuf = dir.join(&relative);
        if entry.is_dir() {
            std::fs::create_dir_all(&target).map_err(io)?;
            continue;
        }
        if entry.is_symlink() {
            continue;
        }
        total += entry.size();
        if total > MAX_UNZIPPED {
            return Err(Error::new(
                ErrorCode::InvalidParameterValueException,
                "Unzipped size must be smaller than 262144000 bytes",
            ));
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut bytes).map_err(|_| bad_zip())?;
        std::fs::write(&target, &bytes).map_err(io)?;
        let is_bootstrap = relative == Path::new("bootstrap");
        set_mode(&target, entry.unix_mode(), is_bootstrap).map_err(io)?;
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: Option<u32>, executable: bool) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    // The owner's bits only: function code is nobody else's to read or change.
    let mut mode = mode.unwrap_or(0o600) & 0o700 | 0o600;
    if executable {
        mode |= 0o700;
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: Option<u32>, _: bool) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, body) in files {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(body.as_bytes()).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn unpacks_and_skips_escaping_paths() {
        let dir = std::env::temp_dir().join(format!("localemu-code-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let zip = zip_of(&[
            ("app.py", "x = 1"),
            ("../evil", "no"),
            ("pkg/mod.py", "y"),
            ("bootstrap", "#!/bin/sh"),
        ]);
        unpack(&zip, &dir).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("app.py")).unwrap(),
            "x = 1"
        );
        assert!(dir.join("pkg/mod.py").exists());
        assert!(!dir.parent().unwrap().join("evil").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("bootstrap"))
                .unwrap()
                .permissions()
                .mode();
            // Runnable by its owner, and nobody else's to read or change.
            assert_eq!(mode & 0o777, 0o700);
            let plain = std::fs::metadata(dir.join("app.py")).unwrap().permissions();
            assert_eq!(plain.mode() & 0o077, 0);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_absurd_paths_and_leaves_nothing() {
        let dir = std::env::temp_dir().join(format!("localemu-deep-{}", std::process::id()));
        let deep = format!("{}f.txt", "d/".repeat(2000));
        let zip = zip_of(&[("ok.txt", "x"), (&deep, "y")]);
        let e = unpack(&zip, &dir).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidParameterValueException);
        assert!(!dir.exists());
    }

    #[test]
    fn rejects_non_zips_and_hashes() {
        assert!(check_zip(b"not a zip").is_err());
        assert_eq!(
            code_sha256(b""),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }
}
