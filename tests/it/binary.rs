//! The real `awsemu` binary: start-up, refusals that protect data, export and import.

use crate::common::*;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_awsemu");

/// A running `awsemu start --persist` process.
pub struct Emu {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Drop for Emu {
    /// A test that fails midway must not leave its server running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Emu {
    /// Starts the binary on `dir` and waits for its `Ready.` line.
    pub fn start(dir: &Path) -> Emu {
        let mut command = Command::new(BIN);
        command
            .args(["start", "--persist", "--port", "0"])
            .arg("--data-dir")
            .arg(dir);
        Emu::spawn(command)
    }

    /// Starts the binary on a data directory or a database.
    pub fn start_at(at: &Backing) -> Emu {
        let mut command = Command::new(BIN);
        command
            .args(["start", "--persist", "--port", "0"])
            .args(at.args());
        Emu::spawn(command)
    }

    /// Runs `command` (an `awsemu start`) and reads the address it prints, up to `Ready.`.
    pub fn spawn(mut command: Command) -> Emu {
        let mut child = command
            .env("AWSEMU_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (lines, addr) = read_until_ready(child.stdout.take().unwrap());
        assert_eq!(
            lines.last().map(String::as_str),
            Some("Ready."),
            "{lines:?}"
        );
        Emu {
            child,
            addr: addr.expect("the address is printed before Ready."),
        }
    }

    /// Sends SIGTERM and waits for the process to end.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        self.child.wait().unwrap()
    }

    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub fn client(&self) -> aws_sdk_secretsmanager::Client {
        client_for(self.addr, "test", REGION)
    }
}

/// Runs a command of the binary to completion: (success, stdout + stderr).
fn run(args: &[&str], dir: &Path) -> (bool, String) {
    let out = Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn start_fails(dir: &Path) -> String {
    let (ok, text) = run(
        &["start", "--persist", "--port", &free_port().to_string()],
        dir,
    );
    assert!(!ok, "start-up should have been refused: {text}");
    text
}

#[tokio::test]
async fn a_second_process_is_refused() {
    let dir = temp_dir("bin-lock");
    let emu = Emu::start(&dir);
    let text = start_fails(&dir);
    assert!(
        text.contains("in use by another LocalEmu process"),
        "{text}"
    );
    emu.kill();
}

#[tokio::test]
async fn a_damaged_file_stops_start_up_and_is_left_untouched() {
    let dir = temp_dir("bin-damaged");
    std::fs::create_dir_all(&dir).unwrap();
    let file: PathBuf = dir.join("localemu.redb");
    let garbage: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&file, &garbage).unwrap();
    let text = start_fails(&dir);
    assert!(text.contains(&file.display().to_string()), "{text}");
    assert!(text.contains("left it untouched"), "{text}");
    assert!(
        std::fs::read(&file).unwrap() == garbage,
        "the file was changed"
    );
}

#[tokio::test]
async fn a_database_damaged_in_the_middle_is_refused_without_a_write() {
    use sha2::{Digest, Sha256};
    let dir = temp_dir("bin-mid-damage");
    let emu = Emu::start(&dir);
    let c = emu.client();
    let value = "v".repeat(1000);
    for i in 0..300 {
        create(&c, &format!("damaged/{i}"), &value).await;
    }
    emu.kill();
    let file = dir.join("localemu.redb");
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 1024] {
        *b ^= 0x5a;
    }
    std::fs::write(&file, &bytes).unwrap();
    let before = Sha256::digest(&bytes);
    let text = start_fails(&dir);
    assert!(text.contains("left it untouched"), "{text}");
    let after = Sha256::digest(std::fs::read(&file).unwrap());
    assert_eq!(before, after, "the refused file was written to");
}

#[tokio::test]
async fn a_newer_format_stops_start_up() {
    let dir = temp_dir("bin-newer");
    let emu = Emu::start(&dir);
    create(&emu.client(), "kept", "v").await;
    emu.kill();
    let file = dir.join("localemu.redb");
    {
        let db = redb::Database::create(&file).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let meta: redb::TableDefinition<&str, &str> = redb::TableDefinition::new("meta");
            let mut t = txn.open_table(meta).unwrap();
            t.insert("format_version", "99").unwrap();
        }
        txn.commit().unwrap();
    }
    let before = std::fs::read(&file).unwrap();
    let text = start_fails(&dir);
    assert!(text.contains("newer LocalEmu"), "{text}");
    assert!(
        std::fs::read(&file).unwrap() == before,
        "the file was changed"
    );
}

