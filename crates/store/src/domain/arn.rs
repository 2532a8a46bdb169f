//! ARNs, parsed and built in this one place: their parts, secret ARNs and the three ways a
//! SecretId can address a secret (name, full ARN, partial ARN), and function ARNs and the
//! forms a Lambda FunctionName can take.

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

/// The Regions AWS runs Secrets Manager in (commercial, China and GovCloud partitions).
const AWS_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// Whether `s` names a Region AWS has (replicas can only go to one of those).
pub fn is_aws_region(s: &str) -> bool {
    AWS_REGIONS.binary_search(&s).is_ok()
}

/// The partition `region` is in: the China regions and GovCloud have their own, as do the
/// isolated regions; every other region is in `aws`.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else {
        "aws"
    }
}

/// Whether `s` is a partition name an ARN can carry.
pub fn is_partition(s: &str) -> bool {
    matches!(s, "aws" | "aws-cn" | "aws-us-gov" | "aws-iso" | "aws-iso-b")
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>`; the resource keeps its colons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    pub fn parse(s: &'a str) -> Option<Arn<'a>> {
        let mut parts = s.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        Some(Arn {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        })
    }

    /// The same ARN in another region (a replica's).
    pub fn in_region(&self, region: &str) -> String {
        format!(
            "arn:{}:{}:{region}:{}:{}",
            self.partition, self.service, self.account, self.resource
        )
    }
}

/// The region an ARN names, or "" if it is not an ARN.
pub fn region_of(arn: &str) -> &str {
    Arn::parse(arn).map_or("", |a| a.region)
}

pub fn secret_arn(ns: &Namespace, name: &str, suffix: &str) -> String {
    ns.arn("secretsmanager", &format!("secret:{name}-{suffix}"))
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
        let arn = Arn::parse(id)?;
        let tail = arn.resource.strip_prefix("secret:")?;
        let ok = arn.partition.starts_with("aws")
            && arn.service == "secretsmanager"
            && !arn.region.is_empty()
            && !arn.account.is_empty()
            && !tail.is_empty();
        ok.then(|| SecretRef::Arn {
            ns: Namespace::new(arn.account, arn.region),
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
            SecretRef::Arn { tail, .. } => split_suffix(tail).map_or(tail, |(n, _)| n),
        }
    }
}

pub fn function_arn(ns: &Namespace, name: &str) -> String {
    ns.arn("lambda", &format!("function:{name}"))
}

/// Splits a FunctionName (name, `name:qualifier`, partial or full ARN) into its namespace and
/// bare name; the qualifier is ignored, as only `$LATEST` exists here. None unless the name,
/// account and region are each one that can exist (they become path components).
pub fn parse_function_id(caller: &Namespace, id: &str) -> Option<(Namespace, String)> {
    parse_function_id_within(caller, id, 64)
}

/// [`parse_function_id`] for names of up to `max_name` characters: a name longer than a
/// function's can still be looked up, and is then not found, as AWS answers.
pub fn parse_function_id_within(
    caller: &Namespace,
    id: &str,
    max_name: usize,
) -> Option<(Namespace, String)> {
    let parts: Vec<&str> = id.split(':').collect();
    let (ns, name) = match parts.as_slice() {
        [name] | [name, _] => (caller.clone(), *name),
        [account, "function", name] | [account, "function", name, _] => {
            (Namespace::new(*account, caller.region.clone()), *name)
        }
        ["arn", _, "lambda", region, account, "function", name]
        | ["arn", _, "lambda", region, account, "function", name, _] => {
            (Namespace::new(*account, *region), *name)
        }
        _ => return None,
    };
    let ok = !name.is_empty()
        && name.len() <= max_name
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && is_account_id(&ns.account)
        && is_region(&ns.region);
    ok.then(|| (ns, name.to_string()))
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
    fn aws_regions_are_known_and_sorted() {
        assert!(
            AWS_REGIONS.windows(2).all(|w| w[0] < w[1]),
            "binary search needs order"
        );
        assert!(is_aws_region("eu-west-1") && is_aws_region("us-gov-west-1"));
        assert!(
            !is_aws_region("aaaa-bbbb-1") && !is_aws_region("us-east-12") && !is_aws_region("")
        );
    }

    #[test]
    fn arn_parts() {
        let a =
            Arn::parse("arn:aws:secretsmanager:us-east-1:123456789012:secret:a:b-XyZ123").unwrap();
        assert_eq!(
            (a.service, a.region, a.account),
            ("secretsmanager", "us-east-1", "123456789012")
        );
        assert_eq!(a.resource, "secret:a:b-XyZ123");
        assert_eq!(
            a.in_region("eu-west-1"),
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a:b-XyZ123"
        );
        assert_eq!(Arn::parse("nope:aws:x:y:z:w"), None);
        assert_eq!(
            region_of("arn:aws:lambda:ap-south-1:1:function:f"),
            "ap-south-1"
        );
    }

    #[test]
    fn function_ids() {
        let me = Namespace::new("000000000000", "us-east-1");
        let other = Namespace::new("123456789012", "eu-west-1");
        assert_eq!(parse_function_id(&me, "f"), Some((me.clone(), "f".into())));
        assert_eq!(
            parse_function_id(&me, "f:$LATEST"),
            Some((me.clone(), "f".into()))
        );
        assert_eq!(
            parse_function_id(&me, "arn:aws:lambda:eu-west-1:123456789012:function:f"),
            Some((other.clone(), "f".into()))
        );
        for bad in [
            "../f",
            "a:b:c",
            "arn:aws:lambda:../..:000000000000:function:f",
            "",
        ] {
            assert_eq!(parse_function_id(&me, bad), None, "{bad}");
        }
    }

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
