use super::intrinsics::{Budget, Resources, Scope};
use super::*;
use serde_json::{json, Value};
use std::collections::HashMap;

struct Made;

impl Resources for Made {
    fn reference(&self, logical: &str) -> Option<String> {
        Some(format!("ref-{logical}"))
    }

    fn attribute(&self, logical: &str, attribute: &str) -> Result<Value, String> {
        Ok(Value::String(format!("{logical}.{attribute}")))
    }
}

fn eval(t: &Template, v: Value) -> Result<Option<Value>, String> {
    let mut params = HashMap::new();
    params.insert("Env".to_string(), json!("prod"));
    params.insert("List".to_string(), json!(["a", "b"]));
    let budget = Budget::default();
    let scope = Scope {
        budget: &budget,
        template: t,
        parameters: &params,
        account: "111122223333",
        region: "eu-west-1",
        stack_name: "s",
        stack_id: "arn:s",
        conditions: &HashMap::new(),
        resources: &Made,
    };
    let conditions = scope.evaluate_conditions()?;
    Scope {
        conditions: &conditions,
        ..scope
    }
    .eval(&v)
}

const BASE: &str = "Parameters:\n  Env: {Type: String}\n  List: {Type: CommaDelimitedList}\nMappings:\n  M:\n    prod: {Size: large}\nConditions:\n  Prod: !Equals [!Ref Env, prod]\n  NotProd: !Not [!Condition Prod]\nResources:\n  A:\n    Type: AWS::SSM::Parameter\n  B:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Value: !GetAtt A.Value\n  C:\n    Type: AWS::SSM::Parameter\n    DependsOn: B\n";

