//! Secret-name syntax, which Secrets Manager checks beyond its model before any lookup.

use crate::error::{Error, Result};

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

/// A SecretId is checked as a name unless it is an ARN; a secret a service owns
/// (`events!connection/...`) is found by its name too.
pub fn check_secret_id(id: &str) -> Result<()> {
    if id.starts_with("arn:") {
        return Ok(());
    }
    match id.split_once('!') {
        Some((service, rest))
            if !service.is_empty() && service.bytes().all(|b| b.is_ascii_lowercase()) =>
        {
            check_name(rest)
        }
        _ => check_name(id),
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
}
