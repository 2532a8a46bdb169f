//! The tags a stack gives its resources: CloudFormation's own (`aws:cloudformation:stack-name`,
//! `stack-id`, `logical-id`) and the stack's tags, kept in step when an update changes them.

use crate::common::{client_for, err, kms_client, shared, test_key, unique, REGION};
use crate::stacks::{cfn, settle, ssm, ACCOUNT};
use aws_sdk_cloudformation::types::Tag;
use std::collections::BTreeMap;

const TEMPLATE: &str = r#"
Resources:
  Secret:
    Type: AWS::SecretsManager::Secret
    Properties:
      SecretString: s
      Tags:
        - Key: team
          Value: own
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Value: v
  Key:
    Type: AWS::KMS::Key
  Bus:
    Type: AWS::Events::EventBus
    Properties:
      Name: !Sub '${AWS::StackName}-bus'
  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {"source": ["x"]}
"#;

type Tags = BTreeMap<String, String>;

async fn tags_of(
    addr: std::net::SocketAddr,
    c: &aws_sdk_cloudformation::Client,
    stack: &str,
) -> BTreeMap<String, Tags> {
    let mut out = BTreeMap::new();
    let resources = c
        .describe_stack_resources()
        .stack_name(stack)
        .send()
        .await
        .unwrap();
    for r in resources.stack_resources() {
        let physical = r.physical_resource_id().unwrap().to_string();
        let logical = r.logical_resource_id().unwrap().to_string();
        let pairs: Vec<(String, String)> = match logical.as_str() {
            "Secret" => {
                let sm = client_for(addr, ACCOUNT, REGION);
                let d = sm
                    .describe_secret()
                    .secret_id(&physical)
                    .send()
                    .await
                    .unwrap();
                d.tags()
                    .iter()
                    .map(|t| (t.key().unwrap().into(), t.value().unwrap().into()))
                    .collect()
            }
            "Param" => {
                let t = ssm(addr)
                    .list_tags_for_resource()
                    .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
                    .resource_id(&physical)
                    .send()
                    .await
                    .unwrap();
                t.tag_list()
                    .iter()
                    .map(|t| (t.key().into(), t.value().into()))
                    .collect()
            }
            "Key" => {
                let t = kms_client(addr, ACCOUNT)
                    .list_resource_tags()
                    .key_id(&physical)
                    .send()
                    .await
                    .unwrap();
                t.tags()
                    .iter()
                    .map(|t| (t.tag_key().into(), t.tag_value().into()))
                    .collect()
            }
            "Bus" | "Rule" => {
                let ev = sdk_client!(aws_sdk_eventbridge, addr, REGION, test_key(ACCOUNT));
                let arn = if logical == "Bus" {
                    ev.describe_event_bus()
                        .name(&physical)
                        .send()
                        .await
                        .unwrap()
                        .arn
                        .unwrap()
                } else {
                    ev.describe_rule()
                        .name(&physical)
                        .send()
                        .await
                        .unwrap()
                        .arn
                        .unwrap()
                };
                let t = ev
                    .list_tags_for_resource()
                    .resource_arn(arn)
                    .send()
                    .await
                    .unwrap();
                t.tags()
                    .iter()
                    .map(|t| (t.key().into(), t.value().into()))
                    .collect()
            }
            other => panic!("unexpected resource {other}"),
        };
        out.insert(logical, pairs.into_iter().collect());
    }
    out
}

#[tokio::test]
async fn resources_carry_cloudformations_tags_and_the_stacks() {
    let server = shared();
    let c = cfn(server.addr);
    let name = unique("tagged");
    let id = c
        .create_stack()
        .stack_name(&name)
        .template_body(TEMPLATE)
        .tags(Tag::builder().key("team").value("a").build())
        .tags(Tag::builder().key("env").value("dev").build())
        .send()
        .await
        .unwrap()
        .stack_id
        .unwrap();
    let (st, why) = settle(&c, &id).await;
    assert_eq!(
        st,
        "CREATE_COMPLETE",
        "{why:?} {:?}",
        crate::stacks::events(&c, &id).await
    );
    let all = tags_of(server.addr, &c, &name).await;
    assert_eq!(all.len(), 5);
    for (logical, tags) in &all {
        assert_eq!(tags["aws:cloudformation:stack-name"], name, "{logical}");
        assert_eq!(tags["aws:cloudformation:stack-id"], id, "{logical}");
        assert_eq!(tags["aws:cloudformation:logical-id"], *logical);
        assert_eq!(tags["env"], "dev", "{logical}");
        // A resource's own tag wins over the stack's.
        let team = if logical == "Secret" { "own" } else { "a" };
        assert_eq!(tags["team"], team, "{logical}");
    }

    // An update that only changes the stack's tags retags every resource.
    c.update_stack()
        .stack_name(&name)
        .use_previous_template(true)
        .tags(Tag::builder().key("team").value("b").build())
        .send()
        .await
        .unwrap();
    assert_eq!(settle(&c, &id).await.0, "UPDATE_COMPLETE");
    for (logical, tags) in tags_of(server.addr, &c, &name).await {
        assert!(!tags.contains_key("env"), "{logical}: {tags:?}");
        let team = if logical == "Secret" { "own" } else { "b" };
        assert_eq!(tags["team"], team, "{logical}");
        assert_eq!(tags["aws:cloudformation:logical-id"], logical);
    }

    // Callers still cannot set CloudFormation's tags themselves.
    let sm = client_for(server.addr, ACCOUNT, REGION);
    let forged = sm
        .create_secret()
        .name(unique("forged"))
        .secret_string("v")
        .tags(
            aws_sdk_secretsmanager::types::Tag::builder()
                .key("aws:cloudformation:stack-name")
                .value("x")
                .build(),
        )
        .send()
        .await;
    assert_eq!(err(forged).0, "InvalidParameterException");
    c.delete_stack().stack_name(&name).send().await.unwrap();
    assert_eq!(settle(&c, &id).await.0, "DELETE_COMPLETE");
}