#[tokio::test]
async fn export_and_import_move_state() {
    let source = temp_dir("bin-export");
    let emu = Emu::start(&source);
    let c = emu.client();
    create(&c, "moved/one", "first").await;
    c.put_secret_value()
        .secret_id("moved/one")
        .secret_string("second")
        .send()
        .await
        .unwrap();
    c.create_secret()
        .name("moved/bin")
        .secret_binary(aws_sdk_secretsmanager::primitives::Blob::new(vec![0, 255]))
        .send()
        .await
        .unwrap();
    let arn = c
        .describe_secret()
        .secret_id("moved/one")
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let l = lambda_client(emu.addr);
    let code: &[(&str, &[u8], u32)] =
        &[("app.py", b"def handler(e, c):\n    return 'moved'\n", 0o644)];
    create_function(&l, "moved-fn", "python3.12", "app.handler", code, &[], 5).await;
    key_with_alias(emu.addr, ACCOUNT, "alias/moved").await;
    let ps = sdk_client!(aws_sdk_ssm, emu.addr, REGION, test_key(ACCOUNT));
    ps.put_parameter()
        .name("/moved/param")
        .value("secure-param")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .key_id("alias/moved")
        .send()
        .await
        .unwrap();
    c.create_secret()
        .name("moved/keyed")
        .kms_key_id("alias/moved")
        .secret_string("under a customer key")
        .send()
        .await
        .unwrap();
    // A stack and an EventBridge rule move too.
    let cf = crate::stacks::cfn(emu.addr);
    cf.create_stack()
        .stack_name("moved-stack")
        .template_body("Resources:\n  P:\n    Type: AWS::SSM::Parameter\n    Properties: {Type: String, Value: moved}\n")
        .send()
        .await
        .unwrap();
    assert_eq!(
        crate::stacks::settle(&cf, "moved-stack").await.0,
        "CREATE_COMPLETE"
    );
    let eb = sdk_client!(aws_sdk_eventbridge, emu.addr, REGION, test_key(ACCOUNT));
    eb.put_rule()
        .name("moved-rule")
        .event_pattern(r#"{"source": ["moved"]}"#)
        .send()
        .await
        .unwrap();
    emu.kill();

    let file = source.with_extension("json");
    let (ok, text) = run(&["state", "export", file.to_str().unwrap()], &source);
    assert!(ok && text.contains("exported 3 secrets"), "{text}");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(doc["format"], "localemu-state");
    // Values are exported in the clear (they are sealed again on import's first start).
    assert!(doc.to_string().contains("under a customer key"));

    // An existing world-readable file is made private before any secret is written to it.
    {
        use std::os::unix::fs::PermissionsExt;
        let loose = source.with_extension("loose.json");
        std::fs::write(&loose, "{}").unwrap();
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (ok, text) = run(&["state", "export", loose.to_str().unwrap()], &source);
        assert!(ok, "{text}");
        let mode = std::fs::metadata(&loose).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A data directory with no database (a typo) is refused, and nothing is created.
    let typo = source.with_extension("typo");
    let (ok, text) = run(&["state", "export", file.to_str().unwrap()], &typo);
    assert!(!ok && text.contains("holds no LocalEmu database"), "{text}");
    assert!(!typo.exists());

    let target = temp_dir("bin-import");
    let (ok, text) = run(&["state", "import", file.to_str().unwrap()], &target);
    assert!(!ok && text.contains("holds no LocalEmu database"), "{text}");
    assert!(!target.join("localemu.redb").exists());
    // Into a PostgreSQL database, and from there into a data directory again.
    let db = Backing::postgres("bin-import");
    let (ok, text) = run_at(&["state", "import", file.to_str().unwrap()], &db);
    assert!(ok && text.contains("imported 3 secrets"), "{text}");
    let mut command = Command::new(BIN);
    command.args(["start", "--port", "0"]).args(db.args());
    let emu = Emu::spawn(command);
    check_moved(&emu, &arn).await;
    emu.kill();
    let again = source.with_extension("again.json");
    let (ok, text) = run_at(&["state", "export", again.to_str().unwrap()], &db);
    assert!(ok && text.contains("exported 3 secrets"), "{text}");
    let (ok, text) = run(
        &["state", "import", "--create", again.to_str().unwrap()],
        &target,
    );
    assert!(ok && text.contains("imported 3 secrets"), "{text}");
    let emu = Emu::start(&target);
    check_moved(&emu, &arn).await;
    emu.kill();
    assert!(crate::at_rest::all_rows_sealed(&target));
}

/// Everything `export_and_import_move_state` made, as it should read after the move.
async fn check_moved(emu: &Emu, arn: &str) {
    let c = emu.client();
    assert_eq!(current_value(&c, "moved/one").await, "second");
    let cf = crate::stacks::cfn(emu.addr);
    assert_eq!(
        crate::stacks::settle(&cf, "moved-stack").await.0,
        "CREATE_COMPLETE"
    );
    let eb = sdk_client!(aws_sdk_eventbridge, emu.addr, REGION, test_key(ACCOUNT));
    let rule = eb.describe_rule().name("moved-rule").send().await.unwrap();
    assert_eq!(rule.event_pattern(), Some(r#"{"source": ["moved"]}"#));
    let prev = c
        .get_secret_value()
        .secret_id("moved/one")
        .version_stage("AWSPREVIOUS")
        .send()
        .await
        .unwrap();
    assert_eq!(prev.secret_string(), Some("first"));
    let d = c
        .describe_secret()
        .secret_id("moved/one")
        .send()
        .await
        .unwrap();
    assert_eq!(d.arn(), Some(arn));
    let bin = c
        .get_secret_value()
        .secret_id("moved/bin")
        .send()
        .await
        .unwrap();
    assert_eq!(bin.secret_binary().unwrap().as_ref(), &[0, 255]);
    let out = lambda_client(emu.addr)
        .invoke()
        .function_name("moved-fn")
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.payload().unwrap().as_ref(),
        b"\"moved\"",
        "functions and their code move too"
    );
    // KMS keys and their aliases move too, and the imported values are sealed again.
    assert_eq!(
        current_value(&c, "moved/keyed").await,
        "under a customer key"
    );
    let ps = sdk_client!(aws_sdk_ssm, emu.addr, REGION, test_key(ACCOUNT));
    let param = ps
        .get_parameter()
        .name("/moved/param")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        param.parameter.unwrap().value(),
        Some("secure-param"),
        "parameters move too"
    );
}

/// Like [`run`], on a data directory or a database.
fn run_at(args: &[&str], at: &Backing) -> (bool, String) {
    let out = Command::new(BIN)
        .args(args)
        .args(at.args())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_stops_cleanly() {
    let dir = temp_dir("bin-term");
    let mut emu = Emu::start(&dir);
    create(&emu.client(), "survivor", "v").await;
    assert!(emu.terminate().success());
    let emu = Emu::start(&dir);
    assert_eq!(current_value(&emu.client(), "survivor").await, "v");
    emu.kill();
}

#[tokio::test]
async fn shutdown_is_quick_whatever_clients_and_functions_do() {
    use tokio::io::AsyncWriteExt;
    let dir = temp_dir("bin-term-busy");
    let mut emu = Emu::start(&dir);
    let l = lambda_client(emu.addr);
    let code: &[(&str, &[u8], u32)] = &[(
        "app.py",
        b"import time\ndef handler(e, c):\n    time.sleep(120)\n",
        0o644,
    )];
    create_function(&l, "sleeper", "python3.12", "app.handler", code, &[], 300).await;
    // A function busy for two minutes, and a client that never finishes its request.
    let busy = tokio::spawn(async move { l.invoke().function_name("sleeper").send().await });
    let mut stalled = tokio::net::TcpStream::connect(emu.addr).await.unwrap();
    stalled
        .write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{")
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let started = std::time::Instant::now();
    let status = emu.terminate();
    let took = started.elapsed();
    assert!(status.success(), "{status:?}");
    assert!(
        took < std::time::Duration::from_secs(6),
        "shutdown took {took:?}"
    );
    let _ = busy.await;
}

#[tokio::test]
async fn a_restart_reuses_unpacked_code_and_removes_what_no_function_uses() {
    let dir = temp_dir("bin-code");
    let work = dir.join("lambda");
    let emu = Emu::start(&dir);
    let l = lambda_client(emu.addr);
    let code: &[(&str, &[u8], u32)] =
        &[("app.py", b"def handler(e, c):\n    return 'kept'\n", 0o644)];
    create_function(&l, "kept", "python3.12", "app.handler", code, &[], 5).await;
    emu.kill();
    let trees = |work: &Path| -> Vec<std::path::PathBuf> {
        let root = work.join("code/000000000000/us-east-1/kept");
        let mut v: Vec<_> = std::fs::read_dir(root)
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.is_dir())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let before = trees(&work);
    assert_eq!(before.len(), 1);
    // A tree no function uses, as a crash in the middle of an update leaves.
    let stray = work.join("code/000000000000/us-east-1/kept/stray");
    std::fs::create_dir_all(&stray).unwrap();
    let emu = Emu::start(&dir);
    assert_eq!(
        trees(&work),
        before,
        "the code was unpacked again or the stray kept"
    );
    let out = lambda_client(emu.addr)
        .invoke()
        .function_name("kept")
        .send()
        .await
        .unwrap();
    assert_eq!(out.payload().unwrap().as_ref(), b"\"kept\"");
    emu.kill();
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// One burst: large bodies at and beyond every limit, many at once.
async fn burst(addr: std::net::SocketAddr) {
    use base64::Engine;
    let zip = base64::engine::general_purpose::STANDARD.encode(vec![b'a'; 20 * 1024 * 1024]);
    let create = serde_json::json!({
        "FunctionName": "f", "Runtime": "python3.12", "Role": ROLE, "Handler": "a.b",
        "Code": {"ZipFile": zip}, "Description": "d".repeat(300),
    })
    .to_string()
    .into_bytes();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let body = match i % 3 {
            0 => create.clone(),
            1 => vec![b'x'; 7_000_000],
            _ => format!(
                "{{\"Name\": \"n\", \"SecretString\": \"{}\"}}",
                "s".repeat(900_000)
            )
            .into_bytes(),
        };
        tasks.push(tokio::spawn(async move {
            let (path, target) = match i % 3 {
                0 => ("/2015-03-31/functions", ""),
                1 => ("/2015-03-31/functions/f/invocations", ""),
                _ => ("/", "secretsmanager.CreateSecret"),
            };
            let r = raw(addr, "POST", path, &[("x-amz-target", target)], body).await;
            assert!((400..500).contains(&r.status), "{path}: {}", r.status);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test]
async fn memory_returns_after_bursts_of_large_requests() {
    let dir = temp_dir("bin-memory");
    let emu = Emu::start(&dir);
    let pid = emu.child.id();
    create(&emu.client(), "resident", "v").await;
    let before = rss_kib(pid);
    let mut after = Vec::new();
    for _ in 0..5 {
        burst(emu.addr).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        after.push(rss_kib(pid));
    }
    let limit = (before * 2).max(before + 8 * 1024);
    assert!(
        after.iter().all(|a| *a <= limit),
        "resident memory {before} KiB before, {after:?} KiB after each burst"
    );
    eprintln!("resident memory: {before} KiB before, {after:?} KiB after each of 5 bursts");
    emu.kill();
}

#[test]
fn listening_beyond_loopback_warns_what_it_exposes() {
    let mut child = Command::new(BIN)
        .args([
            "start",
            "--host",
            "0.0.0.0",
            "--port",
            &free_port().to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let mut warned = String::new();
    while stderr.read_line(&mut line).unwrap() > 0 {
        if line.contains("WARN") {
            warned = line.clone();
            break;
        }
        line.clear();
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(warned.contains("0.0.0.0"), "{warned}");
    assert!(warned.contains("run code on this machine"), "{warned}");
}

#[tokio::test]
async fn a_function_record_without_code_stops_start_up() {
    use base64::Engine;
    use localemu::store::root_key;
    let dir = temp_dir("bin-no-code");
    let emu = Emu::start(&dir);
    let code: &[(&str, &[u8], u32)] = &[("app.py", b"def handler(e, c):\n    return 1\n", 0o644)];
    create_function(
        &lambda_client(emu.addr),
        "hollow",
        "python3.12",
        "app.handler",
        code,
        &[],
        5,
    )
    .await;
    emu.kill();
    {
        use redb::ReadableTable;
        let db = redb::Database::create(dir.join("localemu.redb")).unwrap();
        let blobs: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("blobs");
        let txn = db.begin_write().unwrap();
        {
            let mut t = txn.open_table(blobs).unwrap();
            let key = concat!("lambda\0", "000000000000\0us-east-1\0hollow");
            // Records are sealed under the root key beside the database.
            let text = std::fs::read_to_string(dir.join(root_key::FILE_NAME)).unwrap();
            let root: [u8; root_key::KEY_LEN] = base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .unwrap()
                .try_into()
                .unwrap();
            let sealed = t.get(key).unwrap().unwrap().value().to_vec();
            let plain = root_key::open(&root, key, &sealed).unwrap();
            let (format, json) = localemu::store::table::split(&plain);
            let mut record: serde_json::Value = serde_json::from_slice(json).unwrap();
            record["zip"] = serde_json::json!("");
            let record = localemu::store::table::join(format, record.to_string().as_bytes());
            let row = root_key::seal(&root, key, &record);
            t.insert(key, row.as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }
    let text = start_fails(&dir);
    assert!(
        text.contains("hollow") && text.contains("holds no code"),
        "{text}"
    );
}

#[tokio::test]
async fn few_file_descriptors_and_many_idle_sockets_do_not_stop_service() {
    // An open-file limit of 256 that cannot be raised, and 600 idle sockets held open.
    let mut command = Command::new("sh");
    command
        .args([
            "-c",
            "ulimit -Sn 256 && ulimit -Hn 256 && exec \"$0\" \"$@\"",
        ])
        .arg(BIN)
        .args(["start", "--port", "0"]);
    let emu = Emu::spawn(command);
    let mut idle = Vec::new();
    for _ in 0..600 {
        idle.push(tokio::net::TcpStream::connect(emu.addr).await.unwrap());
    }
    let c = emu.client();
    for i in 0..5 {
        let done = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            create(&c, &format!("fd/{i}"), "v"),
        )
        .await;
        assert!(done.is_ok(), "request {i} was not served");
    }
    drop(idle);
}
