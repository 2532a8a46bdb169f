//! What a web page in the developer's browser can do to the emulator: nothing. Requests a
//! browser sends for a page (Origin, Sec-Fetch-Site) and requests addressed to a foreign host
//! name (DNS rebinding) are refused before any route runs; SDK-, CLI- and curl-shaped requests
//! are served.

use crate::common::*;
use localemu::config::Config;

/// Every kind of route: JSON 1.1, Lambda REST, STS's query, and LocalEmu's own endpoints.
const ROUTES: &[(&str, &str, &str)] = &[
    ("POST", "/", "{}"),
    ("GET", "/?Action=GetCallerIdentity&Version=2011-06-15", ""),
    (
        "POST",
        "/?Action=CreateStack&Version=2010-05-15&StackName=s&TemplateBody=%7B%7D",
        "",
    ),
    ("POST", "/_awsemu/reset", ""),
    ("POST", "/_awsemu/clock", "{\"advance\": \"30d\"}"),
    ("GET", "/_awsemu/clock", ""),
    ("GET", "/_awsemu/rotations", ""),
    ("GET", "/_awsemu/health", ""),
    ("GET", "/_localstack/health", ""),
    ("POST", "/2015-03-31/functions", "{}"),
    ("GET", "/2015-03-31/functions", ""),
    ("POST", "/2015-03-31/functions/f/invocations", "{}"),
    ("OPTIONS", "/", ""),
];

fn assert_refused(r: &RawResponse, what: &str) {
    assert_eq!(r.status, 403, "{what}: {:?}", r.json);
    assert_eq!(r.json["__type"], "AccessDeniedException", "{what}");
    assert!(r.json["Message"].is_string(), "{what}");
    assert_eq!(r.headers["x-amzn-errortype"], "AccessDeniedException");
    assert!(!r.headers.contains_key("access-control-allow-origin"));
}

async fn send(
    addr: std::net::SocketAddr,
    (method, path, body): (&str, &str, &str),
    headers: &[(&str, &str)],
) -> RawResponse {
    let mut all = vec![
        ("x-amz-target", "secretsmanager.CreateSecret"),
        ("content-type", "text/plain"),
    ];
    all.extend_from_slice(headers);
    raw(addr, method, path, &all, body.as_bytes().to_vec()).await
}

#[tokio::test]
async fn cross_origin_requests_are_refused_on_every_route() {
    let emu = TestServer::isolated().await;
    let before = emu.clock.now();
    for route in ROUTES {
        for headers in [
            &[("origin", "http://evil.example")][..],
            &[("origin", "null")],
            &[
                ("sec-fetch-site", "cross-site"),
                ("sec-fetch-mode", "no-cors"),
            ],
            &[("sec-fetch-site", "same-site")],
        ] {
            let r = send(emu.addr, *route, headers).await;
            assert_refused(&r, &format!("{route:?} {headers:?}"));
        }
    }
    // Nothing changed: no secret, no function, the clock where it was.
    assert_eq!(emu.clock.now(), before);
    let listed = emu.client().list_secrets().send().await.unwrap();
    assert!(listed.secret_list().is_empty());
    let functions = lambda_client(emu.addr)
        .list_functions()
        .send()
        .await
        .unwrap();
    assert!(functions.functions().is_empty());
}

#[tokio::test]
async fn foreign_host_names_are_refused_and_loopback_ones_served() {
    let emu = TestServer::isolated().await;
    let port = emu.addr.port().to_string();
    for host in [
        "evil.example",
        "rebind.attacker.test",
        "localhost.evil.example",
    ] {
        let host = format!("{host}:{port}");
        for route in ROUTES {
            let r = send(emu.addr, *route, &[("host", &host)]).await;
            assert_refused(&r, &format!("{host} {route:?}"));
        }
    }
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        format!("localhost.localstack.cloud:{port}"),
    ] {
        let r = raw(
            emu.addr,
            "POST",
            "/",
            &[
                ("host", &host),
                ("x-amz-target", "secretsmanager.ListSecrets"),
            ],
            b"{}".to_vec(),
        )
        .await;
        assert_eq!(r.status, 200, "{host}: {:?}", r.json);
    }
    // A user typing the address into the browser bar is not a page acting for itself.
    let r = raw(
        emu.addr,
        "GET",
        "/_awsemu/health",
        &[("sec-fetch-site", "none")],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn configured_hosts_are_served() {
    let emu = TestServer::configured(Config {
        allowed_hosts: vec!["emu.internal".into(), "*.ci.example".into()],
        ..Config::default()
    })
    .await;
    for (host, status) in [
        ("emu.internal:4566", 200),
        ("runner-7.ci.example", 200),
        ("ci.example", 403),
        ("evil.example", 403),
    ] {
        let r = raw(
            emu.addr,
            "POST",
            "/",
            &[
                ("host", host),
                ("x-amz-target", "secretsmanager.ListSecrets"),
            ],
            b"{}".to_vec(),
        )
        .await;
        assert_eq!(r.status, status, "{host}");
    }
}

#[tokio::test]
async fn a_page_cannot_create_and_invoke_a_function() {
    // The attack that ran a program: a text/plain CreateFunction then an Invoke, as a
    // "simple" cross-origin request that needs no preflight.
    let emu = TestServer::isolated().await;
    let zip = zip_of(&[("bootstrap", b"#!/bin/sh\ntouch /tmp/pwned\n", 0o755)]);
    let body = serde_json::json!({
        "FunctionName": "pwn", "Runtime": "provided.al2023", "Handler": "x",
        "Role": ROLE,
        "Code": {"ZipFile": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, zip)},
    });
    let r = raw(
        emu.addr,
        "POST",
        "/2015-03-31/functions",
        &[
            ("content-type", "text/plain;charset=UTF-8"),
            ("origin", "http://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ],
        body.to_string().into_bytes(),
    )
    .await;
    assert_refused(&r, "CreateFunction");
    let (code, _) = err(lambda_client(emu.addr)
        .get_function()
        .function_name("pwn")
        .send()
        .await);
    assert_eq!(code, "ResourceNotFoundException");
}
