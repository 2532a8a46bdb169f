//! Policy examples in the shapes AWS's documentation uses, valid and invalid.

use super::*;

fn ok(text: &str) -> Policy {
    parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"))
}

fn errors(text: &str) -> Vec<String> {
    parse(text).expect_err(text)
}

#[test]
fn role_may_read_one_secret() {
    let p = ok(r#"{"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:role/MyRole"},
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "*"}]}"#);
    assert_eq!(p.statements.len(), 1);
    assert_eq!(p.statements[0].effect, Effect::Allow);
    assert!(!p.is_public());
}

#[test]
fn statement_as_a_single_object_and_wildcards() {
    let p = ok(r#"{"Version": "2012-10-17", "Statement": {
        "Sid": "ReadOnly", "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::123456789012:root", "111122223333"]},
        "Action": ["secretsmanager:Get*", "secretsmanager:Describe?ecret", "secretsmanager:List*"],
        "Resource": "*"}}"#);
    assert_eq!(p.statements[0].sid.as_deref(), Some("ReadOnly"));
    assert_eq!(p.statements[0].action.value.len(), 3);
}

#[test]
fn deny_unless_vpc_endpoint_with_conditions() {
    let p = ok(r#"{"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:sourceVpce": "vpce-1234a5678b9012c"},
                      "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["team-*", "env"]},
                      "NumericLessThanEquals": {"aws:MultiFactorAuthAge": 3600},
                      "Bool": {"aws:SecureTransport": "true"},
                      "IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]},
                      "DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}}]}"#);
    let c = &p.statements[0].conditions;
    assert_eq!(c.len(), 6);
    let tag = c.iter().find(|c| c.key == "aws:TagKeys").unwrap();
    assert_eq!(tag.operator.qualifier, Some(SetQualifier::ForAnyValue));
    assert!(tag.operator.if_exists);
    assert!(!p.is_public(), "a Deny never makes a policy public");
}

#[test]
fn public_policies_and_the_conditions_that_narrow_them() {
    let open = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}"#;
    assert!(ok(open).is_public());
    let aws_star = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "*"}, "Action": "secretsmanager:*", "Resource": "*"}]}"#;
    assert!(ok(aws_star).is_public());
    let org = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
        "Action": "secretsmanager:GetSecretValue", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]}"#;
    assert!(!ok(org).is_public());
    let account = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
        "Action": "secretsmanager:GetSecretValue", "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}]}"#;
    assert!(!ok(account).is_public());
    let not_principal = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "*", "Resource": "*"}]}"#;
    assert!(ok(not_principal).is_public());
}

#[test]
fn grammar_errors_name_what_is_wrong() {
    let cases = [
        ("not json", "not valid JSON"),
        ("[]", "must be a JSON object"),
        (r#"{"Version": "2012-10-17"}"#, "no Statement"),
        (r#"{"Version": "2020-01-01", "Statement": []}"#, "Version"),
        (
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Permit", "Principal": "*", "Action": "s3:Get", "Resource": "*"}]}"#,
            "Effect \"Permit\"",
        ),
        (
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get", "Resource": "*"}]}"#,
            "must have Principal or NotPrincipal",
        ),
        (
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "NotPrincipal": "*", "Action": "s3:Get", "Resource": "*"}]}"#,
            "both Principal and NotPrincipal",
        ),
        (
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "GetSecretValue", "Resource": "*"}]}"#,
            "service:Action",
        ),
        (
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:Get", "Resource": "bucket"}]}"#,
            "must be \"*\" or an ARN",
        ),
        (
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:Get", "Resource": "*", "Condition": {"StringSortOf": {"k": "v"}}}]}"#,
            "not a condition operator",
        ),
        (
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:Get", "Resource": "*", "Condition": {"NumericLessThan": {"k": "ten"}}}]}"#,
            "not a valid value",
        ),
        (
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Group": "x"}, "Action": "s3:Get", "Resource": "*"}]}"#,
            "principal type",
        ),
        (
            r#"{"Version": "2012-10-17", "Statement": [{"Sid": "a", "Effect": "Allow", "Principal": "*", "Action": "s3:Get", "Resource": "*"}, {"Sid": "a", "Effect": "Deny", "Principal": "*", "Action": "s3:Get", "Resource": "*"}]}"#,
            "more than one statement",
        ),
        (
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:Get", "Resource": "*", "Extra": 1}]}"#,
            "unknown element \"Extra\"",
        ),
        (
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": [], "Resource": "*"}]}"#,
            "non-empty list",
        ),
    ];
    for (text, expected) in cases {
        let e = errors(text);
        assert!(e.iter().any(|m| m.contains(expected)), "{text}: {e:?}");
    }
    let huge = format!(
        r#"{{"Version": "2012-10-17", "Id": "{}", "Statement": []}}"#,
        "x".repeat(MAX_POLICY_LEN)
    );
    assert!(errors(&huge).iter().any(|m| m.contains("larger than")));
}

#[test]
fn version_defaults_and_old_version() {
    let p = ok(
        r#"{"Statement": {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}}"#,
    );
    assert_eq!(p.version, "2008-10-17");
    let p = ok(
        r#"{"Version": "2008-10-17", "Id": "x", "Statement": {"Effect": "Deny", "NotPrincipal": {"AWS": "123456789012"}, "NotAction": "secretsmanager:Describe*", "NotResource": "arn:aws:secretsmanager:us-east-1:123456789012:secret:x"}}"#,
    );
    assert!(p.statements[0].action.not);
}
