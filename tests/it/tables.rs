//! The typed table API, one suite on every backend: the embedded redb file, PostgreSQL, and a
//! redb file on a disk that fails on demand. Records round-trip with their format version,
//! removals stick, a record that cannot be encoded never reaches the database, records from
//! before versions are read, and a failed commit puts the stored copy back.

use crate::common::*;
use crate::durability::Disk;
use localemu::store::table::{self, Table};
use localemu::store::{Records, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq)]
struct Note {
    text: String,
    /// A map with keys JSON cannot name makes a record that cannot be encoded.
    odd: HashMap<(u8, u8), u8>,
}

fn note(text: &str) -> Note {
    Note {
        text: text.into(),
        odd: HashMap::new(),
    }
}

struct Notes;

impl Table for Notes {
    const PREFIX: &'static str = "test-notes\0";
    const VERSION: u16 = 1;
    type Record = Note;
}

fn key(name: &str) -> String {
    table::key::<Notes>(&["000000000000", "us-east-1", name]).unwrap()
}

/// A service's memory of its notes, as the store puts them back.
#[derive(Default)]
struct Memory(Mutex<HashMap<String, Note>>);

impl Records for Memory {
    fn prefix(&self) -> &'static str {
        Notes::PREFIX
    }

    fn put_back(&self, key: &str, bytes: Option<&[u8]>) -> Result<(), String> {
        let mut notes = self.0.lock().unwrap();
        match bytes {
            Some(b) => notes.insert(key.to_string(), table::decode::<Notes>(b)?),
            None => notes.remove(key),
        };
        Ok(())
    }
}

fn attached(store: &Store) -> Arc<Memory> {
    let memory = Arc::new(Memory::default());
    store.attach(&memory).unwrap();
    memory
}

fn notes(memory: &Memory) -> HashMap<String, Note> {
    memory.0.lock().unwrap().clone()
}

/// The cases every backend passes; `open` opens the same database again.
async fn conformance(open: impl Fn() -> Store) {
    {
        let store = open();
        let _memory = attached(&store);
        for name in ["a", "b", "c"] {
            assert!(
                store
                    .put::<Notes>(&key(name), Some(&note(name)))
                    .durable()
                    .await
            );
        }
        assert!(store.put::<Notes>(&key("b"), None).durable().await);
        assert!(
            store
                .put::<Notes>(&key("c"), Some(&note("c2")))
                .durable()
                .await
        );
        // Written by a build from before versions: plain JSON.
        let legacy = br#"{"text":"old","odd":{}}"#.to_vec();
        assert!(store.put_blob(&key("legacy"), Some(legacy)).durable().await);
        let mut bad = note("never stored");
        bad.odd.insert((1, 2), 3);
        assert!(!store.put::<Notes>(&key("a"), Some(&bad)).durable().await);
    }
    let store = open();
    let memory = attached(&store);
    let expected: HashMap<String, Note> = [
        (key("a"), note("a")),
        (key("c"), note("c2")),
        (key("legacy"), note("old")),
    ]
    .into();
    assert_eq!(notes(&memory), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_api_on_the_embedded_file() {
    let dir = temp_dir("tables-redb");
    conformance(|| Store::open(&dir).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_api_on_postgres() {
    let url = crate::pg::database("tables-pg");
    conformance(|| Store::open_postgres(&url).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_api_on_a_failing_disk() {
    let disk = Disk::new("tables-flaky");
    conformance(|| disk.store()).await;
    // A commit the disk refuses puts the stored copy back in memory.
    let store = disk.store();
    let memory = attached(&store);
    let gate = store.gate();
    memory.0.lock().unwrap().insert(key("a"), note("changed"));
    disk.fail(true);
    let ticket = store.put::<Notes>(&key("a"), Some(&note("changed")));
    drop(gate);
    assert!(!ticket.durable().await);
    disk.fail(false);
    assert_eq!(notes(&memory)[&key("a")], note("a"));
}
