//! Unit tests of each operation family, called in process on an in-memory store with a
//! manual clock and counter ids: the behaviour behind the wire, one family at a time.

use super::{Caller, SecretsManager};
use crate::clock::{Clock, ManualClock, SequentialIds, DAY_MS};
use crate::domain::Namespace;
use crate::generated::secretsmanager as sm;
#[allow(clippy::wildcard_imports, reason = "the tests call every operation")]
use crate::generated::secretsmanager::handlers::*;
use crate::generated::secretsmanager::ErrorCode;
use crate::secretsmanager::rotation::{FunctionAccess, Invoker, StepResult};
use std::sync::Arc;

const START: i64 = 1_767_225_600_000;
const T1: &str = "11111111-1111-4111-8111-111111111111";
const T2: &str = "22222222-2222-4222-8222-222222222222";
const T3: &str = "33333333-3333-4333-8333-333333333333";

struct NoFunctions;

impl Invoker for NoFunctions {
    fn access(&self, _: &Namespace, _: &str) -> FunctionAccess {
        FunctionAccess::Missing
    }

    fn invoke(
        &self,
        _: &Namespace,
        _: &str,
        _: Vec<u8>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = StepResult> + Send>> {
        Box::pin(async { StepResult::default() })
    }
}

fn service() -> (SecretsManager, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(START));
    let sm = SecretsManager::new(
        Arc::new(crate::store::Store::new()),
        clock.clone(),
        Arc::new(SequentialIds::default()),
        Arc::new(NoFunctions),
    );
    (sm, clock)
}

fn caller(account: &str, region: &str) -> Caller {
    Caller::root(Namespace::new(account, region))
}

fn me() -> Caller {
    caller("000000000000", "us-east-1")
}

#[allow(clippy::unnecessary_wraps, reason = "request members are options")]
fn id(s: &str) -> Option<String> {
    Some(s.to_string())
}

fn create(s: &SecretsManager, name: &str, token: &str, value: &str) -> sm::CreateSecretResponse {
    s.create_secret(
        &me(),
        sm::CreateSecretRequest {
            name: id(name),
            client_request_token: id(token),
            secret_string: id(value),
            ..Default::default()
        },
    )
    .unwrap()
    .output
}

fn value(s: &SecretsManager, name: &str) -> String {
    s.get_secret_value(
        &me(),
        sm::GetSecretValueRequest {
            secret_id: id(name),
            ..Default::default()
        },
    )
    .unwrap()
    .output
    .secret_string
    .unwrap()
}

fn describe(s: &SecretsManager, name: &str) -> sm::DescribeSecretResponse {
    s.describe_secret(
        &me(),
        sm::DescribeSecretRequest {
            secret_id: id(name),
        },
    )
    .unwrap()
    .output
}

