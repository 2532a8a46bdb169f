//! Rotation benchmark: a full four-step rotation with a warm Python rotation function (the
//! stdlib-only one the tests use), timed from RotateSecret to the recorded outcome.
//!
//! Run: `cargo bench --bench rotation` (option after `--`: `--rotations N`).

mod support;

use std::io::Write;
use std::time::{Duration, Instant};
use support::{call, connect, request, start, stop};

const FUNCTION: &[u8] = include_bytes!("../tests/it/fixtures/rotation.py");

fn zip_function() -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("rotation.py", zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(FUNCTION).unwrap();
    w.finish().unwrap().into_inner()
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn token(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

#[tokio::main]
async fn main() {
    use base64::Engine;
    let rotations = arg("--rotations", 20);
    let (emu, _) = start(None);
    let addr = emu.addr;
    let mut s = connect(addr).await;
    let zip = base64::engine::general_purpose::STANDARD.encode(zip_function());
    let create = serde_json::json!({
        "FunctionName": "bench-rotator", "Runtime": "python3.12", "Handler": "rotation.handler",
        "Role": "arn:aws:iam::000000000000:role/bench", "Timeout": 30,
        "Code": { "ZipFile": zip },
    });
    let (status, _) = request(
        &mut s,
        addr,
        "POST",
        "/2015-03-31/functions",
        create.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 201);
    let body = format!(
        r#"{{"Name":"bench/rotated","SecretString":"v0","ClientRequestToken":"{}"}}"#,
        token(999_999)
    );
    assert_eq!(call(&mut s, addr, "CreateSecret", body).await, 200);
    let mut timings = Vec::new();
    for i in 0..=rotations {
        let body = format!(
            r#"{{"SecretId":"bench/rotated","ClientRequestToken":"{}","RotationLambdaARN":"arn:aws:lambda:us-east-1:000000000000:function:bench-rotator"}}"#,
            token(i)
        );
        let started = Instant::now();
        assert_eq!(call(&mut s, addr, "RotateSecret", body).await, 200);
        loop {
            let (_, out) = request(&mut s, addr, "GET", "/_awsemu/rotations", Vec::new()).await;
            let out: serde_json::Value = serde_json::from_slice(&out).unwrap();
            let done = out["Rotations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["version_id"] == token(i).as_str())
                .cloned();
            if let Some(record) = done {
                assert_eq!(record["outcome"], "Succeeded", "{record}");
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // The first rotation starts the function's process; the rest find it warm.
        if i > 0 {
            timings.push(started.elapsed());
        }
    }
    stop(emu);
    timings.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean = timings.iter().map(|d| ms(*d)).sum::<f64>() / timings.len() as f64;
    println!(
        "full four-step rotation, warm Python function, {} rotations:",
        timings.len()
    );
    println!(
        "  p50 {:.1} ms   mean {:.1} ms   max {:.1} ms",
        ms(timings[timings.len() / 2]),
        mean,
        ms(*timings.last().unwrap())
    );
}
