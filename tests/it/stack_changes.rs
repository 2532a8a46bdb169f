//! Change sets (create, review, execute, delete), `awsemu cloudformation deploy` as the AWS
//! CLI's deploy, and malformed CloudFormation requests on the wire.

use crate::common::*;
use crate::stacks::{cfn, output, settle, ssm, FAILING, PARAMS};
use aws_sdk_cloudformation::types::ChangeSetType;

#[tokio::test]
async fn change_sets_create_review_and_execute() {
    let server = shared();
    let c = cfn(server.addr);
    let name = unique("changes");
    let created = c
        .create_change_set()
        .stack_name(&name)
        .change_set_name("first")
        .change_set_type(ChangeSetType::Create)
        .template_body(PARAMS)
        .send()
        .await
        .unwrap();
    let stack_id = created.stack_id.unwrap();
    let described = c.describe_stacks().stack_name(&name).send().await.unwrap();
    assert_eq!(
        described.stacks()[0].stack_status().unwrap().as_str(),
        "REVIEW_IN_PROGRESS"
    );
    let cs = c
        .describe_change_set()
        .change_set_name(created.id.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(cs.status().unwrap().as_str(), "CREATE_COMPLETE");
    assert_eq!(cs.execution_status().unwrap().as_str(), "AVAILABLE");
    let actions: Vec<(String, String)> = cs
        .changes()
        .iter()
        .map(|ch| {
            let r = ch.resource_change().unwrap();
            (
                r.logical_resource_id().unwrap().to_string(),
                r.action().unwrap().as_str().to_string(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("First".to_string(), "Add".to_string()),
            ("Second".into(), "Add".into())
        ]
    );
    let listed = c.list_change_sets().stack_name(&name).send().await.unwrap();
    assert_eq!(listed.summaries().len(), 1);
    c.execute_change_set()
        .change_set_name("first")
        .stack_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(settle(&c, &stack_id).await.0, "CREATE_COMPLETE");

    // An update that renames Second replaces it; one that changes nothing fails.
    let renamed = PARAMS.replace("/second'", "/other'");
    c.create_change_set()
        .stack_name(&name)
        .change_set_name("rename")
        .template_body(&renamed)
        .send()
        .await
        .unwrap();
    let cs = c
        .describe_change_set()
        .change_set_name("rename")
        .stack_name(&name)
        .send()
        .await
        .unwrap();
    let r = cs.changes()[0].resource_change().unwrap();
    assert_eq!(r.logical_resource_id(), Some("Second"));
    assert_eq!(r.action().unwrap().as_str(), "Modify");
    assert_eq!(r.replacement().unwrap().as_str(), "True");
    let detail = &r.details()[0];
    assert_eq!(detail.target().unwrap().name(), Some("Name"));
    assert_eq!(
        detail
            .target()
            .unwrap()
            .requires_recreation()
            .unwrap()
            .as_str(),
        "Always"
    );
    c.create_change_set()
        .stack_name(&name)
        .change_set_name("same")
        .template_body(PARAMS)
        .send()
        .await
        .unwrap();
    let same = c
        .describe_change_set()
        .change_set_name("same")
        .stack_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(same.status().unwrap().as_str(), "FAILED");
    assert_eq!(same.status_reason(), Some("The submitted information didn't contain changes. Submit different information to create a change set."));
    let e = err(c
        .execute_change_set()
        .change_set_name("same")
        .stack_name(&name)
        .send()
        .await);
    assert_eq!(e.0, "InvalidChangeSetStatus");
    let e = err(c
        .create_change_set()
        .stack_name(&name)
        .change_set_name("same")
        .template_body(PARAMS)
        .send()
        .await);
    assert_eq!(
        e,
        (
            "AlreadyExistsException".into(),
            "ChangeSet [same] already exists".into()
        )
    );
    c.delete_change_set()
        .change_set_name("same")
        .stack_name(&name)
        .send()
        .await
        .unwrap();
    let e = err(c
        .describe_change_set()
        .change_set_name("same")
        .stack_name(&name)
        .send()
        .await);
    assert_eq!(
        e,
        (
            "ChangeSetNotFound".into(),
            "ChangeSet [same] does not exist".into()
        )
    );

    let old = output(&c, &name, "SecondName").await;
    c.execute_change_set()
        .change_set_name("rename")
        .stack_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(settle(&c, &name).await.0, "UPDATE_COMPLETE");
    assert_eq!(
        output(&c, &name, "SecondName").await,
        format!("/{name}/other")
    );
    let params = ssm(server.addr);
    assert!(
        params.get_parameter().name(&old).send().await.is_err(),
        "the replaced parameter is gone"
    );
    let listed = c.list_change_sets().stack_name(&name).send().await.unwrap();
    assert_eq!(
        listed.summaries().len(),
        1,
        "executing one deletes the others"
    );
    let e = err(c
        .create_change_set()
        .stack_name(unique("none"))
        .change_set_name("x")
        .template_body(PARAMS)
        .send()
        .await);
    assert_eq!(e.0, "ValidationError");
    assert!(e.1.ends_with("does not exist"), "{e:?}");
}

#[tokio::test]
async fn awsemu_cloudformation_deploy_works_like_the_aws_cli() {
    use crate::cli::{awsemu, ok, workdir};
    let dir = workdir();
    std::fs::write(dir.join("stack.yaml"), PARAMS).unwrap();
    let name = unique("cli-deploy");
    let deploy = |extra: &[&str]| {
        let mut args = vec![
            "cloudformation",
            "deploy",
            "--template-file",
            "stack.yaml",
            "--stack-name",
            &name,
        ];
        args.extend_from_slice(extra);
        awsemu(&dir, &args)
    };
    let first = deploy(&[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(
        first.stdout,
        format!("\nWaiting for changeset to be created..\nWaiting for stack create/update to complete\nSuccessfully created/updated stack - {name}\n")
    );
    let status = ok(
        &dir,
        &[
            "cloudformation",
            "describe-stacks",
            "--stack-name",
            &name,
            "--query",
            "Stacks[0].StackStatus",
            "--output",
            "text",
        ],
    );
    assert_eq!(status, "CREATE_COMPLETE\n");
    // Nothing changed: an error by default, as the AWS CLI's deploy, unless told otherwise.
    let again = deploy(&[]);
    assert_eq!(again.code, 255);
    assert_eq!(
        again.stderr,
        format!("\nNo changes to deploy. Stack {name} is up to date\n")
    );
    let tolerated = deploy(&["--no-fail-on-empty-changeset"]);
    assert_eq!(tolerated.code, 0);
    let updated = deploy(&["--parameter-overrides", "Count=7"]);
    assert_eq!(updated.code, 0, "{}", updated.stderr);
    let status = ok(
        &dir,
        &[
            "cloudformation",
            "describe-stacks",
            "--stack-name",
            &name,
            "--query",
            "Stacks[0].[StackStatus,Parameters[0].ParameterValue]",
            "--output",
            "text",
        ],
    );
    assert_eq!(status, "UPDATE_COMPLETE\t7\n");
    let missing = awsemu(&dir, &["cloudformation", "deploy", "--stack-name", &name]);
    assert_eq!(missing.code, 252);
    let failing = format!("{name}-bad");
    std::fs::write(dir.join("bad.json"), FAILING).unwrap();
    let bad = awsemu(
        &dir,
        &[
            "cloudformation",
            "deploy",
            "--template-file",
            "bad.json",
            "--stack-name",
            &failing,
        ],
    );
    assert_eq!(bad.code, 255);
    assert!(
        bad.stderr.contains("Failed to create/update the stack."),
        "{}",
        bad.stderr
    );
}

#[tokio::test]
async fn malformed_requests_get_aws_shaped_errors() {
    let server = shared();
    let auth = "AWS4-HMAC-SHA256 Credential=424242424242/20260115/us-east-1/cloudformation/aws4_request, SignedHeaders=host, Signature=0";
    let bodies: [&[u8]; 9] = [
        b"Action=CreateStack&Version=2010-05-15",
        b"Action=CreateStack&Version=2010-05-15&StackName=x&TemplateBody=%FF%FE",
        b"Action=CreateStack&Version=2010-05-15&StackName=x&TemplateBody={}&Parameters.member.1.ParameterValue=v",
        b"Action=CreateStack&Version=2010-05-15&StackName=x&TemplateBody=Resources%3A%20%7BA%3A%20%7BType%3A%20X%3A%3AY%3A%3AZ%7D%7D&OnFailure=SOMETIMES",
        b"Action=UpdateStack&Version=2010-05-15&StackName=nope&UsePreviousTemplate=maybe",
        b"Action=DescribeStackEvents&Version=2010-05-15&StackName=nope&NextToken=%00",
        b"Action=ExecuteChangeSet&Version=2010-05-15&ChangeSetName=arn:aws:cloudformation:us-east-1:1:changeSet/x/y",
        b"Action=GetTemplate&Version=2010-05-15",
        b"Action=DescribeStacks&Version=2010-05-15&StackName=",
    ];
    for body in bodies {
        let r = raw(
            server.addr,
            "POST",
            "/",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("authorization", auth),
            ],
            body.to_vec(),
        )
        .await;
        let text = String::from_utf8_lossy(&r.body);
        assert!(
            r.status >= 400 && r.status < 500,
            "{} {text}",
            String::from_utf8_lossy(body)
        );
        assert!(
            text.contains(
                "<ErrorResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">"
            ),
            "{text}"
        );
        assert!(text.contains("<Code>"), "{text}");
    }
}

/// CDK's stock way to name a secret: the seventh part of its ARN, read before it exists.
const SECRET_SUFFIX: &str = r#"
Resources:
  Secret:
    Type: AWS::SecretsManager::Secret
    Properties:
      GenerateSecretString: {}
  SecretName:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Value: !Select [6, !Split [":", !Ref Secret]]
Outputs:
  Suffix:
    Value: !Select [6, !Split [":", !Ref Secret]]
  Joined:
    Value: !Join ["/", !Split [":", !Ref Secret]]
"#;

#[tokio::test]
async fn a_create_change_set_evaluates_only_what_is_known_before_the_resources_exist() {
    let server = shared();
    let c = cfn(server.addr);
    let name = unique("cdk-select");
    let created = c
        .create_change_set()
        .stack_name(&name)
        .change_set_name("create")
        .change_set_type(ChangeSetType::Create)
        .template_body(SECRET_SUFFIX)
        .send()
        .await
        .unwrap();
    let cs = c
        .describe_change_set()
        .change_set_name(created.id.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(cs.status().unwrap().as_str(), "CREATE_COMPLETE");
    assert_eq!(cs.changes().len(), 2);
    c.execute_change_set()
        .change_set_name("create")
        .stack_name(&name)
        .send()
        .await
        .unwrap();
    let stack_id = created.stack_id.unwrap();
    assert_eq!(settle(&c, &stack_id).await.0, "CREATE_COMPLETE");
    let resource = |logical: &'static str| {
        let c = c.clone();
        let stack_id = stack_id.clone();
        async move {
            c.describe_stack_resource()
                .stack_name(stack_id)
                .logical_resource_id(logical)
                .send()
                .await
                .unwrap()
                .stack_resource_detail
                .unwrap()
                .physical_resource_id
                .unwrap()
        }
    };
    let secret_arn = resource("Secret").await;
    let suffix = output(&c, &stack_id, "Suffix").await;
    assert_eq!(secret_arn.split(':').nth(6), Some(suffix.as_str()));
    let parameter = ssm(server.addr)
        .get_parameter()
        .name(resource("SecretName").await)
        .send()
        .await
        .unwrap();
    assert_eq!(parameter.parameter.unwrap().value(), Some(suffix.as_str()));
    let joined = output(&c, &stack_id, "Joined").await;
    assert!(joined.starts_with("arn/aws/secretsmanager/"), "{joined}");
    assert!(joined.ends_with(&suffix), "{joined}");
}

/// What every template CDK synthesizes carries to check that its environment is bootstrapped.
const CDK_CHECK: &str = r#"
Parameters:
  BootstrapVersion:
    Type: AWS::SSM::Parameter::Value<String>
    Default: /cdk-bootstrap/hnb659fds/version
Rules:
  CheckBootstrapVersion:
    Assertions:
      - Assert:
          Fn::Not:
            - Fn::Contains:
                - ["1", "2", "3", "4", "5"]
                - Ref: BootstrapVersion
        AssertDescription: CDK bootstrap stack version 6 required.
Resources:
  Flag:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Value: bootstrapped
"#;

#[tokio::test]
async fn cdk_templates_find_their_environment_bootstrapped() {
    let server = TestServer::isolated().await;
    let c = cfn(server.addr);
    let created = c
        .create_change_set()
        .stack_name("cdk-app")
        .change_set_name("cdk-deploy")
        .change_set_type(ChangeSetType::Create)
        .template_body(CDK_CHECK)
        .send()
        .await
        .unwrap();
    c.execute_change_set()
        .change_set_name(created.id.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        settle(&c, created.stack_id.as_deref().unwrap()).await.0,
        "CREATE_COMPLETE"
    );
    let p = ssm(server.addr)
        .get_parameter()
        .name("/cdk-bootstrap/hnb659fds/version")
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap();
    assert!(p.value().unwrap().parse::<u32>().unwrap() >= 6);
    // A version the account writes itself is the one templates see.
    ssm(server.addr)
        .put_parameter()
        .name("/cdk-bootstrap/hnb659fds/version")
        .value("4")
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .unwrap();
    let e = c
        .create_stack()
        .stack_name("cdk-old")
        .template_body(CDK_CHECK)
        .send()
        .await;
    let (code, message) = err(e);
    assert_eq!(code, "ValidationError");
    assert!(
        message.contains("CDK bootstrap stack version 6 required."),
        "{message}"
    );
}
