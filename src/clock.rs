//! Injected side effects: the clock and the source of identifiers.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch; all LocalEmu timestamps use this unit.
pub type Millis = i64;

pub const DAY_MS: Millis = 86_400_000;

pub trait Clock: Send + Sync {
    fn now(&self) -> Millis;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Millis {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as Millis)
            .unwrap_or(0)
    }
}

/// A clock that only moves when told to, so tests can cross recovery windows instantly.
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start: Millis) -> Self {
        ManualClock(AtomicI64::new(start))
    }

    pub fn advance(&self, by: Millis) {
        self.0.fetch_add(by, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }
}

/// Midnight UTC of the day containing `t`: AWS reports access dates at day granularity.
pub fn day_of(t: Millis) -> Millis {
    t.div_euclid(DAY_MS) * DAY_MS
}

/// Where new identifiers come from: ARN suffixes and version ids.
pub trait IdSource: Send + Sync {
    /// Six characters appended to a secret's name in its ARN.
    fn arn_suffix(&self) -> String;
    /// A fresh version id when the caller did not supply a token.
    fn version_id(&self) -> String;
}

pub struct RandomIds;

impl IdSource for RandomIds {
    fn arn_suffix(&self) -> String {
        use rand::Rng;
        let mut rng = rand::rng();
        (0..6)
            .map(|_| rng.sample(rand::distr::Alphanumeric) as char)
            .collect()
    }

    fn version_id(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
}
