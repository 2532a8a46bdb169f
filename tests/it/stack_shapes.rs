//! CloudFormation's answers in AWS's shapes: which members DescribeStacks, DescribeChangeSet,
//! GetTemplateSummary and ValidateTemplate carry, the errors for stacks and change sets that
//! do not exist, a stack's ARN as CreateChangeSet's StackName, generated physical names.

use crate::common::*;
use crate::stacks::{cfn, settle};
use aws_sdk_cloudformation::types::ChangeSetType;

const PARAMETER: &str = r#"{"Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "v"}}}}"#;

#[tokio::test]
async fn stacks_and_change_sets_show_what_aws_shows() {
    let server = TestServer::isolated().await;
    // CloudFormation's times carry milliseconds.
    server.clock.advance(123);
    let c = cfn(server.addr);
    let created = c
        .create_change_set()
        .stack_name("shapes")
        .change_set_name("first")
        .change_set_type(ChangeSetType::Create)
        .template_body(PARAMETER)
        .send()
        .await
        .unwrap();
    let cs_id = created.id.unwrap();
    let stack_id = created.stack_id.unwrap();
    let cs = c
        .describe_change_set()
        .change_set_name(&cs_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        cs.capabilities,
        Some(Vec::new()),
        "Capabilities: [] as AWS sends it"
    );
    let e = c.get_template_summary().stack_name("shapes").send().await;
    assert_eq!(
        err(e),
        (
            "ValidationError".to_string(),
            "GetTemplateSummary cannot be called on REVIEW_IN_PROGRESS stacks.".to_string()
        )
    );
    c.execute_change_set()
        .change_set_name(&cs_id)
        .send()
        .await
        .unwrap();
    assert_eq!(settle(&c, &stack_id).await.0, "CREATE_COMPLETE");
    let stack = c
        .describe_stacks()
        .stack_name(&stack_id)
        .send()
        .await
        .unwrap()
        .stacks
        .unwrap()
        .remove(0);
    assert_eq!(stack.tags, Some(Vec::new()), "Tags: [] as AWS sends it");
    assert_eq!(stack.creation_time().unwrap().subsec_nanos(), 123_000_000);
    assert_eq!(stack.change_set_id(), Some(cs_id.as_str()));
    assert_eq!(stack.enable_termination_protection(), Some(false));

    // CloudFormation's generated names end in twelve letters of both cases and digits.
    let physical = c
        .describe_stack_resource()
        .stack_name(&stack_id)
        .logical_resource_id("P")
        .send()
        .await
        .unwrap()
        .stack_resource_detail
        .unwrap()
        .physical_resource_id
        .unwrap();
    let suffix = physical.rsplit('-').next().unwrap();
    assert!(physical.starts_with("CFN-P-"), "{physical}");
    assert_eq!(suffix.len(), 12);
    assert!(
        suffix.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{physical}"
    );

    // A stack's ARN names it for CreateChangeSet.
    c.create_change_set()
        .stack_name(&stack_id)
        .change_set_name("by-arn")
        .template_body(PARAMETER.replace("\"v\"", "\"w\""))
        .send()
        .await
        .unwrap();
    let e = c
        .create_change_set()
        .stack_name(&stack_id)
        .change_set_name("again")
        .change_set_type(ChangeSetType::Create)
        .template_body(PARAMETER)
        .send()
        .await;
    assert_eq!(
        err(e),
        (
            "ValidationError".to_string(),
            format!("Stack [{stack_id}] already exists and cannot be created again with the changeSet [again].")
        )
    );

    c.delete_stack().stack_name(&stack_id).send().await.unwrap();
    assert_eq!(settle(&c, &stack_id).await.0, "DELETE_COMPLETE");
    let deleted = c
        .describe_stacks()
        .stack_name(&stack_id)
        .send()
        .await
        .unwrap()
        .stacks
        .unwrap()
        .remove(0);
    assert_eq!(deleted.enable_termination_protection(), None);
    assert_eq!(deleted.tags, Some(Vec::new()));
}

#[tokio::test]
async fn templates_and_missing_stacks_are_answered_as_aws_answers() {
    let c = cfn(shared().addr);
    let summary = c
        .get_template_summary()
        .template_body(PARAMETER)
        .send()
        .await
        .unwrap();
    let ids = summary.resource_identifier_summaries();
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].resource_type(), Some("AWS::SSM::Parameter"));
    assert_eq!(ids[0].logical_resource_ids(), ["P"]);
    assert_eq!(ids[0].resource_identifiers(), ["Name"]);
    assert!(summary.declared_transforms.is_none());
    let validated = c
        .validate_template()
        .template_body(PARAMETER)
        .send()
        .await
        .unwrap();
    assert!(validated.declared_transforms.is_none());

    let missing = (
        "ValidationError".to_string(),
        "Stack [nostack] does not exist".to_string(),
    );
    let e = c
        .describe_change_set()
        .change_set_name("x")
        .stack_name("nostack")
        .send()
        .await;
    assert_eq!(err(e), missing);
    let e = c
        .delete_change_set()
        .change_set_name("x")
        .stack_name("nostack")
        .send()
        .await;
    assert_eq!(err(e), missing);
    let e = c.get_template().send().await;
    assert_eq!(
        err(e),
        (
            "ValidationError".to_string(),
            "StackName is required if ChangeSetName is not specified.".to_string()
        )
    );
    let e = c.get_template().change_set_name("cs").send().await;
    assert_eq!(
        err(e),
        (
            "ValidationError".to_string(),
            "StackName is a required parameter.".to_string()
        )
    );
}

