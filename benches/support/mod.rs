//! Shared by the benchmarks: starting the release `awsemu`, and raw HTTP calls to it.

pub mod ceiling;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

pub const BIN: &str = env!("CARGO_BIN_EXE_awsemu");

pub struct Emu {
    pub child: Child,
    pub addr: SocketAddr,
}

/// Starts the binary; the Instant is when the process was spawned.
pub fn start(dir: Option<&Path>) -> (Emu, Instant) {
    start_with(dir, &[])
}

/// Starts the binary with further `start` flags (`--strict`).
pub fn start_with(dir: Option<&Path>, flags: &[&str]) -> (Emu, Instant) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // AWSEMU_BIN benchmarks another build (an older one, for a comparison on this machine).
    let bin = std::env::var("AWSEMU_BIN").unwrap_or_else(|_| BIN.to_string());
    let mut cmd = Command::new(bin);
    cmd.args(["start", "--port", &port.to_string()])
        .env("AWSEMU_LOG", "warn");
    if let Some(dir) = dir {
        cmd.arg("--persist").arg("--data-dir").arg(dir);
    }
    cmd.args(flags);
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    loop {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0, "no Ready. line");
        if line.trim() == "Ready." {
            break;
        }
    }
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    (Emu { child, addr }, started)
}

pub fn stop(mut emu: Emu) {
    let _ = Command::new("kill")
        .args(["-TERM", &emu.child.id().to_string()])
        .status();
    emu.child.wait().unwrap();
}

pub type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

pub async fn connect(addr: SocketAddr) -> Sender {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    sender
}

/// Any request; returns the status and body.
pub async fn request(
    sender: &mut Sender,
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Vec<u8>,
) -> (u16, Vec<u8>) {
    let req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string())
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    if sender.ready().await.is_err() {
        *sender = connect(addr).await;
    }
    let resp = sender.send_request(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, bytes)
}
