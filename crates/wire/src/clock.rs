//! Injected side effects: the clock and the source of identifiers.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch; all LocalEmu timestamps use this unit.
pub type Millis = i64;

pub const DAY_MS: Millis = 86_400_000;

pub trait Clock: Send + Sync {
    fn now(&self) -> Millis;
    /// Moves the clock forward, so that schedules and recovery windows can be crossed in
    /// seconds (the `/_awsemu/clock` endpoint and `awsemu clock advance`).
    fn advance(&self, by: Millis);

    /// Moves the clock forward by `by`, refusing a move backwards or past [`MAX_TIME`].
    fn try_advance(&self, by: Millis) -> Result<(), String> {
        let now = self.now();
        match now.checked_add(by) {
            Some(t) if by >= 0 && t <= MAX_TIME => {
                self.advance(by);
                Ok(())
            }
            _ => Err(format!(
                "The clock can move forward by at most {} seconds from now (to the end of \
                 year 9999, the last date AWS's wire formats carry).",
                (MAX_TIME - now).max(0) / 1000
            )),
        }
    }
}

/// The end of year 9999 UTC: the latest instant the clock may show.
pub const MAX_TIME: Millis = 253_402_300_799_999;

/// Wall-clock time plus an offset that only grows.
#[derive(Default)]
pub struct SystemClock {
    offset: AtomicI64,
}

impl Clock for SystemClock {
    fn now(&self) -> Millis {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as Millis);
        wall + self.offset.load(Ordering::SeqCst)
    }

    fn advance(&self, by: Millis) {
        self.offset.fetch_add(by.max(0), Ordering::SeqCst);
    }
}

/// A clock that only moves when told to, so tests can cross recovery windows instantly.
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start: Millis) -> Self {
        ManualClock(AtomicI64::new(start))
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }

    fn advance(&self, by: Millis) {
        self.0.fetch_add(by, Ordering::SeqCst);
    }
}

/// Parses a span such as `30d`, `12h`, `90m`, `45s` or a plain number of seconds.
pub fn parse_span(text: &str) -> Option<Millis> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&text[..i], c),
        _ => (text, 's'),
    };
    let n: i64 = number.parse().ok().filter(|n| *n >= 0)?;
    let unit_ms = match unit {
        'd' => DAY_MS,
        'h' => 3_600_000,
        'm' => 60_000,
        's' => 1_000,
        _ => return None,
    };
    n.checked_mul(unit_ms)
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

/// Identifiers from a counter, so that answers can be compared byte for byte: suffixes
/// `AAAAA1`, `AAAAA2`, ... and version ids `00000000-0000-4000-8000-000000000001`, ...
#[derive(Default)]
pub struct SequentialIds(AtomicI64);

impl SequentialIds {
    fn next(&self) -> i64 {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }
}

impl IdSource for SequentialIds {
    fn arn_suffix(&self) -> String {
        format!("{:A>6}", self.next() % 1_000_000)
    }

    fn version_id(&self) -> String {
        format!("00000000-0000-4000-8000-{:012}", self.next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans() {
        assert_eq!(parse_span("30d"), Some(30 * DAY_MS));
        assert_eq!(parse_span("2h"), Some(7_200_000));
        assert_eq!(parse_span("90m"), Some(5_400_000));
        assert_eq!(parse_span("45"), Some(45_000));
        assert_eq!(parse_span("-1d"), None);
        assert_eq!(parse_span("3w"), None);
        assert_eq!(parse_span(""), None);
    }

    #[test]
    fn sequential_ids() {
        let ids = SequentialIds::default();
        assert_eq!(ids.arn_suffix(), "AAAAA1");
        assert_eq!(ids.version_id(), "00000000-0000-4000-8000-000000000002");
    }
}
