//! CloudFormation's stack API through aws-sdk-cloudformation: the status machine (create,
//! failed create and rollback, update, failed update and rollback, delete), templates,
//! parameters and the intrinsic functions, with AWS's errors; the helpers the other stack
//! modules share.

use crate::common::*;
use aws_sdk_cloudformation::types::{Capability, OnFailure, Parameter};
use aws_sdk_cloudformation::Client;
use std::net::SocketAddr;

/// The account these tests' stacks live in (kept apart from the other modules').
pub const ACCOUNT: &str = "424242424242";

pub fn cfn(addr: SocketAddr) -> Client {
    sdk_client!(aws_sdk_cloudformation, addr, REGION, test_key(ACCOUNT))
}

pub fn ssm(addr: SocketAddr) -> aws_sdk_ssm::Client {
    sdk_client!(aws_sdk_ssm, addr, REGION, test_key(ACCOUNT))
}

/// Waits until the stack leaves every *_IN_PROGRESS status; returns (status, reason).
pub async fn settle(c: &Client, stack: &str) -> (String, Option<String>) {
    for _ in 0..3000 {
        let s = c.describe_stacks().stack_name(stack).send().await.unwrap();
        let s = &s.stacks()[0];
        let status = s.stack_status().unwrap().as_str().to_string();
        if !status.ends_with("_IN_PROGRESS") {
            return (status, s.stack_status_reason().map(str::to_string));
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("stack {stack} did not settle");
}

/// Creates a stack from `body` and waits for it; returns (stack id, status).
pub async fn deploy(
    c: &Client,
    name: &str,
    body: &str,
    params: &[(&str, &str)],
) -> (String, String) {
    let mut req = c
        .create_stack()
        .stack_name(name)
        .template_body(body)
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam);
    for (k, v) in params {
        req = req.parameters(
            Parameter::builder()
                .parameter_key(*k)
                .parameter_value(*v)
                .build(),
        );
    }
    let id = req.send().await.unwrap().stack_id.unwrap();
    let (status, _) = settle(c, &id).await;
    (id, status)
}

/// (logical id, status, reason) of every event, oldest first.
pub async fn events(c: &Client, stack: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = c
            .describe_stack_events()
            .stack_name(stack)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        for e in page.stack_events() {
            out.push((
                e.logical_resource_id().unwrap().to_string(),
                e.resource_status().unwrap().as_str().to_string(),
                e.resource_status_reason().unwrap_or_default().to_string(),
            ));
        }
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    out.reverse();
    out
}

pub async fn output(c: &Client, stack: &str, key: &str) -> String {
    let s = c.describe_stacks().stack_name(stack).send().await.unwrap();
    s.stacks()[0]
        .outputs()
        .iter()
        .find(|o| o.output_key() == Some(key))
        .and_then(|o| o.output_value())
        .unwrap_or_else(|| panic!("no output {key}"))
        .to_string()
}

pub const PARAMS: &str = r"
Parameters:
  Count:
    Type: Number
    Default: 2
Resources:
  First:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Value: !Sub 'first-${Count}'
  Second:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub '/${AWS::StackName}/second'
      Type: String
      Value: !GetAtt First.Value
Outputs:
  FirstName:
    Value: !Ref First
  SecondName:
    Value: !Ref Second
";

#[tokio::test]
async fn create_update_delete_walk_the_status_machine() {
    let server = shared();
    let c = cfn(server.addr);
    let params = ssm(server.addr);
    let name = unique("machine");
    let (id, status) = deploy(&c, &name, PARAMS, &[]).await;
    assert_eq!(status, "CREATE_COMPLETE");
    assert!(id.starts_with(&format!(
        "arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/{name}/"
    )));
    let second = output(&c, &name, "SecondName").await;
    assert_eq!(second, format!("/{name}/second"));
    let v = params.get_parameter().name(&second).send().await.unwrap();
    assert_eq!(v.parameter().unwrap().value(), Some("first-2"));
    let ev = events(&c, &name).await;
    let expected = [
        (name.as_str(), "CREATE_IN_PROGRESS", "User Initiated"),
        ("First", "CREATE_IN_PROGRESS", ""),
        ("First", "CREATE_IN_PROGRESS", "Resource creation Initiated"),
        ("First", "CREATE_COMPLETE", ""),
        ("Second", "CREATE_IN_PROGRESS", ""),
        (
            "Second",
            "CREATE_IN_PROGRESS",
            "Resource creation Initiated",
        ),
        ("Second", "CREATE_COMPLETE", ""),
        (name.as_str(), "CREATE_COMPLETE", ""),
    ];
    let got: Vec<(&str, &str, &str)> = ev
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    assert_eq!(got, expected);

    // An update in place: a new value, no replacement.
    c.update_stack()
        .stack_name(&name)
        .use_previous_template(true)
        .parameters(
            Parameter::builder()
                .parameter_key("Count")
                .parameter_value("3")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(settle(&c, &name).await.0, "UPDATE_COMPLETE");
    let v = params.get_parameter().name(&second).send().await.unwrap();
    assert_eq!(v.parameter().unwrap().value(), Some("first-3"));
    assert_eq!(
        output(&c, &name, "SecondName").await,
        second,
        "updated in place"
    );
    let tail: Vec<String> = events(&c, &name)
        .await
        .iter()
        .rev()
        .take(2)
        .map(|e| e.1.clone())
        .collect();
    assert_eq!(
        tail,
        ["UPDATE_COMPLETE", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"]
    );

    // Nothing to change: AWS's error.
    let e = err(c
        .update_stack()
        .stack_name(&name)
        .use_previous_template(true)
        .parameters(
            Parameter::builder()
                .parameter_key("Count")
                .use_previous_value(true)
                .build(),
        )
        .send()
        .await);
    assert_eq!(
        e,
        (
            "ValidationError".into(),
            "No updates are to be performed.".into()
        )
    );

    c.delete_stack().stack_name(&name).send().await.unwrap();
    assert_eq!(settle(&c, &id).await.0, "DELETE_COMPLETE");
    assert!(params.get_parameter().name(&second).send().await.is_err());
    let e = err(c.describe_stacks().stack_name(&name).send().await);
    assert_eq!(
        e,
        (
            "ValidationError".into(),
            format!("Stack with id {name} does not exist")
        )
    );
    // By id a deleted stack is still found, and ListStacks shows it.
    let listed = c.list_stacks().send().await.unwrap();
    assert!(listed
        .stack_summaries()
        .iter()
        .any(|s| s.stack_id() == Some(id.as_str())
            && s.stack_status().unwrap().as_str() == "DELETE_COMPLETE"));
    // Deleting again, or a stack that never was, succeeds.
    c.delete_stack().stack_name(&name).send().await.unwrap();
    c.delete_stack()
        .stack_name("never-was")
        .send()
        .await
        .unwrap();
}

pub const FAILING: &str = r#"{
  "Resources": {
    "Made": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "x"}},
    "Bucket": {"Type": "AWS::S3::Bucket", "DependsOn": "Made", "Properties": {}}
  }
}"#;

