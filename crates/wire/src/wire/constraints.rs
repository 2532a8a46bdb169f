//! Model-constraint violations, reported as AWS's front end reports them:
//! `N validation error(s) detected: Value '<v>' at '<member>' failed to satisfy constraint: ...`.

use crate::error::{Error, Result};
use std::fmt::{self, Display};
use std::sync::OnceLock;

/// Where a value sits in the request: `base` (a path such as `tags.1.member`, or empty) and
/// a member name (or empty for a list element itself).
#[derive(Clone, Copy)]
pub struct At<'a> {
    base: &'a str,
    name: &'a str,
}

impl<'a> At<'a> {
    pub fn new(base: &'a str, name: &'a str) -> Self {
        At { base, name }
    }
}

impl Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.base.is_empty(), self.name.is_empty()) {
            (true, _) => f.write_str(self.name),
            (false, true) => f.write_str(self.base),
            (false, false) => write!(f, "{}.{}", self.base, self.name),
        }
    }
}

/// A model pattern, compiled on first use. AWS matches the whole value (Java's `matches`).
pub struct Pattern {
    anchored: &'static str,
    shown: &'static str,
    re: OnceLock<Option<Compiled>>,
}

/// `regex` where it takes the pattern (linear time); the few model patterns with look-around
/// go to `fancy_regex`, whose backtracking is bounded by the members' length limits.
enum Compiled {
    Plain(regex::Regex),
    LookAround(Box<fancy_regex::Regex>),
}

impl Pattern {
    pub const fn new(anchored: &'static str, shown: &'static str) -> Self {
        Pattern {
            anchored,
            shown,
            re: OnceLock::new(),
        }
    }

    pub fn matches(&self, value: &str) -> bool {
        // The generator compiled every pattern it emits; one that failed here is not enforced.
        let compiled = self.re.get_or_init(|| {
            if let Ok(re) = regex::Regex::new(self.anchored) {
                return Some(Compiled::Plain(re));
            }
            let re = fancy_regex::Regex::new(self.anchored).ok()?;
            Some(Compiled::LookAround(Box::new(re)))
        });
        match compiled {
            Some(Compiled::Plain(re)) => re.is_match(value),
            // A pattern too costly to decide on this value refuses it.
            Some(Compiled::LookAround(re)) => re.is_match(value).unwrap_or(false),
            None => true,
        }
    }
}

