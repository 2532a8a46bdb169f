//! Schedule rules: `rate(...)` and `cron(...)` expressions as EventBridge takes them, and the
//! "Scheduled Event" each due rule sends its targets, on the emulator's clock.

use super::Events;
use crate::clock::Millis;
use crate::domain::cron::Cron;
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

fn invalid() -> String {
    "Parameter ScheduleExpression is not valid.".into()
}

/// Parses a ScheduleExpression; the error is AWS's message.
pub fn parse(expr: &str) -> Result<Every, String> {
    if let Some(body) = expr.strip_prefix("rate(").and_then(|b| b.strip_suffix(')')) {
        // Exactly `<n> <unit>`: AWS refuses `rate( 10 minutes )`.
        let (n, unit) = body.split_once(' ').ok_or_else(invalid)?;
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
        return cron(body).map(|c| Every::Cron(Box::new(c)));
    }
    Err(invalid())
}

/// EventBridge's cron: AWS's grammar (`L`, `W` and `#` included), every refusal in
/// EventBridge's words.
fn cron(body: &str) -> Result<Cron, String> {
    Cron::parse(body).map_err(|_| invalid())
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
            "rate( 10 minutes )",
            "rate(10  minutes)",
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
        // The last day of the month, as AWS's cron writes it.
        let Every::Cron(c) = parse("cron(0 12 L * ? *)").unwrap() else {
            panic!()
        };
        assert_eq!(c.next_after(t), Some(t + 16 * DAY));
        let rate = Every::Rate(10 * MINUTE);
        assert_eq!(rate.next_after(t, t), Some(t + 10 * MINUTE));
        assert_eq!(rate.next_after(t, t + 25 * MINUTE), Some(t + 30 * MINUTE));
    }
}
