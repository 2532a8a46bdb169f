//! EventBridge's resources as AWS keeps them: tags on rules and buses, which rules name a
//! target, the names a custom bus may take, targets that are not ARNs, opaque page tokens.

use crate::common::*;
use aws_sdk_eventbridge::types::{Tag, Target};
use aws_sdk_eventbridge::Client;

fn events() -> Client {
    sdk_client!(
        aws_sdk_eventbridge,
        shared().addr,
        REGION,
        test_key("100000000061")
    )
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

fn tags_of(
    out: &aws_sdk_eventbridge::operation::list_tags_for_resource::ListTagsForResourceOutput,
) -> Vec<(String, String)> {
    out.tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

#[tokio::test]
async fn rules_and_buses_carry_tags() {
    let c = events();
    let bus = unique("tagged");
    let bus_arn = c
        .create_event_bus()
        .name(&bus)
        .tags(tag("team", "payments"))
        .send()
        .await
        .unwrap()
        .event_bus_arn
        .unwrap();
    let rule_arn = c
        .put_rule()
        .name("tagged-rule")
        .event_bus_name(&bus)
        .event_pattern(r#"{"source": ["app"]}"#)
        .tags(tag("stage", "dev"))
        .send()
        .await
        .unwrap()
        .rule_arn
        .unwrap();
    let listed = c
        .list_tags_for_resource()
        .resource_arn(&bus_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_of(&listed),
        [("team".to_string(), "payments".to_string())]
    );
    c.tag_resource()
        .resource_arn(&rule_arn)
        .tags(tag("stage", "prod"))
        .tags(tag("owner", "ops"))
        .send()
        .await
        .unwrap();
    c.untag_resource()
        .resource_arn(&rule_arn)
        .tag_keys("owner")
        .send()
        .await
        .unwrap();
    let listed = c
        .list_tags_for_resource()
        .resource_arn(&rule_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_of(&listed),
        [("stage".to_string(), "prod".to_string())]
    );
    // The default bus takes tags too, and is still listed once.
    let default_arn = format!("arn:aws:events:{REGION}:100000000061:event-bus/default");
    c.tag_resource()
        .resource_arn(&default_arn)
        .tags(tag("k", "v"))
        .send()
        .await
        .unwrap();
    let buses = c.list_event_buses().send().await.unwrap();
    let defaults = buses
        .event_buses()
        .iter()
        .filter(|b| b.name() == Some("default"))
        .count();
    assert_eq!(defaults, 1);
    // What does not exist is named as AWS names it.
    let missing_rule = format!("arn:aws:events:{REGION}:100000000061:rule/nope");
    let e = c
        .list_tags_for_resource()
        .resource_arn(&missing_rule)
        .send()
        .await;
    assert_eq!(
        err(e),
        (
            "ResourceNotFoundException".to_string(),
            "Rule nope does not exist on EventBus default.".to_string()
        )
    );
    let e = c
        .tag_resource()
        .resource_arn(format!(
            "arn:aws:events:{REGION}:100000000061:event-bus/nope"
        ))
        .tags(tag("a", "b"))
        .send()
        .await;
    assert_eq!(
        err(e),
        (
            "ResourceNotFoundException".to_string(),
            "Event bus nope does not exist.".to_string()
        )
    );
}

#[tokio::test]
async fn targets_names_and_tokens() {
    let c = events();
    let bus = unique("targets");
    c.create_event_bus().name(&bus).send().await.unwrap();
    let target = format!("arn:aws:events:{REGION}:100000000061:event-bus/default");
    for name in ["one", "two", "three"] {
        c.put_rule()
            .name(name)
            .event_bus_name(&bus)
            .event_pattern(r#"{"source": ["app"]}"#)
            .send()
            .await
            .unwrap();
    }
    for name in ["one", "three"] {
        c.put_targets()
            .rule(name)
            .event_bus_name(&bus)
            .targets(Target::builder().id("t").arn(&target).build().unwrap())
            .send()
            .await
            .unwrap();
    }
    let named = c
        .list_rule_names_by_target()
        .target_arn(&target)
        .event_bus_name(&bus)
        .send()
        .await
        .unwrap();
    assert_eq!(named.rule_names(), ["one", "three"]);
    // Pages come with an opaque token that leads on; a made-up one is refused.
    let first = c
        .list_rules()
        .event_bus_name(&bus)
        .limit(2)
        .send()
        .await
        .unwrap();
    let token = first.next_token().unwrap().to_string();
    assert!(token.parse::<u64>().is_err(), "{token}");
    let second = c
        .list_rules()
        .event_bus_name(&bus)
        .next_token(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(second.rules().len(), 1);
    let e = c
        .list_rules()
        .event_bus_name(&bus)
        .next_token("2")
        .send()
        .await;
    assert_eq!(err(e).0, "ValidationException");

    let e = c
        .put_targets()
        .rule("one")
        .event_bus_name(&bus)
        .targets(
            Target::builder()
                .id("bad")
                .arn("not-an-arn")
                .build()
                .unwrap(),
        )
        .send()
        .await;
    assert_eq!(err(e).0, "ValidationException");
    let e = c.create_event_bus().name("team/bus").send().await;
    assert_eq!(err(e).0, "ValidationException");
}

#[tokio::test]
async fn oauth_connections_take_the_method_in_any_case_and_say_why_they_fail() {
    use aws_sdk_eventbridge::types::{
        ConnectionAuthorizationType, ConnectionOAuthHttpMethod,
        CreateConnectionAuthRequestParameters, CreateConnectionOAuthClientRequestParameters,
        CreateConnectionOAuthRequestParameters,
    };
    let c = events();
    let name = unique("oauth-lower");
    let created = c
        .create_connection()
        .name(&name)
        .authorization_type(ConnectionAuthorizationType::OauthClientCredentials)
        .auth_parameters(
            CreateConnectionAuthRequestParameters::builder()
                .o_auth_parameters(
                    CreateConnectionOAuthRequestParameters::builder()
                        .client_parameters(
                            CreateConnectionOAuthClientRequestParameters::builder()
                                .client_id("id")
                                .client_secret("secret")
                                .build()
                                .unwrap(),
                        )
                        // Nothing listens there.
                        .authorization_endpoint("http://127.0.0.1:9/token")
                        .http_method(ConnectionOAuthHttpMethod::from("post"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.connection_state().unwrap().as_str(), "AUTHORIZING");
    let mut described = None;
    for _ in 0..500 {
        let d = c.describe_connection().name(&name).send().await.unwrap();
        assert!(d.last_authorized_time().is_some());
        if d.connection_state().unwrap().as_str() == "DEAUTHORIZED" {
            described = Some(d);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let d = described.expect("the connection gave up on its endpoint");
    assert!(d.state_reason().is_some_and(|r| !r.is_empty()));
    let method = d
        .auth_parameters()
        .and_then(|a| a.o_auth_parameters())
        .and_then(|o| o.http_method())
        .map(ConnectionOAuthHttpMethod::as_str);
    assert_eq!(method, Some("POST"));
}

#[tokio::test]
async fn a_bus_takes_another_accounts_events_once_its_policy_allows_them() {
    use aws_sdk_eventbridge::types::{
        ApiDestinationHttpMethod, ConnectionAuthorizationType,
        CreateConnectionApiKeyAuthRequestParameters, CreateConnectionAuthRequestParameters,
        PutEventsRequestEntry,
    };
    let addr = shared().addr;
    let (sender, owner) = ("100000000071", "100000000072");
    let a = sdk_client!(aws_sdk_eventbridge, addr, REGION, test_key(sender));
    let b = sdk_client!(aws_sdk_eventbridge, addr, REGION, test_key(owner));
    let (rx, rx_addr) = crate::events::Receiver::start().await;

    // The owner's bus sends what reaches it to a receiver.
    let bus_arn = b
        .create_event_bus()
        .name("shared")
        .send()
        .await
        .unwrap()
        .event_bus_arn
        .unwrap();
    let connection = b
        .create_connection()
        .name(unique("cross"))
        .authorization_type(ConnectionAuthorizationType::ApiKey)
        .auth_parameters(
            CreateConnectionAuthRequestParameters::builder()
                .api_key_auth_parameters(
                    CreateConnectionApiKeyAuthRequestParameters::builder()
                        .api_key_name("x-api-key")
                        .api_key_value("k")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap()
        .connection_arn
        .unwrap();
    let destination = b
        .create_api_destination()
        .name(unique("cross"))
        .connection_arn(connection)
        .invocation_endpoint(format!("http://{rx_addr}/cross"))
        .http_method(ApiDestinationHttpMethod::Post)
        .send()
        .await
        .unwrap()
        .api_destination_arn
        .unwrap();
    b.put_rule()
        .name("arrivals")
        .event_bus_name("shared")
        .event_pattern(r#"{"source": ["cross-app"]}"#)
        .send()
        .await
        .unwrap();
    b.put_targets()
        .rule("arrivals")
        .event_bus_name("shared")
        .targets(Target::builder().id("rx").arn(destination).build().unwrap())
        .send()
        .await
        .unwrap();
    // The sender forwards its events to the owner's bus.
    a.put_rule()
        .name("forward")
        .event_pattern(r#"{"source": ["cross-app"]}"#)
        .send()
        .await
        .unwrap();
    a.put_targets()
        .rule("forward")
        .targets(Target::builder().id("bus").arn(&bus_arn).build().unwrap())
        .send()
        .await
        .unwrap();
    let send = || {
        a.put_events()
            .entries(
                PutEventsRequestEntry::builder()
                    .source("cross-app")
                    .detail_type("t")
                    .detail("{}")
                    .build(),
            )
            .send()
    };
    send().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(rx.seen.lock().unwrap().is_empty(), "no policy, no delivery");

    b.put_permission()
        .event_bus_name("shared")
        .action("events:PutEvents")
        .principal(sender)
        .statement_id("from-sender")
        .send()
        .await
        .unwrap();
    let policy = b
        .describe_event_bus()
        .name("shared")
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    assert!(
        policy.contains(&format!("arn:aws:iam::{sender}:root")),
        "{policy}"
    );
    send().await.unwrap();
    assert_eq!(rx.wait("/cross", 1).await.len(), 1);

    b.remove_permission()
        .event_bus_name("shared")
        .statement_id("from-sender")
        .send()
        .await
        .unwrap();
    let e = b
        .remove_permission()
        .event_bus_name("shared")
        .statement_id("from-sender")
        .send()
        .await;
    assert_eq!(
        err(e),
        (
            "ResourceNotFoundException".to_string(),
            "Statement with the provided id does not exist.".to_string()
        )
    );
    let e = b
        .put_permission()
        .event_bus_name("nope")
        .action("events:PutEvents")
        .principal(sender)
        .statement_id("x")
        .send()
        .await;
    assert_eq!(
        err(e),
        (
            "ResourceNotFoundException".to_string(),
            "Event bus nope does not exist.".to_string()
        )
    );
}
