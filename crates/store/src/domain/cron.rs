//! AWS cron expressions (`minutes hours day-of-month month day-of-week year`, in UTC): the one
//! parser and next-time search Secrets Manager's rotation rules and EventBridge's schedule
//! rules share. Each service adds its own limits and messages on top.

use crate::clock::{Millis, DAY_MS};

const MINUTE_MS: Millis = 60_000;

pub const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
pub const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// A parsed cron expression: each field as a membership table over its range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    /// None: `?`.
    days: Option<Vec<bool>>,
    months: Vec<bool>,
    /// Sunday is 1, as in AWS's syntax; None: `?`.
    weekdays: Option<Vec<bool>>,
    /// None: every year.
    years: Option<Vec<i32>>,
}

/// The six fields of `body`, or None if it does not have six.
pub fn fields(body: &str) -> Option<[&str; 6]> {
    let f: Vec<&str> = body.split_whitespace().collect();
    f.try_into().ok()
}

/// Expands one cron field (`*`, `5`, `1-5`, `1,3`, `*/15`, `10/5`, names) into a membership
/// table over `min..=max`.
fn field(text: &str, min: u32, max: u32, names: &[&str]) -> Result<Vec<bool>, String> {
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

/// Exactly one of day-of-month and day-of-week must be `?`.
pub const ONE_QUESTION_MARK: &str =
    "Use ? in exactly one of the day-of-month and day-of-week fields.";

impl Cron {
    /// Parses the text inside `cron(...)`.
    pub fn parse(body: &str) -> Result<Cron, String> {
        let [minutes, hours, days, months, weekdays, years] = fields(body)
            .ok_or_else(|| format!("A cron expression needs six fields: cron({body})"))?;
        if (days == "?") == (weekdays == "?") {
            return Err(ONE_QUESTION_MARK.into());
        }
        let years = if years == "*" {
            None
        } else {
            let set = field(years, 1970, 2199, &[])?;
            Some((1970..=2199_i32).filter(|y| set[*y as usize]).collect())
        };
        Ok(Cron {
            minutes: field(minutes, 0, 59, &[])?,
            hours: field(hours, 0, 23, &[])?,
            days: (days != "?").then(|| field(days, 1, 31, &[])).transpose()?,
            months: field(months, 1, 12, &MONTHS)?,
            weekdays: (weekdays != "?")
                .then(|| field(weekdays, 1, 7, &WEEKDAYS))
                .transpose()?,
            years,
        })
    }

    /// Whether it fires in more than one hour of a day.
    pub fn several_hours(&self) -> bool {
        self.hours.iter().filter(|h| **h).count() > 1
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
        let first_day = after.div_euclid(DAY_MS) * DAY_MS;
        for d in 0..(5 * 366) {
            let day = first_day + d * DAY_MS;
            let t = time::OffsetDateTime::from_unix_timestamp(day / 1000).ok()?;
            if !self.day_matches(t) {
                continue;
            }
            for h in (0..24).filter(|h| self.hours[*h]) {
                for m in (0..60).filter(|m| self.minutes[*m]) {
                    let at = day + h as Millis * 60 * MINUTE_MS + m as Millis * MINUTE_MS;
                    if at > after {
                        return Some(at);
                    }
                }
            }
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
    fn fields_and_next_times() {
        let mon = Cron::parse("0 8 ? * MON *").unwrap();
        assert_eq!(mon.next_after(T), Some(T - 4 * 3_600_000 + 4 * DAY_MS));
        let quarter = Cron::parse("0/15 * * * ? *").unwrap();
        assert_eq!(quarter.next_after(T), Some(T + 15 * MINUTE_MS));
        let once = Cron::parse("0 0 1 JAN ? 2027").unwrap();
        assert_eq!(once.next_after(T), Some(1_798_761_600_000));
        assert!(Cron::parse("0 */4 * * ? *").unwrap().several_hours());
        assert!(!mon.several_hours());
    }

    #[test]
    fn malformed() {
        for bad in [
            "0 12 * * * *",
            "0 12 ? * ? *",
            "0 25 * * ? *",
            "60 1 * * ? *",
            "0 1 * * ?",
            "0 1 5-2 * ? *",
            "0/0 1 * * ? *",
        ] {
            assert!(Cron::parse(bad).is_err(), "{bad}");
        }
    }
}
