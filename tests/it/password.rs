//! GetRandomPassword through the SDK.

use crate::common::*;

const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

#[tokio::test]
async fn default_password() {
    let c = shared().client();
    let p = c
        .get_random_password()
        .send()
        .await
        .unwrap()
        .random_password
        .unwrap();
    assert_eq!(p.len(), 32);
    assert!(p.chars().any(|c| c.is_ascii_lowercase()));
    assert!(p.chars().any(|c| c.is_ascii_uppercase()));
    assert!(p.chars().any(|c| c.is_ascii_digit()));
    assert!(p.chars().any(|c| PUNCTUATION.contains(c)));
    assert!(!p.contains(' '));
    let q = c
        .get_random_password()
        .send()
        .await
        .unwrap()
        .random_password
        .unwrap();
    assert_ne!(p, q);
}

#[tokio::test]
async fn every_option() {
    let c = shared().client();
    let p = c
        .get_random_password()
        .password_length(100)
        .exclude_characters("abc123")
        .exclude_punctuation(true)
        .exclude_uppercase(true)
        .include_space(true)
        .require_each_included_type(true)
        .send()
        .await
        .unwrap()
        .random_password
        .unwrap();
    assert_eq!(p.len(), 100);
    // IncludeSpace allows a space without requiring one (about 4% of such passwords have
    // none); a long one shows that spaces are drawn.
    let long = c
        .get_random_password()
        .password_length(4096)
        .include_space(true)
        .send()
        .await
        .unwrap()
        .random_password
        .unwrap();
    assert!(long.contains(' '));
    assert!(p
        .chars()
        .all(|c| c == ' ' || c.is_ascii_lowercase() || c.is_ascii_digit()));
    assert!(!p.chars().any(|c| "abc123".contains(c)));
    let digits = c
        .get_random_password()
        .password_length(4096)
        .exclude_lowercase(true)
        .exclude_uppercase(true)
        .exclude_punctuation(true)
        .send()
        .await
        .unwrap()
        .random_password
        .unwrap();
    assert!(digits.len() == 4096 && digits.chars().all(|c| c.is_ascii_digit()));
    let letters = c
        .get_random_password()
        .password_length(1)
        .exclude_numbers(true)
        .require_each_included_type(false)
        .send()
        .await
        .unwrap()
        .random_password
        .unwrap();
    assert_eq!(letters.len(), 1);
}

#[tokio::test]
async fn invalid_requests() {
    let c = shared().client();
    for len in [0, 4097] {
        let (code, _) = err(c.get_random_password().password_length(len).send().await);
        assert_eq!(code, "ValidationException");
    }
    let (code, _) = err(c
        .get_random_password()
        .exclude_lowercase(true)
        .exclude_uppercase(true)
        .exclude_numbers(true)
        .exclude_punctuation(true)
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
}

#[tokio::test]
async fn a_space_is_an_allowed_character_not_a_required_type() {
    let c = shared().client();
    let p = c
        .get_random_password()
        .password_length(4)
        .include_space(true)
        .send()
        .await
        .unwrap()
        .random_password
        .unwrap();
    assert_eq!(p.chars().count(), 4);
}
