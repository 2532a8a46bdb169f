//! Tests of `versions`.

use super::*;

fn s(v: &str) -> SecretValue {
    SecretValue::String(v.into())
}

fn stages(list: &[&str]) -> Vec<String> {
    list.iter().map(std::string::ToString::to_string).collect()
}

fn labels(vs: &Versions, id: &str) -> Vec<String> {
    vs.get(id).unwrap().stages.clone()
}

fn current_put(vs: &mut Versions, id: &str, now: Millis) {
    vs.put(id, s(id), &stages(&[AWSCURRENT]), now).unwrap();
}

#[test]
fn current_moves_and_previous_follows() {
    let mut vs = Versions::default();
    current_put(&mut vs, "v1", 1);
    current_put(&mut vs, "v2", 2);
    current_put(&mut vs, "v3", 3);
    assert_eq!(labels(&vs, "v3"), [AWSCURRENT]);
    assert_eq!(labels(&vs, "v2"), [AWSPREVIOUS]);
    assert!(labels(&vs, "v1").is_empty());
}

#[test]
fn first_version_always_gets_current() {
    let mut vs = Versions::default();
    vs.put("v1", s("a"), &stages(&["CUSTOM"]), 1).unwrap();
    assert_eq!(labels(&vs, "v1"), ["CUSTOM", AWSCURRENT]);
}

#[test]
fn custom_stage_leaves_current_alone() {
    let mut vs = Versions::default();
    current_put(&mut vs, "v1", 1);
    vs.put("v2", s("b"), &stages(&[AWSPENDING]), 2).unwrap();
    vs.put("v3", s("c"), &stages(&[AWSPENDING, "PUT2"]), 3)
        .unwrap();
    assert_eq!(vs.current().unwrap().id, "v1");
    assert!(labels(&vs, "v2").is_empty());
    assert_eq!(labels(&vs, "v3"), [AWSPENDING, "PUT2"]);
}

#[test]
fn same_token_same_value_is_idempotent_and_other_value_refused() {
    let mut vs = Versions::default();
    current_put(&mut vs, "v1", 1);
    assert_eq!(
        vs.put("v1", s("v1"), &stages(&[AWSCURRENT]), 2),
        Ok(PutOutcome::Unchanged)
    );
    assert_eq!(
        vs.put("v1", s("other"), &stages(&[AWSCURRENT]), 2),
        Ok(PutOutcome::TokenInUse)
    );
}

#[test]
fn placeholder_is_filled() {
    let mut vs = Versions::default();
    current_put(&mut vs, "v1", 1);
    vs.add_placeholder("p", AWSPENDING, 2).unwrap();
    assert_eq!(
        vs.put("p", s("new"), &stages(&[AWSPENDING]), 3),
        Ok(PutOutcome::Filled)
    );
    assert_eq!(vs.get("p").unwrap().value, Some(s("new")));
    assert_eq!(vs.current().unwrap().id, "v1");
}

#[test]
fn moving_current_keeps_other_labels_and_adds_previous() {
    let mut vs = Versions::default();
    current_put(&mut vs, "v1", 1);
    vs.put("v1b", s("x"), &stages(&["PUT0"]), 2).unwrap();
    current_put(&mut vs, "v2", 3);
    vs.update_stage("PUT0", Some("v1b"), Some("v2")).unwrap();
    vs.put("v3", s("y"), &stages(&[AWSPENDING]), 4).unwrap();
    vs.update_stage(AWSPENDING, Some("v3"), Some("v2")).unwrap();
    vs.put("v4", s("z"), &stages(&["NEXT"]), 5).unwrap();
    vs.update_stage(AWSCURRENT, Some("v2"), Some("v4")).unwrap();
    assert_eq!(labels(&vs, "v4"), ["NEXT", AWSCURRENT]);
    assert_eq!(labels(&vs, "v2"), ["PUT0", AWSPENDING, AWSPREVIOUS]);
    assert!(labels(&vs, "v1").is_empty());
}

#[test]
fn moving_current_requires_remove_from() {
    let mut vs = Versions::default();
    current_put(&mut vs, "v1", 1);
    vs.put("v2", s("b"), &stages(&["X"]), 2).unwrap();
    let err = vs.update_stage(AWSCURRENT, None, Some("v2")).unwrap_err();
    assert!(err.message.contains("currently attached to version v1"));
    let err = vs
        .update_stage(AWSCURRENT, Some("v2"), Some("v2"))
        .unwrap_err();
    assert_eq!(
        err.message,
        "Version stage AWSCURRENT not found in version v2"
    );
    let err = vs.update_stage("X", Some("nope"), None).unwrap_err();
    assert_eq!(err.message, "Not a valid version: nope");
}

#[test]
fn current_can_be_attached_when_none_exists() {
    let mut vs = Versions::default();
    vs.add_placeholder("p", AWSPENDING, 1).unwrap();
    vs.put("p", s("v"), &stages(&[AWSPENDING]), 2).unwrap();
    vs.update_stage(AWSCURRENT, None, Some("p")).unwrap();
    assert_eq!(labels(&vs, "p"), [AWSPENDING, AWSCURRENT]);
}

#[test]
fn removing_a_label_without_target() {
    let mut vs = Versions::default();
    current_put(&mut vs, "v1", 1);
    vs.put("v2", s("b"), &stages(&["PENDING"]), 2).unwrap();
    vs.update_stage("PENDING", Some("v2"), None).unwrap();
    assert!(labels(&vs, "v2").is_empty());
    assert!(vs.update_stage(AWSCURRENT, Some("v1"), None).is_err());
}

#[test]
fn a_new_current_value_abandons_a_pending_rotation() {
    let mut vs = Versions::default();
    current_put(&mut vs, "v1", 1);
    vs.add_placeholder("p", AWSPENDING, 2).unwrap();
    current_put(&mut vs, "v2", 3);
    assert!(labels(&vs, "p").is_empty());
    assert_eq!(labels(&vs, "v2"), [AWSCURRENT]);
}

#[test]
fn deprecated_versions_are_pruned_past_the_limit() {
    let mut vs = Versions::default();
    for i in 0..130 {
        current_put(&mut vs, &format!("v{i}"), i);
    }
    assert_eq!(vs.iter().count(), MAX_DEPRECATED + 2);
    assert!(vs.get("v0").is_none());
    assert!(vs.get("v27").is_none());
    assert!(vs.get("v28").is_some());
}

#[test]
fn created_dates_strictly_increase() {
    let mut vs = Versions::default();
    current_put(&mut vs, "a", 5);
    current_put(&mut vs, "b", 5);
    assert!(vs.get("b").unwrap().created > vs.get("a").unwrap().created);
}
