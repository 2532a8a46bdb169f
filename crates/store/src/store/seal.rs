//! Envelope encryption of value rows at rest: each row gets a fresh data key, sealed under the
//! KMS key that protects its secret; only the sealed data key and the ciphertext are written.
//! The store keeps the keys' material (journaled like any record) so that it can open rows
//! while loading, before any service exists.

use crate::domain::Namespace;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Which KMS key (by id) protects a secret's values, given its `KmsKeyId` (None: the AWS
/// managed key of `ns`). Supplied by KMS.
pub trait KeyResolver: Send + Sync {
    fn key_for(&self, ns: &Namespace, kms_key_id: Option<&str>) -> Option<String>;
}

/// Blob records holding key material start with this.
pub const MATERIAL_PREFIX: &str = "kms-material\0";

/// Key material by key id, and the resolver that picks a secret's key.
#[derive(Default)]
pub struct Keyring {
    material: RwLock<HashMap<String, Arc<Vec<u8>>>>,
    resolver: RwLock<Option<Arc<dyn KeyResolver>>>,
    /// Seals every other record (see [`super::root_key`]); set before anything is loaded.
    root: std::sync::OnceLock<[u8; super::root_key::KEY_LEN]>,
}

const ENVELOPE: u8 = b'e';
const ID_LEN: usize = 36;
const DATA_KEY_LEN: usize = 32;

impl Keyring {
    /// Sets the root key, once, before any record is read.
    pub fn set_root(&self, key: [u8; super::root_key::KEY_LEN]) {
        let _ = self.root.set(key);
    }

    /// A record as stored: sealed under the root key (as it is, without one: memory only).
    pub fn seal_record(&self, key: &str, plain: &[u8]) -> Vec<u8> {
        match self.root.get() {
            Some(root) => super::root_key::seal(root, key, plain),
            None => plain.to_vec(),
        }
    }

    /// A stored record opened. One written before records were sealed is read as it is (and
    /// written again sealed at start-up); a sealed one that does not open is an error.
    pub fn open_record(&self, key: &str, row: &[u8]) -> Result<Vec<u8>, String> {
        if !super::root_key::is_sealed(row) {
            return Ok(row.to_vec());
        }
        self.root
            .get()
            .and_then(|root| super::root_key::open(root, key, row))
            .ok_or_else(|| format!("the record {key:?} does not open with the root key"))
    }

