//! What `/_awsemu/rotations` shows: the record of each rotation (steps, outcome, log tail),
//! the last few per secret for a bounded number of secrets, kept in the store (one record per
//! secret) so that it survives restarts and every node sharing a database shows it.

use super::engine::{lock, Key, RotationEngine};
use crate::clock::Millis;
use crate::domain::Namespace;
use crate::store::{Records, Store};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Rotations remembered per secret for `/_awsemu/rotations`.
const HISTORY: usize = 20;
/// Secrets whose rotations are remembered at most; the one rotated longest ago goes first.
const HISTORY_SECRETS: usize = 1000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepRecord {
    pub step: String,
    pub duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RotationRecord {
    pub secret_arn: String,
    pub version_id: String,
    pub function: String,
    pub scheduled: bool,
    pub started: Millis,
    pub finished: Millis,
    /// `Succeeded`, `Failed` or `Cancelled`.
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub steps: Vec<StepRecord>,
    pub log_tail: String,
    /// What ran the function: the interpreter's path and version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// 1 for the first attempt at this version; failed rotations are retried.
    pub attempt: u32,
}

/// The last `max` bytes of `text` or fewer, starting on a character boundary.
pub(super) fn tail(text: &str, max: usize) -> &str {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// Forgets the secret rotated longest ago when `key` would be one secret too many.
fn make_room(history: &mut HashMap<Key, VecDeque<RotationRecord>>, key: &Key) -> Option<Key> {
    if history.contains_key(key) || history.len() < HISTORY_SECRETS {
        return None;
    }
    let oldest = history
        .iter()
        .min_by_key(|(_, list)| list.back().map_or(0, |r| r.finished))
        .map(|(k, _)| k.clone())?;
    history.remove(&oldest);
    Some(oldest)
}

/// The records, by secret.
#[derive(Default)]
pub(super) struct History(Mutex<HashMap<Key, VecDeque<RotationRecord>>>);

const PREFIX: &str = "rotations\0";

/// Each secret's recent rotations, keyed by account, region and secret name.
struct Histories;

impl crate::store::table::Table for Histories {
    const PREFIX: &'static str = PREFIX;
    const VERSION: u16 = 1;
    type Record = Vec<RotationRecord>;
}

fn record_key(key: &Key) -> String {
    format!("{PREFIX}{}\0{}\0{}", key.0.account, key.0.region, key.1)
}

impl History {
    /// Adds `record` to the secret's list and stores the list (not waited for: the history
    /// is a report, like access dates).
    pub(super) fn remember(&self, store: &Store, key: &Key, record: RotationRecord) {
        let (list, evicted) = self.add(key, record);
        drop(store.put::<Histories>(&record_key(key), Some(&list)));
        // The store keeps no more than memory does.
        if let Some(evicted) = evicted {
            drop(store.put::<Histories>(&record_key(&evicted), None));
        }
    }

    /// Puts a secret's list back as the store holds it (None: none).
    fn put_back(&self, key: Key, list: Option<Vec<RotationRecord>>) {
        let mut history = lock(&self.0);
        match list {
            Some(list) => {
                make_room(&mut history, &key);
                history.insert(key, list.into())
            }
            None => history.remove(&key),
        };
    }

    /// Adds `record`; returns the secret's list and the secret forgotten to make room.
    fn add(&self, key: &Key, record: RotationRecord) -> (Vec<RotationRecord>, Option<Key>) {
        let mut history = lock(&self.0);
        let evicted = make_room(&mut history, key);
        let list = history.entry(key.clone()).or_default();
        list.push_back(record);
        if list.len() > HISTORY {
            list.pop_front();
        }
        (list.iter().cloned().collect(), evicted)
    }

    /// Recent rotations of every secret, newest last.
    pub(super) fn all(&self) -> Vec<RotationRecord> {
        let history = lock(&self.0);
        let mut all: Vec<RotationRecord> = history.values().flatten().cloned().collect();
        all.sort_by_key(|r| r.started);
        all
    }
}

impl Records for RotationEngine {
    fn prefix(&self) -> &'static str {
        PREFIX
    }

    fn put_back(&self, key: &str, bytes: Option<&[u8]>) -> Result<(), String> {
        let parts = crate::store::table::parts::<Histories>(key, 3);
        let Some([account, region, name]) = parts.as_deref() else {
            return Err(format!("a malformed rotation history key {key:?}"));
        };
        let list = bytes
            .map(crate::store::table::decode::<Histories>)
            .transpose()
            .map_err(|e| format!("the rotation history of {name}: {e}"))?;
        let key = (Namespace::new(*account, *region), (*name).to_string());
        self.history.put_back(key, list);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn log_tails_cut_on_character_boundaries() {
        let log = "€".repeat(3000);
        let t = super::tail(&log, 4096);
        assert!(t.len() <= 4096 && t.chars().all(|c| c == '€'));
        assert_eq!(super::tail("short", 4096), "short");
    }
}
