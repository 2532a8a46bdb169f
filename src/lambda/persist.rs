//! Functions kept across restarts: their records in the store (journaled, put back after a
//! failed commit, restored at start-up) and their unpacked code trees on disk.

use super::model::FunctionConfig;
use super::{Function, Lambda};
use crate::domain::Namespace;
use crate::wire::Ticket;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A directory of unpacked code, removed when the last function state or environment using
/// it is gone, so disk use follows the functions that exist.
#[derive(Debug)]
pub struct CodeDir(pub(super) PathBuf);

impl CodeDir {
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The file beside the tree naming the code it holds.
    pub(super) fn marker(&self) -> PathBuf {
        Self::marker_of(&self.0)
    }

    pub(super) fn marker_of(tree: &Path) -> PathBuf {
        tree.with_extension("sha256")
    }
}

impl Drop for CodeDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.marker());
        if let Err(e) = std::fs::remove_dir_all(&self.0) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(dir = %self.0.display(), error = %e, "cannot remove old function code");
            }
        }
    }
}

/// A function as persisted: configuration, policy and code.
#[derive(Serialize, Deserialize)]
struct FunctionRecord {
    account: String,
    region: String,
    config: FunctionConfig,
    policy: Vec<serde_json::Value>,
    zip: String,
}

const RECORD_PREFIX: &str = "lambda\0";

/// Functions in the store: configuration, policy and code, keyed by account, region and
/// function name.
struct Functions;

impl crate::store::table::Table for Functions {
    const PREFIX: &'static str = RECORD_PREFIX;
    const VERSION: u16 = 1;
    type Record = FunctionRecord;
}

fn record_key(ns: &Namespace, name: &str) -> String {
    format!("{RECORD_PREFIX}{}\0{}\0{}", ns.account, ns.region, name)
}

impl Lambda {
    /// Journals the function's current state; the ticket resolves when it is durable.
    pub(super) fn save(&self, f: &Function) -> Ticket {
        let s = f.snapshot();
        let record = FunctionRecord {
            account: f.namespace.account.clone(),
            region: f.namespace.region.clone(),
            config: s.config.clone(),
            policy: s.policy.clone(),
            zip: STANDARD.encode(s.zip.as_slice()),
        };
        let key = record_key(&f.namespace, &s.config.name);
        self.store.put::<Functions>(&key, Some(&record))
    }

    pub(super) fn forget(&self, ns: &Namespace, name: &str) -> Ticket {
        self.store.put::<Functions>(&record_key(ns, name), None)
    }

    /// Brings back the functions persisted in the store, unpacking their code again. A record
    /// that cannot be read stops start-up rather than bringing back a function without code.
    /// From then on a record another node changes (or a failed commit leaves) is put back.
    pub fn restore(self: &std::sync::Arc<Self>) -> std::result::Result<(), String> {
        let weak = std::sync::Arc::downgrade(self);
        self.store.claim(
            RECORD_PREFIX,
            |key, bytes| self.restore_one(key, bytes, true),
            Some(Box::new(move |key, stored| {
                if let Some(lambda) = weak.upgrade() {
                    lambda.revert(key, stored);
                }
            })),
        )?;
        self.sweep_code();
        Ok(())
    }

    /// Removes code trees (and their markers) no function uses: those of functions deleted
    /// while the server was down, and leftovers of a crash.
    fn sweep_code(&self) {
        let used: std::collections::HashSet<PathBuf> = self
            .functions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .map(|f| f.snapshot().code_dir.path().to_path_buf())
            .collect();
        let children = |dir: &Path| -> Vec<PathBuf> {
            std::fs::read_dir(dir)
                .map(|d| d.flatten().map(|e| e.path()).collect())
                .unwrap_or_default()
        };
        for account in children(&self.work_dir.join("code")) {
            for region in children(&account) {
                for function in children(&region) {
                    for entry in children(&function) {
                        let tree = entry.with_extension("");
                        if used.contains(&entry) || used.contains(&tree) {
                            continue;
                        }
                        let _ = std::fs::remove_dir_all(&entry);
                        let _ = std::fs::remove_file(&entry);
                    }
                    let _ = std::fs::remove_dir(&function);
                }
                let _ = std::fs::remove_dir(&region);
            }
            let _ = std::fs::remove_dir(&account);
        }
    }

    fn restore_one(&self, key: &str, bytes: &[u8], reuse: bool) -> std::result::Result<(), String> {
        let bad = |what: String| format!("the stored function record {key:?} {what}");
        let record = crate::store::table::decode::<Functions>(bytes)
            .map_err(|e| bad(format!("cannot be read: {e}")))?;
        let ns = Namespace::new(record.account, record.region);
        let zip = STANDARD
            .decode(record.zip)
            .map_err(|e| bad(format!("holds code that cannot be decoded: {e}")))?;
        if zip.is_empty() {
            return Err(bad("holds no code".into()));
        }
        let name = record.config.name.clone();
        let reused = reuse.then(|| self.reuse_code(&ns, &name, &zip)).flatten();
        let code_dir = match reused {
            Some(code) => code,
            None => self
                .store_code(&ns, &name, &zip)
                .map_err(|e| bad(format!("holds code that cannot be unpacked: {}", e.message)))?,
        };
        self.insert(ns, record.config, code_dir, zip, record.policy);
        Ok(())
    }

    /// Puts a function back as the disk holds it after a failed commit (called with the
    /// store's gate held exclusively).
    pub fn revert(&self, key: &str, stored: Option<Vec<u8>>) {
        let Some(rest) = key.strip_prefix(RECORD_PREFIX) else {
            return;
        };
        let mut parts = rest.splitn(3, '\0');
        let (Some(account), Some(region), Some(name)) = (parts.next(), parts.next(), parts.next())
        else {
            return;
        };
        let map_key = (Namespace::new(account, region), name.to_string());
        let removed = self
            .functions
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&map_key);
        if let Some(f) = removed {
            f.retire();
        }
        if let Some(bytes) = stored {
            if let Err(e) = self.restore_one(key, &bytes, false) {
                tracing::error!(error = %e, "cannot put a function back");
            }
        }
    }
}