const BUS: &str = r"
Parameters:
  Note:
    Type: String
    Default: first
Resources:
  Bus:
    Type: AWS::Events::EventBus
    Properties:
      Name: orders-bus
      Description: !Ref Note
  OnBus:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Bus
      EventPattern: {source: [orders]}
Outputs:
  BusArn:
    Value: !GetAtt Bus.Arn
  BusName:
    Value: !GetAtt Bus.Name
";

#[tokio::test]
async fn event_buses_are_stack_resources() {
    let server = TestServer::isolated().await;
    let c = cfn(server.addr);
    let (stack, status) = crate::stacks::deploy(&c, "bus-stack", BUS, &[]).await;
    assert_eq!(status, "CREATE_COMPLETE");
    let events = sdk_client!(
        aws_sdk_eventbridge,
        server.addr,
        REGION,
        test_key(crate::stacks::ACCOUNT)
    );
    let bus = events
        .describe_event_bus()
        .name("orders-bus")
        .send()
        .await
        .unwrap();
    assert_eq!(bus.description(), Some("first"));
    assert_eq!(
        crate::stacks::output(&c, &stack, "BusArn").await,
        bus.arn().unwrap()
    );
    assert_eq!(
        crate::stacks::output(&c, &stack, "BusName").await,
        "orders-bus"
    );
    let rules = events
        .list_rules()
        .event_bus_name("orders-bus")
        .send()
        .await
        .unwrap();
    assert_eq!(rules.rules().len(), 1);
    // A new description is an update in place.
    c.update_stack()
        .stack_name(&stack)
        .template_body(BUS)
        .parameters(
            aws_sdk_cloudformation::types::Parameter::builder()
                .parameter_key("Note")
                .parameter_value("second")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(settle(&c, &stack).await.0, "UPDATE_COMPLETE");
    let bus = events
        .describe_event_bus()
        .name("orders-bus")
        .send()
        .await
        .unwrap();
    assert_eq!(bus.description(), Some("second"));
    c.delete_stack().stack_name(&stack).send().await.unwrap();
    assert_eq!(settle(&c, &stack).await.0, "DELETE_COMPLETE");
    let e = events.describe_event_bus().name("orders-bus").send().await;
    assert_eq!(err(e).0, "ResourceNotFoundException");
}

#[tokio::test]
async fn an_output_cannot_read_a_resource_its_conditions_leave_out() {
    let c = cfn(shared().addr);
    let template = r#"
Parameters:
  Make: {Type: String, Default: "no"}
Conditions:
  Wanted: !Equals [!Ref Make, "yes"]
Resources:
  P:
    Type: AWS::SSM::Parameter
    Condition: Wanted
    Properties: {Type: String, Value: v}
  Q:
    Type: AWS::SSM::Parameter
    Properties: {Type: String, Value: w}
Outputs:
  Always:
    Value: !GetAtt P.Value
  Guarded:
    Condition: Wanted
    Value: !GetAtt P.Value
  Chosen:
    Value: !If [Wanted, !GetAtt P.Value, none]
"#;
    let e = c
        .create_stack()
        .stack_name(unique("left-out"))
        .template_body(template)
        .send()
        .await;
    assert_eq!(
        err(e),
        (
            "ValidationError".to_string(),
            "Template format error: Unresolved resource dependencies [P] in the Outputs block of the template".to_string()
        )
    );
    // Without that output, the guarded and the chosen ones are fine.
    let fine = template.replace("  Always:\n    Value: !GetAtt P.Value\n", "");
    let (_, status) = crate::stacks::deploy(&c, &unique("left-out"), &fine, &[]).await;
    assert_eq!(status, "CREATE_COMPLETE");
}

#[tokio::test]
async fn termination_protection_keeps_a_stack_until_it_is_turned_off() {
    let c = cfn(shared().addr);
    let name = unique("protected");
    let (stack, status) = crate::stacks::deploy(&c, &name, PARAMETER, &[]).await;
    assert_eq!(status, "CREATE_COMPLETE");
    let out = c
        .update_termination_protection()
        .stack_name(&name)
        .enable_termination_protection(true)
        .send()
        .await
        .unwrap();
    assert_eq!(out.stack_id(), Some(stack.as_str()));
    let e = c.delete_stack().stack_name(&name).send().await;
    assert_eq!(
        err(e),
        (
            "ValidationError".to_string(),
            format!("Stack [{name}] cannot be deleted while TerminationProtection is enabled")
        )
    );
    let shown = c.describe_stacks().stack_name(&name).send().await.unwrap();
    assert_eq!(
        shown.stacks()[0].enable_termination_protection(),
        Some(true)
    );
    c.update_termination_protection()
        .stack_name(&name)
        .enable_termination_protection(false)
        .send()
        .await
        .unwrap();
    c.delete_stack().stack_name(&name).send().await.unwrap();
    assert_eq!(settle(&c, &stack).await.0, "DELETE_COMPLETE");
    let e = c
        .update_termination_protection()
        .stack_name("no-such-stack")
        .enable_termination_protection(true)
        .send()
        .await;
    assert_eq!(
        err(e),
        (
            "ValidationError".to_string(),
            "Stack with id no-such-stack does not exist".to_string()
        )
    );
}

#[tokio::test]
async fn resource_events_carry_their_properties_with_no_echo_values_masked() {
    let c = cfn(shared().addr);
    let template = r"
Parameters:
  Token: {Type: String, NoEcho: true}
Resources:
  P:
    Type: AWS::SSM::Parameter
    Properties: {Type: String, Value: !Ref Token, Description: visible}
";
    let (stack, status) =
        crate::stacks::deploy(&c, &unique("props"), template, &[("Token", "t0p-s3cret")]).await;
    assert_eq!(status, "CREATE_COMPLETE");
    let events = c
        .describe_stack_events()
        .stack_name(&stack)
        .send()
        .await
        .unwrap();
    let resource: Vec<_> = events
        .stack_events()
        .iter()
        .filter(|e| e.logical_resource_id() == Some("P"))
        .collect();
    assert!(!resource.is_empty());
    for e in resource {
        let props = e.resource_properties().unwrap_or_else(|| panic!("{e:?}"));
        let v: serde_json::Value = serde_json::from_str(props).unwrap();
        assert_eq!(v["Description"], "visible");
        assert_eq!(v["Value"], "****", "{props}");
    }
    let stack_events = events
        .stack_events()
        .iter()
        .filter(|e| e.resource_type() == Some("AWS::CloudFormation::Stack"));
    assert!(stack_events.clone().count() > 0);
    assert!(stack_events
        .into_iter()
        .all(|e| e.resource_properties().is_none()));
}

#[tokio::test]
async fn a_parameters_tags_follow_the_template_on_update() {
    let addr = shared().addr;
    let c = cfn(addr);
    let name = unique("tagged");
    let template = |tags: &str| {
        format!(
            "Resources:\n  P:\n    Type: AWS::SSM::Parameter\n    Properties: {{Name: /{name}/p, Type: String, Value: v, Tags: {tags}}}\n"
        )
    };
    let (stack, status) =
        crate::stacks::deploy(&c, &name, &template("{team: a, old: x}"), &[]).await;
    assert_eq!(status, "CREATE_COMPLETE");
    c.update_stack()
        .stack_name(&stack)
        .template_body(template("{team: b}"))
        .send()
        .await
        .unwrap();
    assert_eq!(settle(&c, &stack).await.0, "UPDATE_COMPLETE");
    let listed = crate::stacks::ssm(addr)
        .list_tags_for_resource()
        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
        .resource_id(format!("/{name}/p"))
        .send()
        .await
        .unwrap();
    // The template's tags, beside CloudFormation's own (aws:cloudformation:*).
    let tags: Vec<(String, String)> = listed
        .tag_list()
        .iter()
        .filter(|t| !t.key().starts_with("aws:"))
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    assert_eq!(tags, [("team".to_string(), "b".to_string())]);
}

#[tokio::test]
async fn list_string_parameters_are_lists() {
    let c = cfn(shared().addr);
    let name = unique("lists");
    let template = "Parameters:\n  Names: {Type: 'List<String>'}\nResources:\n  P:\n    Type: AWS::SSM::Parameter\n    Properties: {Type: String, Value: !Join ['-', !Ref Names]}\nOutputs:\n  Second: {Value: !Select [1, !Ref Names]}\n";
    let (stack, status) = crate::stacks::deploy(&c, &name, template, &[("Names", "a, b,c")]).await;
    assert_eq!(status, "CREATE_COMPLETE");
    assert_eq!(crate::stacks::output(&c, &stack, "Second").await, "b");
    let summary = c
        .get_template_summary()
        .template_body(template)
        .send()
        .await
        .unwrap();
    assert_eq!(
        summary.parameters()[0].parameter_type(),
        Some("List<String>")
    );
}
