//! Rotation schedules: AutomaticallyAfterDays, `rate(...)` and AWS `cron(...)` expressions,
//! and the rotation windows they produce.

use crate::clock::{day_of, Millis, DAY_MS};
use crate::domain::cron::{fields, Cron, ONE_QUESTION_MARK};

pub const HOUR_MS: Millis = 3_600_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    Days(i64),
    Hours(i64),
    /// `hourly`: the rule names several hours, or every hour, so a window lasts an hour.
    Cron {
        cron: Cron,
        hourly: bool,
    },
}

/// A parsed rotation rule set: when rotations are due and how long each window lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub schedule: Schedule,
    pub duration: Option<Millis>,
}

/// A rotation window: rotation is due from `start` and should happen by `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: Millis,
    pub end: Millis,
}

/// Parses the RotationRules members; the error text explains what is wrong.
pub fn plan(
    days: Option<i64>,
    expression: Option<&str>,
    duration: Option<&str>,
) -> Result<Option<Plan>, String> {
    let duration = duration.map(parse_duration).transpose()?;
    let schedule = match (days, expression) {
        (Some(_), Some(_)) => {
            return Err("You can't specify both AutomaticallyAfterDays and ScheduleExpression in RotationRules.".into())
        }
        (Some(d), None) => Schedule::Days(d),
        (None, Some(e)) => parse_expression(e)?,
        (None, None) if duration.is_some() => {
            return Err("RotationRules must include AutomaticallyAfterDays or ScheduleExpression.".into())
        }
        (None, None) => return Ok(None),
    };
    if let (Some(d), Schedule::Hours(h)) = (duration, &schedule) {
        if d > h * HOUR_MS {
            return Err("The rotation window can't extend into the next rotation window.".into());
        }
    }
    Ok(Some(Plan { schedule, duration }))
}

fn parse_duration(d: &str) -> Result<Millis, String> {
    let hours: i64 = d
        .strip_suffix('h')
        .and_then(|n| n.parse().ok())
        .filter(|n| (1..=24).contains(n))
        .ok_or_else(|| {
            format!("Invalid rotation window duration: {d}. Use a number of hours such as 3h.")
        })?;
    Ok(hours * HOUR_MS)
}

fn parse_expression(e: &str) -> Result<Schedule, String> {
    let e = e.trim();
    if let Some(body) = e.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        let mut parts = body.split_whitespace();
        let n: i64 = parts
            .next()
            .and_then(|n| n.parse().ok())
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("Invalid rate expression: {e}"))?;
        return match (parts.next(), parts.next()) {
            (Some("day" | "days"), None) if n <= 1000 => Ok(Schedule::Days(n)),
            (Some("hour" | "hours"), None) if (4..=24_000).contains(&n) => Ok(Schedule::Hours(n)),
            (Some("hour" | "hours"), None) => {
                Err("Rotation can't be scheduled more often than every four hours.".into())
            }
            _ => Err(format!("Invalid rate expression: {e}")),
        };
    }
    if let Some(body) = e.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
        return rotation_cron(body);
    }
    Err(format!(
        "Invalid ScheduleExpression: {e}. Use rate(...) or cron(...)."
    ))
}

/// Rotation takes a cron expression with one minute, every year, and exactly one `?`.
fn rotation_cron(body: &str) -> Result<Schedule, String> {
    let [minute, hours, days, _, weekdays, year] =
        fields(body).ok_or_else(|| format!("A cron expression needs six fields: cron({body})"))?;
    if !minute.parse::<u32>().is_ok_and(|m| m < 60) {
        return Err(
            "The minutes field of a rotation cron expression must be a single value.".into(),
        );
    }
    if year != "*" {
        return Err("The year field of a rotation cron expression must be *.".into());
    }
    if (days == "?") == (weekdays == "?") {
        return Err(ONE_QUESTION_MARK.into());
    }
    let cron = Cron::parse(body)?;
    let hourly = cron.several_hours() || hours.contains('*');
    Ok(Schedule::Cron { cron, hourly })
}

