//! Input checks AWS makes before any lookup: model constraints and secret-name syntax.

use crate::error::{Error, Result};
use std::fmt::Display;

/// Collects model-constraint violations and reports them the way AWS's front end does:
/// `N validation error(s) detected: Value '<v>' at '<member>' failed to satisfy constraint: ...`.
#[derive(Default)]
pub struct Violations {
    items: Vec<String>,
}

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    fn push(&mut self, member: &str, shown: Option<&dyn Display>, rule: String) {
        let item = match shown {
            Some(v) => format!("Value '{v}' at '{member}' failed to satisfy constraint: {rule}"),
            None => format!("Value at '{member}' failed to satisfy constraint: {rule}"),
        };
        self.items.push(item);
    }

    /// A required member that was absent (or JSON null).
    pub fn missing(&mut self, member: &str) {
        self.items.push(format!(
            "Value null at '{member}' failed to satisfy constraint: Member must not be null"
        ));
    }

    /// A length bound on a string counted in characters.
    pub fn length(&mut self, member: &str, value: Option<&str>, min: usize, max: usize) {
        if let Some(v) = value {
            self.bounded(member, Some(&v), v.chars().count(), min, max, "length");
        }
    }

    /// A length bound on a sensitive value counted in bytes; the value is never echoed.
    pub fn sensitive_bytes(&mut self, member: &str, len: Option<usize>, min: usize, max: usize) {
        if let Some(n) = len {
            self.bounded(member, None, n, min, max, "length");
        }
    }

    pub fn list_len(&mut self, member: &str, len: Option<usize>, min: usize, max: usize) {
        if let Some(n) = len {
            self.bounded(member, None, n, min, max, "length");
        }
    }

    pub fn range(&mut self, member: &str, value: Option<i64>, min: i64, max: i64) {
        if let Some(v) = value {
            if v < min {
                let rule = format!("Member must have value greater than or equal to {min}");
                self.push(member, Some(&v), rule);
            } else if v > max {
                let rule = format!("Member must have value less than or equal to {max}");
                self.push(member, Some(&v), rule);
            }
        }
    }

    pub fn one_of(&mut self, member: &str, value: Option<&str>, allowed: &[&str]) {
        if let Some(v) = value.filter(|v| !allowed.contains(v)) {
            let rule = format!(
                "Member must satisfy enum value set: [{}]",
                allowed.join(", ")
            );
            self.push(member, Some(&v), rule);
        }
    }

    /// A pattern on a sensitive value: reported without the value.
    pub fn sensitive_pattern(&mut self, member: &str, pattern: &str, ok: bool) {
        if !ok {
            let rule = format!("Member must satisfy regular expression pattern: {pattern}");
            self.push(member, None, rule);
        }
    }

    pub fn pattern(&mut self, member: &str, value: &str, pattern: &str, ok: bool) {
        if !ok {
            let rule = format!("Member must satisfy regular expression pattern: {pattern}");
            self.push(member, Some(&value), rule);
        }
    }

    fn bounded(
        &mut self,
        member: &str,
        shown: Option<&dyn Display>,
        n: usize,
        min: usize,
        max: usize,
        what: &str,
    ) {
        if n < min {
            let rule = format!("Member must have {what} greater than or equal to {min}");
            self.push(member, shown, rule);
        } else if n > max {
            let rule = format!("Member must have {what} less than or equal to {max}");
            self.push(member, shown, rule);
        }
    }

    pub fn finish(self) -> Result<()> {
        match self.items.len() {
            0 => Ok(()),
            1 => Err(Error::validation(format!(
                "1 validation error detected: {}",
                self.items[0]
            ))),
            n => Err(Error::validation(format!(
                "{n} validation errors detected: {}",
                self.items.join("; ")
            ))),
        }
    }
}

pub const INVALID_NAME: &str = "Invalid name. Must be a valid name containing alphanumeric \
                                characters, or any of the following: -/_+=.@!";

/// Secret names: ASCII letters, digits and `/_+=.@-`.
pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_+=.@-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::validation(INVALID_NAME))
    }
}

/// A SecretId is checked as a name unless it is an ARN.
pub fn check_secret_id(id: &str) -> Result<()> {
    if id.starts_with("arn:") {
        Ok(())
    } else {
        check_name(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_name("prod/app_1+x=y.z@w-v").is_ok());
        assert!(check_name("bad name").is_err());
        assert!(check_name("semi;colon").is_err());
        assert!(check_secret_id("arn:aws:secretsmanager:r:a:secret:x y").is_ok());
    }

    #[test]
    fn one_violation() {
        let mut v = Violations::new();
        v.length("name", Some("abc"), 1, 2);
        assert_eq!(
            v.finish().unwrap_err().message,
            "1 validation error detected: Value 'abc' at 'name' failed to satisfy constraint: \
             Member must have length less than or equal to 2"
        );
    }

    #[test]
    fn several_violations_and_sensitive_values() {
        let mut v = Violations::new();
        v.sensitive_bytes("secretString", Some(0), 1, 10);
        v.range("maxResults", Some(0), 1, 100);
        v.one_of("sortOrder", Some("up"), &["asc", "desc"]);
        let msg = v.finish().unwrap_err().message;
        assert!(msg.starts_with("3 validation errors detected: Value at 'secretString'"));
        assert!(msg.contains("; Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"));
        assert!(msg.contains("Member must satisfy enum value set: [asc, desc]"));
    }
}