#[test]
fn functions_evaluate_as_aws_defines_them() {
    let t = read(BASE).unwrap();
    let cases = [
        (
            json!({"Fn::Sub": "${AWS::Region}:${Env}:${A}:${A.Arn}:${!Keep}"}),
            json!("eu-west-1:prod:ref-A:A.Arn:${Keep}"),
        ),
        (
            json!({"Fn::Sub": ["${X}-${Env}", {"X": {"Ref": "A"}}]}),
            json!("ref-A-prod"),
        ),
        (json!({"Fn::Join": [",", {"Ref": "List"}]}), json!("a,b")),
        (json!({"Fn::Select": ["1", {"Ref": "List"}]}), json!("b")),
        (json!({"Fn::Split": ["|", "x|y"]}), json!(["x", "y"])),
        (json!({"Fn::If": ["NotProd", "a", "b"]}), json!("b")),
        (
            json!({"Fn::FindInMap": ["M", {"Ref": "Env"}, "Size"]}),
            json!("large"),
        ),
        (
            json!({"Fn::FindInMap": ["M", "dev", "Size", {"DefaultValue": "small"}]}),
            json!("small"),
        ),
        (json!({"Fn::Base64": "hi"}), json!("aGk=")),
        (
            json!({"Fn::GetAZs": ""}),
            json!(["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
        ),
        (
            json!({"a": {"Ref": "AWS::NoValue"}, "b": [1, {"Ref": "AWS::NoValue"}]}),
            json!({"b": [1]}),
        ),
        (
            json!({"Fn::And": [{"Condition": "Prod"}, {"Fn::Equals": [1, "1"]}]}),
            json!(true),
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(eval(&t, input.clone()).unwrap(), Some(expected), "{input}");
    }
    for bad in [
        json!({"Fn::Select": ["5", ["a"]]}),
        json!({"Fn::FindInMap": ["M", "dev", "Size"]}),
        json!({"Fn::ImportValue": "x"}),
        json!({"Fn::Join": [","]}),
    ] {
        assert!(eval(&t, bad.clone()).is_err(), "{bad}");
    }
}

#[test]
fn order_follows_references_and_depends_on() {
    let t = read(BASE).unwrap();
    assert_eq!(creation_order(&t, &|_| true).unwrap(), ["A", "B", "C"]);
    assert_eq!(creation_order(&t, &|n| n != "B").unwrap(), ["A", "C"]);
    let cyclic = "Resources:\n  A:\n    Type: X::Y::Z\n    Properties: {V: !Ref B}\n  B:\n    Type: X::Y::Z\n    Properties: {V: !Sub '${A.Arn}'}\n";
    let t = read(cyclic).unwrap();
    assert_eq!(
        creation_order(&t, &|_| true).unwrap_err(),
        "Circular dependency between resources: [A, B]"
    );
}

#[test]
fn format_errors() {
    let cases = [
        ("Resources: {}", "At least one Resources member must be defined."),
        ("Foo: 1\nResources: {A: {Type: X::Y::Z}}", "Invalid template property or properties [Foo]"),
        ("AWSTemplateFormatVersion: '2011-01-01'\nResources: {A: {Type: X::Y::Z}}", "'2011-01-01' is not a supported AWSTemplateFormatVersion value."),
        ("Resources: {A-1: {Type: X::Y::Z}}", "Resource name A-1 is non alphanumeric."),
        ("Resources: {A: {Properties: {}}}", "[/Resources/A] Every Resources object must contain a Type member."),
        ("Resources: {A: {Type: X::Y::Z, DependsOn: B}}", "Unresolved resource dependencies [B] in the Resources block of the template"),
        ("Parameters: {P: {Type: Strin}}\nResources: {A: {Type: X::Y::Z}}", "Unrecognized parameter type: Strin"),
        ("Transform: AWS::Serverless-2016-10-31\nResources: {A: {Type: X::Y::Z}}", "Transform AWS::Serverless-2016-10-31 is not supported by LocalEmu (macros and AWS::Serverless are not run locally)."),
    ];
    for (body, message) in cases {
        assert_eq!(
            read(body).unwrap_err(),
            Refusal::Format(message.into()),
            "{body}"
        );
    }
    assert!(read(&"x".repeat(parse::MAX_BODY + 1)).is_err());
}

#[test]
fn list_parameter_types_are_lists() {
    for type_ in [
        "List<String>",
        "List<Number>",
        "CommaDelimitedList",
        "List<AWS::EC2::VPC::Id>",
        "AWS::SSM::Parameter::Value<List<String>>",
    ] {
        let t = read(&format!(
            "Parameters: {{P: {{Type: '{type_}'}}}}\nResources: {{A: {{Type: X::Y::Z}}}}"
        ))
        .unwrap();
        assert!(t.parameters["P"].is_list(), "{type_}");
    }
}

#[test]
fn conditions_refer_to_conditions_in_any_order() {
    let t = read("Conditions:\n  B: !Not [!Condition A]\n  A: !Equals [x, x]\nResources: {R: {Type: X::Y::Z}}\n").unwrap();
    assert_eq!(
        eval(&t, json!({"Fn::If": ["B", 1, 2]})).unwrap(),
        Some(json!(2))
    );
    let t = read("Conditions:\n  A: !Not [!Condition B]\n  B: !Not [!Condition A]\nResources: {R: {Type: X::Y::Z}}\n").unwrap();
    assert!(eval(&t, json!(1)).is_err());
}

#[test]
fn hostile_templates_are_refused_quickly() {
    // Aliases that would expand to billions of nodes.
    let mut laughs = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        laughs.push_str(&format!(
            "{}: &{} [*{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}]\n",
            (b'a' + i) as char,
            (b'a' + i) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char
        ));
    }
    laughs.push_str("Resources: {A: {Type: X::Y::Z, Properties: {V: *i}}}\n");
    let started = std::time::Instant::now();
    assert!(read(&laughs).is_err());
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    let deep = format!(
        "Resources: {{A: {{Type: X::Y::Z, Properties: {{V: {}{}}}}}}}",
        "[".repeat(200),
        "]".repeat(200)
    );
    assert!(read(&deep).is_err());
    let mut many = String::new();
    for i in 0..501 {
        many.push_str(&format!(
            "  R{i}: {{Type: X::Y::Z}}
"
        ));
    }
    assert_eq!(
        read(&format!("Resources:\n{many}")).unwrap_err(),
        Refusal::Format("Number of resources, 501, is greater than maximum allowed, 500".into())
    );
}
