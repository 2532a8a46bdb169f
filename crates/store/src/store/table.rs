//! Typed tables over the store's records: each kind of record a service keeps (a KMS key, a
//! parameter, a stack, ...) is a `Table` with its key prefix, its record type and the format
//! version its records are written in. Records carry that version, and a record written by
//! an older build is migrated when it is read, so a change to a stored structure is a new
//! version with a migration, never a data directory that no longer opens.

use super::{Store, Ticket};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// A kind of record a service stores.
pub trait Table {
    /// What every key of the table starts with (the owning service's prefix and the kind).
    const PREFIX: &'static str;
    /// The format records are written in now. Version 0 is the unmarked JSON written before
    /// records carried a version.
    const VERSION: u16;
    type Record: Serialize + DeserializeOwned;

    /// Brings a record written in format `from` (older than [`Table::VERSION`]) to the
    /// current shape. A table whose shape has not changed since version 0 keeps the default.
    fn migrate(from: u16, record: Value) -> Result<Value, String> {
        let _ = from;
        Ok(record)
    }
}

/// Marks a versioned record: JSON never starts with this byte, so an unmarked record is one
/// written before versions (format 0).
const MARK: u8 = 0x01;

/// A record key: the table's prefix, then `parts` separated by NUL. None if a part contains
/// NUL, which would make two keys alike.
pub fn key<T: Table>(parts: &[&str]) -> Option<String> {
    if parts.iter().any(|p| p.contains('\0')) {
        return None;
    }
    Some(format!("{}{}", T::PREFIX, parts.join("\0")))
}

/// The `n` parts of a key of table `T` (the last part takes the rest).
pub fn parts<T: Table>(key: &str, n: usize) -> Option<Vec<&str>> {
    let parts: Vec<&str> = key.strip_prefix(T::PREFIX)?.splitn(n, '\0').collect();
    (parts.len() == n).then_some(parts)
}

/// A record as stored: the mark, its format version (big-endian), its JSON.
pub fn encode<T: Table>(record: &T::Record) -> Result<Vec<u8>, String> {
    let mut out = vec![MARK];
    out.extend_from_slice(&T::VERSION.to_be_bytes());
    serde_json::to_writer(&mut out, record).map_err(|e| e.to_string())?;
    Ok(out)
}

/// A stored record's format version and JSON.
pub fn split(bytes: &[u8]) -> (u16, &[u8]) {
    match bytes {
        [MARK, hi, lo, json @ ..] => (u16::from_be_bytes([*hi, *lo]), json),
        json => (0, json),
    }
}

/// A record as stored from its format version and JSON (version 0: the JSON alone).
pub fn join(version: u16, json: &[u8]) -> Vec<u8> {
    if version == 0 {
        return json.to_vec();
    }
    let mut out = vec![MARK];
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(json);
    out
}

/// A stored record, migrated from the format it was written in.
pub fn decode<T: Table>(bytes: &[u8]) -> Result<T::Record, String> {
    let (version, json) = split(bytes);
    let what = match T::PREFIX.trim_end_matches('\0').replace('\0', " ") {
        what if what.is_empty() => "secret".to_string(),
        what => what,
    };
    if version > T::VERSION {
        return Err(format!(
            "a {what} record of format {version}, written by a newer LocalEmu (this one reads up to {})",
            T::VERSION
        ));
    }
    let read = |e: serde_json::Error| format!("a {what} record: {e}");
    if version == T::VERSION {
        return serde_json::from_slice(json).map_err(read);
    }
    let value: Value = serde_json::from_slice(json).map_err(read)?;
    let value = T::migrate(version, value).map_err(|e| format!("a {what} record: {e}"))?;
    serde_json::from_value(value).map_err(read)
}

impl Store {
    /// Stores `record` under `key` of table `T` (None: removes it). A record that cannot be
    /// encoded fails its commit instead of reaching the disk damaged.
    pub fn put<T: Table>(&self, key: &str, record: Option<&T::Record>) -> Ticket {
        if self.journal.is_none() {
            return Ticket::ready();
        }
        match record.map(encode::<T>) {
            None => self.put_blob(key, None),
            Some(Ok(bytes)) => self.put_blob(key, Some(bytes)),
            Some(Err(e)) => {
                tracing::error!(error = %e, %key, "cannot encode a record");
                self.invalid(key)
            }
        }
    }

    /// What a shared database holds under `key` of table `T` now (None for the embedded file,
    /// whose memory is the store's own).
    pub fn stored<T: Table>(&self, key: &str) -> Option<T::Record> {
        let bytes = self.stored_blob(key)?;
        decode::<T>(&bytes)
            .map_err(|e| tracing::error!(error = %e, %key, "cannot read a record"))
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Thing {
        name: String,
        size: u32,
    }

    /// Version 2 renamed `length` (version 0 and 1) to `size`.
    struct Things;

    impl Table for Things {
        const PREFIX: &'static str = "test\0thing\0";
        const VERSION: u16 = 2;
        type Record = Thing;

        fn migrate(from: u16, mut record: Value) -> Result<Value, String> {
            if from < 2 {
                let length = record
                    .as_object_mut()
                    .and_then(|o| o.remove("length"))
                    .ok_or("no length")?;
                record["size"] = length;
            }
            Ok(record)
        }
    }

    #[test]
    fn records_round_trip_with_their_version() {
        let t = Thing {
            name: "a".into(),
            size: 3,
        };
        let bytes = encode::<Things>(&t).unwrap();
        assert_eq!(&bytes[..3], &[MARK, 0, 2]);
        assert_eq!(decode::<Things>(&bytes), Ok(t));
    }

    #[test]
    fn older_records_are_migrated() {
        let unmarked = br#"{"name":"old","length":7}"#;
        assert_eq!(decode::<Things>(unmarked).unwrap().size, 7);
        let mut v1 = vec![MARK, 0, 1];
        v1.extend_from_slice(br#"{"name":"one","length":9}"#);
        assert_eq!(decode::<Things>(&v1).unwrap().size, 9);
    }

    #[test]
    fn newer_or_damaged_records_are_refused_with_a_reason() {
        let mut v3 = vec![MARK, 0, 3];
        v3.extend_from_slice(br#"{"name":"new","size":1}"#);
        let e = decode::<Things>(&v3).unwrap_err();
        assert!(e.contains("newer LocalEmu"), "{e}");
        assert!(decode::<Things>(b"{nope")
            .unwrap_err()
            .contains("test thing"));
    }

    #[test]
    fn keys_refuse_parts_with_nul() {
        assert_eq!(
            key::<Things>(&["1", "us-east-1", "x"]).as_deref(),
            Some("test\0thing\x001\0us-east-1\0x")
        );
        assert_eq!(key::<Things>(&["a\0b"]), None);
        let k = key::<Things>(&["1", "r", "n/with/slashes"]).unwrap();
        assert_eq!(
            parts::<Things>(&k, 3),
            Some(vec!["1", "r", "n/with/slashes"])
        );
        assert_eq!(parts::<Things>("other\0x", 1), None);
    }
}