#[test]
fn lifecycle_create_is_idempotent_per_token_and_names_are_unique() {
    let (s, _) = service();
    let first = create(&s, "db", T1, "v");
    assert_eq!(
        first.arn.as_deref(),
        Some("arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AAAAA1")
    );
    assert_eq!(
        create(&s, "db", T1, "v"),
        first,
        "a retry gets the same answer"
    );
    let again = s.create_secret(
        &me(),
        sm::CreateSecretRequest {
            name: id("db"),
            client_request_token: id(T2),
            secret_string: id("v"),
            ..Default::default()
        },
    );
    assert_eq!(
        again.err().unwrap().code,
        ErrorCode::ResourceExistsException
    );
    let updated = s
        .update_secret(
            &me(),
            sm::UpdateSecretRequest {
                secret_id: id("db"),
                client_request_token: id(T2),
                secret_string: id("w"),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(updated.output.version_id.as_deref(), Some(T2));
    assert_eq!(value(&s, "db"), "w");
}

#[test]
fn values_other_accounts_need_a_customer_key() {
    let (s, _) = service();
    let arn = create(&s, "db", T1, "v").arn.unwrap();
    let read = s.get_secret_value(
        &caller("111111111111", "us-east-1"),
        sm::GetSecretValueRequest {
            secret_id: Some(arn),
            ..Default::default()
        },
    );
    assert_eq!(read.err().unwrap().code, ErrorCode::InvalidRequestException);
    let too_big = s.put_secret_value(
        &me(),
        sm::PutSecretValueRequest {
            secret_id: id("db"),
            client_request_token: id(T2),
            secret_string: Some("é".repeat(40_000)),
            ..Default::default()
        },
    );
    assert_eq!(
        too_big.err().unwrap().code,
        crate::error::Common::Validation,
        "64 KiB counts bytes"
    );
}

#[test]
fn stages_moving_awscurrent_leaves_awsprevious_behind() {
    let (s, _) = service();
    create(&s, "db", T1, "v1");
    s.put_secret_value(
        &me(),
        sm::PutSecretValueRequest {
            secret_id: id("db"),
            client_request_token: id(T2),
            secret_string: id("v2"),
            version_stages: Some(vec!["AWSPENDING".into()]),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(value(&s, "db"), "v1");
    s.update_secret_version_stage(
        &me(),
        sm::UpdateSecretVersionStageRequest {
            secret_id: id("db"),
            version_stage: id("AWSCURRENT"),
            move_to_version_id: id(T2),
            remove_from_version_id: id(T1),
        },
    )
    .unwrap();
    let stages = describe(&s, "db").version_ids_to_stages.unwrap();
    assert_eq!(stages[T1], ["AWSPREVIOUS"]);
    assert_eq!(stages[T2], ["AWSPENDING", "AWSCURRENT"]);
    let listed = s
        .list_secret_version_ids(
            &me(),
            sm::ListSecretVersionIdsRequest {
                secret_id: id("db"),
                ..Default::default()
            },
        )
        .unwrap()
        .output;
    let ids: Vec<_> = listed
        .versions
        .unwrap()
        .into_iter()
        .map(|v| v.version_id.unwrap())
        .collect();
    assert_eq!(ids, [T1, T2], "oldest first, as AWS lists them");
}

#[test]
fn tags_merge_by_key_and_untagging_everything_leaves_an_empty_list() {
    let (s, _) = service();
    create(&s, "db", T1, "v");
    let tag = |k: &str, v: &str| sm::Tag {
        key: id(k),
        value: id(v),
    };
    let tag_with = |tags| {
        s.tag_resource(
            &me(),
            sm::TagResourceRequest {
                secret_id: id("db"),
                tags: Some(tags),
            },
        )
    };
    tag_with(vec![tag("a", "1"), tag("b", "2")]).unwrap();
    tag_with(vec![tag("a", "3")]).unwrap();
    assert_eq!(
        describe(&s, "db").tags.unwrap(),
        [tag("a", "3"), tag("b", "2")]
    );
    let reserved = tag_with(vec![tag("aws:x", "1")]);
    assert_eq!(
        reserved.err().unwrap().code,
        ErrorCode::InvalidParameterException
    );
    let many = (0..60).map(|i| tag(&format!("k{i}"), "v")).collect();
    assert_eq!(
        tag_with(many).err().unwrap().code,
        ErrorCode::InvalidParameterException
    );
    s.untag_resource(
        &me(),
        sm::UntagResourceRequest {
            secret_id: id("db"),
            tag_keys: Some(vec!["a".into(), "b".into()]),
        },
    )
    .unwrap();
    assert_eq!(describe(&s, "db").tags, Some(Vec::new()));
}

#[test]
fn deletion_windows_end_on_the_clock_and_restore_cancels_them() {
    let (s, clock) = service();
    create(&s, "db", T1, "v");
    let delete = |days| {
        s.delete_secret(
            &me(),
            sm::DeleteSecretRequest {
                secret_id: id("db"),
                recovery_window_in_days: Some(days),
                ..Default::default()
            },
        )
    };
    assert_eq!(
        delete(3).err().unwrap().code,
        ErrorCode::InvalidParameterException
    );
    let out = delete(7).unwrap().output;
    assert_eq!(
        out.deletion_date,
        Some((START + 7 * DAY_MS) as f64 / 1000.0)
    );
    s.restore_secret(
        &me(),
        sm::RestoreSecretRequest {
            secret_id: id("db"),
        },
    )
    .unwrap();
    assert_eq!(value(&s, "db"), "v");
    delete(7).unwrap();
    clock.advance(7 * DAY_MS + 1);
    let gone = s.describe_secret(
        &me(),
        sm::DescribeSecretRequest {
            secret_id: id("db"),
        },
    );
    assert_eq!(
        gone.err().unwrap().code,
        ErrorCode::ResourceNotFoundException
    );
    create(&s, "db", T2, "again");
}

#[test]
fn listing_pages_are_stable_and_filters_apply() {
    let (s, _) = service();
    for (i, name) in ["a/1", "b/2", "a/3"].iter().enumerate() {
        create(&s, name, &format!("{i}{}", &T1[1..]), "v");
    }
    let page = |token: Option<String>| {
        s.list_secrets(
            &me(),
            sm::ListSecretsRequest {
                max_results: Some(2),
                next_token: token,
                ..Default::default()
            },
        )
        .unwrap()
        .output
    };
    let first = page(None);
    let names = |r: &sm::ListSecretsResponse| -> Vec<String> {
        r.secret_list
            .iter()
            .flatten()
            .map(|e| e.decoded().unwrap().name.unwrap())
            .collect()
    };
    assert_eq!(names(&first), ["a/1", "b/2"]);
    let second = page(first.next_token.clone());
    assert_eq!(
        (names(&second), second.next_token),
        (vec!["a/3".to_string()], None)
    );
    let filtered = s
        .list_secrets(
            &me(),
            sm::ListSecretsRequest {
                filters: Some(vec![sm::Filter {
                    key: id("name"),
                    values: Some(vec!["a/".into()]),
                }]),
                ..Default::default()
            },
        )
        .unwrap()
        .output;
    assert_eq!(names(&filtered), ["a/1", "a/3"]);
}

#[test]
fn a_listed_entry_follows_every_change_to_its_secret() {
    let (s, _) = service();
    create(&s, "db", T1, "v");
    let described = |s: &SecretsManager| {
        let listed = s
            .list_secrets(&me(), sm::ListSecretsRequest::default())
            .unwrap()
            .output;
        let entry = listed.secret_list.unwrap().remove(0);
        // The kept encoding and a fresh one write the same bytes.
        assert!(matches!(entry, crate::wire::Encoded::Json(_)));
        entry.decoded().unwrap().description
    };
    assert_eq!(described(&s), None);
    for (text, token) in [("first", T2), ("second", T3)] {
        s.update_secret(
            &me(),
            sm::UpdateSecretRequest {
                secret_id: id("db"),
                client_request_token: id(token),
                description: id(text),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(described(&s).as_deref(), Some(text));
        assert_eq!(described(&s).as_deref(), Some(text));
    }
}

#[test]
fn policy_public_policies_can_be_blocked() {
    let (s, _) = service();
    create(&s, "db", T1, "v");
    let public = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
    let put = |block| {
        s.put_resource_policy(
            &me(),
            sm::PutResourcePolicyRequest {
                secret_id: id("db"),
                resource_policy: id(public),
                block_public_policy: Some(block),
            },
        )
    };
    assert_eq!(
        put(true).err().unwrap().code,
        ErrorCode::PublicPolicyException
    );
    put(false).unwrap();
    let got = s
        .get_resource_policy(
            &me(),
            sm::GetResourcePolicyRequest {
                secret_id: id("db"),
            },
        )
        .unwrap()
        .output;
    assert_eq!(got.resource_policy.as_deref(), Some(public));
    s.delete_resource_policy(
        &me(),
        sm::DeleteResourcePolicyRequest {
            secret_id: id("db"),
        },
    )
    .unwrap();
    let got = s
        .get_resource_policy(
            &me(),
            sm::GetResourcePolicyRequest {
                secret_id: id("db"),
            },
        )
        .unwrap()
        .output;
    assert_eq!(got.resource_policy, None);
}

#[test]
fn replication_keeps_replicas_in_step_with_their_primary() {
    let (s, _) = service();
    create(&s, "db", T1, "v1");
    s.replicate_secret_to_regions(
        &me(),
        sm::ReplicateSecretToRegionsRequest {
            secret_id: id("db"),
            add_replica_regions: Some(vec![sm::ReplicaRegionType {
                region: id("eu-west-1"),
                kms_key_id: None,
            }]),
            force_overwrite_replica_secret: None,
        },
    )
    .unwrap();
    s.put_secret_value(
        &me(),
        sm::PutSecretValueRequest {
            secret_id: id("db"),
            client_request_token: id(T2),
            secret_string: id("v2"),
            ..Default::default()
        },
    )
    .unwrap();
    let replica = s
        .get_secret_value(
            &caller("000000000000", "eu-west-1"),
            sm::GetSecretValueRequest {
                secret_id: id("db"),
                ..Default::default()
            },
        )
        .unwrap()
        .output;
    assert_eq!(replica.secret_string.as_deref(), Some("v2"));
    assert_eq!(
        replica.arn.as_deref(),
        Some("arn:aws:secretsmanager:eu-west-1:000000000000:secret:db-AAAAA1")
    );
    let missing_region = s.replicate_secret_to_regions(
        &me(),
        sm::ReplicateSecretToRegionsRequest {
            secret_id: id("db"),
            add_replica_regions: Some(vec![sm::ReplicaRegionType::default()]),
            force_overwrite_replica_secret: None,
        },
    );
    assert_eq!(
        missing_region.err().unwrap().code,
        crate::error::Common::Validation
    );
}

#[test]
fn password_rules_are_honoured() {
    let (s, _) = service();
    let out = s
        .get_random_password(
            &me(),
            sm::GetRandomPasswordRequest {
                password_length: Some(64),
                exclude_punctuation: Some(true),
                exclude_uppercase: Some(true),
                ..Default::default()
            },
        )
        .unwrap()
        .output;
    let p = out.random_password.unwrap();
    assert_eq!(p.len(), 64);
    assert!(
        p.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
        "{p}"
    );
}

#[test]
fn model_constraints_name_nested_members_as_aws_does() {
    let input = sm::RotateSecretRequest {
        secret_id: id("db"),
        client_request_token: id("short"),
        rotation_rules: Some(sm::RotationRulesType {
            automatically_after_days: Some(0),
            duration: id("4d"),
            ..Default::default()
        }),
        ..Default::default()
    };
    let e = crate::wire::check(&input).err().unwrap();
    assert_eq!(
        e.message,
        "3 validation errors detected: Value 'short' at 'clientRequestToken' failed to satisfy \
         constraint: Member must have length greater than or equal to 32; Value '0' at \
         'rotationRules.automaticallyAfterDays' failed to satisfy constraint: Member must have \
         value greater than or equal to 1; Value '4d' at 'rotationRules.duration' failed to \
         satisfy constraint: Member must satisfy regular expression pattern: [0-9]+h"
    );
}