#[tokio::test]
async fn a_failed_create_rolls_back_what_it_made() {
    let server = shared();
    let c = cfn(server.addr);
    let params = ssm(server.addr);
    let name = unique("rollback");
    let (rolled_back, status) = deploy(&c, &name, FAILING, &[]).await;
    assert_eq!(status, "ROLLBACK_COMPLETE");
    let ev = events(&c, &name).await;
    let failed = ev
        .iter()
        .find(|e| e.0 == "Bucket" && e.1 == "CREATE_FAILED")
        .unwrap();
    assert!(
        failed
            .2
            .contains("AWS::S3::Bucket is not supported by LocalEmu"),
        "{}",
        failed.2
    );
    let rollback = ev.iter().find(|e| e.1 == "ROLLBACK_IN_PROGRESS").unwrap();
    assert_eq!(
        rollback.2,
        "The following resource(s) failed to create: [Bucket]. Rollback requested by user."
    );
    assert!(ev.iter().any(|e| e.0 == "Made" && e.1 == "DELETE_COMPLETE"));
    let made = c
        .describe_stack_resource()
        .stack_name(&name)
        .logical_resource_id("Made")
        .send()
        .await
        .unwrap();
    let detail = made.stack_resource_detail().unwrap();
    assert_eq!(
        detail.resource_status().unwrap().as_str(),
        "DELETE_COMPLETE"
    );
    let physical = detail.physical_resource_id().unwrap();
    assert!(
        params.get_parameter().name(physical).send().await.is_err(),
        "rolled back"
    );
    // A rolled-back stack cannot be updated, only deleted.
    let e = err(c
        .update_stack()
        .stack_name(&name)
        .template_body(FAILING)
        .send()
        .await);
    assert!(
        e.1.ends_with("is in ROLLBACK_COMPLETE state and can not be updated."),
        "{e:?}"
    );
    c.delete_stack().stack_name(&name).send().await.unwrap();
    assert_eq!(settle(&c, &rolled_back).await.0, "DELETE_COMPLETE");

    // DisableRollback keeps what was made; OnFailure DELETE deletes the stack.
    let kept = unique("kept");
    let id = c
        .create_stack()
        .stack_name(&kept)
        .template_body(FAILING)
        .disable_rollback(true)
        .send()
        .await
        .unwrap()
        .stack_id
        .unwrap();
    assert_eq!(settle(&c, &id).await.0, "CREATE_FAILED");
    let r = c
        .describe_stack_resource()
        .stack_name(&kept)
        .logical_resource_id("Made")
        .send()
        .await
        .unwrap();
    let physical = r
        .stack_resource_detail()
        .unwrap()
        .physical_resource_id()
        .unwrap()
        .to_string();
    assert!(params.get_parameter().name(&physical).send().await.is_ok());
    c.delete_stack().stack_name(&kept).send().await.unwrap();
    assert_eq!(settle(&c, &id).await.0, "DELETE_COMPLETE");
    assert!(params.get_parameter().name(&physical).send().await.is_err());

    let gone = unique("gone");
    let id = c
        .create_stack()
        .stack_name(&gone)
        .template_body(FAILING)
        .on_failure(OnFailure::Delete)
        .send()
        .await
        .unwrap()
        .stack_id
        .unwrap();
    assert_eq!(settle(&c, &id).await.0, "DELETE_COMPLETE");
}

