//! GetRandomPassword, drawing from the operating system's CSPRNG.

use super::{Caller, SecretsManager};
use crate::domain::password::{generate, PasswordRules};
use crate::domain::validate::Violations;
use crate::error::Result;
use rand::rngs::OsRng;
use rand::TryRngCore;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRandomPasswordInput {
    pub password_length: Option<i64>,
    pub exclude_characters: Option<String>,
    pub exclude_numbers: Option<bool>,
    pub exclude_punctuation: Option<bool>,
    pub exclude_uppercase: Option<bool>,
    pub exclude_lowercase: Option<bool>,
    pub include_space: Option<bool>,
    pub require_each_included_type: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRandomPasswordOutput {
    pub random_password: String,
}

impl SecretsManager {
    pub fn get_random_password(
        &self,
        _caller: &Caller,
        input: GetRandomPasswordInput,
    ) -> Result<GetRandomPasswordOutput> {
        let mut v = Violations::new();
        v.range("passwordLength", input.password_length, 1, 4096);
        v.length(
            "excludeCharacters",
            input.exclude_characters.as_deref(),
            0,
            4096,
        );
        v.finish()?;
        let rules = PasswordRules {
            length: input.password_length.map(|n| n as usize),
            exclude_characters: input.exclude_characters.unwrap_or_default(),
            exclude_numbers: input.exclude_numbers.unwrap_or(false),
            exclude_punctuation: input.exclude_punctuation.unwrap_or(false),
            exclude_uppercase: input.exclude_uppercase.unwrap_or(false),
            exclude_lowercase: input.exclude_lowercase.unwrap_or(false),
            include_space: input.include_space.unwrap_or(false),
            require_each_included_type: input.require_each_included_type,
        };
        let mut rng = OsRng.unwrap_err();
        Ok(GetRandomPasswordOutput {
            random_password: generate(&rules, &mut rng)?,
        })
    }
}
