//! Table-driven checks of the evaluator: each row is a policy, a request and the decision IAM
//! reaches for it.

use super::*;
use crate::policy::parse;

const SECRET: &str = "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf";

fn user(account: &str, name: &str) -> Who {
    Who::Aws {
        account: account.into(),
        arn: format!("arn:aws:iam::{account}:user/{name}"),
        role: None,
    }
}

fn session(account: &str, role: &str, name: &str) -> Who {
    Who::Aws {
        account: account.into(),
        arn: format!("arn:aws:sts::{account}:assumed-role/{role}/{name}"),
        role: Some(format!("arn:aws:iam::{account}:role/{role}")),
    }
}

fn root(account: &str) -> Who {
    Who::Aws {
        account: account.into(),
        arn: format!("arn:aws:iam::{account}:root"),
        role: None,
    }
}

fn statement(body: &str) -> Policy {
    let text = format!(r#"{{"Version": "2012-10-17", "Statement": [{body}]}}"#);
    parse(&text).unwrap_or_else(|e| panic!("{text}: {e:?}"))
}

fn decide(policy: &Policy, who: &Who, action: &str, context: &Context) -> Decision {
    evaluate(
        policy,
        &Request {
            who,
            action,
            resource: SECRET,
            context,
        },
    )
}

use Decision::{Allow, Deny, NotApplicable as None_};

#[test]
fn principals() {
    let rows: &[(&str, Who, Decision)] = &[
        (r#""Principal": "*""#, user("2", "u"), Allow),
        (
            r#""Principal": {"AWS": "*"}"#,
            session("2", "R", "s"),
            Allow,
        ),
        (
            r#""Principal": {"AWS": "222222222222"}"#,
            user("222222222222", "u"),
            Allow,
        ),
        (
            r#""Principal": {"AWS": "222222222222"}"#,
            user("333333333333", "u"),
            None_,
        ),
        (
            r#""Principal": {"AWS": "arn:aws:iam::222222222222:root"}"#,
            session("222222222222", "R", "s"),
            Allow,
        ),
        (
            r#""Principal": {"AWS": "arn:aws:iam::222222222222:role/R"}"#,
            session("222222222222", "R", "s"),
            Allow,
        ),
        (
            r#""Principal": {"AWS": "arn:aws:iam::222222222222:role/R"}"#,
            session("222222222222", "Other", "s"),
            None_,
        ),
        (
            r#""Principal": {"AWS": "arn:aws:sts::2:assumed-role/R/s"}"#,
            session("2", "R", "s"),
            Allow,
        ),
        (
            r#""Principal": {"AWS": "arn:aws:sts::2:assumed-role/R/s"}"#,
            session("2", "R", "t"),
            None_,
        ),
        (
            r#""Principal": {"AWS": ["arn:aws:iam::2:user/a", "arn:aws:iam::2:user/u"]}"#,
            user("2", "u"),
            Allow,
        ),
        (
            r#""Principal": {"AWS": "arn:aws:iam::2:user/a"}"#,
            user("2", "u"),
            None_,
        ),
        (
            r#""Principal": {"AWS": "arn:aws:iam::2:root"}"#,
            root("2"),
            Allow,
        ),
        (
            r#""Principal": {"Service": "secretsmanager.amazonaws.com"}"#,
            Who::Service("secretsmanager.amazonaws.com".into()),
            Allow,
        ),
        (
            r#""Principal": {"Service": "secretsmanager.amazonaws.com"}"#,
            user("2", "u"),
            None_,
        ),
        (
            r#""Principal": {"AWS": "2"}"#,
            Who::Service("secretsmanager.amazonaws.com".into()),
            None_,
        ),
        (
            r#""NotPrincipal": {"AWS": "arn:aws:iam::2:user/a"}"#,
            user("2", "u"),
            Allow,
        ),
        (
            r#""NotPrincipal": {"AWS": "arn:aws:iam::2:user/u"}"#,
            user("2", "u"),
            None_,
        ),
    ];
    for (principal, who, want) in rows {
        let p = statement(&format!(
            r#"{{"Effect": "Allow", {principal}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}}"#
        ));
        let got = decide(
            &p,
            who,
            "secretsmanager:GetSecretValue",
            &Context::default(),
        );
        assert_eq!(got, *want, "{principal} for {who:?}");
    }
}

#[test]
fn actions_and_resources() {
    let rows: &[(&str, &str, Decision)] = &[
        (
            r#""Action": "secretsmanager:GetSecretValue""#,
            "secretsmanager:GetSecretValue",
            Allow,
        ),
        (
            r#""Action": "SecretsManager:getsecretvalue""#,
            "secretsmanager:GetSecretValue",
            Allow,
        ),
        (
            r#""Action": "secretsmanager:Get*""#,
            "secretsmanager:GetSecretValue",
            Allow,
        ),
        (
            r#""Action": "secretsmanager:*""#,
            "secretsmanager:DeleteSecret",
            Allow,
        ),
        (r#""Action": "*""#, "secretsmanager:DeleteSecret", Allow),
        (
            r#""Action": "secretsmanager:Describe?ecret""#,
            "secretsmanager:DescribeSecret",
            Allow,
        ),
        (
            r#""Action": "secretsmanager:Get*""#,
            "secretsmanager:PutSecretValue",
            None_,
        ),
        (
            r#""Action": ["kms:Decrypt", "secretsmanager:List*"]"#,
            "secretsmanager:ListSecretVersionIds",
            Allow,
        ),
        (
            r#""NotAction": "secretsmanager:Delete*""#,
            "secretsmanager:GetSecretValue",
            Allow,
        ),
        (
            r#""NotAction": "secretsmanager:Delete*""#,
            "secretsmanager:DeleteSecret",
            None_,
        ),
    ];
    for (action, asked, want) in rows {
        let p = statement(&format!(
            r#"{{"Effect": "Allow", "Principal": "*", {action}, "Resource": "*"}}"#
        ));
        assert_eq!(
            decide(&p, &user("2", "u"), asked, &Context::default()),
            *want,
            "{action} / {asked}"
        );
    }
    let resources: &[(&str, Decision)] = &[
        (r#""Resource": "*""#, Allow),
        (&format!(r#""Resource": "{SECRET}""#), Allow),
        (
            r#""Resource": "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-*""#,
            Allow,
        ),
        (
            r#""Resource": "arn:aws:secretsmanager:*:*:secret:db-??????""#,
            Allow,
        ),
        (
            r#""Resource": "arn:aws:secretsmanager:us-east-1:111111111111:secret:DB-*""#,
            None_,
        ),
        (
            r#""Resource": "arn:aws:secretsmanager:us-east-1:111111111111:secret:other-*""#,
            None_,
        ),
        (
            r#""NotResource": "arn:aws:secretsmanager:us-east-1:111111111111:secret:other-*""#,
            Allow,
        ),
    ];
    for (resource, want) in resources {
        let p = statement(&format!(
            r#"{{"Effect": "Allow", "Principal": "*", "Action": "*", {resource}}}"#
        ));
        assert_eq!(
            decide(
                &p,
                &user("2", "u"),
                "secretsmanager:GetSecretValue",
                &Context::default()
            ),
            *want,
            "{resource}"
        );
    }
}

#[test]
fn explicit_deny_wins() {
    let p = parse(
        r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "2"}, "Action": "secretsmanager:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:DeleteSecret", "Resource": "*"}]}"#,
    )
    .unwrap();
    let ctx = Context::default();
    assert_eq!(
        decide(&p, &user("2", "u"), "secretsmanager:GetSecretValue", &ctx),
        Allow
    );
    assert_eq!(
        decide(&p, &user("2", "u"), "secretsmanager:DeleteSecret", &ctx),
        Deny
    );
    assert_eq!(
        decide(&p, &user("3", "u"), "secretsmanager:GetSecretValue", &ctx),
        None_
    );
    assert_eq!(
        decide(&p, &user("3", "u"), "secretsmanager:DeleteSecret", &ctx),
        Deny
    );
}

fn ctx(pairs: &[(&str, &[&str])]) -> Context {
    let mut c = Context::default();
    for (k, v) in pairs {
        c.set(k, v.iter().map(|s| (*s).to_string()).collect());
    }
    c
}

#[test]
fn condition_operators() {
    // (operator, key, policy values, context values or None for absent, matches)
    type Row<'a> = (&'a str, &'a str, &'a str, Option<&'a [&'a str]>, bool);
    let rows: &[Row] = &[
        (
            "StringEquals",
            "aws:PrincipalAccount",
            r#""2""#,
            Some(&["2"]),
            true,
        ),
        (
            "StringEquals",
            "aws:principalaccount",
            r#""2""#,
            Some(&["3"]),
            false,
        ),
        (
            "StringEquals",
            "aws:PrincipalAccount",
            r#"["3", "2"]"#,
            Some(&["2"]),
            true,
        ),
        (
            "StringEquals",
            "aws:PrincipalAccount",
            r#""2""#,
            None,
            false,
        ),
        (
            "StringNotEquals",
            "aws:PrincipalAccount",
            r#""2""#,
            Some(&["3"]),
            true,
        ),
        (
            "StringNotEquals",
            "aws:PrincipalAccount",
            r#""2""#,
            Some(&["2"]),
            false,
        ),
        (
            "StringNotEquals",
            "aws:PrincipalAccount",
            r#""2""#,
            None,
            true,
        ),
        (
            "StringEqualsIgnoreCase",
            "secretsmanager:ResourceTag/env",
            r#""PROD""#,
            Some(&["prod"]),
            true,
        ),
        (
            "StringNotEqualsIgnoreCase",
            "secretsmanager:ResourceTag/env",
            r#""PROD""#,
            Some(&["prod"]),
            false,
        ),
        (
            "StringLike",
            "aws:PrincipalArn",
            r#""arn:aws:iam::2:role/app-*""#,
            Some(&["arn:aws:iam::2:role/app-web"]),
            true,
        ),
        (
            "StringLike",
            "aws:PrincipalArn",
            r#""arn:aws:iam::2:role/app-?""#,
            Some(&["arn:aws:iam::2:role/app-web"]),
            false,
        ),
        (
            "StringNotLike",
            "aws:PrincipalArn",
            r#""*:role/admin*""#,
            Some(&["arn:aws:iam::2:role/app"]),
            true,
        ),
        ("NumericEquals", "k", r#""5""#, Some(&["5.0"]), true),
        ("NumericNotEquals", "k", r#""5""#, Some(&["6"]), true),
        ("NumericLessThan", "k", r#""5""#, Some(&["4"]), true),
        ("NumericLessThan", "k", r#""5""#, Some(&["5"]), false),
        ("NumericLessThanEquals", "k", r#""5""#, Some(&["5"]), true),
        ("NumericGreaterThan", "k", r#""5""#, Some(&["6"]), true),
        (
            "NumericGreaterThanEquals",
            "k",
            r#""5""#,
            Some(&["4"]),
            false,
        ),
        ("NumericEquals", "k", r#""5""#, Some(&["x"]), false),
        (
            "DateGreaterThan",
            "aws:CurrentTime",
            r#""2026-01-01T00:00:00Z""#,
            Some(&["2026-12-01T10:00:00Z"]),
            true,
        ),
        (
            "DateLessThan",
            "aws:CurrentTime",
            r#""2026-01-01""#,
            Some(&["2026-12-01T10:00:00Z"]),
            false,
        ),
        (
            "DateEquals",
            "aws:EpochTime",
            r#""1767225600""#,
            Some(&["2026-01-01T00:00:00Z"]),
            true,
        ),
        (
            "DateNotEquals",
            "aws:EpochTime",
            r#""1767225600""#,
            Some(&["1767225601"]),
            true,
        ),
        (
            "DateLessThanEquals",
            "aws:CurrentTime",
            r#""2026-01-01T00:00:00Z""#,
            Some(&["2026-01-01T00:00:00Z"]),
            true,
        ),
        (
            "DateGreaterThanEquals",
            "aws:CurrentTime",
            r#""2026-01-02""#,
            Some(&["2026-01-01T00:00:00Z"]),
            false,
        ),
        (
            "Bool",
            "aws:SecureTransport",
            r#""false""#,
            Some(&["false"]),
            true,
        ),
        (
            "Bool",
            "aws:SecureTransport",
            r#""true""#,
            Some(&["false"]),
            false,
        ),
        (
            "BinaryEquals",
            "k",
            r#""QmluYXJ5""#,
            Some(&["QmluYXJ5"]),
            true,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            r#""127.0.0.0/8""#,
            Some(&["127.0.0.1"]),
            true,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            r#""10.0.0.0/8""#,
            Some(&["127.0.0.1"]),
            false,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            r#""::1/128""#,
            Some(&["::1"]),
            true,
        ),
        (
            "NotIpAddress",
            "aws:SourceIp",
            r#""10.0.0.0/8""#,
            Some(&["127.0.0.1"]),
            true,
        ),
        (
            "ArnEquals",
            "aws:SourceArn",
            r#""arn:aws:lambda:us-east-1:2:function:f""#,
            Some(&["arn:aws:lambda:us-east-1:2:function:f"]),
            true,
        ),
        (
            "ArnLike",
            "aws:SourceArn",
            r#""arn:aws:lambda:*:2:function:*""#,
            Some(&["arn:aws:lambda:us-east-1:2:function:f"]),
            true,
        ),
        (
            "ArnNotEquals",
            "aws:SourceArn",
            r#""arn:aws:lambda:us-east-1:2:function:f""#,
            Some(&["arn:aws:lambda:us-east-1:2:function:g"]),
            true,
        ),
        (
            "ArnNotLike",
            "aws:SourceArn",
            r#""arn:aws:lambda:*:2:function:*""#,
            Some(&["arn:aws:lambda:us-east-1:2:function:f"]),
            false,
        ),
        (
            "ArnEqualsIgnoreCase",
            "aws:SourceArn",
            r#""ARN:aws:lambda:us-east-1:2:function:F""#,
            Some(&["arn:aws:lambda:us-east-1:2:function:f"]),
            true,
        ),
        ("NumericLessThanOrEquals", "k", r#""5""#, Some(&["5"]), true),
        // The keys Secrets Manager and services add to a request.
        (
            "ArnLike",
            "secretsmanager:SecretId",
            r#""arn:aws:secretsmanager:*:*:secret:db-*""#,
            Some(&[SECRET]),
            true,
        ),
        (
            "StringEquals",
            "aws:SourceAccount",
            r#""111111111111""#,
            Some(&["111111111111"]),
            true,
        ),
        (
            "StringEquals",
            "secretsmanager:VersionId",
            r#""v1""#,
            Some(&["v2"]),
            false,
        ),
        (
            "Null",
            "secretsmanager:ResourceTag/env",
            r#""true""#,
            None,
            true,
        ),
        (
            "Null",
            "secretsmanager:ResourceTag/env",
            r#""true""#,
            Some(&["x"]),
            false,
        ),
        (
            "Null",
            "secretsmanager:ResourceTag/env",
            r#""false""#,
            Some(&["x"]),
            true,
        ),
        // IfExists: an absent key passes, a present one is compared.
        (
            "StringEqualsIfExists",
            "secretsmanager:VersionStage",
            r#""AWSCURRENT""#,
            None,
            true,
        ),
        (
            "StringEqualsIfExists",
            "secretsmanager:VersionStage",
            r#""AWSCURRENT""#,
            Some(&["AWSPENDING"]),
            false,
        ),
        ("ArnLikeIfExists", "aws:SourceArn", r#""arn:*""#, None, true),
        // Set operators over multi-valued keys.
        (
            "ForAllValues:StringEquals",
            "aws:TagKeys",
            r#"["a", "b"]"#,
            Some(&["a"]),
            true,
        ),
        (
            "ForAllValues:StringEquals",
            "aws:TagKeys",
            r#"["a", "b"]"#,
            Some(&["a", "c"]),
            false,
        ),
        (
            "ForAllValues:StringEquals",
            "aws:TagKeys",
            r#"["a"]"#,
            None,
            true,
        ),
        (
            "ForAnyValue:StringEquals",
            "aws:TagKeys",
            r#"["a", "b"]"#,
            Some(&["c", "b"]),
            true,
        ),
        (
            "ForAnyValue:StringEquals",
            "aws:TagKeys",
            r#"["a"]"#,
            Some(&["c"]),
            false,
        ),
        (
            "ForAnyValue:StringEquals",
            "aws:TagKeys",
            r#"["a"]"#,
            None,
            false,
        ),
        (
            "ForAnyValue:StringLike",
            "aws:TagKeys",
            r#""ap*""#,
            Some(&["x", "app"]),
            true,
        ),
        (
            "ForAllValues:StringNotEquals",
            "aws:TagKeys",
            r#""secret""#,
            Some(&["a", "b"]),
            true,
        ),
        (
            "ForAnyValue:StringNotEquals",
            "aws:TagKeys",
            r#""a""#,
            Some(&["a", "b"]),
            true,
        ),
        (
            "ForAnyValue:StringEqualsIfExists",
            "aws:TagKeys",
            r#""a""#,
            None,
            true,
        ),
    ];
    for (op, key, values, present, want) in rows {
        let p = statement(&format!(
            r#"{{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
                "Condition": {{"{op}": {{"{key}": {values}}}}}}}"#
        ));
        let c = match present {
            Some(v) => ctx(&[(key, v)]),
            None => Context::default(),
        };
        let got = decide(&p, &user("2", "u"), "secretsmanager:GetSecretValue", &c) == Allow;
        assert_eq!(got, *want, "{op} {key} {values} against {present:?}");
    }
}

#[test]
fn conditions_combine_with_and() {
    let p = statement(
        r#"{"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "1"}, "Bool": {"aws:SecureTransport": "false"}}}"#,
    );
    let who = user("2", "u");
    let both = ctx(&[
        ("aws:PrincipalAccount", &["2"]),
        ("aws:SecureTransport", &["false"]),
    ]);
    let one = ctx(&[
        ("aws:PrincipalAccount", &["2"]),
        ("aws:SecureTransport", &["true"]),
    ]);
    assert_eq!(
        decide(&p, &who, "secretsmanager:GetSecretValue", &both),
        Deny
    );
    assert_eq!(
        decide(&p, &who, "secretsmanager:GetSecretValue", &one),
        None_
    );
}

#[test]
fn wildcards_do_not_backtrack_exponentially() {
    let text = "a".repeat(5000);
    assert!(!wildcard(&format!("{}b", "*a".repeat(50)), &text, false));
    assert!(wildcard("*", "", false));
    assert!(wildcard("a*c", "abbbbc", false));
    assert!(!wildcard("a?c", "ac", false));
    // Outside ASCII, characters (not bytes) are matched, case folded where asked.
    assert!(wildcard("sécret-?", "sécret-1", false));
    assert!(wildcard("SÉCRET*", "sécret-1", true));
    assert!(!wildcard("SÉCRET*", "sécret-1", false));
    assert!(wildcard("Secret*", "SECRET-x", true));
}