    pub fn insert(&self, id: &str, material: Vec<u8>) {
        self.material
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id.to_string(), Arc::new(material));
    }

    pub fn get(&self, id: &str) -> Option<Arc<Vec<u8>>> {
        self.material
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    pub fn clear(&self) {
        self.material
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }

    pub fn set_resolver(&self, r: Arc<dyn KeyResolver>) {
        *self
            .resolver
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(r);
    }

    /// Material rows as the journal stores them: a JSON string of base64, so that state export
    /// carries them like any other record.
    pub fn encode_material(material: &[u8]) -> Vec<u8> {
        use base64::Engine;
        serde_json::to_vec(&base64::engine::general_purpose::STANDARD.encode(material))
            .unwrap_or_default()
    }

    /// Adds the material of a stored row (key and bytes as [`Keyring::encode_material`] wrote).
    pub fn load_row(&self, key: &str, bytes: &[u8]) -> Result<(), String> {
        use base64::Engine;
        let Some(id) = key.strip_prefix(MATERIAL_PREFIX) else {
            return Ok(());
        };
        let bytes = self.open_record(key, bytes)?;
        let text: String =
            serde_json::from_slice(&bytes).map_err(|e| format!("key material of {id}: {e}"))?;
        let material = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| format!("key material of {id}: {e}"))?;
        self.insert(id, material);
        Ok(())
    }

    /// The row for `plain` (a value row of `context`, the row's key), sealed under its
    /// secret's key; None when no key can be found (no KMS wired in), and the row is then
    /// written as it is.
    pub fn seal(
        &self,
        ns: &Namespace,
        kms_key_id: Option<&str>,
        context: &str,
        plain: &[u8],
    ) -> Option<Vec<u8>> {
        let resolver = self
            .resolver
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()?;
        // A key that is gone (or never existed) falls back to the namespace's AWS managed key.
        let (id, material) = [kms_key_id, None].into_iter().find_map(|k| {
            let id = resolver.key_for(ns, k)?;
            let material = self.get(&id)?;
            Some((id, material))
        })?;
        if id.len() != ID_LEN {
            return None;
        }
        let data_key = crate::crypto::random_bytes(DATA_KEY_LEN);
        let sealed_key = crate::crypto::seal(&material, &data_key, context.as_bytes())?;
        let sealed_value = crate::crypto::seal(&data_key, plain, context.as_bytes())?;
        let mut row = Vec::with_capacity(3 + ID_LEN + sealed_key.len() + sealed_value.len());
        row.push(ENVELOPE);
        row.extend_from_slice(id.as_bytes());
        row.extend_from_slice(&(sealed_key.len() as u16).to_be_bytes());
        row.extend_from_slice(&sealed_key);
        row.extend_from_slice(&sealed_value);
        Some(row)
    }

    /// Whether a stored row is sealed.
    pub fn is_sealed(row: &[u8]) -> bool {
        row.first() == Some(&ENVELOPE)
    }

    /// The plain row inside a sealed one (a plain row is returned as it is).
    pub fn open(&self, context: &str, row: &[u8]) -> Option<Vec<u8>> {
        if !Self::is_sealed(row) {
            return Some(row.to_vec());
        }
        let id = std::str::from_utf8(row.get(1..=ID_LEN)?).ok()?;
        let len_at = 1 + ID_LEN;
        let len = u16::from_be_bytes([*row.get(len_at)?, *row.get(len_at + 1)?]) as usize;
        let key_at = len_at + 2;
        let sealed_key = row.get(key_at..key_at + len)?;
        let sealed_value = row.get(key_at + len..)?;
        let material = self.get(id)?;
        let data_key = crate::crypto::open(&material, sealed_key, context.as_bytes())?;
        crate::crypto::open(&data_key, sealed_value, context.as_bytes())
    }
}

/// A value row as stored, opened with the keyring and decoded.
pub(super) fn open_row(
    keyring: &Keyring,
    row_key: &str,
    raw: &[u8],
) -> Option<crate::domain::versions::SecretValue> {
    super::record::decode_value(&keyring.open(row_key, raw)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct One(String);

    impl KeyResolver for One {
        fn key_for(&self, _: &Namespace, _: Option<&str>) -> Option<String> {
            Some(self.0.clone())
        }
    }

    #[test]
    fn rows_seal_under_the_key_and_open_only_in_place() {
        let ring = Keyring::default();
        let ns = Namespace::new("1", "r");
        assert_eq!(
            ring.seal(&ns, None, "a", b"x"),
            None,
            "no resolver, no sealing"
        );
        let id = "11111111-2222-3333-4444-555555555555";
        ring.insert(id, crate::crypto::random_bytes(32));
        ring.set_resolver(Arc::new(One(id.into())));
        let row = ring.seal(&ns, None, "acct\0r\0db\0v1", b"splain").unwrap();
        assert!(Keyring::is_sealed(&row));
        assert!(!row.windows(6).any(|w| w == b"splain"));
        assert_eq!(ring.open("acct\0r\0db\0v1", &row).unwrap(), b"splain");
        assert_eq!(ring.open("acct\0r\0db\0v2", &row), None, "bound to its row");
        assert_eq!(ring.open("x", b"splain").unwrap(), b"splain");
        assert_eq!(ring.open("x", b"e"), None);
        let rows: Vec<u8> = Keyring::encode_material(&[1, 2, 3]);
        let other = Keyring::default();
        other
            .load_row(&format!("{MATERIAL_PREFIX}k"), &rows)
            .unwrap();
        assert_eq!(other.get("k").unwrap().as_slice(), &[1, 2, 3]);
    }
}
