//! The key STS seals session tokens with, kept as a typed record of the store so that
//! temporary credentials outlive a restart of a persistent emulator and every node sharing a
//! database opens the tokens any of them issued.

use crate::store::table::{self, Table};
use crate::store::Store;
use crate::wire::Ticket;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// STS's keys: one record, the session-token key.
struct Keys;

impl Table for Keys {
    const PREFIX: &'static str = "sts\0key\0";
    const VERSION: u16 = 1;
    type Record = SessionKey;
}

#[derive(Serialize, Deserialize)]
struct SessionKey {
    /// The key's 32 bytes, base64.
    #[serde(rename = "Material")]
    material: String,
}

/// The record of the session-token key (the table's prefix, then `session`).
const RECORD: &str = "sts\0key\0session";

/// Where builds before typed records kept the key: its raw bytes, under a key of no table.
/// A data directory or database that has it adopts it, so the sessions it issued stay valid.
const UNTYPED: &str = "sts\0session-key";

/// The session-token key and the store that keeps it.
pub struct KeptKey {
    store: Arc<Store>,
    material: Vec<u8>,
}

impl KeptKey {
    /// The key of this store: the one it holds, the untyped one of an older build (moved
    /// into its record), or a new one. Several nodes starting at once agree on the first one
    /// stored.
    pub async fn load(store: &Arc<Store>) -> std::io::Result<KeptKey> {
        let material = session_key(store).await?;
        Ok(KeptKey {
            store: store.clone(),
            material,
        })
    }

    pub fn material(&self) -> &[u8] {
        &self.material
    }

    /// Writes the key again, after a reset emptied the store: the sessions issued before
    /// and after the reset stay valid across a restart.
    pub fn keep(&self) -> Ticket {
        self.store.put::<Keys>(
            RECORD,
            Some(&SessionKey {
                material: STANDARD.encode(&self.material),
            }),
        )
    }
}

async fn session_key(store: &Store) -> std::io::Result<Vec<u8>> {
    let mut typed = None;
    let mut untyped = None;
    for (key, bytes) in store.take_loaded_blobs("sts\0") {
        if key == RECORD {
            typed = Some(bytes);
        } else if key == UNTYPED {
            untyped = Some(bytes);
        }
    }
    if let Some(bytes) = typed {
        // A record this build cannot read stops the start rather than silently replacing the
        // key, which would void every session issued with it.
        let key = table::decode::<Keys>(&bytes).map_err(std::io::Error::other)?;
        return material(&key.material);
    }
    let adopted = untyped.is_some();
    let bytes = untyped.unwrap_or_else(|| rand::random::<[u8; 32]>().to_vec());
    let key = SessionKey {
        material: STANDARD.encode(&bytes),
    };
    if !store.put::<Keys>(RECORD, Some(&key)).durable().await {
        // Another node sharing the database stored its key first: every node uses that one.
        let stored = store
            .stored::<Keys>(RECORD)
            .ok_or_else(|| std::io::Error::other("cannot store the STS session key"))?;
        return material(&stored.material);
    }
    if adopted {
        // The record holds it now; a removal that fails leaves a copy the record outranks.
        store.put_blob(UNTYPED, None).durable().await;
    }
    Ok(bytes)
}

fn material(base64: &str) -> std::io::Result<Vec<u8>> {
    STANDARD
        .decode(base64)
        .map_err(|e| std::io::Error::other(format!("the STS session key record: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_is_the_tables_session_key() {
        assert_eq!(table::key::<Keys>(&["session"]).as_deref(), Some(RECORD));
        assert!(!RECORD.starts_with(UNTYPED) && !UNTYPED.starts_with(Keys::PREFIX));
    }
}
