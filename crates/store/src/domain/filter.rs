//! ListSecrets / BatchGetSecretValue filters: AWS's prefix and word-prefix matching.

use super::secret::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKey {
    Description,
    Name,
    TagKey,
    TagValue,
    PrimaryRegion,
    OwningService,
    All,
}

impl FilterKey {
    pub fn parse(s: &str) -> Option<FilterKey> {
        use FilterKey::{All, Description, Name, OwningService, PrimaryRegion, TagKey, TagValue};
        Some(match s {
            "description" => Description,
            "name" => Name,
            "tag-key" => TagKey,
            "tag-value" => TagValue,
            "primary-region" => PrimaryRegion,
            "owning-service" => OwningService,
            "all" => All,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub key: FilterKey,
    pub values: Vec<String>,
}

/// A secret passes when every filter passes (filters are AND'd).
pub fn matches_all(filters: &[Filter], secret: &Secret) -> bool {
    filters.iter().all(|f| f.matches(secret))
}

impl Filter {
    /// Plain values are alternatives (any may match); `!`-values are exclusions (none may match).
    pub fn matches(&self, secret: &Secret) -> bool {
        let mut any_positive = false;
        let mut positive_hit = false;
        for raw in &self.values {
            if let Some(v) = raw.strip_prefix('!') {
                if self.value_matches(v, secret) {
                    return false;
                }
            } else {
                any_positive = true;
                positive_hit = positive_hit || self.value_matches(raw, secret);
            }
        }
        !any_positive || positive_hit
    }

    fn value_matches(&self, v: &str, s: &Secret) -> bool {
        let tags = s.tags.as_deref().unwrap_or_default();
        match self.key {
            FilterKey::Name => s.name.starts_with(v),
            FilterKey::Description => {
                let words: Vec<&str> = s.description.iter().flat_map(|d| split_words(d)).collect();
                words_match(v, &words)
            }
            FilterKey::TagKey => tags.iter().any(|t| t.key.starts_with(v)),
            FilterKey::TagValue => tags.iter().any(|t| t.value.starts_with(v)),
            FilterKey::PrimaryRegion => prefix_of(v, s.primary_region.as_deref()),
            FilterKey::OwningService => prefix_of(v, s.owning_service.as_deref()),
            FilterKey::All => {
                let texts = std::iter::once(s.name.as_str())
                    .chain(s.description.as_deref())
                    .chain(tags.iter().flat_map(|t| [t.key.as_str(), t.value.as_str()]));
                let words: Vec<&str> = texts.flat_map(split_words).collect();
                words_match(v, &words)
            }
        }
    }
}

fn prefix_of(v: &str, field: Option<&str>) -> bool {
    field.is_some_and(|f| f.starts_with(v))
}

/// The words Secrets Manager sees in a text: runs of letters and digits, cut at every other
/// character (space, `/ _ + = . @ -` and the rest), between a letter and a digit, and where the
/// case changes inside a word (`credsDatabase` is `creds` and `Database`; `DBPassword` is `DB`
/// and `Password`).
pub fn split_words(text: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut words = Vec::new();
    let mut start: Option<usize> = None;
    for (i, &(at, c)) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if let Some(s) = start.take() {
                words.push(&text[s..at]);
            }
            continue;
        }
        let Some(s) = start else {
            start = Some(at);
            continue;
        };
        let prev = chars[i - 1].1;
        let next = chars.get(i + 1).map(|&(_, n)| n);
        let boundary = (prev.is_alphabetic() != c.is_alphabetic())
            || (prev.is_lowercase() && c.is_uppercase())
            || (prev.is_uppercase() && c.is_uppercase() && next.is_some_and(char::is_lowercase));
        if boundary {
            words.push(&text[s..at]);
            start = Some(at);
        }
    }
    if let Some(s) = start {
        words.push(&text[s..]);
    }
    words
}

/// Every word of `value` must start some word of `words`, ignoring case.
fn words_match(value: &str, words: &[&str]) -> bool {
    let lowered: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    split_words(value).into_iter().all(|w| {
        let w = w.to_lowercase();
        lowered.iter().any(|word| word.starts_with(&w))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::secret::Tag;

    #[test]
    fn words_are_cut_as_secrets_manager_cuts_them() {
        assert_eq!(
            split_words("credsDatabase#892"),
            ["creds", "Database", "892"]
        );
        assert_eq!(
            split_words("prod/DBPassword_v2"),
            ["prod", "DB", "Password", "v", "2"]
        );
        assert_eq!(
            split_words("a+b=c.d@e-f g"),
            ["a", "b", "c", "d", "e", "f", "g"]
        );
        assert_eq!(split_words("  "), Vec::<&str>::new());
    }

    fn secret(name: &str, desc: &str) -> Secret {
        let mut s = Secret::new(name.into(), format!("arn-{name}"), 0);
        s.description = Some(desc.into());
        s
    }

    fn corpus() -> Vec<Secret> {
        vec![
            secret("testing1/one-1", "a secret"),
            secret("/testing2/two-1", "an secret"),
            secret("testing3/three-1", "asecret"),
            secret("/testing4/four-1", "thesecret"),
        ]
    }

    fn names(filters: &[Filter]) -> Vec<String> {
        corpus()
            .into_iter()
            .filter(|s| matches_all(filters, s))
            .map(|s| s.name)
            .collect()
    }

    fn f(key: FilterKey, values: &[&str]) -> Filter {
        Filter {
            key,
            values: values
                .iter()
                .map(std::string::ToString::to_string)
                .collect(),
        }
    }

    #[test]
    fn name_is_a_case_sensitive_prefix_of_the_whole_name() {
        assert_eq!(
            names(&[f(FilterKey::Name, &["/"])]),
            ["/testing2/two-1", "/testing4/four-1"]
        );
        assert_eq!(
            names(&[f(FilterKey::Name, &["!/"])]),
            ["testing1/one-1", "testing3/three-1"]
        );
        assert!(names(&[f(FilterKey::Name, &["testing1 one"])]).is_empty());
        assert!(names(&[f(FilterKey::Name, &["Testing"])]).is_empty());
    }

    #[test]
    fn description_matches_word_prefixes_ignoring_case() {
        assert_eq!(names(&[f(FilterKey::Description, &["A"])]).len(), 3);
        assert_eq!(
            names(&[f(FilterKey::Description, &["!a"])]),
            ["/testing4/four-1"]
        );
        assert_eq!(names(&[f(FilterKey::Description, &["!c"])]).len(), 4);
        assert_eq!(
            names(&[f(FilterKey::Description, &["a secret"])]),
            ["testing1/one-1", "/testing2/two-1"]
        );
    }

    #[test]
    fn filters_and_values_or() {
        let both = [
            f(FilterKey::Description, &["a"]),
            f(FilterKey::Name, &["secret"]),
        ];
        assert!(names(&both).is_empty());
        assert_eq!(
            names(&[f(FilterKey::Name, &["testing1", "testing3"])]).len(),
            2
        );
        assert_eq!(
            names(&[f(FilterKey::Name, &["!testing1", "!testing3"])]).len(),
            2
        );
    }

    #[test]
    fn tags_and_all() {
        let mut s = secret("app/db", "Primary database");
        s.tags = Some(vec![Tag {
            key: "Env".into(),
            value: "prod".into(),
        }]);
        assert!(f(FilterKey::TagKey, &["En"]).matches(&s));
        assert!(!f(FilterKey::TagKey, &["en"]).matches(&s));
        assert!(f(FilterKey::TagValue, &["pro"]).matches(&s));
        assert!(f(FilterKey::All, &["PROD"]).matches(&s));
        assert!(f(FilterKey::All, &["db primary"]).matches(&s));
        assert!(f(FilterKey::All, &["app"]).matches(&s));
        assert!(!f(FilterKey::All, &["staging"]).matches(&s));
        assert!(!f(FilterKey::PrimaryRegion, &["us"]).matches(&s));
    }
}
