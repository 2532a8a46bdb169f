//! The history checker: what a recorded run of calls may and may not show, whatever the faults.
//!
//! Stable secrets are never deleted; every version's value is its own id, and a version is
//! made AWSCURRENT at most once (by a put, or by one move onto a version put as AWSPENDING),
//! so a read's version names the one call that made it current. Churn secrets are created and
//! force-deleted by one owner each, one call at a time.

use std::collections::HashMap;
use std::time::Duration;

/// How a call ended, as its client saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// Answered with success.
    Acked,
    /// Answered with a 4xx error: it changed nothing.
    Refused,
    /// No answer, or a 5xx: it may have happened, at any moment after it began.
    Unknown,
}

#[derive(Clone, Debug)]
pub enum Call {
    /// A version put into stable secret `secret`; `current` when it took AWSCURRENT.
    Put {
        secret: usize,
        version: String,
        current: bool,
    },
    /// AWSCURRENT moved onto `version`.
    Move {
        secret: usize,
        version: String,
    },
    /// AWSCURRENT of a stable secret read: (version, value).
    Read {
        secret: usize,
        version: String,
        value: String,
    },
    Create {
        name: String,
        value: String,
    },
    Delete {
        name: String,
    },
    /// A churn secret read: its value, or None when it does not exist.
    Look {
        name: String,
        seen: Option<String>,
    },
}

#[derive(Clone, Debug)]
pub struct Op {
    pub call: Call,
    pub start: Duration,
    pub end: Duration,
    pub ended: Ended,
}

/// Every violation the history shows, described.
pub fn violations(ops: &[Op]) -> Vec<String> {
    let mut found = stable(ops);
    found.extend(churn(ops));
    found
}

/// The call that made `version` current in `secret`, if any was made.
fn made_current<'a>(ops: &'a [Op], secret: usize, version: &str) -> Option<&'a Op> {
    ops.iter().find(|op| {
        op.ended != Ended::Refused
            && match &op.call {
                Call::Put {
                    secret: s,
                    version: v,
                    current: true,
                } => *s == secret && v == version,
                Call::Move {
                    secret: s,
                    version: v,
                } => *s == secret && v == version,
                _ => false,
            }
    })
}

fn stable(ops: &[Op]) -> Vec<String> {
    let mut found = Vec::new();
    // Per secret: (start, end, version) of every acknowledged make-current call.
    let mut acked: HashMap<usize, Vec<(Duration, Duration, &str)>> = HashMap::new();
    for op in ops.iter().filter(|op| op.ended == Ended::Acked) {
        match &op.call {
            Call::Put {
                secret,
                version,
                current: true,
            }
            | Call::Move { secret, version } => {
                acked
                    .entry(*secret)
                    .or_default()
                    .push((op.start, op.end, version));
            }
            _ => {}
        }
    }
    for op in ops.iter().filter(|op| op.ended == Ended::Acked) {
        let Call::Read {
            secret,
            version,
            value,
        } = &op.call
        else {
            continue;
        };
        if value != version {
            found.push(format!(
                "secret {secret}: version {version} read with value {value}"
            ));
        }
        let Some(maker) = made_current(ops, *secret, version) else {
            let calls: Vec<String> = ops
                .iter()
                .filter(|o| match &o.call {
                    Call::Put { version: v, .. } | Call::Move { version: v, .. } => v == version,
                    _ => false,
                })
                .map(|o| format!("{:?} {:?}..{:?} {:?}", o.call, o.start, o.end, o.ended))
                .collect();
            found.push(format!(
                "secret {secret}: read {version} at {:?}, which no call made current: {calls:?}",
                op.start
            ));
            continue;
        };
        if maker.start > op.end {
            found.push(format!(
                "secret {secret}: read {version} before it was written"
            ));
        }
        if maker.ended != Ended::Acked {
            continue;
        }
        // A later make-current call, acknowledged before the read began, should have hidden it.
        let newer = acked
            .get(secret)
            .into_iter()
            .flatten()
            .find(|(start, end, v)| {
                *v != version.as_str() && *start > maker.end && *end < op.start
            });
        if let Some((_, _, v)) = newer {
            found.push(format!(
                "secret {secret}: a stale read of {version} at {:?}, after {v} was acknowledged",
                op.start
            ));
        }
    }
    found
}

