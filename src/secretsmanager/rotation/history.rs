//! What `/_awsemu/rotations` shows: the record of each rotation (steps, outcome, log tail),
//! the last few per secret for a bounded number of secrets.

use super::engine::{lock, Key};
use crate::clock::Millis;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Rotations remembered per secret for `/_awsemu/rotations`.
const HISTORY: usize = 20;
/// Secrets whose rotations are remembered at most; the one rotated longest ago goes first.
const HISTORY_SECRETS: usize = 1000;

#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub step: String,
    pub duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
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

/// The records, by secret.
#[derive(Default)]
pub(super) struct History(Mutex<HashMap<Key, VecDeque<RotationRecord>>>);

impl History {
    pub(super) fn remember(&self, key: &Key, record: RotationRecord) {
        let mut history = lock(&self.0);
        if !history.contains_key(key) && history.len() >= HISTORY_SECRETS {
            let oldest = history
                .iter()
                .min_by_key(|(_, list)| list.back().map_or(0, |r| r.finished))
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                history.remove(&oldest);
            }
        }
        let list = history.entry(key.clone()).or_default();
        list.push_back(record);
        if list.len() > HISTORY {
            list.pop_front();
        }
    }

    /// Recent rotations of every secret, newest last.
    pub(super) fn all(&self) -> Vec<RotationRecord> {
        let history = lock(&self.0);
        let mut all: Vec<RotationRecord> = history.values().flatten().cloned().collect();
        all.sort_by_key(|r| r.started);
        all
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
