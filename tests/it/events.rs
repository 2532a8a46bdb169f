//! EventBridge through aws-sdk-eventbridge: buses, rules, patterns and targets; connections
//! (their secrets, owned by EventBridge) and API destinations calling a local HTTP receiver
//! with each kind of credentials; Lambda targets; Secrets Manager's events on the bus.

use crate::common::*;
use aws_sdk_eventbridge::types::{
    ApiDestinationHttpMethod, ConnectionAuthorizationType, ConnectionBodyParameter,
    ConnectionHeaderParameter, ConnectionHttpParameters, ConnectionOAuthHttpMethod,
    CreateConnectionApiKeyAuthRequestParameters, CreateConnectionAuthRequestParameters,
    CreateConnectionBasicAuthRequestParameters, CreateConnectionOAuthClientRequestParameters,
    CreateConnectionOAuthRequestParameters, InputTransformer, PutEventsRequestEntry, RetryPolicy,
    RuleState, Target, UpdateConnectionApiKeyAuthRequestParameters,
    UpdateConnectionAuthRequestParameters,
};
use aws_sdk_eventbridge::Client;
use http_body_util::BodyExt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The account these tests work in.
const ACCOUNT: &str = "515151515151";

fn events(addr: SocketAddr) -> Client {
    sdk_client!(aws_sdk_eventbridge, addr, REGION, test_key(ACCOUNT))
}

/// A request the receiver got.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub uri: String,
    pub headers: hyper::HeaderMap,
    pub body: String,
    pub at: std::time::Instant,
}

/// A local HTTP server that records what it is sent; it answers `statuses` in turn (then
/// 200), and `/token` with a new OAuth access token each time.
#[derive(Clone, Default)]
pub struct Receiver {
    pub seen: Arc<Mutex<Vec<Seen>>>,
    statuses: Arc<Mutex<Vec<u16>>>,
    tokens: Arc<Mutex<u32>>,
}

impl Receiver {
    pub async fn start() -> (Receiver, SocketAddr) {
        let r = Receiver::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let me = r.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let me = me.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(
                        move |req: hyper::Request<hyper::body::Incoming>| {
                            let me = me.clone();
                            async move {
                                let (parts, body) = req.into_parts();
                                let body = body
                                    .collect()
                                    .await
                                    .map(http_body_util::Collected::to_bytes)
                                    .unwrap_or_default();
                                let seen = Seen {
                                    method: parts.method.to_string(),
                                    uri: parts.uri.to_string(),
                                    headers: parts.headers.clone(),
                                    body: String::from_utf8_lossy(&body).to_string(),
                                    at: std::time::Instant::now(),
                                };
                                me.seen.lock().unwrap().push(seen);
                                let (status, text) = if parts.uri.path() == "/token" {
                                    let mut n = me.tokens.lock().unwrap();
                                    *n += 1;
                                    (
                                        200,
                                        format!(
                                            r#"{{"access_token": "tok-{n}", "token_type": "Bearer", "expires_in": 3600}}"#
                                        ),
                                    )
                                } else {
                                    let mut s = me.statuses.lock().unwrap();
                                    (
                                        if s.is_empty() { 200 } else { s.remove(0) },
                                        "{}".to_string(),
                                    )
                                };
                                let mut resp = hyper::Response::new(http_body_util::Full::new(
                                    hyper::body::Bytes::from(text),
                                ));
                                *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                                Ok::<_, std::convert::Infallible>(resp)
                            }
                        },
                    );
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        (r, addr)
    }

    pub fn fail_next(&self, statuses: &[u16]) {
        self.statuses.lock().unwrap().extend_from_slice(statuses);
    }

    /// Waits for requests to `path` (prefix) until there are `n`; returns them.
    pub async fn wait(&self, path: &str, n: usize) -> Vec<Seen> {
        for _ in 0..600 {
            let got: Vec<Seen> = self
                .seen
                .lock()
                .unwrap()
                .iter()
                .filter(|s| s.uri.starts_with(path))
                .cloned()
                .collect();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "fewer than {n} requests to {path}: {:?}",
            self.seen.lock().unwrap()
        );
    }
}

