//! The server protects itself: bounded bodies, AWS-shaped answers to every error, clients
//! that half-close or never finish, too many idle connections, absurd clock moves.

use crate::common::*;
use localemu::config::Config;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn wrong_methods_get_aws_shaped_errors() {
    let addr = shared().addr;
    for (method, path) in [
        ("GET", "/"),
        ("PUT", "/"),
        ("DELETE", "/_awsemu/reset"),
        ("PUT", "/_awsemu/clock"),
        ("PATCH", "/2015-03-31/functions"),
    ] {
        let r = raw(addr, method, path, &[], Vec::new()).await;
        assert_eq!(r.status, 405, "{method} {path}");
        // JSON 1.1 names the error in the body, Lambda's REST-JSON in a header.
        let code = match r.headers.get("x-amzn-errortype") {
            Some(v) => v.to_str().unwrap().to_string(),
            None => r.json["__type"].as_str().unwrap_or_default().to_string(),
        };
        assert_eq!(code, "UnknownOperationException", "{method} {path}");
        assert!(r.json["Message"].as_str().unwrap().contains(method));
    }
}

#[tokio::test]
async fn a_client_that_half_closes_still_gets_its_answer() {
    let addr = shared().addr;
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = "{}";
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: secretsmanager.ListSecrets\r\n\
         Content-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    tcp.shutdown().await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), tcp.read_to_string(&mut answer))
        .await
        .expect("an answer")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("SecretList"), "{answer}");
}

#[tokio::test]
async fn idle_connections_cannot_lock_other_clients_out() {
    let emu = TestServer::configured(Config {
        max_connections: 64,
        ..Config::default()
    })
    .await;
    // 1,100 sockets, the number that locked clients out of the old server at a limit of
    // 1,024, or fewer where this process may not open that many.
    let files = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .map_or(1024, |(soft, _)| soft);
    let sockets = 1100.min(files.saturating_sub(200) as usize);
    let mut idle = Vec::new();
    for _ in 0..sockets {
        idle.push(tokio::net::TcpStream::connect(emu.addr).await.unwrap());
    }
    let listed = tokio::time::timeout(Duration::from_secs(10), emu.client().list_secrets().send())
        .await
        .expect("served while 1,100 idle connections are open");
    listed.unwrap();
    drop(idle);
}

#[tokio::test]
async fn admin_bodies_are_bounded() {
    let emu = TestServer::isolated().await;
    let before = emu.clock.now();
    // A huge chunked body is cut off at the limit, not read into memory.
    let mut tcp = tokio::net::TcpStream::connect(emu.addr).await.unwrap();
    let head = format!(
        "POST /_awsemu/clock HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
        emu.addr
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("{:x}\r\n{}\r\n", 65536, "a".repeat(65536));
    let mut answer = Vec::new();
    for _ in 0..512 {
        if tcp.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
        let mut buf = [0u8; 4096];
        if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(1), tcp.read(&mut buf)).await
        {
            answer.extend_from_slice(&buf[..n]);
            if n > 0 {
                break;
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), tcp.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.contains("RequestEntityTooLargeException"),
        "{answer}"
    );
    assert_eq!(emu.clock.now(), before);
    // The server is still there.
    emu.client().list_secrets().send().await.unwrap();
}

#[tokio::test]
async fn clock_moves_out_of_range_are_refused() {
    let emu = TestServer::isolated().await;
    let before = emu.clock.now();
    for body in [
        "{\"advance\": 9223372036854775}",
        "{\"advance\": \"106751991167300d\"}",
        "{\"advance\": \"99999999d\"}",
        "{\"advance\": -5}",
    ] {
        let r = raw(
            emu.addr,
            "POST",
            "/_awsemu/clock",
            &[],
            body.as_bytes().to_vec(),
        )
        .await;
        assert_eq!(r.status, 400, "{body}: {:?}", r.json);
        assert_eq!(r.json["__type"], "ValidationException", "{body}");
    }
    assert_eq!(emu.clock.now(), before);
    // Dates still parse.
    create(&emu.client(), "after-clock", "v").await;
    emu.client()
        .describe_secret()
        .secret_id("after-clock")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn deeply_nested_json_is_refused() {
    let addr = shared().addr;
    let body = format!("{{\"Name\": {}1{}}}", "[".repeat(100), "]".repeat(100));
    let r = raw_op(addr, "CreateSecret", &body).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["__type"], "SerializationException");
}

#[tokio::test]
async fn health_lists_every_served_service_in_localstacks_shape() {
    let addr = shared().addr;
    for path in ["/_awsemu/health", "/_localstack/health"] {
        let r = raw(addr, "GET", path, &[], Vec::new()).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json["services"]["secretsmanager"], "running", "{path}");
        assert_eq!(r.json["services"]["lambda"], "running", "{path}");
        assert_eq!(r.json["services"]["sts"], "running", "{path}");
        assert_eq!(r.json["services"]["kms"], "running", "{path}");
        assert_eq!(r.json["services"]["ssm"], "running", "{path}");
        assert!(r.json["version"].is_string() && r.json["edition"].is_string());
    }
}
