//! The console's page and its guard: served to a typed address with a fresh token, its
//! same-origin requests served with that token, and nothing served to other pages.

use crate::common::*;

async fn page_token(addr: std::net::SocketAddr) -> (RawResponse, String) {
    let page = raw(
        addr,
        "GET",
        "/_awsemu/console",
        &[("sec-fetch-site", "none")],
        Vec::new(),
    )
    .await;
    let html = String::from_utf8(page.body.clone()).unwrap();
    let token = html
        .split("const TOKEN = \"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    (page, token)
}

#[tokio::test]
async fn the_console_page_and_its_requests() {
    let server = TestServer::isolated().await;
    let addr = server.addr;
    let (page, token) = page_token(addr).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert!(page.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(token.len(), 32);
    let origin = format!("http://{addr}");
    let call = |headers: Vec<(&'static str, String)>| async move {
        let mut all: Vec<(&str, String)> = vec![
            ("x-amz-target", "secretsmanager.ListSecrets".into()),
            ("content-type", "application/x-amz-json-1.1".into()),
        ];
        all.extend(headers);
        let refs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
        raw(addr, "POST", "/", &refs, b"{}".to_vec()).await
    };
    // The console's own request: its token, from its origin.
    let ok = call(vec![
        ("origin", origin.clone()),
        ("sec-fetch-site", "same-origin".into()),
        ("x-awsemu-console", token.clone()),
    ])
    .await;
    assert_eq!(ok.status, 200, "{:?}", ok.json);
    // Anything else a page sends is refused: no token, a wrong one, another origin or site.
    for headers in [
        vec![
            ("origin", origin.clone()),
            ("sec-fetch-site", "same-origin".into()),
        ],
        vec![
            ("origin", origin.clone()),
            ("x-awsemu-console", "0".repeat(32)),
        ],
        vec![
            ("origin", "http://evil.example".into()),
            ("x-awsemu-console", token.clone()),
        ],
        vec![
            ("sec-fetch-site", "cross-site".into()),
            ("x-awsemu-console", token.clone()),
        ],
    ] {
        let r = call(headers.clone()).await;
        assert_eq!(r.status, 403, "{headers:?}");
    }
    // The page itself is never handed to another site.
    let framed = raw(
        addr,
        "GET",
        "/_awsemu/console",
        &[("sec-fetch-site", "cross-site")],
        Vec::new(),
    )
    .await;
    assert_eq!(framed.status, 403);
    // A new start, a new token.
    let other = TestServer::isolated().await;
    assert_ne!(page_token(other.addr).await.1, token);
    // Functions with their recent invocations.
    let l = lambda_client(addr);
    let f = create_function(
        &l,
        "console-fn",
        "python3.12",
        "app.handler",
        &[("app.py", b"def handler(e, c):\n    return 1\n", 0o644)],
        &[],
        5,
    )
    .await;
    l.invoke().function_name(&f).send().await.unwrap();
    let list = raw(
        addr,
        "GET",
        "/_awsemu/invocations?account=000000000000&region=us-east-1",
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(list.json["Functions"][0]["name"], "console-fn");
    assert_eq!(
        list.json["Functions"][0]["invocations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// A browser's GET of `/` gets a page that links to the console (not the JSON protocol's
/// refusal, downloaded as a file); the console learns which accounts and regions hold data.
#[tokio::test]
async fn the_root_page_links_to_the_console_and_places_with_data_are_listed() {
    let emu = TestServer::isolated().await;
    let r = raw(
        emu.addr,
        "GET",
        "/",
        &[("accept", "text/html,application/xhtml+xml")],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(String::from_utf8_lossy(&r.body).contains("href=\"/_awsemu/console\""));
    let api = raw(emu.addr, "GET", "/", &[], Vec::new()).await;
    assert_eq!(api.status, 405, "clients still get the protocol's answer");
    create(
        &client_for(emu.addr, "111111111111", "eu-west-3"),
        "placed",
        "v",
    )
    .await;
    let r = raw(emu.addr, "GET", "/_awsemu/namespaces", &[], Vec::new()).await;
    let places = r.json["Namespaces"].as_array().unwrap();
    assert!(places.iter().any(|p| p["account"] == "111111111111"
        && p["region"] == "eu-west-3"
        && p["secrets"] == 1));
}