fn header(s: &Seen, name: &str) -> String {
    s.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

async fn put(c: &Client, bus: &str, source: &str, detail: &str) {
    let out = c
        .put_events()
        .entries(
            PutEventsRequestEntry::builder()
                .event_bus_name(bus)
                .source(source)
                .detail_type("test")
                .detail(detail)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.failed_entry_count(), 0, "{out:?}");
}

#[tokio::test]
async fn buses_rules_patterns_and_targets() {
    let server = shared();
    let c = events(server.addr);
    let bus = unique("bus");
    let arn = c
        .create_event_bus()
        .name(&bus)
        .send()
        .await
        .unwrap()
        .event_bus_arn
        .unwrap();
    assert_eq!(
        arn,
        format!("arn:aws:events:us-east-1:{ACCOUNT}:event-bus/{bus}")
    );
    assert_eq!(
        err(c.create_event_bus().name(&bus).send().await),
        (
            "ResourceAlreadyExistsException".into(),
            format!("Event bus {bus} already exists.")
        )
    );
    let listed = c.list_event_buses().send().await.unwrap();
    let names: Vec<&str> = listed
        .event_buses()
        .iter()
        .filter_map(|b| b.name())
        .collect();
    assert!(names.contains(&"default") && names.contains(&bus.as_str()));

    let pattern = r#"{"source": ["app.orders"], "detail": {"amount": [{"numeric": [">", 100]}], "status": [{"anything-but": "test"}]}}"#;
    let rule_arn = c
        .put_rule()
        .name("big-orders")
        .event_bus_name(&bus)
        .event_pattern(pattern)
        .send()
        .await
        .unwrap()
        .rule_arn
        .unwrap();
    assert_eq!(
        rule_arn,
        format!("arn:aws:events:us-east-1:{ACCOUNT}:rule/{bus}/big-orders")
    );
    let d = c
        .describe_rule()
        .name("big-orders")
        .event_bus_name(&bus)
        .send()
        .await
        .unwrap();
    assert_eq!(d.state().unwrap().as_str(), "ENABLED");
    assert_eq!(d.event_pattern(), Some(pattern));
    let e = err(c
        .put_rule()
        .name("bad")
        .event_bus_name(&bus)
        .event_pattern(r#"{"source": [{"bogus": 1}]}"#)
        .send()
        .await);
    assert_eq!(e.0, "InvalidEventPatternException");
    let e = err(c
        .put_rule()
        .name("x")
        .event_bus_name("no-such-bus")
        .event_pattern(pattern)
        .send()
        .await);
    assert_eq!(
        e,
        (
            "ResourceNotFoundException".into(),
            "Event bus no-such-bus does not exist.".into()
        )
    );
    let e = err(c.describe_rule().name("nope").send().await);
    assert_eq!(
        e,
        (
            "ResourceNotFoundException".into(),
            "Rule nope does not exist on EventBus default.".into()
        )
    );

    let event = |amount: u32, status: &str| {
        format!(
            r#"{{"id": "1", "account": "{ACCOUNT}", "source": "app.orders", "time": "2026-01-15T12:00:00Z", "region": "us-east-1", "resources": [], "detail-type": "order", "detail": {{"amount": {amount}, "status": "{status}"}}}}"#
        )
    };
    let test = |e: String| {
        c.test_event_pattern()
            .event_pattern(pattern)
            .event(e)
            .send()
    };
    assert!(test(event(150, "paid")).await.unwrap().result);
    assert!(!test(event(50, "paid")).await.unwrap().result);
    assert!(!test(event(150, "test")).await.unwrap().result);
    assert_eq!(
        err(c
            .test_event_pattern()
            .event_pattern(pattern)
            .event("{}")
            .send()
            .await)
        .0,
        "ValidationException"
    );
    // An event that is not an object is refused as a whole.
    assert_eq!(
        err(c
            .test_event_pattern()
            .event_pattern(pattern)
            .event("[1, 2]")
            .send()
            .await),
        (
            "ValidationException".to_string(),
            "Parameter Event is not valid.".to_string()
        )
    );
    // The whole grammar reaches the wire: anything-but with a list of prefixes, and
    // exists: false where the event has no such branch at all.
    let grammar = r#"{"detail": {"status": [{"anything-but": {"prefix": ["te", "dr"]}}], "refund": {"reason": [{"exists": false}]}}}"#;
    let r = c
        .test_event_pattern()
        .event_pattern(grammar)
        .event(event(150, "paid"))
        .send()
        .await
        .unwrap();
    assert!(r.result);
    let e = err(c
        .test_event_pattern()
        .event_pattern(r#"{"detail": {"amount": [{"numeric": [">", 0, "<"]}]}}"#)
        .event(event(150, "paid"))
        .send()
        .await);
    assert_eq!(
        e,
        (
            "InvalidEventPatternException".to_string(),
            "Event pattern is not valid. Reason: Value of < must be numeric".to_string()
        )
    );

    // Targets: five at most, delivered with an input transformer.
    let (rx, rx_addr) = Receiver::start().await;
    let lambda = sdk_client!(aws_sdk_lambda, server.addr, REGION, test_key(ACCOUNT));
    let code = b"import json, os, urllib.request\ndef handler(event, context):\n    urllib.request.urlopen(urllib.request.Request(os.environ['SINK'], data=json.dumps(event).encode(), method='POST'))\n    return 'ok'\n";
    let function = create_function(
        &lambda,
        &unique("sink"),
        "python3.12",
        "app.handler",
        &[("app.py", code, 0o644)],
        &[("SINK", &format!("http://{rx_addr}/lambda"))],
        10,
    )
    .await;
    let target = Target::builder()
        .id("fn")
        .arn(&function)
        .input_transformer(
            InputTransformer::builder()
                .input_paths_map("amount", "$.detail.amount")
                .input_template(r#"{"amount": <amount>, "rule": "<aws.events.rule-name>"}"#)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let out = c
        .put_targets()
        .rule("big-orders")
        .event_bus_name(&bus)
        .targets(target)
        .send()
        .await
        .unwrap();
    assert_eq!(out.failed_entry_count(), 0);
    // A template may name only its paths and AWS's variables.
    let unknown = Target::builder()
        .id("fn2")
        .arn(&function)
        .input_transformer(
            InputTransformer::builder()
                .input_paths_map("amount", "$.detail.amount")
                .input_template(r#""<amount> from <payer>""#)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let refused = c
        .put_targets()
        .rule("big-orders")
        .event_bus_name(&bus)
        .targets(unknown)
        .send()
        .await;
    assert_eq!(
        err(refused),
        (
            "ValidationException".to_string(),
            "InputTemplate for target fn2 contains invalid placeholder payer.".to_string()
        )
    );
    let bad = Target::builder()
        .id("q")
        .arn(format!("arn:aws:sqs:us-east-1:{ACCOUNT}:q"))
        .build()
        .unwrap();
    let out = c
        .put_targets()
        .rule("big-orders")
        .event_bus_name(&bus)
        .targets(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(out.failed_entry_count(), 1);
    let many: Vec<Target> = (0..5)
        .map(|i| {
            Target::builder()
                .id(format!("t{i}"))
                .arn(&function)
                .build()
                .unwrap()
        })
        .collect();
    assert_eq!(
        err(c
            .put_targets()
            .rule("big-orders")
            .event_bus_name(&bus)
            .set_targets(Some(many))
            .send()
            .await)
        .0,
        "LimitExceededException"
    );

    put(
        &c,
        &bus,
        "app.orders",
        r#"{"amount": 500, "status": "paid"}"#,
    )
    .await;
    put(&c, &bus, "app.orders", r#"{"amount": 5, "status": "paid"}"#).await;
    let got = rx.wait("/lambda", 1).await;
    let body: serde_json::Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"amount": 500, "rule": "big-orders"})
    );

    // A disabled rule matches nothing; a rule with targets cannot be deleted; a bus with
    // rules cannot be deleted.
    c.disable_rule()
        .name("big-orders")
        .event_bus_name(&bus)
        .send()
        .await
        .unwrap();
    let d = c
        .describe_rule()
        .name("big-orders")
        .event_bus_name(&bus)
        .send()
        .await
        .unwrap();
    assert_eq!(d.state(), Some(&RuleState::Disabled));
    put(
        &c,
        &bus,
        "app.orders",
        r#"{"amount": 900, "status": "paid"}"#,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.wait("/lambda", 1).await.len(), 1);
    assert_eq!(
        err(c
            .delete_rule()
            .name("big-orders")
            .event_bus_name(&bus)
            .send()
            .await),
        (
            "ValidationException".into(),
            "Rule can't be deleted since it has targets.".into()
        )
    );
    assert_eq!(
        err(c.delete_event_bus().name(&bus).send().await).0,
        "ValidationException"
    );
    let listed = c
        .list_targets_by_rule()
        .rule("big-orders")
        .event_bus_name(&bus)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.targets().len(), 1);
    c.remove_targets()
        .rule("big-orders")
        .event_bus_name(&bus)
        .ids("fn")
        .send()
        .await
        .unwrap();
    c.delete_rule()
        .name("big-orders")
        .event_bus_name(&bus)
        .send()
        .await
        .unwrap();
    c.delete_event_bus().name(&bus).send().await.unwrap();
    assert_eq!(
        err(c.describe_event_bus().name(&bus).send().await).0,
        "ResourceNotFoundException"
    );
}

async fn destination_rule(
    c: &Client,
    name: &str,
    connection: &str,
    endpoint: String,
    retries: i32,
) {
    destination_rule_at(c, name, connection, endpoint, retries, 10).await;
}

async fn destination_rule_at(
    c: &Client,
    name: &str,
    connection: &str,
    endpoint: String,
    retries: i32,
    rate: i32,
) {
    let d = c
        .create_api_destination()
        .name(name)
        .connection_arn(connection)
        .invocation_endpoint(endpoint)
        .http_method(ApiDestinationHttpMethod::Post)
        .invocation_rate_limit_per_second(rate)
        .send()
        .await
        .unwrap();
    c.put_rule()
        .name(name)
        .event_pattern(format!(r#"{{"source": ["{name}"]}}"#))
        .send()
        .await
        .unwrap();
    c.put_targets()
        .rule(name)
        .targets(
            Target::builder()
                .id("dest")
                .arn(d.api_destination_arn.unwrap())
                .retry_policy(
                    RetryPolicy::builder()
                        .maximum_retry_attempts(retries)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

async fn wait_authorized(
    c: &Client,
    name: &str,
) -> aws_sdk_eventbridge::operation::describe_connection::DescribeConnectionOutput {
    for _ in 0..300 {
        let d = c.describe_connection().name(name).send().await.unwrap();
        if d.connection_state()
            .map(aws_sdk_eventbridge::types::ConnectionState::as_str)
            != Some("AUTHORIZING")
        {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("connection {name} stayed AUTHORIZING");
}

#[tokio::test]
async fn api_destinations_call_with_the_connection_credentials() {
    let server = shared();
    let c = events(server.addr);
    let (rx, rx_addr) = Receiver::start().await;
    let invocation = ConnectionHttpParameters::builder()
        .header_parameters(
            ConnectionHeaderParameter::builder()
                .key("x-team")
                .value("payments")
                .build(),
        )
        .body_parameters(
            ConnectionBodyParameter::builder()
                .key("origin")
                .value("localemu")
                .is_value_secret(true)
                .build(),
        )
        .build();

    // API key.
    let key_conn = unique("key");
    let created = c
        .create_connection()
        .name(&key_conn)
        .authorization_type(ConnectionAuthorizationType::ApiKey)
        .auth_parameters(
            CreateConnectionAuthRequestParameters::builder()
                .api_key_auth_parameters(
                    CreateConnectionApiKeyAuthRequestParameters::builder()
                        .api_key_name("x-api-key")
                        .api_key_value("k-1")
                        .build()
                        .unwrap(),
                )
                .invocation_http_parameters(invocation.clone())
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.connection_state().unwrap().as_str(), "AUTHORIZED");
    let described = c
        .describe_connection()
        .name(&key_conn)
        .send()
        .await
        .unwrap();
    let secret_arn = described.secret_arn().unwrap().to_string();
    assert!(
        secret_arn.contains(&format!(":secret:events!connection/{key_conn}/")),
        "{secret_arn}"
    );
    let shown = described.auth_parameters().unwrap();
    assert_eq!(
        shown.api_key_auth_parameters().unwrap().api_key_name(),
        Some("x-api-key")
    );
    let body = &shown
        .invocation_http_parameters()
        .unwrap()
        .body_parameters()[0];
    assert_eq!(body.value(), None, "a secret value is not shown");

    // The secret: readable, owned by EventBridge, not changeable or deletable directly.
    let sm = client_for(server.addr, ACCOUNT, REGION);
    let d = sm
        .describe_secret()
        .secret_id(&secret_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(d.owning_service(), Some("events"));
    let value = sm
        .get_secret_value()
        .secret_id(&secret_arn)
        .send()
        .await
        .unwrap();
    assert!(value.secret_string().unwrap().contains("k-1"));
    let owned = sm
        .list_secrets()
        .filters(
            aws_sdk_secretsmanager::types::Filter::builder()
                .key("owning-service".into())
                .values("events")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(owned
        .secret_list()
        .iter()
        .any(|s| s.arn() == Some(secret_arn.as_str())));
    let e = err(sm
        .put_secret_value()
        .secret_id(&secret_arn)
        .secret_string("x")
        .send()
        .await);
    assert_eq!(e.0, "InvalidRequestException");
    let e = err(sm
        .delete_secret()
        .secret_id(&secret_arn)
        .force_delete_without_recovery(true)
        .send()
        .await);
    assert_eq!(e.0, "InvalidRequestException");
    // Nor rotated, restored or unreplicated by anyone but EventBridge: a rotation attached
    // this way could never be cancelled by the owner.
    let e = err(sm
        .rotate_secret()
        .secret_id(&secret_arn)
        .rotation_lambda_arn("arn:aws:lambda:us-east-1:000000000000:function:any")
        .send()
        .await);
    assert_eq!(e.0, "InvalidRequestException", "{}", e.1);
    assert!(
        e.1.contains("managed by another service (events)"),
        "{}",
        e.1
    );
    let e = err(sm.restore_secret().secret_id(&secret_arn).send().await);
    assert_eq!(e.0, "InvalidRequestException");
    let e = err(sm
        .remove_regions_from_replication()
        .secret_id(&secret_arn)
        .remove_replica_regions("eu-west-1")
        .send()
        .await);
    assert_eq!(e.0, "InvalidRequestException");
    let d = sm
        .describe_secret()
        .secret_id(&secret_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(d.rotation_enabled(), None);

    destination_rule(
        &c,
        &key_conn,
        &created.connection_arn.unwrap(),
        format!("http://{rx_addr}/key"),
        2,
    )
    .await;
    put(&c, "default", &key_conn, r#"{"n": 1}"#).await;
    let got = rx.wait("/key", 1).await;
    assert_eq!(header(&got[0], "x-api-key"), "k-1");
    assert_eq!(got[0].method, "POST");
    assert_eq!(header(&got[0], "x-team"), "payments");
    let sent: serde_json::Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(sent["detail"]["n"], 1);
    assert_eq!(
        sent["origin"], "localemu",
        "body parameters join the JSON payload"
    );

    // A changed credential is used by the next call.
    c.update_connection()
        .name(&key_conn)
        .auth_parameters(
            UpdateConnectionAuthRequestParameters::builder()
                .api_key_auth_parameters(
                    UpdateConnectionApiKeyAuthRequestParameters::builder()
                        .api_key_value("k-2")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    put(&c, "default", &key_conn, r#"{"n": 2}"#).await;
    let got = rx.wait("/key", 2).await;
    assert_eq!(header(&got[1], "x-api-key"), "k-2");

    // Retried as AWS retries a 5xx.
    rx.fail_next(&[503]);
    put(&c, "default", &key_conn, r#"{"n": 3}"#).await;
    let got = rx.wait("/key", 4).await;
    assert!(
        got[2].body.contains(r#""n":3"#) && got[3].body.contains(r#""n":3"#),
        "{got:?}"
    );

    // The destination's invocation rate: 2 a second, so 6 calls take more than 2 seconds.
    let limited = unique("limited");
    let connection = c
        .describe_connection()
        .name(&key_conn)
        .send()
        .await
        .unwrap()
        .connection_arn
        .unwrap();
    destination_rule_at(
        &c,
        &limited,
        &connection,
        format!("http://{rx_addr}/limited"),
        0,
        2,
    )
    .await;
    for i in 0..6 {
        put(&c, "default", &limited, &format!(r#"{{"i": {i}}}"#)).await;
    }
    let got = rx.wait("/limited", 6).await;
    let span = got[5].at.duration_since(got[0].at);
    assert!(span >= Duration::from_millis(1900), "{span:?}");

    // Basic.
    let basic = unique("basic");
    let created = c
        .create_connection()
        .name(&basic)
        .authorization_type(ConnectionAuthorizationType::Basic)
        .auth_parameters(
            CreateConnectionAuthRequestParameters::builder()
                .basic_auth_parameters(
                    CreateConnectionBasicAuthRequestParameters::builder()
                        .username("svc")
                        .password("pw")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    destination_rule(
        &c,
        &basic,
        &created.connection_arn.unwrap(),
        format!("http://{rx_addr}/basic"),
        0,
    )
    .await;
    put(&c, "default", &basic, "{}").await;
    let got = rx.wait("/basic", 1).await;
    assert_eq!(header(&got[0], "authorization"), "Basic c3ZjOnB3");

    // OAuth client credentials: the token is fetched, used, and fetched again on a 401.
    let oauth = unique("oauth");
    let created = c
        .create_connection()
        .name(&oauth)
        .authorization_type(ConnectionAuthorizationType::OauthClientCredentials)
        .auth_parameters(
            CreateConnectionAuthRequestParameters::builder()
                .o_auth_parameters(
                    CreateConnectionOAuthRequestParameters::builder()
                        .client_parameters(
                            CreateConnectionOAuthClientRequestParameters::builder()
                                .client_id("cid")
                                .client_secret("csecret")
                                .build()
                                .unwrap(),
                        )
                        .authorization_endpoint(format!("http://{rx_addr}/token"))
                        .http_method(ConnectionOAuthHttpMethod::Post)
                        .o_auth_http_parameters(
                            ConnectionHttpParameters::builder()
                                .body_parameters(
                                    ConnectionBodyParameter::builder()
                                        .key("grant_type")
                                        .value("client_credentials")
                                        .build(),
                                )
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let d = wait_authorized(&c, &oauth).await;
    assert_eq!(d.connection_state().unwrap().as_str(), "AUTHORIZED");
    // The secret holds the client credentials as EventBridge spells them.
    let stored = sm
        .get_secret_value()
        .secret_id(d.secret_arn().unwrap())
        .send()
        .await
        .unwrap();
    let stored: serde_json::Value = serde_json::from_str(stored.secret_string().unwrap()).unwrap();
    assert_eq!(stored["client_id"], "cid");
    assert_eq!(
        stored["oauth_http_parameters"]["body_parameters"][0]["key"],
        "grant_type"
    );
    let token_requests = rx.wait("/token", 1).await;
    assert_eq!(
        header(&token_requests[0], "authorization"),
        "Basic Y2lkOmNzZWNyZXQ="
    );
    assert_eq!(token_requests[0].body, "grant_type=client_credentials");
    destination_rule(
        &c,
        &oauth,
        &created.connection_arn.unwrap(),
        format!("http://{rx_addr}/oauth"),
        2,
    )
    .await;
    rx.fail_next(&[401]);
    put(&c, "default", &oauth, "{}").await;
    let got = rx.wait("/oauth", 2).await;
    assert_eq!(header(&got[0], "authorization"), "Bearer tok-1");
    assert_eq!(
        header(&got[1], "authorization"),
        "Bearer tok-2",
        "a 401 fetches a new token"
    );

    // Deleting a connection deletes its secret.
    let key_secret = secret_arn;
    for d in [&key_conn, &limited] {
        c.delete_api_destination().name(d).send().await.unwrap();
    }
    c.delete_connection().name(&key_conn).send().await.unwrap();
    assert_eq!(
        err(sm.describe_secret().secret_id(&key_secret).send().await).0,
        "ResourceNotFoundException"
    );
    assert_eq!(
        err(c.describe_connection().name(&key_conn).send().await).0,
        "ResourceNotFoundException"
    );
}

#[tokio::test]
async fn a_failed_rotation_reaches_a_rule_and_api_calls_carry_no_values() {
    let server = shared();
    let c = events(server.addr);
    let (rx, rx_addr) = Receiver::start().await;
    let lambda = sdk_client!(aws_sdk_lambda, server.addr, REGION, test_key(ACCOUNT));
    let sink = b"import json, os, urllib.request\ndef handler(event, context):\n    urllib.request.urlopen(urllib.request.Request(os.environ['SINK'], data=json.dumps(event).encode(), method='POST'))\n";
    let alarm = create_function(
        &lambda,
        &unique("alarm"),
        "python3.12",
        "app.handler",
        &[("app.py", sink, 0o644)],
        &[("SINK", &format!("http://{rx_addr}/alarm"))],
        10,
    )
    .await;
    let rule = unique("rotation-failed");
    c.put_rule()
        .name(&rule)
        .event_pattern(r#"{"source": ["aws.secretsmanager"], "detail-type": ["AWS Service Event via CloudTrail"], "detail": {"eventName": ["RotationFailed"]}}"#)
        .send()
        .await
        .unwrap();
    c.put_targets()
        .rule(&rule)
        .targets(Target::builder().id("alarm").arn(&alarm).build().unwrap())
        .send()
        .await
        .unwrap();
    let calls = unique("api-calls");
    c.put_rule()
        .name(&calls)
        .event_pattern(r#"{"source": ["aws.secretsmanager"], "detail-type": ["AWS API Call via CloudTrail"], "detail": {"eventName": ["PutSecretValue"]}}"#)
        .send()
        .await
        .unwrap();
    c.put_targets()
        .rule(&calls)
        .targets(Target::builder().id("alarm").arn(&alarm).build().unwrap())
        .send()
        .await
        .unwrap();

    let sm = client_for(server.addr, ACCOUNT, REGION);
    let name = unique("rotating");
    let arn = sm
        .create_secret()
        .name(&name)
        .secret_string("v1")
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    sm.put_secret_value()
        .secret_id(&arn)
        .secret_string("never-in-an-event")
        .send()
        .await
        .unwrap();
    let rotator = create_function(
        &lambda,
        &unique("rotator"),
        "python3.12",
        "rotation.handler",
        &[("rotation.py", include_bytes!("fixtures/rotation.py"), 0o644)],
        &[("FAIL_AT", "setSecret")],
        10,
    )
    .await;
    sm.rotate_secret()
        .secret_id(&arn)
        .rotation_lambda_arn(&rotator)
        .send()
        .await
        .unwrap();
    let mut got = rx.wait("/alarm", 2).await;
    for n in 3..10 {
        if got.iter().any(|s| s.body.contains("RotationFailed")) {
            break;
        }
        got = rx.wait("/alarm", n).await;
    }
    let events: Vec<serde_json::Value> = got
        .iter()
        .map(|s| serde_json::from_str(&s.body).unwrap())
        .collect();
    let call = events
        .iter()
        .find(|e| e["detail"]["eventName"] == "PutSecretValue")
        .unwrap();
    assert_eq!(call["detail-type"], "AWS API Call via CloudTrail");
    assert_eq!(call["source"], "aws.secretsmanager");
    assert_eq!(call["account"], ACCOUNT);
    assert_eq!(
        call["detail"]["requestParameters"]["secretId"],
        arn.as_str()
    );
    assert!(
        !got.iter().any(|s| s.body.contains("never-in-an-event")),
        "no secret value in an event"
    );
    let failed = events
        .iter()
        .find(|e| e["detail"]["eventName"] == "RotationFailed")
        .unwrap();
    assert_eq!(failed["detail-type"], "AWS Service Event via CloudTrail");
    assert_eq!(
        failed["detail"]["additionalEventData"]["SecretId"],
        arn.as_str()
    );
    assert_eq!(failed["region"], REGION);
}

#[tokio::test]
async fn eventbridge_resources_persist() {
    let dir = temp_dir("events");
    std::fs::create_dir_all(&dir).unwrap();
    let clock = Arc::new(localemu::clock::ManualClock::new(START));
    let s = PersistentServer::start(&dir, clock.clone()).await;
    let c = events(s.addr);
    c.create_event_bus().name("kept").send().await.unwrap();
    c.put_rule()
        .name("r")
        .event_bus_name("kept")
        .event_pattern(r#"{"source": ["x"]}"#)
        .send()
        .await
        .unwrap();
    c.put_targets()
        .rule("r")
        .event_bus_name("kept")
        .targets(
            Target::builder()
                .id("t")
                .arn(format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:f"))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let conn = c
        .create_connection()
        .name("conn")
        .authorization_type(ConnectionAuthorizationType::ApiKey)
        .auth_parameters(
            CreateConnectionAuthRequestParameters::builder()
                .api_key_auth_parameters(
                    CreateConnectionApiKeyAuthRequestParameters::builder()
                        .api_key_name("k")
                        .api_key_value("v")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    c.create_api_destination()
        .name("dest")
        .connection_arn(conn.connection_arn.unwrap())
        .invocation_endpoint("https://example.com/x")
        .http_method(ApiDestinationHttpMethod::Put)
        .send()
        .await
        .unwrap();
    s.stop().await;
    let s = PersistentServer::start(&dir, clock).await;
    let c = events(s.addr);
    assert!(c.describe_event_bus().name("kept").send().await.is_ok());
    let targets = c
        .list_targets_by_rule()
        .rule("r")
        .event_bus_name("kept")
        .send()
        .await
        .unwrap();
    assert_eq!(targets.targets()[0].id(), "t");
    let d = c.describe_connection().name("conn").send().await.unwrap();
    assert_eq!(d.connection_state().unwrap().as_str(), "AUTHORIZED");
    let dest = c
        .describe_api_destination()
        .name("dest")
        .send()
        .await
        .unwrap();
    assert_eq!(dest.http_method().unwrap().as_str(), "PUT");
    s.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn awsemu_events_works_like_the_aws_cli() {
    use crate::cli::{awsemu, ok, workdir};
    let dir = workdir();
    let rule = unique("cli-rule");
    let out = ok(
        &dir,
        &[
            "events",
            "put-rule",
            "--name",
            &rule,
            "--event-pattern",
            r#"{"source": ["cli.app"]}"#,
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["RuleArn"],
        format!("arn:aws:events:us-east-1:000000000000:rule/{rule}")
    );
    let names = ok(
        &dir,
        &[
            "events",
            "list-rules",
            "--name-prefix",
            &rule,
            "--query",
            "Rules[].Name",
            "--output",
            "text",
        ],
    );
    assert_eq!(names.trim(), rule);
    let event = r#"{"id": "1", "account": "000000000000", "source": "cli.app", "time": "2026-01-15T12:00:00Z", "region": "us-east-1", "resources": [], "detail-type": "t", "detail": {}}"#;
    let out = ok(
        &dir,
        &[
            "events",
            "test-event-pattern",
            "--event-pattern",
            r#"{"source": ["cli.app"]}"#,
            "--event",
            event,
        ],
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap(),
        serde_json::json!({"Result": true})
    );
    let out = ok(
        &dir,
        &[
            "events",
            "put-events",
            "--entries",
            r#"[{"Source": "cli.app", "DetailType": "t", "Detail": "{}"}]"#,
            "--query",
            "FailedEntryCount",
        ],
    );
    assert_eq!(out.trim(), "0");
    let bad = awsemu(&dir, &["events", "describe-rule", "--name", "no-such-rule"]);
    assert_eq!(bad.code, 254);
    assert!(bad.stderr.contains("An error occurred (ResourceNotFoundException) when calling the DescribeRule operation: Rule no-such-rule does not exist on EventBus default."), "{}", bad.stderr);
    ok(&dir, &["events", "delete-rule", "--name", &rule]);
}

#[tokio::test]
async fn malformed_eventbridge_requests_get_aws_shaped_errors() {
    let server = shared();
    let cases: [(&str, &str); 10] = [
        ("PutRule", "{"),
        (
            "PutRule",
            r#"{"Name": "x", "EventPattern": "{\"a\": [[1]]}"}"#,
        ),
        (
            "PutRule",
            r#"{"Name": "x", "EventPattern": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"}"#,
        ),
        ("PutRule", r#"{"Name": "bad name!", "EventPattern": "{}"}"#),
        (
            "PutTargets",
            r#"{"Rule": "nope", "Targets": [{"Id": "t", "Arn": "arn:aws:lambda:us-east-1:1:function:f"}]}"#,
        ),
        ("PutEvents", r#"{"Entries": []}"#),
        (
            "TestEventPattern",
            r#"{"EventPattern": "{\"source\": [{\"numeric\": [\"<\", \"x\"]}]}", "Event": "{}"}"#,
        ),
        (
            "CreateConnection",
            r#"{"Name": "c", "AuthorizationType": "API_KEY", "AuthParameters": {}}"#,
        ),
        (
            "CreateApiDestination",
            r#"{"Name": "d", "ConnectionArn": "arn:aws:events:us-east-1:1:connection/none/x", "InvocationEndpoint": "ftp://x", "HttpMethod": "POST"}"#,
        ),
        ("DescribeConnection", r#"{"Name": 7}"#),
    ];
    for (op, body) in cases {
        let target = format!("AWSEvents.{op}");
        let r = raw(
            server.addr,
            "POST",
            "/",
            &[
                ("x-amz-target", target.as_str()),
                ("content-type", "application/x-amz-json-1.1"),
            ],
            body.as_bytes().to_vec(),
        )
        .await;
        assert!(
            r.status >= 400 && r.status < 500,
            "{op} {body}: {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
        assert!(
            r.json["__type"].is_string(),
            "{op} {body}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    // Refusals as AWS words them (recorded), enum values in the front end's own order.
    let r = raw_op_events(
        server.addr,
        "CreateApiDestination",
        r#"{"Name": "d", "ConnectionArn": "invalid-connection-arn", "InvocationEndpoint": "https://example.com", "HttpMethod": "INVALID_METHOD"}"#,
    )
    .await
    .1;
    assert_eq!(
        r["Message"],
        "2 validation errors detected: Value 'invalid-connection-arn' at 'connectionArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ^arn:aws([a-z]|\\-)*:events:([a-z]|\\d|\\-)*:([0-9]{12})?:connection\\/[\\.\\-_A-Za-z0-9]+\\/[\\-A-Za-z0-9]+$; Value 'INVALID_METHOD' at 'httpMethod' failed to satisfy constraint: Member must satisfy enum value set: [HEAD, POST, PATCH, DELETE, PUT, GET, OPTIONS]"
    );
}

async fn raw_op_events(addr: SocketAddr, op: &str, body: &str) -> (u16, serde_json::Value) {
    let target = format!("AWSEvents.{op}");
    let r = raw(
        addr,
        "POST",
        "/",
        &[
            ("x-amz-target", target.as_str()),
            ("content-type", "application/x-amz-json-1.1"),
        ],
        body.as_bytes().to_vec(),
    )
    .await;
    (r.status, r.json)
}

#[tokio::test]
async fn schedule_rules_fire_on_the_emulators_clock() {
    let server = TestServer::isolated().await;
    let c = events(server.addr);
    let (rx, rx_addr) = Receiver::start().await;
    let lambda = sdk_client!(aws_sdk_lambda, server.addr, REGION, test_key(ACCOUNT));
    let sink = b"import json, os, urllib.request\ndef handler(event, context):\n    urllib.request.urlopen(urllib.request.Request(os.environ['SINK'], data=json.dumps(event).encode(), method='POST'))\n";
    let function = create_function(
        &lambda,
        "tick",
        "python3.12",
        "app.handler",
        &[("app.py", sink, 0o644)],
        &[("SINK", &format!("http://{rx_addr}/tick"))],
        10,
    )
    .await;
    let e = err(c
        .put_rule()
        .name("bad")
        .schedule_expression("rate(1 minutes)")
        .send()
        .await);
    assert_eq!(
        e,
        (
            "ValidationException".into(),
            "Parameter ScheduleExpression is not valid.".into()
        )
    );
    let arn = c
        .put_rule()
        .name("every-minute")
        .schedule_expression("rate(1 minute)")
        .send()
        .await
        .unwrap()
        .rule_arn
        .unwrap();
    c.put_targets()
        .rule("every-minute")
        .targets(Target::builder().id("fn").arn(&function).build().unwrap())
        .send()
        .await
        .unwrap();
    c.put_rule()
        .name("paused")
        .schedule_expression("cron(* * * * ? *)")
        .state(RuleState::Disabled)
        .send()
        .await
        .unwrap();
    c.put_targets()
        .rule("paused")
        .targets(Target::builder().id("fn").arn(&function).build().unwrap())
        .send()
        .await
        .unwrap();
    // Seen by the scheduler (its first look starts the rate's count), then a minute passes.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    server.clock.advance(61_000);
    let got = rx.wait("/tick", 1).await;
    let event: serde_json::Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(event["detail-type"], "Scheduled Event");
    assert_eq!(event["source"], "aws.events");
    assert_eq!(event["resources"][0], arn.as_str());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        rx.wait("/tick", 1).await.len(),
        1,
        "once per run, and never for a disabled rule"
    );
}

/// Sends `account`'s Secrets Manager "AWS API Call via CloudTrail" events for PutSecretValue to
/// `path` on the receiver at `to`, through a rule and an API destination made at `addr`.
/// An API destination `name` (with an API key connection of the same name) that posts to
/// `http://{to}{path}`; returns its ARN.
pub async fn api_destination(c: &Client, name: &str, to: SocketAddr, path: &str) -> String {
    let connection = c
        .create_connection()
        .name(name)
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
        .unwrap();
    c.create_api_destination()
        .name(name)
        .connection_arn(connection.connection_arn.unwrap())
        .invocation_endpoint(format!("http://{to}{path}"))
        .http_method(ApiDestinationHttpMethod::Post)
        .invocation_rate_limit_per_second(300)
        .send()
        .await
        .unwrap()
        .api_destination_arn
        .unwrap()
}

pub async fn put_calls_to(addr: SocketAddr, account: &str, to: SocketAddr, path: &str) {
    let c = sdk_client!(aws_sdk_eventbridge, addr, REGION, test_key(account));
    let name = unique("put-calls");
    let destination = api_destination(&c, &name, to, path).await;
    c.put_rule()
        .name(&name)
        .event_pattern(r#"{"source": ["aws.secretsmanager"], "detail-type": ["AWS API Call via CloudTrail"], "detail": {"eventName": ["PutSecretValue"]}}"#)
        .send()
        .await
        .unwrap();
    c.put_targets()
        .rule(&name)
        .targets(
            Target::builder()
                .id("calls")
                .arn(destination)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn put_events_checks_each_entry_and_the_request_size() {
    let server = shared();
    let c = events(server.addr);
    let entry = |source: Option<&str>, kind: Option<&str>, detail: &str| {
        PutEventsRequestEntry::builder()
            .set_source(source.map(str::to_string))
            .set_detail_type(kind.map(str::to_string))
            .detail(detail)
            .build()
    };
    let out = c
        .put_events()
        .entries(entry(None, Some("t"), "{}"))
        .entries(entry(Some("app"), None, "{}"))
        .entries(entry(Some("app"), Some("t"), "[1]"))
        .entries(entry(Some("app"), Some("t"), "{}"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.failed_entry_count(), 3);
    let codes: Vec<(Option<&str>, Option<&str>)> = out
        .entries()
        .iter()
        .map(|e| (e.error_code(), e.error_message()))
        .collect();
    assert_eq!(
        codes,
        [
            (
                Some("InvalidArgument"),
                Some("Parameter Source is not valid. Reason: Source is a required argument.")
            ),
            (
                Some("InvalidArgument"),
                Some(
                    "Parameter DetailType is not valid. Reason: DetailType is a required argument."
                )
            ),
            (Some("MalformedDetail"), Some("Detail is malformed.")),
            (None, None),
        ]
    );
    // The request's entries together may hold 256 KB.
    let big = format!(r#"{{"payload": ["{}"]}}"#, "p".repeat(256 * 1024 - 17));
    let e = c
        .put_events()
        .entries(entry(Some("app"), Some("t"), &big))
        .send()
        .await;
    assert_eq!(
        err(e),
        (
            "ValidationException".to_string(),
            "Total size of the entries in the request is over the limit.".to_string()
        )
    );
    // More than ten entries: AWS prints them all, as its Java front end writes them.
    let mut eleven = c.put_events();
    for _ in 0..11 {
        eleven = eleven.entries(entry(Some("app"), Some("t"), "{}"));
    }
    let one = "PutEventsRequestEntry(time=null, source=app, resources=null, detailType=t, detail={}, eventBusName=null, traceHeader=null, kmsKeyIdentifier=null, internalMetadata=null)";
    assert_eq!(
        err(eleven.send().await),
        (
            "ValidationException".to_string(),
            format!(
                "1 validation error detected: Value '[{}]' at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10",
                [one; 11].join(", ")
            )
        )
    );
}

#[tokio::test]
async fn every_eventbridge_operation_answers_empty_and_odd_bodies_cleanly() {
    let server = TestServer::isolated().await;
    for op in localemu::generated::events::Operation::ALL
        .map(localemu::generated::events::Operation::name)
    {
        for body in [
            "{}",
            r#"{"Name": 7}"#,
            r#"{"Name": "x y", "ArchiveName": "a b", "ReplayName": "r", "EventSourceArn": "arn:aws:events:us-east-1:000000000000:archive/none", "EventStartTime": "soon", "Destination": {}}"#,
            r#"{"ArchiveName": "a", "EventSourceArn": "arn:aws:events:us-east-1:000000000000:event-bus/default", "EventPattern": "{\"source\": [{\"prefix\": \"\"}]}", "RetentionDays": -1}"#,
        ] {
            let (status, r) = raw_op_events(server.addr, op, body).await;
            let answered = status == 200 && r.get("__type").is_none();
            let refused = status == 400 && r["__type"].is_string() && r["Message"].is_string();
            assert!(answered || refused, "{op} {body}: {status} {r}");
        }
    }
}
