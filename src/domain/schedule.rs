//! Rotation schedules: AutomaticallyAfterDays, `rate(...)` and AWS `cron(...)` expressions,
//! and the rotation windows they produce.

use crate::clock::{day_of, Millis, DAY_MS};

pub const HOUR_MS: Millis = 3_600_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    Days(i64),
    Hours(i64),
    Cron(Cron),
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
        return Cron::parse(body).map(Schedule::Cron);
    }
    Err(format!(
        "Invalid ScheduleExpression: {e}. Use rate(...) or cron(...)."
    ))
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
            Schedule::Cron(c) => {
                let start = c.next_after(after).unwrap_or(after + 365 * DAY_MS);
                let default = if c.hourly() {
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

/// An AWS cron expression: minutes hours day-of-month month day-of-week year, in UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minute: u32,
    hours: Vec<bool>,
    days: Option<Vec<bool>>,
    months: Vec<bool>,
    weekdays: Option<Vec<bool>>,
    hour_field: String,
}

pub const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
pub const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// Expands one cron field (`*`, `5`, `1-5`, `1,3`, `*/15`, `10/5`, names) into a membership
/// table over `min..=max`; EventBridge's schedules read their fields with it too.
pub fn field(text: &str, min: u32, max: u32, names: &[&str]) -> Result<Vec<bool>, String> {
    let value = |s: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            return Ok(i as u32 + min);
        }
        s.parse::<u32>()
            .ok()
            .filter(|v| (min..=max).contains(v))
            .ok_or_else(|| format!("Invalid cron field value: {s}"))
    };
    let mut set = vec![false; max as usize + 1];
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("Invalid cron step: {part}"))?,
            ),
            None => (part, 1),
        };
        let (lo, hi) = match range {
            "*" => (min, max),
            r => match r.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                None if part.contains('/') => (value(r)?, max),
                None => (value(r)?, value(r)?),
            },
        };
        if lo > hi {
            return Err(format!("Invalid cron range: {part}"));
        }
        for v in (lo..=hi).step_by(step as usize) {
            set[v as usize] = true;
        }
    }
    Ok(set)
}

impl Cron {
    pub fn parse(body: &str) -> Result<Cron, String> {
        let f: Vec<&str> = body.split_whitespace().collect();
        let [minute, hours, dom, month, dow, year] = f.as_slice() else {
            return Err(format!("A cron expression needs six fields: cron({body})"));
        };
        let minute: u32 = minute.parse().ok().filter(|m| *m < 60).ok_or_else(|| {
            "The minutes field of a rotation cron expression must be a single value.".to_string()
        })?;
        if *year != "*" {
            return Err("The year field of a rotation cron expression must be *.".into());
        }
        let (days, weekdays) = match (*dom, *dow) {
            ("?", "?") | (_, "*") if *dom != "?" && *dow != "?" => {
                return Err(
                    "Use ? in exactly one of the day-of-month and day-of-week fields.".into(),
                )
            }
            ("?", "?") => {
                return Err(
                    "Use ? in exactly one of the day-of-month and day-of-week fields.".into(),
                )
            }
            ("?", d) => (None, Some(field(d, 1, 7, &WEEKDAYS)?)),
            (d, "?") => (Some(field(d, 1, 31, &[])?), None),
            _ => {
                return Err(
                    "Use ? in exactly one of the day-of-month and day-of-week fields.".into(),
                )
            }
        };
        Ok(Cron {
            minute,
            hours: field(hours, 0, 23, &[])?,
            days,
            months: field(month, 1, 12, &MONTHS)?,
            weekdays,
            hour_field: hours.to_string(),
        })
    }

    fn hourly(&self) -> bool {
        self.hours.iter().filter(|h| **h).count() > 1 || self.hour_field.contains('*')
    }

    fn matches_day(&self, t: time::OffsetDateTime) -> bool {
        let month_ok = self.months[t.month() as usize];
        let day_ok = match (&self.days, &self.weekdays) {
            (Some(days), _) => days[t.day() as usize],
            (None, Some(w)) => w[t.weekday().number_from_sunday() as usize],
            (None, None) => true,
        };
        month_ok && day_ok
    }

    /// The first matching time strictly after `after`, within five years.
    pub fn next_after(&self, after: Millis) -> Option<Millis> {
        let mut hour = after.div_euclid(HOUR_MS) * HOUR_MS;
        for _ in 0..(5 * 366 * 24) {
            let candidate = hour + Millis::from(self.minute) * 60_000;
            let t = time::OffsetDateTime::from_unix_timestamp(candidate / 1000).ok()?;
            if candidate > after && self.hours[t.hour() as usize] && self.matches_day(t) {
                return Some(candidate);
            }
            hour += HOUR_MS;
        }
        None
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