/// What a churn secret holds: its value, or None when it does not exist.
type Holds<'a> = Option<&'a str>;

/// What a churn secret holds after `call`, for a create or a delete.
fn after(call: &Call) -> Vec<Holds<'_>> {
    match call {
        Call::Create { value, .. } => vec![Some(value)],
        Call::Delete { .. } => vec![None],
        _ => Vec::new(),
    }
}

fn churn(ops: &[Op]) -> Vec<String> {
    let mut found = Vec::new();
    let mut writes: HashMap<&str, Vec<&Op>> = HashMap::new();
    for op in ops {
        if let Call::Create { name, .. } | Call::Delete { name } = &op.call {
            writes.entry(name).or_default().push(op);
        }
    }
    for w in writes.values_mut() {
        w.sort_by_key(|op| op.start);
    }
    for op in ops.iter().filter(|op| op.ended == Ended::Acked) {
        let Call::Look { name, seen } = &op.call else {
            continue;
        };
        let w = writes
            .get(name.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        // The state after the last write acknowledged before the look began...
        let base = w
            .iter()
            .rposition(|x| x.ended == Ended::Acked && x.end < op.start);
        let mut allowed: Vec<Holds<'_>> = match base {
            Some(i) => after(&w[i].call),
            None => vec![None],
        };
        // ... or after any later write that may have happened before it ended.
        let later = base.map_or(0, |i| i + 1);
        for x in &w[later..] {
            if x.ended != Ended::Refused && x.start < op.end {
                allowed.extend(after(&x.call));
            }
        }
        if !allowed.contains(&seen.as_deref()) {
            found.push(format!(
                "{name}: seen {seen:?} at {:?}, allowed {allowed:?}",
                op.start
            ));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(call: Call, start: u64, end: u64, ended: Ended) -> Op {
        Op {
            call,
            start: Duration::from_millis(start),
            end: Duration::from_millis(end),
            ended,
        }
    }

    fn put(version: &str) -> Call {
        Call::Put {
            secret: 0,
            version: version.into(),
            current: true,
        }
    }

    fn read(version: &str) -> Call {
        Call::Read {
            secret: 0,
            version: version.into(),
            value: version.into(),
        }
    }

    #[test]
    fn the_checker_finds_stale_reads_lost_creates_and_reads_after_a_delete() {
        let history = [
            op(put("a"), 0, 1, Ended::Acked),
            op(put("b"), 2, 3, Ended::Acked),
            // Read after b was acknowledged, but shows a: stale.
            op(read("a"), 4, 5, Ended::Acked),
            // Concurrent with c: either is fine.
            op(put("c"), 6, 9, Ended::Acked),
            op(read("b"), 7, 8, Ended::Acked),
            // A put that got no answer may show up any time after it began.
            op(put("d"), 10, 11, Ended::Unknown),
            op(read("d"), 12, 13, Ended::Acked),
            op(read("x"), 14, 15, Ended::Acked),
            op(
                Call::Create {
                    name: "n".into(),
                    value: "1".into(),
                },
                0,
                1,
                Ended::Acked,
            ),
            op(
                Call::Look {
                    name: "n".into(),
                    seen: None,
                },
                2,
                3,
                Ended::Acked,
            ),
            op(Call::Delete { name: "n".into() }, 4, 5, Ended::Acked),
            op(
                Call::Look {
                    name: "n".into(),
                    seen: Some("1".into()),
                },
                6,
                7,
                Ended::Acked,
            ),
        ];
        let v = violations(&history);
        assert_eq!(v.len(), 4, "{v:#?}");
        assert!(v[0].contains("stale read of a"));
        assert!(v[1].contains("which no call made current"));
        assert!(v[2].starts_with("n: seen None") || v[3].starts_with("n: seen None"));
    }
}