#[tokio::test]
async fn a_failed_update_rolls_back_to_the_previous_deployment() {
    let server = shared();
    let c = cfn(server.addr);
    let params = ssm(server.addr);
    let name = unique("update-rollback");
    let (_, status) = deploy(&c, &name, PARAMS, &[]).await;
    assert_eq!(status, "CREATE_COMPLETE");
    let first = output(&c, &name, "FirstName").await;
    // The update changes First, then fails on a resource that cannot be made.
    let broken = PARAMS.replace(
        "Outputs:",
        "  Broken:\n    Type: AWS::SSM::Parameter\n    DependsOn: Second\n    Properties:\n      Type: SecureString\n      Value: x\nOutputs:",
    );
    c.update_stack()
        .stack_name(&name)
        .template_body(broken)
        .parameters(
            Parameter::builder()
                .parameter_key("Count")
                .parameter_value("9")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let (status, _) = settle(&c, &name).await;
    assert_eq!(status, "UPDATE_ROLLBACK_COMPLETE");
    let v = params.get_parameter().name(&first).send().await.unwrap();
    assert_eq!(v.parameter().unwrap().value(), Some("first-2"), "put back");
    let ev = events(&c, &name).await;
    let reason = ev
        .iter()
        .find(|e| e.1 == "UPDATE_ROLLBACK_IN_PROGRESS")
        .unwrap();
    assert_eq!(
        reason.2,
        "The following resource(s) failed to update: [Broken]. "
    );
    let failed = ev
        .iter()
        .find(|e| e.0 == "Broken" && e.1 == "CREATE_FAILED")
        .unwrap();
    assert!(failed.2.contains("SecureString"), "{}", failed.2);
    let resources = c
        .list_stack_resources()
        .stack_name(&name)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = resources
        .stack_resource_summaries()
        .iter()
        .filter_map(|r| r.logical_resource_id())
        .collect();
    assert_eq!(names, ["First", "Second"]);
    let template = c.get_template().stack_name(&name).send().await.unwrap();
    assert_eq!(
        template.template_body(),
        Some(PARAMS),
        "the previous template is back"
    );
    // From UPDATE_ROLLBACK_COMPLETE a stack can be updated again.
    c.update_stack()
        .stack_name(&name)
        .use_previous_template(true)
        .parameters(
            Parameter::builder()
                .parameter_key("Count")
                .parameter_value("5")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(settle(&c, &name).await.0, "UPDATE_COMPLETE");
}

#[tokio::test]
async fn templates_and_parameters_are_checked_as_aws_checks_them() {
    let server = shared();
    let c = cfn(server.addr);
    let bad = |body: &'static str| {
        c.create_stack()
            .stack_name(unique("bad"))
            .template_body(body)
            .send()
    };
    let e = err(bad("Resources: {}").await);
    assert_eq!(
        e,
        (
            "ValidationError".into(),
            "Template format error: At least one Resources member must be defined.".into()
        )
    );
    let e = err(bad("Resources:\n  A:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Value: !Ref Nope\n").await);
    assert_eq!(e.1, "Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template");
    let e = err(bad("Resources:\n  A:\n    Type: AWS::SSM::Parameter\n    DependsOn: B\n  B:\n    Type: AWS::SSM::Parameter\n    DependsOn: A\n").await);
    assert_eq!(e.1, "Circular dependency between resources: [A, B]");
    let e = err(bad("Resources:\n  A:\n    Type: Not-a-type\n").await);
    assert_eq!(
        e.1,
        "Template format error: Unrecognized resource types: [Not-a-type]"
    );
    for (body, message) in [
        (
            r#"{"Resources": "", "Outputs": ""}"#,
            "Template format error: Any Resources member must be an object.",
        ),
        (
            r#"{"Resources": {"A": {"Type": "AWS::SSM::Parameter"}}, "Outputs": {"O": {"Value": null}}}"#,
            "[/Outputs/O/Value] 'null' values are not allowed in templates",
        ),
        (
            r#"{"Resources": {"A": {"Type": "AWS::SSM::Parameter"}}, "Outputs": {"O": {}}}"#,
            "Template format error: Every Outputs member must contain a Value object",
        ),
        (
            r#"{"Resources": {"A": {"Type": "AWS::SSM::Parameter", "Invalid": 10}}}"#,
            "Invalid template resource property 'Invalid'",
        ),
        (
            r#"{"Mappings": {"M": {"A": "a"}}, "Resources": {"A": {"Type": "AWS::SSM::Parameter"}}}"#,
            "Template format error: Every Mappings member A must be a map",
        ),
        (
            r#"{"Mappings": {"M": {"A": {"S": {"V": "a"}}}}, "Resources": {"A": {"Type": "AWS::SSM::Parameter"}}}"#,
            "Template format error: Every Mappings attribute must be a String or a List.",
        ),
    ] {
        assert_eq!(
            err(bad(body).await),
            ("ValidationError".into(), message.into())
        );
    }
    // Intrinsic functions given the wrong arguments or names, refused before anything is made.
    for (value, message) in [
        (
            r#"{"Fn::Select": ["x", ["a"]]}"#,
            "Template error: Fn::Select requires a list argument with two elements: an integer index and a list",
        ),
        (
            r#"{"Fn::Select": [3, ["a"]]}"#,
            "Template error: Fn::Select requires a list argument with two elements: an integer index and a list",
        ),
        (
            r#"{"Fn::Split": [","]}"#,
            "Template error: every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string to be split or a function that returns a string to be split.",
        ),
        (
            r#"{"Fn::If": ["MissingCondition", "a", "b"]}"#,
            "Template error: unresolved condition dependency MissingCondition in Fn::If",
        ),
    ] {
        let body = format!(
            r#"{{"Resources": {{"A": {{"Type": "AWS::SSM::Parameter", "Properties": {{"Type": "String", "Value": {value}}}}}}}}}"#
        );
        let e = c
            .create_stack()
            .stack_name(unique("bad"))
            .template_body(body)
            .send()
            .await;
        assert_eq!(err(e), ("ValidationError".into(), message.into()), "{value}");
    }
    let equals = r#"{"Conditions": {"C": {"Fn::Equals": ["a"]}}, "Resources": {"A": {"Type": "AWS::SSM::Parameter", "Condition": "C", "Properties": {"Type": "String", "Value": "v"}}}}"#;
    assert_eq!(
        err(bad(equals).await),
        (
            "ValidationError".into(),
            "Template error: every Fn::Equals object requires a list of 2 string parameters."
                .into()
        )
    );
    let e = err(bad("Resources: [").await);
    assert!(
        e.1.starts_with("Template format error: YAML not well-formed."),
        "{e:?}"
    );
    let e = err(bad("Resources:\n  R:\n    Type: AWS::IAM::Role\n").await);
    assert_eq!(
        e,
        (
            "InsufficientCapabilitiesException".into(),
            "Requires capabilities : [CAPABILITY_IAM]".into()
        )
    );
    let e = err(bad(
        "Parameters:\n  P:\n    Type: String\nResources:\n  A:\n    Type: AWS::SSM::Parameter\n",
    )
    .await);
    assert_eq!(e.1, "Parameters: [P] must have values");
    let e = err(c
        .create_stack()
        .stack_name("bad_name")
        .template_body(PARAMS)
        .send()
        .await);
    assert!(e.1.contains("failed to satisfy constraint"), "{e:?}");
    let e = err(c
        .create_stack()
        .stack_name(unique("p"))
        .template_body(PARAMS)
        .parameters(
            Parameter::builder()
                .parameter_key("Nope")
                .parameter_value("1")
                .build(),
        )
        .send()
        .await);
    assert_eq!(e.1, "Parameters: [Nope] do not exist in the template");
    let e = err(c
        .create_stack()
        .stack_name(unique("p"))
        .template_body(PARAMS)
        .parameters(
            Parameter::builder()
                .parameter_key("Count")
                .parameter_value("many")
                .build(),
        )
        .send()
        .await);
    assert_eq!(e.1, "Parameter 'Count' must be a number.");
    let allowed = "Parameters:\n  Env:\n    Type: String\n    AllowedValues: [dev, prod]\nResources:\n  A:\n    Type: AWS::SSM::Parameter\n    Properties: {Type: String, Value: !Ref Env}\n";
    let e = err(c
        .create_stack()
        .stack_name(unique("p"))
        .template_body(allowed)
        .parameters(
            Parameter::builder()
                .parameter_key("Env")
                .parameter_value("qa")
                .build(),
        )
        .send()
        .await);
    assert_eq!(e.1, "Parameter 'Env' must be one of AllowedValues");
    let name = unique("dup");
    deploy(&c, &name, PARAMS, &[]).await;
    let e = err(c
        .create_stack()
        .stack_name(&name)
        .template_body(PARAMS)
        .send()
        .await);
    assert_eq!(
        e,
        (
            "AlreadyExistsException".into(),
            format!("Stack [{name}] already exists")
        )
    );

    let v = c
        .validate_template()
        .template_body(allowed)
        .send()
        .await
        .unwrap();
    assert_eq!(v.parameters()[0].parameter_key(), Some("Env"));
    let summary = c
        .get_template_summary()
        .template_body(
            "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties: {RoleName: r}\n",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(summary.capabilities()[0].as_str(), "CAPABILITY_NAMED_IAM");
    assert_eq!(
        summary.capabilities_reason(),
        Some("The following resource(s) require capabilities: [AWS::IAM::Role]")
    );
    assert_eq!(summary.resource_types(), ["AWS::IAM::Role"]);
}

#[tokio::test]
async fn intrinsic_functions_conditions_and_mappings() {
    let server = shared();
    let c = cfn(server.addr);
    let body = include_str!("fixtures/stacks/intrinsics.yaml");
    let name = unique("intrinsics");
    let (id, status) = deploy(&c, &name, body, &[("Env", "prod"), ("Zones", "a,b,c")]).await;
    assert_eq!(status, "CREATE_COMPLETE");
    let out = |k: &'static str| output(&c, &name, k);
    assert_eq!(
        out("Sub").await,
        format!("{name}/us-east-1/{ACCOUNT}/aws/amazonaws.com/${{Literal}}")
    );
    assert_eq!(out("Join").await, "a-b-c");
    assert_eq!(out("Select").await, "b");
    assert_eq!(out("Split").await, "y");
    assert_eq!(out("If").await, "big");
    assert_eq!(out("FindInMap").await, "m5.large");
    assert_eq!(out("Base64").await, "aGVsbG8=");
    assert_eq!(out("StackId").await, id);
    assert_eq!(out("GetAtt").await, "prod-value");
    assert_eq!(out("Azs").await, "us-east-1b");
    let described = c.describe_stacks().stack_name(&name).send().await.unwrap();
    let outputs: Vec<&str> = described.stacks()[0]
        .outputs()
        .iter()
        .filter_map(|o| o.output_key())
        .collect();
    assert!(
        !outputs.contains(&"DevOnly"),
        "an output whose condition is false is left out"
    );
    let resources = c
        .list_stack_resources()
        .stack_name(&name)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = resources
        .stack_resource_summaries()
        .iter()
        .filter_map(|r| r.logical_resource_id())
        .collect();
    assert!(
        names.contains(&"ProdOnly") && !names.contains(&"DevOnly"),
        "{names:?}"
    );
    // NoEcho parameters are masked.
    let params = described.stacks()[0].parameters();
    let secret = params
        .iter()
        .find(|p| p.parameter_key() == Some("Password"))
        .unwrap();
    assert_eq!(secret.parameter_value(), Some("****"));
}
