//! GetRandomPassword, drawing from the operating system's CSPRNG.

use super::{Ack, Caller, SecretsManager};
use crate::domain::password::{generate, PasswordRules};
use crate::generated::secretsmanager as sm;
use crate::generated::secretsmanager::Result;
use rand::rngs::OsRng;
use rand::TryRngCore;

impl sm::GetRandomPassword for SecretsManager {
    fn get_random_password(
        &self,
        _caller: &Caller,
        input: sm::GetRandomPasswordRequest,
    ) -> Result<Ack<sm::GetRandomPasswordResponse>> {
        let rules = PasswordRules {
            length: input
                .password_length
                .map(|n| usize::try_from(n).unwrap_or(0)),
            exclude_characters: input.exclude_characters.unwrap_or_default(),
            exclude_numbers: input.exclude_numbers.unwrap_or(false),
            exclude_punctuation: input.exclude_punctuation.unwrap_or(false),
            exclude_uppercase: input.exclude_uppercase.unwrap_or(false),
            exclude_lowercase: input.exclude_lowercase.unwrap_or(false),
            include_space: input.include_space.unwrap_or(false),
            require_each_included_type: input.require_each_included_type,
        };
        let mut rng = OsRng.unwrap_err();
        Ok(Ack::ready(sm::GetRandomPasswordResponse {
            random_password: Some(generate(&rules, &mut rng)?),
        }))
    }
}
