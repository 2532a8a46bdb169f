//! Schedule rules: `rate(...)` and `cron(...)` expressions as EventBridge takes them, and the
//! "Scheduled Event" each due rule sends its targets, on the emulator's clock.

use super::Events;
use crate::clock::Millis;
use crate::domain::schedule::{MONTHS, WEEKDAYS};
use serde_json::json;
use std::sync::Arc;

const MINUTE: Millis = 60_000;
const DAY: Millis = 86_400_000;

/// A parsed schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Every {
    /// A fixed period, counted from when the rule was first seen.
    Rate(Millis),
    Cron(Box<Cron>),
}

/// `cron(minutes hours day-of-month month day-of-week year)`, in UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    /// None: `?`.
    days: Option<Vec<bool>>,
    months: Vec<bool>,
    /// Sunday is 1, as in EventBridge's syntax; None: `?`.
    weekdays: Option<Vec<bool>>,
    /// None: every year.
    years: Option<Vec<i32>>,
}

fn invalid() -> String {
    "Parameter ScheduleExpression is not valid.".into()
}

/// Parses a ScheduleExpression; the error is AWS's message.
pub fn parse(expr: &str) -> Result<Every, String> {
    if let Some(body) = expr.strip_prefix("rate(").and_then(|b| b.strip_suffix(')')) {
        let (n, unit) = body.trim().split_once(' ').ok_or_else(invalid)?;
        let n: i64 = n.parse().map_err(|_| invalid())?;
        let unit_ms = match (n, unit) {
            (1, "minute") | (2.., "minutes") => MINUTE,
            (1, "hour") | (2.., "hours") => 60 * MINUTE,
            (1, "day") | (2.., "days") => DAY,
            _ => return Err(invalid()),
        };
        return Ok(Every::Rate(n * unit_ms));
    }
    if let Some(body) = expr.strip_prefix("cron(").and_then(|b| b.strip_suffix(')')) {
        return Cron::parse(body).map(|c| Every::Cron(Box::new(c)));
    }
    Err(invalid())
}

/// One cron field, with AWS's message for a bad one.
fn field(text: &str, lo: u32, hi: u32, names: &[&str]) -> Result<Vec<bool>, String> {
    crate::domain::schedule::field(text, lo, hi, names).map_err(|_| invalid())
}

impl Cron {
    pub fn parse(body: &str) -> Result<Cron, String> {
        let f: Vec<&str> = body.split_whitespace().collect();
        let [minutes, hours, days, months, weekdays, years] = f.as_slice() else {
            return Err(invalid());
        };
        if (*days == "?") == (*weekdays == "?") {
            // Exactly one of day-of-month and day-of-week is `?`.
            return Err(invalid());
        }
        if [*days, *weekdays]
            .iter()
            .any(|d| d.contains('L') || d.contains('W') || d.contains('#'))
        {
            return Err("Parameter ScheduleExpression is not valid: LocalEmu does not take the L, W and # forms of cron fields.".into());
        }
        let years = if *years == "*" {
            None
        } else {
            let set = field(years, 1970, 2199, &[])?;
            Some((1970..=2199_i32).filter(|y| set[*y as usize]).collect())
        };
        Ok(Cron {
            minutes: field(minutes, 0, 59, &[])?,
            hours: field(hours, 0, 23, &[])?,
            days: (*days != "?")
                .then(|| field(days, 1, 31, &[]))
                .transpose()?,
            months: field(months, 1, 12, &MONTHS)?,
            weekdays: (*weekdays != "?")
                .then(|| field(weekdays, 1, 7, &WEEKDAYS))
                .transpose()?,
            years,
        })
    }

    fn day_matches(&self, t: time::OffsetDateTime) -> bool {
        let month = u8::from(t.month()) as usize;
        let year_ok = self.years.as_ref().is_none_or(|y| y.contains(&t.year()));
        let day_ok = match (&self.days, &self.weekdays) {
            (Some(d), _) => d[t.day() as usize],
            (None, Some(w)) => w[t.weekday().number_from_sunday() as usize],
            (None, None) => true,
        };
        year_ok && self.months[month] && day_ok
    }

