//! The resource types a stack holds, seen through their own services' APIs; dynamic
//! references; a secret stack whose rotation really runs; a template of the shape the CDK
//! synthesizes.

use crate::common::*;
use crate::stacks::{cfn, deploy, events, output, settle, ssm, ACCOUNT};
use aws_sdk_cloudformation::types::Parameter;

fn sm(addr: std::net::SocketAddr) -> aws_sdk_secretsmanager::Client {
    client_for(addr, ACCOUNT, REGION)
}

#[tokio::test]
async fn every_resource_type_is_made_updated_and_deleted_by_its_service() {
    let server = shared();
    let c = cfn(server.addr);
    let name = unique("types");
    let body = include_str!("fixtures/stacks/resources.yaml");
    let (id, status) = deploy(&c, &name, body, &[]).await;
    assert_eq!(status, "CREATE_COMPLETE", "{:?}", events(&c, &name).await);
    let out = |k: &'static str| output(&c, &name, k);

    let kms = kms_client(server.addr, ACCOUNT);
    let key = kms
        .describe_key()
        .key_id(out("KeyId").await)
        .send()
        .await
        .unwrap();
    let key = key.key_metadata().unwrap();
    assert_eq!(key.arn(), Some(out("KeyArn").await.as_str()));
    assert_eq!(key.description(), Some("stack key"));
    assert_eq!(out("Alias").await, format!("alias/{name}"));

    let secrets = sm(server.addr);
    let arn = out("SecretArn").await;
    assert_eq!(out("SecretId").await, arn);
    assert_eq!(out("PolicyRef").await, arn);
    let desc = secrets
        .describe_secret()
        .secret_id(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(desc.description(), Some("label one"));
    assert_eq!(desc.kms_key_id(), Some(format!("alias/{name}").as_str()));
    assert_eq!(desc.tags()[0].key(), Some("team"));
    assert_eq!(desc.replication_status()[0].region(), Some("us-west-2"));
    let policy = secrets
        .get_resource_policy()
        .secret_id(&arn)
        .send()
        .await
        .unwrap();
    assert!(policy
        .resource_policy()
        .unwrap()
        .contains("secretsmanager:GetSecretValue"));

    assert_eq!(
        out("RoleArn").await,
        format!("arn:aws:iam::{ACCOUNT}:role/{name}-role")
    );
    let lambda = sdk_client!(aws_sdk_lambda, server.addr, REGION, test_key(ACCOUNT));
    let function = out("FunctionName").await;
    let f = lambda
        .get_function()
        .function_name(&function)
        .send()
        .await
        .unwrap();
    assert_eq!(
        f.configuration().unwrap().function_arn(),
        Some(out("FunctionArn").await.as_str())
    );
    let invoked = lambda
        .invoke()
        .function_name(&function)
        .send()
        .await
        .unwrap();
    assert_eq!(invoked.payload().unwrap().as_ref(), br#"{"label": "one"}"#);
    let p = lambda
        .get_policy()
        .function_name(&function)
        .send()
        .await
        .unwrap();
    assert!(p.policy().unwrap().contains("secretsmanager.amazonaws.com"));

    let params = ssm(server.addr);
    let list = params
        .get_parameter()
        .name(format!("/{name}/list"))
        .send()
        .await
        .unwrap();
    assert_eq!(list.parameter().unwrap().value(), Some("a,b"));
    assert_eq!(out("ListType").await, "StringList");

    // An update without interruption: same secret, same function, new label.
    c.update_stack()
        .stack_name(&name)
        .use_previous_template(true)
        .capabilities(aws_sdk_cloudformation::types::Capability::CapabilityNamedIam)
        .parameters(
            Parameter::builder()
                .parameter_key("Label")
                .parameter_value("two")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        settle(&c, &name).await.0,
        "UPDATE_COMPLETE",
        "{:?}",
        events(&c, &name).await
    );
    assert_eq!(out("SecretArn").await, arn);
    let desc = secrets
        .describe_secret()
        .secret_id(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(desc.description(), Some("label two"));
    let invoked = lambda
        .invoke()
        .function_name(&function)
        .send()
        .await
        .unwrap();
    assert_eq!(invoked.payload().unwrap().as_ref(), br#"{"label": "two"}"#);

    // Deleting the stack deletes the secret at once (its replica first), schedules the key's
    // deletion, and removes the rest.
    let key_id = out("KeyId").await;
    c.delete_stack().stack_name(&name).send().await.unwrap();
    assert_eq!(settle(&c, &id).await.0, "DELETE_COMPLETE");
    let e = err(secrets.describe_secret().secret_id(&arn).send().await);
    assert_eq!(e.0, "ResourceNotFoundException");
    let west = client_for(server.addr, ACCOUNT, "us-west-2");
    assert!(west
        .describe_secret()
        .secret_id(arn.replace("us-east-1", "us-west-2"))
        .send()
        .await
        .is_err());
    let key = kms.describe_key().key_id(&key_id).send().await.unwrap();
    assert_eq!(
        key.key_metadata().unwrap().key_state().unwrap().as_str(),
        "PendingDeletion"
    );
    let aliases = kms.list_aliases().send().await.unwrap();
    assert!(!aliases
        .aliases()
        .iter()
        .any(|a| a.alias_name() == Some(format!("alias/{name}").as_str())));
    assert!(lambda
        .get_function()
        .function_name(&function)
        .send()
        .await
        .is_err());
    assert!(params
        .get_parameter()
        .name(format!("/{name}/list"))
        .send()
        .await
        .is_err());
}

#[tokio::test]
async fn dynamic_references_resolve_and_never_show() {
    let server = shared();
    let c = cfn(server.addr);
    let secrets = sm(server.addr);
    let params = ssm(server.addr);
    let secret = unique("dyn-secret");
    let value = "pa55-word-never-shown";
    secrets
        .create_secret()
        .name(&secret)
        .secret_string(format!(r#"{{"user": "app", "password": "{value}"}}"#))
        .send()
        .await
        .unwrap();
    let plain = unique("dyn-plain");
    params
        .put_parameter()
        .name(&plain)
        .value("plain-value")
        .r#type("String".into())
        .send()
        .await
        .unwrap();
    let secure = unique("dyn-secure");
    params
        .put_parameter()
        .name(&secure)
        .value("secure-value")
        .r#type("SecureString".into())
        .send()
        .await
        .unwrap();
    let body = format!(
        "Resources:\n  FromSecret:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Type: String\n      Value: 'pw={{{{resolve:secretsmanager:{secret}:SecretString:password}}}}'\n  Whole:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Type: String\n      Value: '{{{{resolve:secretsmanager:{secret}}}}}'\n  FromSsm:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Type: String\n      Value: '{{{{resolve:ssm:{plain}:1}}}}+{{{{resolve:ssm-secure:{secure}}}}}'\nOutputs:\n  Shown:\n    Value: !GetAtt FromSecret.Value\n  Name:\n    Value: !Ref FromSecret\n  Ssm:\n    Value: !Ref FromSsm\n"
    );
    let name = unique("dynamic");
    let (_, status) = deploy(&c, &name, &body, &[]).await;
    assert_eq!(status, "CREATE_COMPLETE", "{:?}", events(&c, &name).await);
    let got = |n: String| {
        let params = params.clone();
        async move {
            params
                .get_parameter()
                .name(n)
                .send()
                .await
                .unwrap()
                .parameter
                .unwrap()
                .value
                .unwrap()
        }
    };
    assert_eq!(
        got(output(&c, &name, "Name").await).await,
        format!("pw={value}")
    );
    assert_eq!(
        got(output(&c, &name, "Ssm").await).await,
        "plain-value+secure-value"
    );
    // The stack shows the reference, never the value.
    assert_eq!(
        output(&c, &name, "Shown").await,
        format!("pw={{{{resolve:secretsmanager:{secret}:SecretString:password}}}}")
    );
    let described = format!(
        "{:?}",
        c.describe_stacks().stack_name(&name).send().await.unwrap()
    );
    let template = format!(
        "{:?}",
        c.get_template().stack_name(&name).send().await.unwrap()
    );
    let history = format!("{:?}", events(&c, &name).await);
    for text in [described, template, history] {
        assert!(
            !text.contains(value) && !text.contains("secure-value"),
            "{text}"
        );
    }

    // A version stage picks an older value.
    secrets
        .put_secret_value()
        .secret_id(&secret)
        .secret_string(r#"{"password": "newer"}"#)
        .send()
        .await
        .unwrap();
    let staged = format!("Resources:\n  P:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Type: String\n      Value: '{{{{resolve:secretsmanager:{secret}:SecretString:password:AWSPREVIOUS}}}}/{{{{resolve:secretsmanager:{secret}::password}}}}'\nOutputs:\n  Name:\n    Value: !Ref P\n");
    let name = unique("staged");
    let (_, status) = deploy(&c, &name, &staged, &[]).await;
    assert_eq!(status, "CREATE_COMPLETE", "{:?}", events(&c, &name).await);
    assert_eq!(
        got(output(&c, &name, "Name").await).await,
        format!("{value}/newer")
    );

    // AWS's failures: a missing secret, a missing key.
    let missing = "Resources:\n  P:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Type: String\n      Value: '{{resolve:secretsmanager:no-such-secret}}'\n";
    let (_, status) = deploy(&c, &unique("nosecret"), missing, &[]).await;
    assert_eq!(status, "ROLLBACK_COMPLETE");
    let no_key = body.replace(":SecretString:password", ":SecretString:nokey");
    let failing = unique("nokey");
    let (_, status) = deploy(&c, &failing, &no_key, &[]).await;
    assert_eq!(status, "ROLLBACK_COMPLETE");
    let ev = events(&c, &failing).await;
    let failed = ev.iter().find(|e| e.1 == "CREATE_FAILED").unwrap();
    assert_eq!(
        failed.2,
        "Could not find a value associated with JSONKey in SecretString"
    );
}

#[tokio::test]
async fn a_secret_stack_rotates_with_its_own_function() {
    let server = shared();
    let c = cfn(server.addr);
    let code = include_str!("fixtures/rotation.py");
    let indented: String = code.lines().fold(String::new(), |mut out, l| {
        out.push_str("          ");
        out.push_str(l);
        out.push('\n');
        out
    });
    let body = format!(
        "Resources:\n  Secret:\n    Type: AWS::SecretsManager::Secret\n    Properties:\n      GenerateSecretString:\n        PasswordLength: 24\n        ExcludePunctuation: true\n  Rotator:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.12\n      Handler: index.handler\n      Role: arn:aws:iam::{ACCOUNT}:role/rotation\n      Timeout: 30\n      Code:\n        ZipFile: |\n{indented}  Allow:\n    Type: AWS::Lambda::Permission\n    Properties:\n      FunctionName: !GetAtt Rotator.Arn\n      Action: lambda:InvokeFunction\n      Principal: secretsmanager.amazonaws.com\n  Schedule:\n    Type: AWS::SecretsManager::RotationSchedule\n    DependsOn: Allow\n    Properties:\n      SecretId: !Ref Secret\n      RotationLambdaARN: !GetAtt Rotator.Arn\n      RotationRules:\n        AutomaticallyAfterDays: 30\nOutputs:\n  Arn:\n    Value: !Ref Secret\n  Function:\n    Value: !Ref Rotator\n"
    );
    let name = unique("rotating");
    let (id, status) = deploy(&c, &name, &body, &[]).await;
    assert_eq!(status, "CREATE_COMPLETE", "{:?}", events(&c, &name).await);
    let arn = output(&c, &name, "Arn").await;
    assert!(arn.contains(":secret:Secret-"), "a generated name: {arn}");
    let secrets = sm(server.addr);
    let mut rotated = None;
    for _ in 0..600 {
        let v = secrets
            .get_secret_value()
            .secret_id(&arn)
            .send()
            .await
            .unwrap();
        if v.secret_string().unwrap().starts_with("rotated-") {
            rotated = Some(v);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        rotated.is_some(),
        "the function ran its four steps and AWSCURRENT moved"
    );
    let desc = secrets
        .describe_secret()
        .secret_id(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(desc.rotation_enabled(), Some(true));
    assert_eq!(
        desc.rotation_rules().unwrap().automatically_after_days(),
        Some(30)
    );
    assert_eq!(
        desc.version_ids_to_stages().unwrap().len(),
        2,
        "AWSCURRENT and AWSPREVIOUS"
    );

    c.delete_stack().stack_name(&name).send().await.unwrap();
    assert_eq!(settle(&c, &id).await.0, "DELETE_COMPLETE");
    assert_eq!(
        err(secrets.describe_secret().secret_id(&arn).send().await).0,
        "ResourceNotFoundException"
    );

    // A hosted rotation function is refused with a reason that says why.
    let hosted = "Resources:\n  S:\n    Type: AWS::SecretsManager::Secret\n  R:\n    Type: AWS::SecretsManager::RotationSchedule\n    Properties:\n      SecretId: !Ref S\n      HostedRotationLambda:\n        RotationType: PostgreSQLSingleUser\n      RotationRules:\n        AutomaticallyAfterDays: 30\n";
    let failing = unique("hosted");
    let (_, status) = deploy(&c, &failing, hosted, &[]).await;
    assert_eq!(status, "ROLLBACK_COMPLETE");
    let ev = events(&c, &failing).await;
    let failed = ev.iter().find(|e| e.1 == "CREATE_FAILED").unwrap();
    assert!(
        failed
            .2
            .starts_with("HostedRotationLambda is not supported by LocalEmu"),
        "{}",
        failed.2
    );
}

#[tokio::test]
async fn a_cdk_shaped_template_deploys_unchanged() {
    let server = shared();
    // What `cdk bootstrap` leaves in the account, which the template's rule checks.
    ssm(server.addr)
        .put_parameter()
        .name("/cdk-bootstrap/hnb659fds/version")
        .value("21")
        .r#type("String".into())
        .overwrite(true)
        .send()
        .await
        .unwrap();
    let c = cfn(server.addr);
    let name = unique("cdk");
    let body = include_str!("fixtures/stacks/cdk-secret-rotation.json");
    let (id, status) = deploy(&c, &name, body, &[]).await;
    assert_eq!(status, "CREATE_COMPLETE", "{:?}", events(&c, &name).await);
    let arn = output(&c, &name, "SecretArn").await;
    let secrets = sm(server.addr);
    let desc = secrets
        .describe_secret()
        .secret_id(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(desc.rotation_enabled(), Some(true));
    assert_eq!(
        desc.rotation_rules().unwrap().schedule_expression(),
        Some("rate(30 days)")
    );
    let v = secrets
        .get_secret_value()
        .secret_id(&arn)
        .send()
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(v.secret_string().unwrap()).unwrap();
    assert_eq!(doc["username"], "admin");
    let described = c.describe_stacks().stack_name(&name).send().await.unwrap();
    let p = &described.stacks()[0].parameters()[0];
    assert_eq!(p.parameter_key(), Some("BootstrapVersion"));
    assert_eq!(p.resolved_value(), Some("21"));
    c.delete_stack().stack_name(&name).send().await.unwrap();
    assert_eq!(settle(&c, &id).await.0, "DELETE_COMPLETE");
}

#[tokio::test]
async fn retain_policies_keep_resources_past_their_stack() {
    let server = shared();
    let c = cfn(server.addr);
    let params = ssm(server.addr);
    let name = unique("retain");
    let body = "Parameters:\n  N: {Type: String, Default: a}\nResources:\n  Kept:\n    Type: AWS::SSM::Parameter\n    DeletionPolicy: Retain\n    Properties: {Name: !Sub '/${AWS::StackName}/kept', Type: String, Value: v}\n  Renamed:\n    Type: AWS::SSM::Parameter\n    UpdateReplacePolicy: Retain\n    Properties: {Name: !Sub '/${AWS::StackName}/${N}', Type: String, Value: v}\n";
    let (id, status) = deploy(&c, &name, body, &[]).await;
    assert_eq!(status, "CREATE_COMPLETE");
    // A replacement keeps the old parameter (UpdateReplacePolicy), ...
    c.update_stack()
        .stack_name(&name)
        .use_previous_template(true)
        .parameters(
            Parameter::builder()
                .parameter_key("N")
                .parameter_value("b")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(settle(&c, &name).await.0, "UPDATE_COMPLETE");
    for kept in ["a", "b", "kept"] {
        let n = format!("/{name}/{kept}");
        assert!(params.get_parameter().name(&n).send().await.is_ok(), "{n}");
    }
    // ... and deleting the stack skips the retained one.
    c.delete_stack().stack_name(&name).send().await.unwrap();
    assert_eq!(settle(&c, &id).await.0, "DELETE_COMPLETE");
    let ev = events(&c, &id).await;
    assert!(
        ev.iter().any(|e| e.0 == "Kept" && e.1 == "DELETE_SKIPPED"),
        "{ev:?}"
    );
    assert!(params
        .get_parameter()
        .name(format!("/{name}/kept"))
        .send()
        .await
        .is_ok());
    assert!(params
        .get_parameter()
        .name(format!("/{name}/b"))
        .send()
        .await
        .is_err());
}

#[tokio::test]
async fn eventbridge_resources_deploy_from_a_stack() {
    let server = shared();
    let c = cfn(server.addr);
    let (rx, rx_addr) = crate::events::Receiver::start().await;
    let body = format!(
        "Parameters:\n  Key: {{Type: String, NoEcho: true}}\nResources:\n  Conn:\n    Type: AWS::Events::Connection\n    Properties:\n      AuthorizationType: API_KEY\n      AuthParameters:\n        ApiKeyAuthParameters: {{ApiKeyName: x-api-key, ApiKeyValue: !Ref Key}}\n  Dest:\n    Type: AWS::Events::ApiDestination\n    Properties:\n      ConnectionArn: !GetAtt Conn.Arn\n      InvocationEndpoint: http://{rx_addr}/stack\n      HttpMethod: POST\n  Rule:\n    Type: AWS::Events::Rule\n    Properties:\n      EventPattern: {{source: [!Ref AWS::StackName]}}\n      Targets:\n        - Id: dest\n          Arn: !GetAtt Dest.Arn\nOutputs:\n  Secret: {{Value: !GetAtt Conn.SecretArn}}\n  Rule: {{Value: !GetAtt Rule.Arn}}\n"
    );
    let name = unique("eb-stack");
    let (id, status) = deploy(&c, &name, &body, &[("Key", "k-1")]).await;
    assert_eq!(status, "CREATE_COMPLETE", "{:?}", events(&c, &name).await);
    let eb = sdk_client!(aws_sdk_eventbridge, server.addr, REGION, test_key(ACCOUNT));
    let send = |n: u32| {
        eb.put_events()
            .entries(
                aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                    .source(&name)
                    .detail_type("t")
                    .detail(format!(r#"{{"n": {n}}}"#))
                    .build(),
            )
            .send()
    };
    send(1).await.unwrap();
    let got = rx.wait("/stack", 1).await;
    assert_eq!(got[0].headers.get("x-api-key").unwrap(), "k-1");
    // A new key through the stack is used by the next call.
    c.update_stack()
        .stack_name(&name)
        .use_previous_template(true)
        .parameters(
            Parameter::builder()
                .parameter_key("Key")
                .parameter_value("k-2")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        settle(&c, &name).await.0,
        "UPDATE_COMPLETE",
        "{:?}",
        events(&c, &name).await
    );
    send(2).await.unwrap();
    let got = rx.wait("/stack", 2).await;
    assert_eq!(got[1].headers.get("x-api-key").unwrap(), "k-2");
    let secret = output(&c, &name, "Secret").await;
    c.delete_stack().stack_name(&name).send().await.unwrap();
    assert_eq!(
        settle(&c, &id).await.0,
        "DELETE_COMPLETE",
        "{:?}",
        events(&c, &id).await
    );
    assert_eq!(
        err(sm(server.addr)
            .describe_secret()
            .secret_id(&secret)
            .send()
            .await)
        .0,
        "ResourceNotFoundException"
    );
    let rules = eb.list_rules().name_prefix(&name).send().await.unwrap();
    assert!(rules.rules().is_empty());
}
