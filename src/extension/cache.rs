//! The extension's cache: answers kept for their service's TTL, at most CACHE_SIZE of them,
//! configured by the function's environment as AWS's extension reads it.

use crate::clock::Millis;
use std::collections::{BTreeMap, HashMap};

/// What a function's environment sets, with AWS's defaults and bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub enabled: bool,
    pub size: usize,
    pub secret_ttl: Millis,
    pub parameter_ttl: Millis,
    pub max_connections: usize,
}

fn number(env: &BTreeMap<String, String>, key: &str, default: u64, max: u64) -> u64 {
    env.get(key)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(default, |n| n.min(max))
}

impl Settings {
    pub fn from_env(env: &BTreeMap<String, String>) -> Settings {
        Settings {
            enabled: env
                .get("PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED")
                .is_none_or(|v| !v.eq_ignore_ascii_case("false")),
            size: number(env, "PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE", 1000, 1000) as usize,
            secret_ttl: number(env, "SECRETS_MANAGER_TTL", 300, 300) as Millis * 1000,
            parameter_ttl: number(env, "SSM_PARAMETER_STORE_TTL", 300, 300) as Millis * 1000,
            max_connections: number(env, "PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS", 3, 1000)
                .max(1) as usize,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Secret,
    Parameter,
}

pub struct Cache {
    settings: Settings,
    entries: HashMap<String, (String, Millis)>,
}

impl Cache {
    pub fn new(settings: Settings) -> Cache {
        Cache {
            settings,
            entries: HashMap::new(),
        }
    }

    pub fn configure(&mut self, settings: Settings) {
        if settings != self.settings {
            self.settings = settings;
            self.entries.clear();
        }
    }

    fn ttl(&self, kind: Kind) -> Millis {
        match kind {
            Kind::Secret => self.settings.secret_ttl,
            Kind::Parameter => self.settings.parameter_ttl,
        }
    }

    fn usable(&self, kind: Kind) -> bool {
        self.settings.enabled && self.settings.size > 0 && self.ttl(kind) > 0
    }

    /// A cached answer still within its TTL at `now`.
    pub fn get(&self, kind: Kind, key: &str, now: Millis) -> Option<String> {
        if !self.usable(kind) {
            return None;
        }
        let (body, at) = self.entries.get(key)?;
        (now - at < self.ttl(kind)).then(|| body.clone())
    }

    /// Keeps an answer, making room by dropping the oldest.
    pub fn put(&mut self, kind: Kind, key: String, body: String, now: Millis) {
        if !self.usable(kind) {
            return;
        }
        if self.entries.len() >= self.settings.size && !self.entries.contains_key(&key) {
            if let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, (_, at))| *at)
                .map(|(k, _)| k.clone())
            {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(key, (body, now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn settings_take_the_documented_defaults_and_bounds() {
        let d = Settings::from_env(&env(&[]));
        assert_eq!(
            (
                d.enabled,
                d.size,
                d.secret_ttl,
                d.parameter_ttl,
                d.max_connections
            ),
            (true, 1000, 300_000, 300_000, 3)
        );
        let s = Settings::from_env(&env(&[
            ("SECRETS_MANAGER_TTL", "900"),
            ("SSM_PARAMETER_STORE_TTL", "10"),
            ("PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED", "FALSE"),
            ("PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE", "2"),
        ]));
        assert_eq!(
            (s.enabled, s.size, s.secret_ttl, s.parameter_ttl),
            (false, 2, 300_000, 10_000)
        );
    }

    #[test]
    fn entries_expire_and_make_room() {
        let mut c = Cache::new(Settings::from_env(&env(&[
            ("PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE", "2"),
            ("SECRETS_MANAGER_TTL", "60"),
        ])));
        c.put(Kind::Secret, "a".into(), "A".into(), 0);
        c.put(Kind::Secret, "b".into(), "B".into(), 1);
        assert_eq!(c.get(Kind::Secret, "a", 59_999).as_deref(), Some("A"));
        assert_eq!(c.get(Kind::Secret, "a", 60_000), None);
        c.put(Kind::Secret, "c".into(), "C".into(), 2);
        assert_eq!(c.get(Kind::Secret, "a", 3), None, "the oldest made room");
        assert_eq!(c.get(Kind::Secret, "c", 3).as_deref(), Some("C"));
        c.configure(Settings::from_env(&env(&[(
            "PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED",
            "false",
        )])));
        assert_eq!(c.get(Kind::Secret, "c", 3), None);
    }
}
