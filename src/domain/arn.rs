//! Secret ARNs and the three ways a SecretId can address a secret (name, full ARN, partial ARN).

use super::Namespace;

/// The length of the random part AWS appends to a secret's name in its ARN.
pub const SUFFIX_LEN: usize = 6;

/// Whether `s` is an AWS account id: exactly 12 digits.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `s` can be a region name (`us-east-1`, `eu-central-2`, ...): lower-case letters,
/// digits and dashes, 1 to 32 of them, not starting with a dash. Region names become
/// directory names, so nothing else may pass.
pub fn is_region(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && !s.starts_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

pub fn secret_arn(ns: &Namespace, name: &str, suffix: &str) -> String {
    format!(
        "arn:aws:secretsmanager:{}:{}:secret:{}-{}",
        ns.region, ns.account, name, suffix
    )
}

/// A SecretId after parsing, before lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// A bare name, looked up in the caller's namespace.
    Name(String),
    /// An ARN: it names its own namespace. `tail` is everything after `secret:`, which is
    /// either `<name>-<suffix>` (full ARN) or just `<name>` (partial ARN).
    Arn { ns: Namespace, tail: String },
}

impl SecretRef {
    pub fn parse(id: &str) -> Option<SecretRef> {
        if !id.starts_with("arn:") {
            return Some(SecretRef::Name(id.to_string()));
        }
        let mut parts = id.splitn(7, ':');
        let (_, partition, service, region, account, kind, tail) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        let ok = partition.starts_with("aws")
            && service == "secretsmanager"
            && !region.is_empty()
            && !account.is_empty()
            && kind == "secret"
            && !tail.is_empty();
        ok.then(|| SecretRef::Arn {
            ns: Namespace::new(account, region),
            tail: tail.to_string(),
        })
    }

    /// The namespace this reference addresses, given the caller's own.
    pub fn namespace<'a>(&'a self, caller: &'a Namespace) -> &'a Namespace {
        match self {
            SecretRef::Name(_) => caller,
            SecretRef::Arn { ns, .. } => ns,
        }
    }

    /// Candidate (name, required suffix) pairs, most specific first.
    pub fn candidates(&self) -> Vec<(&str, Option<&str>)> {
        match self {
            SecretRef::Name(name) => vec![(name.as_str(), None)],
            SecretRef::Arn { tail, .. } => {
                let mut out = Vec::with_capacity(2);
                if let Some((name, suffix)) = split_suffix(tail) {
                    out.push((name, Some(suffix)));
                }
                out.push((tail.as_str(), None));
                out
            }
        }
    }

    /// The name a reference would have if it addressed a secret that does not exist.
    pub fn display_name(&self) -> &str {
        match self {
            SecretRef::Name(n) => n,
            SecretRef::Arn { tail, .. } => split_suffix(tail).map(|(n, _)| n).unwrap_or(tail),
        }
    }
}

/// Splits `<name>-<6 chars>` into its parts, if the tail has that shape.
fn split_suffix(tail: &str) -> Option<(&str, &str)> {
    let cut = tail.len().checked_sub(SUFFIX_LEN + 1)?;
    if cut == 0 || !tail.is_char_boundary(cut) {
        return None;
    }
    let (name, rest) = tail.split_at(cut);
    let suffix = rest.strip_prefix('-')?;
    suffix
        .bytes()
        .all(|b| b.is_ascii_alphanumeric())
        .then_some((name, suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_names() {
        assert_eq!(
            SecretRef::parse("prod/db"),
            Some(SecretRef::Name("prod/db".into()))
        );
    }

    #[test]
    fn full_arn_offers_suffix_then_whole_tail() {
        let r =
            SecretRef::parse("arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbC123")
                .unwrap();
        assert_eq!(
            r.namespace(&Namespace::new("x", "y")),
            &Namespace::new("123456789012", "eu-west-1")
        );
        assert_eq!(
            r.candidates(),
            vec![("app/db", Some("AbC123")), ("app/db-AbC123", None)]
        );
        assert_eq!(r.display_name(), "app/db");
    }

    #[test]
    fn partial_arn_is_just_the_name() {
        let r =
            SecretRef::parse("arn:aws:secretsmanager:us-east-1:000000000000:secret:db").unwrap();
        assert_eq!(r.candidates(), vec![("db", None)]);
    }

    #[test]
    fn malformed_arns_are_rejected() {
        assert_eq!(SecretRef::parse("arn:aws:s3:::bucket"), None);
        assert_eq!(SecretRef::parse("arn:aws:secretsmanager:us-east-1"), None);
        assert_eq!(
            SecretRef::parse("arn:aws:secretsmanager:us-east-1:1:secret:"),
            None
        );
    }

    #[test]
    fn builds_arns() {
        let ns = Namespace::new("000000000000", "us-east-1");
        assert_eq!(
            secret_arn(&ns, "a", "XyZ123"),
            "arn:aws:secretsmanager:us-east-1:000000000000:secret:a-XyZ123"
        );
    }
}
