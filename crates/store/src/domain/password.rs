//! GetRandomPassword: character classes, exclusions and the "one of each type" rule.

use crate::generated::secretsmanager::{Error, Result};
use rand::seq::SliceRandom;
use rand::Rng;

pub const DEFAULT_LENGTH: usize = 32;
pub const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

#[derive(Debug, Clone, Default)]
pub struct PasswordRules {
    pub length: Option<usize>,
    pub exclude_characters: String,
    pub exclude_numbers: bool,
    pub exclude_punctuation: bool,
    pub exclude_uppercase: bool,
    pub exclude_lowercase: bool,
    pub include_space: bool,
    /// AWS's default is true: at least one character of every included type.
    pub require_each_included_type: Option<bool>,
}

impl PasswordRules {
    /// The character types left after exclusions (lower, upper, digits, punctuation); empty
    /// ones are dropped. These are what RequireEachIncludedType requires.
    fn classes(&self) -> Vec<Vec<char>> {
        let lower = ('a'..='z').collect::<String>();
        let upper = ('A'..='Z').collect::<String>();
        let digits = ('0'..='9').collect::<String>();
        let candidates = [
            (!self.exclude_lowercase, lower.as_str()),
            (!self.exclude_uppercase, upper.as_str()),
            (!self.exclude_numbers, digits.as_str()),
            (!self.exclude_punctuation, PUNCTUATION),
        ];
        candidates
            .into_iter()
            .filter(|(on, _)| *on)
            .map(|(_, set)| self.allowed(set))
            .filter(|set| !set.is_empty())
            .collect()
    }

    fn allowed(&self, set: &str) -> Vec<char> {
        set.chars()
            .filter(|c| !self.exclude_characters.contains(*c))
            .collect()
    }

    /// Every character a password may hold: the types, and the space when included (an
    /// allowed character, not a type that must appear, as AWS documents IncludeSpace).
    fn alphabet(&self, classes: &[Vec<char>]) -> Vec<char> {
        let mut all: Vec<char> = classes.iter().flatten().copied().collect();
        if self.include_space {
            all.extend(self.allowed(" "));
        }
        all
    }
}

/// Draws a password from `rng`, which in production is the OS CSPRNG.
pub fn generate(rules: &PasswordRules, rng: &mut impl Rng) -> Result<String> {
    let length = rules.length.unwrap_or(DEFAULT_LENGTH);
    let classes = rules.classes();
    let all = rules.alphabet(&classes);
    if all.is_empty() {
        return Err(Error::invalid_parameter(
            "The password can't be generated because every character is excluded.",
        ));
    }
    let require_each = rules.require_each_included_type.unwrap_or(true);
    let mut out: Vec<char> = Vec::with_capacity(length);
    if require_each {
        if length < classes.len() {
            return Err(Error::invalid_parameter(
                "The password length is too short to include a character of each required type.",
            ));
        }
        out.extend(
            classes
                .iter()
                .map(|set| set[rng.random_range(0..set.len())]),
        );
    }
    while out.len() < length {
        out.push(all[rng.random_range(0..all.len())]);
    }
    out.shuffle(rng);
    Ok(out.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn rng() -> StdRng {
        StdRng::seed_from_u64(7)
    }

    #[test]
    fn default_is_32_with_every_type() {
        let p = generate(&PasswordRules::default(), &mut rng()).unwrap();
        assert_eq!(p.chars().count(), 32);
        assert!(p.chars().any(|c| c.is_ascii_lowercase()));
        assert!(p.chars().any(|c| c.is_ascii_uppercase()));
        assert!(p.chars().any(|c| c.is_ascii_digit()));
        assert!(p.chars().any(|c| PUNCTUATION.contains(c)));
        assert!(!p.contains(' '));
    }

    #[test]
    fn exclusions_hold() {
        let rules = PasswordRules {
            length: Some(200),
            exclude_characters: "abcXYZ0".into(),
            exclude_punctuation: true,
            include_space: true,
            ..Default::default()
        };
        let p = generate(&rules, &mut rng()).unwrap();
        assert_eq!(p.len(), 200);
        assert!(p.contains(' '));
        assert!(!p
            .chars()
            .any(|c| "abcXYZ0".contains(c) || PUNCTUATION.contains(c)));
    }

    #[test]
    fn a_space_is_allowed_not_required() {
        let rules = PasswordRules {
            length: Some(4),
            include_space: true,
            ..Default::default()
        };
        for seed in 0..50 {
            let p = generate(&rules, &mut StdRng::seed_from_u64(seed)).unwrap();
            assert_eq!(p.chars().count(), 4);
            assert!(p.chars().any(|c| c.is_ascii_lowercase()));
            assert!(p.chars().any(|c| PUNCTUATION.contains(c)));
        }
    }

    #[test]
    fn impossible_rules_are_rejected() {
        let none = PasswordRules {
            exclude_numbers: true,
            exclude_punctuation: true,
            exclude_uppercase: true,
            exclude_lowercase: true,
            ..Default::default()
        };
        assert!(generate(&none, &mut rng()).is_err());
        let short = PasswordRules {
            length: Some(3),
            ..Default::default()
        };
        assert!(generate(&short, &mut rng()).is_err());
        let short_any = PasswordRules {
            length: Some(1),
            require_each_included_type: Some(false),
            ..Default::default()
        };
        assert_eq!(generate(&short_any, &mut rng()).unwrap().len(), 1);
    }
}
