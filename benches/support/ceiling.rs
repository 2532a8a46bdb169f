//! The ceiling every figure is divided by: a bare hyper server, in a process of its own (the
//! benchmark executable started again with `--bare-server`), that reads each request whole
//! and answers 200 with a fixed JSON body: the size of a GetSecretValue answer, or the size
//! the scenario's own answers have (`--body-bytes N`, so a 24 KB ListSecrets page is measured
//! beside a server that writes 24 KB too). Nothing an emulator does can be faster on this
//! machine in this sitting.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

/// A GetSecretValue answer's size for a 1 KiB value, or `bytes` long.
fn body(bytes: Option<usize>) -> Bytes {
    let value = "x".repeat(bytes.map_or(1024, |n| n.saturating_sub(200)));
    Bytes::from(format!(
        r#"{{"ARN":"arn:aws:secretsmanager:us-east-1:000000000000:secret:k/000000-AbCdEf","Name":"k/000000","VersionId":"01234567-0000-4000-8000-000000000000","SecretString":"{value}","VersionStages":["AWSCURRENT"],"CreatedDate":1.7e9}}"#
    ))
}

/// Serves until killed; prints its address first. Called by `main` with `--bare-server`.
pub async fn serve(bytes: Option<usize>) {
    {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap());
        let body = body(bytes);
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let body = body.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let body = body.clone();
                        async move {
                            let _ = req.into_body().collect().await;
                            let mut r = hyper::Response::new(Full::new(body));
                            r.headers_mut().insert(
                                hyper::header::CONTENT_TYPE,
                                hyper::header::HeaderValue::from_static(
                                    "application/x-amz-json-1.1",
                                ),
                            );
                            Ok::<_, std::convert::Infallible>(r)
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    }
}

/// The bare server's process, killed when dropped.
pub struct Bare {
    child: Child,
    pub addr: SocketAddr,
}

impl Drop for Bare {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The bare server; `bytes` sets its answer's size (default: a GetSecretValue answer's).
pub fn start(bytes: Option<usize>) -> Bare {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg("--bare-server")
        .args(bytes.map(|n| format!("--body-bytes={n}")))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    Bare {
        addr: line.trim().parse().unwrap(),
        child,
    }
}