    /// The first matching minute strictly after `after`, within five years.
    pub fn next_after(&self, after: Millis) -> Option<Millis> {
        let first_day = after.div_euclid(DAY) * DAY;
        for d in 0..(5 * 366) {
            let day = first_day + d * DAY;
            let t = time::OffsetDateTime::from_unix_timestamp(day / 1000).ok()?;
            if !self.day_matches(t) {
                continue;
            }
            for h in (0..24).filter(|h| self.hours[*h]) {
                for m in (0..60).filter(|m| self.minutes[*m]) {
                    let at = day + h as Millis * 60 * MINUTE + m as Millis * MINUTE;
                    if at > after {
                        return Some(at);
                    }
                }
            }
        }
        None
    }
}

impl Every {
    /// When a rule first seen at `since` fires next after `after`.
    pub fn next_after(&self, since: Millis, after: Millis) -> Option<Millis> {
        match self {
            Every::Rate(period) => {
                let elapsed = (after - since).max(0);
                Some(since + (elapsed / period + 1) * period)
            }
            Every::Cron(c) => c.next_after(after),
        }
    }
}

impl Events {
    /// Sends the Scheduled Event of every enabled schedule rule that is due on the emulator's
    /// clock (once, however far the clock moved: missed runs are not made up).
    pub fn fire_due(&self) {
        // Schedules fire on one node only when several share a database.
        if !self.store.leads() {
            return;
        }
        let now = self.now();
        let rules: Vec<(crate::domain::Namespace, super::model::Rule)> = self
            .read()
            .iter()
            .flat_map(|(ns, space)| {
                space
                    .rules
                    .values()
                    .filter(|r| r.schedule.is_some())
                    .map(move |r| (ns.clone(), r.clone()))
            })
            .collect();
        let mut due = Vec::new();
        {
            let mut next = self
                .schedules
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            next.retain(|arn, _| rules.iter().any(|(_, r)| r.arn == *arn));
            for (ns, rule) in rules {
                let Some(every) = rule.schedule.as_deref().and_then(|e| parse(e).ok()) else {
                    continue;
                };
                let entry = next
                    .entry(rule.arn.clone())
                    .or_insert_with(|| (now, every.next_after(now, now).unwrap_or(Millis::MAX)));
                if entry.1 <= now {
                    entry.1 = every.next_after(entry.0, now).unwrap_or(Millis::MAX);
                    if rule.state.starts_with("ENABLED") {
                        due.push((ns, rule));
                    }
                }
            }
        }
        for (ns, rule) in due {
            let event = json!({
                "version": "0",
                "id": self.new_id(),
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": ns.account,
                "time": super::delivery::rfc3339(now),
                "region": ns.region,
                "resources": [rule.arn],
                "detail": {},
            });
            self.to_targets(&ns, &rule, &event, 0);
        }
    }

    /// Looks for due schedule rules once a second until the server stops.
    pub fn spawn_scheduler(self: Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                tick.tick().await;
                self.fire_due();
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_crons() {
        assert_eq!(parse("rate(1 minute)"), Ok(Every::Rate(MINUTE)));
        assert_eq!(parse("rate(5 minutes)"), Ok(Every::Rate(5 * MINUTE)));
        assert_eq!(parse("rate(2 days)"), Ok(Every::Rate(2 * DAY)));
        for bad in [
            "rate(1 minutes)",
            "rate(5 minute)",
            "rate(0 hours)",
            "rate(x days)",
            "every day",
            "cron(0 12 * * * *)",
            "cron(0 12 ? * ? *)",
            "cron(0 25 * * ? *)",
            "cron(0 12 L * ? *)",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        // 2026-01-15T12:00:00Z is a Thursday.
        let t = 1_768_478_400_000;
        let Every::Cron(c) = parse("cron(0/15 * * * ? *)").unwrap() else {
            panic!()
        };
        assert_eq!(c.next_after(t), Some(t + 15 * MINUTE));
        let Every::Cron(c) = parse("cron(30 9 ? * MON-FRI *)").unwrap() else {
            panic!()
        };
        assert_eq!(
            c.next_after(t),
            Some(t + DAY - 150 * MINUTE),
            "Friday 09:30"
        );
        let Every::Cron(c) = parse("cron(0 0 1 JAN ? 2027)").unwrap() else {
            panic!()
        };
        assert_eq!(c.next_after(t), Some(1_798_761_600_000));
        let rate = Every::Rate(10 * MINUTE);
        assert_eq!(rate.next_after(t, t), Some(t + 10 * MINUTE));
        assert_eq!(rate.next_after(t, t + 25 * MINUTE), Some(t + 30 * MINUTE));
    }
}
