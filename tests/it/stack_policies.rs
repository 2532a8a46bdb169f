//! Stack policies through the SDK: set and read back, refused when malformed, and acted on by
//! updates (a denied change fails the update and rolls it back; a policy given for one update
//! overrides the stack's for that update only; removals need Update:Delete).

use crate::common::*;
use crate::stacks::{cfn, events, settle, ssm};

/// Two parameters whose values come from the stack's parameters.
fn template(with_b: bool) -> String {
    let mut t = String::from(
        "Parameters:\n  A:\n    Type: String\n  B:\n    Type: String\nResources:\n  Kept:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Type: String\n      Value: !Ref A\n",
    );
    if with_b {
        t.push_str("  Free:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Type: String\n      Value: !Ref B\n");
    }
    t
}

const KEEP_KEPT: &str = r#"{"Statement": [
  {"Effect": "Deny", "Action": "Update:*", "Principal": "*", "Resource": "LogicalResourceId/Kept"},
  {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}]}"#;

async fn update(
    c: &aws_sdk_cloudformation::Client,
    name: &str,
    with_b: bool,
    a: &str,
    b: &str,
    during: Option<&str>,
) -> (String, Vec<(String, String, String)>) {
    let p = |k: &str, v: &str| {
        aws_sdk_cloudformation::types::Parameter::builder()
            .parameter_key(k)
            .parameter_value(v)
            .build()
    };
    c.update_stack()
        .stack_name(name)
        .template_body(template(with_b))
        .parameters(p("A", a))
        .parameters(p("B", b))
        .set_stack_policy_during_update_body(during.map(str::to_string))
        .send()
        .await
        .unwrap();
    let (status, _) = settle(c, name).await;
    (status, events(c, name).await)
}

async fn value(
    addr: std::net::SocketAddr,
    c: &aws_sdk_cloudformation::Client,
    stack: &str,
    logical: &str,
) -> String {
    let r = c
        .describe_stack_resource()
        .stack_name(stack)
        .logical_resource_id(logical)
        .send()
        .await
        .unwrap();
    let name = r
        .stack_resource_detail()
        .unwrap()
        .physical_resource_id()
        .unwrap();
    ssm(addr)
        .get_parameter()
        .name(name)
        .send()
        .await
        .unwrap()
        .parameter()
        .unwrap()
        .value()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn stack_policies_guard_updates() {
    let server = shared();
    let c = cfn(server.addr);
    let name = unique("guarded");
    let p = |k: &str, v: &str| {
        aws_sdk_cloudformation::types::Parameter::builder()
            .parameter_key(k)
            .parameter_value(v)
            .build()
    };
    let id = c
        .create_stack()
        .stack_name(&name)
        .template_body(template(true))
        .parameters(p("A", "a1"))
        .parameters(p("B", "b1"))
        .stack_policy_body(KEEP_KEPT)
        .send()
        .await
        .unwrap()
        .stack_id
        .unwrap();
    assert_eq!(settle(&c, &id).await.0, "CREATE_COMPLETE");
    let got = c.get_stack_policy().stack_name(&name).send().await.unwrap();
    assert_eq!(got.stack_policy_body(), Some(KEEP_KEPT));

    // Malformed policies, as AWS refuses them.
    for bad in [
        "not json",
        r#"{"Statement": [{"Effect": "Deny", "Action": "Update:*", "Principal": "someone", "Resource": "*"}]}"#,
        r#"{"Statement": [{"Effect": "Deny", "Action": "Delete:*", "Principal": "*", "Resource": "*"}]}"#,
    ] {
        let e = c
            .set_stack_policy()
            .stack_name(&name)
            .stack_policy_body(bad)
            .send()
            .await;
        assert_eq!(
            err(e),
            (
                "ValidationError".into(),
                "Error validating stack policy: Invalid stack policy".into()
            )
        );
    }
    let both = c
        .set_stack_policy()
        .stack_name(&name)
        .stack_policy_body(KEEP_KEPT)
        .stack_policy_url("https://example.com/p.json")
        .send()
        .await;
    assert_eq!(
        err(both).1,
        "You cannot specify both StackPolicyURL and StackPolicyBody"
    );

    // A change to the kept resource fails the update, which rolls back.
    let (status, ev) = update(&c, &name, true, "a2", "b1", None).await;
    assert_eq!(status, "UPDATE_ROLLBACK_COMPLETE");
    assert!(
        ev.iter().any(|e| e.0 == "Kept"
            && e.1 == "UPDATE_FAILED"
            && e.2
                == "Action denied by stack policy: Statement [#1] does not allow [Update:Modify] for resource [LogicalResourceId/Kept]"),
        "{ev:?}"
    );
    assert_eq!(value(server.addr, &c, &name, "Kept").await, "a1");

    // A change to another resource goes through.
    let (status, _) = update(&c, &name, true, "a1", "b2", None).await;
    assert_eq!(status, "UPDATE_COMPLETE");
    assert_eq!(value(server.addr, &c, &name, "Free").await, "b2");

    // A policy for one update overrides the stack's for that update only.
    let all = r#"{"Statement": [{"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}]}"#;
    let (status, _) = update(&c, &name, true, "a3", "b2", Some(all)).await;
    assert_eq!(status, "UPDATE_COMPLETE");
    assert_eq!(value(server.addr, &c, &name, "Kept").await, "a3");
    let (status, _) = update(&c, &name, true, "a4", "b2", None).await;
    assert_eq!(status, "UPDATE_ROLLBACK_COMPLETE");

    // Removing a resource needs Update:Delete.
    c.set_stack_policy()
        .stack_name(&name)
        .stack_policy_body(
            r#"{"Statement": [
              {"Effect": "Deny", "Action": "Update:Delete", "Principal": "*", "Resource": "*",
               "Condition": {"StringEquals": {"ResourceType": ["AWS::SSM::Parameter"]}}},
              {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let (status, ev) = update(&c, &name, false, "a3", "b2", None).await;
    assert_eq!(status, "UPDATE_ROLLBACK_COMPLETE");
    assert!(
        ev.iter().any(|e| e.2.starts_with(
            "Action denied by stack policy: Statement [#1] does not allow [Update:Delete] for resource [LogicalResourceId/Free]"
        )),
        "{ev:?}"
    );
    assert_eq!(value(server.addr, &c, &name, "Free").await, "b2");
    c.delete_stack().stack_name(&name).send().await.unwrap();
    assert_eq!(settle(&c, &id).await.0, "DELETE_COMPLETE");
}