impl Plan {
    /// The first window after a rotation (or configuration) at `after`.
    pub fn next_window(&self, after: Millis) -> Window {
        match &self.schedule {
            Schedule::Days(n) => {
                let start = day_of(after) + n * DAY_MS;
                self.window(start, DAY_MS)
            }
            Schedule::Hours(n) => self.window(after + n * HOUR_MS, HOUR_MS),
            Schedule::Cron { cron, hourly } => {
                let start = cron.next_after(after).unwrap_or(after + 365 * DAY_MS);
                let default = if *hourly {
                    HOUR_MS
                } else {
                    day_of(start) + DAY_MS - start
                };
                self.window(start, default)
            }
        }
    }

    fn window(&self, start: Millis, default: Millis) -> Window {
        let length = self.duration.unwrap_or(default);
        Window {
            start,
            end: start + length - 1000,
        }
    }

    /// AutomaticallyAfterDays as DescribeSecret reports it, where the schedule has one.
    pub fn days(&self) -> Option<i64> {
        match self.schedule {
            Schedule::Days(n) => Some(n),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-15T12:00:00Z, a Thursday.
    const T: Millis = 1_768_478_400_000;

    #[test]
    fn days_give_a_whole_utc_day_window() {
        let p = plan(Some(30), None, None).unwrap().unwrap();
        let w = p.next_window(T);
        assert_eq!(w.start, day_of(T) + 30 * DAY_MS);
        assert_eq!(w.end, day_of(T) + 31 * DAY_MS - 1000);
        assert_eq!(p.days(), Some(30));
    }

    #[test]
    fn rates() {
        let p = plan(None, Some("rate(10 days)"), Some("3h"))
            .unwrap()
            .unwrap();
        let w = p.next_window(T);
        assert_eq!(w.start, day_of(T) + 10 * DAY_MS);
        assert_eq!(w.end - w.start, 3 * HOUR_MS - 1000);
        let h = plan(None, Some("rate(6 hours)"), None).unwrap().unwrap();
        assert_eq!(h.next_window(T).start, T + 6 * HOUR_MS);
        assert!(plan(None, Some("rate(1 hours)"), None).is_err());
        assert!(plan(None, Some("rate(6 hours)"), Some("7h")).is_err());
        assert!(plan(None, Some("rate(x days)"), None).is_err());
    }

    #[test]
    fn crons() {
        // 16:00 on the 1st and 15th of every month.
        let p = plan(None, Some("cron(0 16 1,15 * ? *)"), Some("2h"))
            .unwrap()
            .unwrap();
        let w = p.next_window(T);
        assert_eq!(w.start, T + 4 * HOUR_MS, "the 15th at 16:00 is still ahead");
        let after = p.next_window(w.start);
        assert_eq!(
            after.start,
            day_of(T) + 17 * DAY_MS + 16 * HOUR_MS,
            "then February 1st"
        );
        // Every Monday at 08:00 (MON = 2).
        let mon = Cron::parse("0 8 ? * MON *").unwrap();
        let next = mon.next_after(T).unwrap();
        assert_eq!(next, day_of(T) + 4 * DAY_MS + 8 * HOUR_MS);
        let every_4h = Cron::parse("0 */4 * * ? *").unwrap();
        assert_eq!(every_4h.next_after(T), Some(T + 4 * HOUR_MS));
    }

    #[test]
    fn bad_rules() {
        assert!(plan(Some(1), Some("rate(1 days)"), None).is_err());
        assert!(plan(None, None, Some("2h")).is_err());
        assert!(plan(None, Some("cron(0 16 1 * * *)"), None).is_err());
        assert!(plan(None, Some("cron(0 16 ? * ? *)"), None).is_err());
        assert!(plan(None, Some("cron(0 16 1 * ? 2027)"), None).is_err());
        assert!(plan(None, Some("cron(0 25 1 * ? *)"), None).is_err());
        assert!(plan(None, Some("every day"), None).is_err());
        assert!(plan(Some(5), None, Some("xh")).is_err());
        assert_eq!(plan(None, None, None), Ok(None));
    }
}