/// The violations found in one request, in the order the members were checked.
#[derive(Default)]
pub struct Violations {
    items: Vec<String>,
}

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn push(&mut self, at: At<'_>, shown: Option<&dyn Display>, rule: &str) {
        self.items.push(match shown {
            Some(v) => format!("Value '{v}' at '{at}' failed to satisfy constraint: {rule}"),
            None => format!("Value at '{at}' failed to satisfy constraint: {rule}"),
        });
    }

    /// A required member that was absent (or JSON null).
    pub fn missing(&mut self, at: At<'_>) {
        self.items.push(format!(
            "Value null at '{at}' failed to satisfy constraint: Member must not be null"
        ));
    }

    /// A length bound (characters of a string, bytes of a blob); `shown` is None for
    /// sensitive values, which are never echoed.
    pub fn length(
        &mut self,
        at: At<'_>,
        shown: Option<&dyn Display>,
        n: usize,
        min: Option<i64>,
        max: Option<i64>,
    ) {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        self.bounded(at, shown, n, min, max, "length");
    }

    /// The number of items of a list or entries of a map.
    pub fn size(&mut self, at: At<'_>, n: usize, min: Option<i64>, max: Option<i64>) {
        self.length(at, None, n, min, max);
    }

    /// A numeric bound (the model's `min` and `max` on integers, longs and doubles).
    pub fn range<T: PartialOrd + Display + Copy>(
        &mut self,
        at: At<'_>,
        value: T,
        min: Option<T>,
        max: Option<T>,
    ) {
        self.bounded(at, Some(&value), value, min, max, "value");
    }

    pub fn one_of(&mut self, at: At<'_>, value: &str, allowed: &[&str]) {
        if !allowed.contains(&value) {
            let rule = format!(
                "Member must satisfy enum value set: [{}]",
                allowed.join(", ")
            );
            self.push(at, Some(&value), &rule);
        }
    }

    /// [`Violations::one_of`] for the enums AWS reads without case.
    pub fn one_of_ignoring_case(&mut self, at: At<'_>, value: &str, allowed: &[&str]) {
        if !allowed.iter().any(|a| a.eq_ignore_ascii_case(value)) {
            self.one_of(at, value, allowed);
        }
    }

    pub fn pattern(&mut self, at: At<'_>, shown: Option<&dyn Display>, value: &str, p: &Pattern) {
        if !p.matches(value) {
            self.mismatch(at, shown, p.shown);
        }
    }

    /// A value refused as not matching `pattern` (also for checks stricter than a model's
    /// pattern, which report the pattern all the same).
    pub fn mismatch(&mut self, at: At<'_>, shown: Option<&dyn Display>, pattern: &str) {
        let rule = format!("Member must satisfy regular expression pattern: {pattern}");
        self.push(at, shown, &rule);
    }

    /// `n` outside `min..=max`: its `what` ("length" or "value") is too small or too large.
    fn bounded<T: PartialOrd + Display>(
        &mut self,
        at: At<'_>,
        shown: Option<&dyn Display>,
        n: T,
        min: Option<T>,
        max: Option<T>,
        what: &str,
    ) {
        if let Some(min) = min.filter(|m| n < *m) {
            let rule = format!("Member must have {what} greater than or equal to {min}");
            self.push(at, shown, &rule);
        } else if let Some(max) = max.filter(|m| n > *m) {
            let rule = format!("Member must have {what} less than or equal to {max}");
            self.push(at, shown, &rule);
        }
    }

    pub fn finish(self) -> Result<()> {
        match self.items.as_slice() {
            [] => Ok(()),
            [one] => Err(Error::validation(format!(
                "1 validation error detected: {one}"
            ))),
            all => Err(Error::validation(format!(
                "{} validation errors detected: {}",
                all.len(),
                all.join("; ")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_violation() {
        let mut v = Violations::new();
        v.length(At::new("", "name"), Some(&"abc"), 3, Some(1), Some(2));
        assert_eq!(
            v.finish().unwrap_err().message,
            "1 validation error detected: Value 'abc' at 'name' failed to satisfy constraint: \
             Member must have length less than or equal to 2"
        );
    }

    #[test]
    fn several_violations_in_order_and_sensitive_values_hidden() {
        let mut v = Violations::new();
        v.length(At::new("", "secretString"), None, 0, Some(1), Some(10));
        v.range(At::new("", "maxResults"), 0, Some(1), Some(100));
        v.one_of(At::new("filters.1.member", "key"), "up", &["asc", "desc"]);
        let msg = v.finish().unwrap_err().message;
        assert!(msg.starts_with("3 validation errors detected: Value at 'secretString'"));
        assert!(msg.contains("; Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"));
        assert!(msg.contains(
            "Value 'up' at 'filters.1.member.key' failed to satisfy constraint: Member must satisfy enum value set: [asc, desc]"
        ));
    }

    #[test]
    fn patterns_match_the_whole_value() {
        static P: Pattern = Pattern::new("^(?:[0-9]+h)$", "[0-9]+h");
        assert!(P.matches("4h"));
        assert!(!P.matches("x4h"));
        let mut v = Violations::new();
        v.pattern(At::new("rotationRules", "duration"), Some(&"4d"), "4d", &P);
        assert!(v
            .finish()
            .unwrap_err()
            .message
            .ends_with("pattern: [0-9]+h"));
    }
}
