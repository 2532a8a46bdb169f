//! The CDK app in `examples/cdk`, deployed from its committed synthesized template the way
//! `aws cloudformation deploy` does (a change set of type CREATE, executed), with no
//! bootstrap step: its key, rotated secret, parameter and rule work, and it deletes cleanly.

use crate::common::*;
use crate::rotation::rotations_of;
use crate::stacks::{cfn, output, settle, ssm, ACCOUNT};
use aws_sdk_cloudformation::types::{Capability, ChangeSetType};

fn template() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/cdk/LocalEmuCdkApp.template.json");
    std::fs::read_to_string(path).unwrap()
}

#[tokio::test]
async fn the_cdk_app_deploys_unchanged_through_a_change_set_and_rotates() {
    let server = TestServer::isolated().await;
    let addr = server.addr;
    let c = cfn(addr);
    let created = c
        .create_change_set()
        .stack_name("LocalEmuCdkApp")
        .change_set_name("cdk-deploy")
        .change_set_type(ChangeSetType::Create)
        .template_body(template())
        .capabilities(Capability::CapabilityIam)
        .send()
        .await
        .unwrap();
    let stack = created.stack_id.unwrap();
    let cs = c
        .describe_change_set()
        .change_set_name(created.id.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(cs.status().unwrap().as_str(), "CREATE_COMPLETE", "{cs:?}");
    c.execute_change_set()
        .change_set_name(created.id.unwrap())
        .send()
        .await
        .unwrap();
    let (status, reason) = settle(&c, &stack).await;
    assert_eq!(status, "CREATE_COMPLETE", "{reason:?}");

    // The secret is under the stack's key, rotated by the inline function.
    let sm = client_for(addr, ACCOUNT, REGION);
    let arn = output(&c, &stack, "SecretArn").await;
    let name = output(&c, &stack, "SecretName").await;
    let described = sm.describe_secret().secret_id(&arn).send().await.unwrap();
    assert_eq!(
        described.name(),
        Some(name.as_str()),
        "CDK's name from the ARN"
    );
    assert_eq!(described.rotation_enabled(), Some(true));
    assert!(described.kms_key_id().unwrap().contains(":key/"));
    let first = rotations_of(addr, &arn, 1).await;
    assert_eq!(first[0]["outcome"], "Succeeded", "{first:?}");
    let value: serde_json::Value = serde_json::from_str(&current_value(&sm, &arn).await).unwrap();
    assert_eq!(value["username"], "app");
    assert!(value["password"].as_str().is_some_and(|p| p.len() >= 20));

    // The parameter was filled from the secret by a dynamic reference.
    let user = ssm(addr)
        .get_parameter()
        .name("/cdk-app/db/user")
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap();
    assert_eq!(user.value(), Some("app"));

    // The rule listens for Secrets Manager's events, with the function as its target.
    let events = sdk_client!(aws_sdk_eventbridge, addr, REGION, test_key(ACCOUNT));
    let rules = events.list_rules().send().await.unwrap();
    let rule = rules
        .rules()
        .iter()
        .find(|r| {
            r.name()
                .unwrap_or_default()
                .starts_with("LocalEmuCdkApp-RotationEvents")
        })
        .unwrap_or_else(|| panic!("{rules:?}"));
    assert_eq!(
        rule.event_pattern(),
        Some(r#"{"source":["aws.secretsmanager"]}"#)
    );

    c.delete_stack().stack_name(&stack).send().await.unwrap();
    assert_eq!(settle(&c, &stack).await.0, "DELETE_COMPLETE");
    let e = sm.describe_secret().secret_id(&arn).send().await;
    let gone = match e {
        Err(e) => err::<(), _>(Err(e)).0 == "ResourceNotFoundException",
        // Deleted with a recovery window, as CloudFormation deletes secrets.
        Ok(d) => d.deleted_date().is_some(),
    };
    assert!(gone);
}
