//! AWS cron expressions (`minutes hours day-of-month month day-of-week year`, in UTC): the one
//! parser and next-time search Secrets Manager's rotation rules and EventBridge's schedule
//! rules share. Each service adds its own limits and messages on top.

use crate::clock::{Millis, DAY_MS};

const MINUTE_MS: Millis = 60_000;

pub const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
pub const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// A day a calendar rule names rather than a number: `L`, `LW` and `nW` of the day of the
/// month, `nL` and `n#k` of the day of the week (Sunday is 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Special {
    LastDay,
    LastWeekday,
    NearestWeekday(u32),
    LastOfWeekday(u32),
    NthWeekday(u32, u32),
}

/// A day field: the days it names by number, and those it names by rule.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Days {
    set: Vec<bool>,
    specials: Vec<Special>,
}

/// A parsed cron expression: each field as a membership table over its range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    /// None: `?`.
    days: Option<Days>,
    months: Vec<bool>,
    /// Sunday is 1, as in AWS's syntax; None: `?`.
    weekdays: Option<Days>,
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

/// A day-of-month field with `L` (the last day), `LW` (the last weekday) and `nW` (the
/// weekday nearest day n) among its parts.
fn days_field(text: &str) -> Result<Days, String> {
    let mut specials = Vec::new();
    let mut plain = Vec::new();
    for part in text.split(',') {
        match part {
            "L" => specials.push(Special::LastDay),
            "LW" => specials.push(Special::LastWeekday),
            p if p.len() > 1 && p.ends_with('W') => {
                let n = p[..p.len() - 1]
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=31).contains(n))
                    .ok_or_else(|| format!("Invalid cron field value: {p}"))?;
                specials.push(Special::NearestWeekday(n));
            }
            p => plain.push(p),
        }
    }
    let set = if plain.is_empty() {
        vec![false; 32]
    } else {
        field(&plain.join(","), 1, 31, &[])?
    };
    Ok(Days { set, specials })
}

/// A day-of-week field with `L` (Saturday), `nL` (the last such day of the month) and `n#k`
/// (the k-th such day) among its parts.
fn weekdays_field(text: &str) -> Result<Days, String> {
    let day = |s: &str| -> Result<u32, String> {
        WEEKDAYS
            .iter()
            .position(|n| n.eq_ignore_ascii_case(s))
            .map(|i| i as u32 + 1)
            .or_else(|| s.parse::<u32>().ok().filter(|v| (1..=7).contains(v)))
            .ok_or_else(|| format!("Invalid cron field value: {s}"))
    };
    let mut specials = Vec::new();
    let mut plain = Vec::new();
    for part in text.split(',') {
        if part == "L" {
            plain.push("7");
        } else if let Some(n) = part.strip_suffix('L') {
            specials.push(Special::LastOfWeekday(day(n)?));
        } else if let Some((n, k)) = part.split_once('#') {
            let k = k
                .parse::<u32>()
                .ok()
                .filter(|k| (1..=5).contains(k))
                .ok_or_else(|| format!("Invalid cron field value: {part}"))?;
            specials.push(Special::NthWeekday(day(n)?, k));
        } else {
            plain.push(part);
        }
    }
    let set = if plain.is_empty() {
        vec![false; 8]
    } else {
        field(&plain.join(","), 1, 7, &WEEKDAYS)?
    };
    Ok(Days { set, specials })
}

fn days_in_month(t: time::OffsetDateTime) -> u8 {
    t.month().length(t.year())
}

fn is_weekday(t: time::OffsetDateTime) -> bool {
    !matches!(t.weekday(), time::Weekday::Saturday | time::Weekday::Sunday)
}

impl Special {
    fn holds(self, t: time::OffsetDateTime) -> bool {
        let day = u32::from(t.day());
        let last = u32::from(days_in_month(t));
        let weekday = u32::from(t.weekday().number_from_sunday());
        match self {
            Special::LastDay => day == last,
            Special::LastWeekday => {
                is_weekday(t)
                    && (day + 1..=last)
                        .all(|d| t.replace_day(d as u8).is_ok_and(|later| !is_weekday(later)))
            }
            Special::NearestWeekday(n) => {
                // The weekday nearest day n, never leaving the month.
                let Ok(target) = t.replace_day(n.min(last) as u8) else {
                    return false;
                };
                let n = n.min(last);
                let nearest = match target.weekday() {
                    time::Weekday::Saturday if n == 1 => n + 2,
                    time::Weekday::Saturday => n - 1,
                    time::Weekday::Sunday if n == last => n - 2,
                    time::Weekday::Sunday => n + 1,
                    _ => n,
                };
                day == nearest
            }
            Special::LastOfWeekday(w) => weekday == w && day + 7 > last,
            Special::NthWeekday(w, k) => weekday == w && (day - 1) / 7 + 1 == k,
        }
    }
}

impl Days {
    fn holds(&self, t: time::OffsetDateTime, number: usize) -> bool {
        self.set[number] || self.specials.iter().any(|s| s.holds(t))
    }
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
            days: (days != "?").then(|| days_field(days)).transpose()?,
            months: field(months, 1, 12, &MONTHS)?,
            weekdays: (weekdays != "?")
                .then(|| weekdays_field(weekdays))
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
            (Some(d), _) => d.holds(t, t.day() as usize),
            (None, Some(w)) => w.holds(t, t.weekday().number_from_sunday() as usize),
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
    fn last_nearest_and_nth_days() {
        let at = |y: i32, m: u8, d: u8, h: u8| {
            time::OffsetDateTime::new_utc(
                time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap(),
                time::Time::from_hms(h, 0, 0).unwrap(),
            )
            .unix_timestamp()
                * 1000
        };
        // From 2026-01-15: January 2026 ends on Saturday the 31st.
        let cases = [
            ("0 9 L * ? *", at(2026, 1, 31, 9)),
            ("0 9 LW * ? *", at(2026, 1, 30, 9)),
            // The 17th is a Saturday: its nearest weekday is Friday the 16th.
            ("0 9 17W * ? *", at(2026, 1, 16, 9)),
            // 1 February 2026 is a Sunday: the nearest weekday in the month is Monday the 2nd.
            ("0 9 1W * ? *", at(2026, 2, 2, 9)),
            // The last Friday of January 2026 is the 30th; the second Tuesday of February the 10th.
            ("0 9 ? * 6L *", at(2026, 1, 30, 9)),
            ("0 9 ? * 3#2 *", at(2026, 2, 10, 9)),
            ("0 9 ? * L *", at(2026, 1, 17, 9)),
        ];
        for (expr, want) in cases {
            assert_eq!(
                Cron::parse(expr).unwrap().next_after(T),
                Some(want),
                "{expr}"
            );
        }
        for bad in ["0 9 32W * ? *", "0 9 ? * 3#6 *", "0 9 ? * 8L *"] {
            assert!(Cron::parse(bad).is_err(), "{bad}");
        }
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
