//! When the disk fails: a storage backend that fails on demand under a real server. A write
//! is acknowledged only once it is on disk; a failed one answers InternalServiceError and
//! leaves memory as the disk has it; writes work again once the disk does.

use crate::common::*;
use localemu::clock::ManualClock;
use localemu::store::Store;
use redb::StorageBackend;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A file whose writes fail while `fail` is set, as on a full disk or a dying drive, and
/// whose flushes hang while `stall` is set, as on a disk (or network volume) that stopped
/// answering.
#[derive(Debug)]
struct Flaky {
    inner: redb::backends::FileBackend,
    fail: Arc<AtomicBool>,
    stall: Arc<AtomicBool>,
}

impl Flaky {
    fn check(&self) -> std::io::Result<()> {
        while self.stall.load(Ordering::SeqCst) {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        if self.fail.load(Ordering::SeqCst) {
            return Err(std::io::Error::from_raw_os_error(28)); // ENOSPC
        }
        Ok(())
    }
}

impl StorageBackend for Flaky {
    fn len(&self) -> std::io::Result<u64> {
        self.inner.len()
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> std::io::Result<()> {
        self.inner.read(offset, out)
    }
    fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.check()?;
        self.inner.set_len(len)
    }
    fn sync_data(&self) -> std::io::Result<()> {
        self.check()?;
        self.inner.sync_data()
    }
    fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        self.check()?;
        self.inner.write(offset, data)
    }
    fn close(&self) -> std::io::Result<()> {
        self.inner.close()
    }
}

pub(crate) struct Disk {
    dir: PathBuf,
    fail: Arc<AtomicBool>,
    stall: Arc<AtomicBool>,
}

impl Disk {
    pub(crate) fn new(prefix: &str) -> Disk {
        let dir = temp_dir(prefix);
        std::fs::create_dir_all(&dir).unwrap();
        Disk {
            dir,
            fail: Arc::default(),
            stall: Arc::default(),
        }
    }

    pub(crate) fn store(&self) -> Store {
        let (path, fail, stall) = (
            self.dir.join("localemu.redb"),
            self.fail.clone(),
            self.stall.clone(),
        );
        let file = path.clone();
        Store::open_with(&file, Box::new(move || open_flaky(&path, &fail, &stall))).unwrap()
    }

    pub(crate) fn fail(&self, on: bool) {
        self.fail.store(on, Ordering::SeqCst);
    }

    /// Flushes hang from now on (`true`) until called with `false`.
    pub(crate) fn stall(&self, on: bool) {
        self.stall.store(on, Ordering::SeqCst);
    }
}

fn open_flaky(
    path: &Path,
    fail: &Arc<AtomicBool>,
    stall: &Arc<AtomicBool>,
) -> Result<redb::Database, String> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| e.to_string())?;
    let backend = Flaky {
        inner: redb::backends::FileBackend::new(file).map_err(|e| e.to_string())?,
        fail: fail.clone(),
        stall: stall.clone(),
    };
    redb::Database::builder()
        .create_with_backend(backend)
        .map_err(|e| e.to_string())
}

pub(crate) async fn server(disk: &Disk) -> PersistentServer {
    PersistentServer::with_store(disk.store(), Arc::new(ManualClock::new(START))).await
}

async fn health(addr: std::net::SocketAddr) -> RawResponse {
    raw(addr, "GET", "/_awsemu/health", &[], Vec::new()).await
}

/// Waits (the server answers once it does, within 5 s) for the database to take writes again.
async fn wait_writable(addr: std::net::SocketAddr) {
    raw(addr, "GET", "/_awsemu/health?wait=5", &[], Vec::new()).await;
}

#[tokio::test]
async fn a_failed_first_write_is_not_acknowledged_and_not_kept() {
    let disk = Disk::new("disk-first");
    let emu = server(&disk).await;
    let c = emu.client();
    disk.fail(true);
    let token = token();
    let attempt = c
        .create_secret()
        .name("lost")
        .secret_string("v1")
        .client_request_token(&token)
        .send()
        .await;
    assert_eq!(err(attempt).0, "InternalServiceError");
    // Memory is what the disk holds: the secret does not exist.
    let (code, _) = err(c.describe_secret().secret_id("lost").send().await);
    assert_eq!(code, "ResourceNotFoundException");
    // While the disk still fails, the database cannot be reopened: health says so, and
    // writes are refused before they touch memory.
    let h = health(emu.addr).await;
    assert_eq!(h.status, 503, "{:?}", h.json);
    assert_eq!(h.json["storage"], "unavailable");
    let (code, message) = err(c
        .create_secret()
        .name("other")
        .secret_string("x")
        .send()
        .await);
    assert_eq!(code, "InternalServiceError");
    assert!(
        message.contains("cannot write to its database"),
        "{message}"
    );

    // Space comes back: the writer reopens the database by itself.
    disk.fail(false);
    wait_writable(emu.addr).await;
    assert_eq!(health(emu.addr).await.json["storage"], "writable");
    // The retry with the same token is a new attempt, and is really stored.
    c.create_secret()
        .name("lost")
        .secret_string("v1")
        .client_request_token(&token)
        .send()
        .await
        .unwrap();
    emu.stop().await;
    let emu = server(&disk).await;
    assert_eq!(current_value(&emu.client(), "lost").await, "v1");
    emu.stop().await;
}

#[tokio::test]
async fn a_failed_update_leaves_the_old_value_in_memory_and_on_disk() {
    let disk = Disk::new("disk-update");
    let emu = server(&disk).await;
    let c = emu.client();
    create(&c, "kept", "old").await;
    disk.fail(true);
    let put = c
        .put_secret_value()
        .secret_id("kept")
        .secret_string("new")
        .send()
        .await;
    assert_eq!(err(put).0, "InternalServiceError");
    assert_eq!(current_value(&c, "kept").await, "old");
    let versions = c
        .list_secret_version_ids()
        .secret_id("kept")
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 1);
    disk.fail(false);
    wait_writable(emu.addr).await;
    c.put_secret_value()
        .secret_id("kept")
        .secret_string("newer")
        .send()
        .await
        .unwrap();
    emu.stop().await;
    let emu = server(&disk).await;
    let c = emu.client();
    assert_eq!(current_value(&c, "kept").await, "newer");
    let previous = c
        .get_secret_value()
        .secret_id("kept")
        .version_stage("AWSPREVIOUS")
        .send()
        .await
        .unwrap();
    assert_eq!(previous.secret_string(), Some("old"));
    emu.stop().await;
}

#[tokio::test]
async fn a_failure_in_the_middle_of_32_concurrent_writers_loses_no_acknowledged_write() {
    let disk = Disk::new("disk-group");
    let emu = server(&disk).await;
    let addr = emu.addr;
    let fail = disk.fail.clone();
    // The disk fails when the 200th write starts, so the failure lands in the middle of
    // the run however fast the machine is, and comes back 300 ms later.
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut writers = Vec::new();
    for w in 0..32 {
        let (done, fail) = (done.clone(), fail.clone());
        writers.push(tokio::spawn(async move {
            let c = client_for(addr, "test", REGION);
            let mut acked = Vec::new();
            let mut refused = Vec::new();
            for i in 0..40 {
                if done.fetch_add(1, Ordering::SeqCst) + 1 == 200 {
                    fail.store(true, Ordering::SeqCst);
                    let fail = fail.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                        fail.store(false, Ordering::SeqCst);
                    });
                }
                let name = format!("group/{w}/{i}");
                match c
                    .create_secret()
                    .name(&name)
                    .secret_string("v")
                    .send()
                    .await
                {
                    Ok(_) => acked.push(name),
                    Err(e) => {
                        use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
                        assert_eq!(e.code(), Some("InternalServiceError"), "{e:?}");
                        refused.push(name);
                    }
                }
            }
            (acked, refused)
        }));
    }
    let mut acked = Vec::new();
    let mut refused = Vec::new();
    for w in writers {
        let (a, r) = w.await.unwrap();
        acked.extend(a);
        refused.extend(r);
    }
    assert!(!refused.is_empty(), "the failure hit no write");
    assert!(!acked.is_empty());
    // Refused writes are not in memory either.
    let c = emu.client();
    for name in refused.iter().take(50) {
        let (code, _) = err(c.describe_secret().secret_id(name).send().await);
        assert_eq!(code, "ResourceNotFoundException", "{name} is in memory");
    }
    emu.stop().await;
    let emu = server(&disk).await;
    let c = emu.client();
    for name in &acked {
        assert_eq!(current_value(&c, name).await, "v", "{name} was lost");
    }
    for name in refused.iter().take(50) {
        let (code, _) = err(c.describe_secret().secret_id(name).send().await);
        assert_eq!(code, "ResourceNotFoundException", "{name} is on disk");
    }
    emu.stop().await;
}

#[tokio::test]
async fn a_failed_function_change_is_undone_too() {
    let disk = Disk::new("disk-lambda");
    let emu = server(&disk).await;
    let l = lambda_client(emu.addr);
    let code: &[(&str, &[u8], u32)] = &[("app.py", b"def handler(e, c):\n    return 1\n", 0o644)];
    create_function(&l, "kept-fn", "python3.12", "app.handler", code, &[], 5).await;
    disk.fail(true);
    let r = l
        .update_function_configuration()
        .function_name("kept-fn")
        .description("never stored")
        .send()
        .await;
    assert_eq!(err(r).0, "ServiceException");
    let r = l
        .create_function()
        .function_name("lost-fn")
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .role(ROLE)
        .handler("app.handler")
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(zip_of(code)))
                .build(),
        )
        .send()
        .await;
    assert!(r.is_err());
    disk.fail(false);
    let config = l
        .get_function_configuration()
        .function_name("kept-fn")
        .send()
        .await
        .unwrap();
    assert_eq!(config.description(), Some(""));
    let (code, _) = err(l.get_function().function_name("lost-fn").send().await);
    assert_eq!(code, "ResourceNotFoundException");
    emu.stop().await;
}

#[tokio::test]
async fn a_failed_key_change_is_undone_too() {
    let disk = Disk::new("disk-kms");
    let emu = server(&disk).await;
    let k = kms_client(emu.addr, ACCOUNT);
    let key = k.create_key().send().await.unwrap().key_metadata.unwrap();
    disk.fail(true);
    let (code, _) = err(k.disable_key().key_id(key.key_id()).send().await);
    assert_eq!(code, "KMSInternalException");
    assert!(k
        .create_key()
        .description("never stored")
        .send()
        .await
        .is_err());
    disk.fail(false);
    wait_writable(emu.addr).await;
    let state = k.describe_key().key_id(key.key_id()).send().await.unwrap();
    assert_eq!(
        state
            .key_metadata
            .unwrap()
            .key_state()
            .map(aws_sdk_kms::types::KeyState::as_str),
        Some("Enabled"),
        "the failed change was put back"
    );
    let keys = k.list_keys().send().await.unwrap();
    assert_eq!(keys.keys().len(), 1, "the failed key is not kept");
    emu.stop().await;
}

#[tokio::test]
async fn a_failed_stack_or_rule_change_is_not_kept() {
    let disk = Disk::new("disk-stacks");
    let emu = server(&disk).await;
    let c = crate::stacks::cfn(emu.addr);
    let eb = sdk_client!(aws_sdk_eventbridge, emu.addr, REGION, test_key(ACCOUNT));
    let body = "Resources:\n  P:\n    Type: AWS::SSM::Parameter\n    Properties: {Type: String, Value: v}\n";
    disk.fail(true);
    let (code, _) = err(c
        .create_stack()
        .stack_name("lost")
        .template_body(body)
        .send()
        .await);
    assert!(code == "InternalFailure", "{code}");
    assert!(eb
        .put_rule()
        .name("lost")
        .event_pattern(r#"{"source": ["x"]}"#)
        .send()
        .await
        .is_err());
    disk.fail(false);
    wait_writable(emu.addr).await;
    let listed = c.list_stacks().send().await.unwrap();
    assert!(listed.stack_summaries().is_empty(), "{listed:?}");
    assert_eq!(
        err(eb.describe_rule().name("lost").send().await).0,
        "ResourceNotFoundException"
    );
    // Writes work again once the disk does.
    c.create_stack()
        .stack_name("kept")
        .template_body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(crate::stacks::settle(&c, "kept").await.0, "CREATE_COMPLETE");
    emu.stop().await;
}

#[tokio::test]
async fn a_stalled_disk_answers_internal_error_within_the_limit_and_applies_whole() {
    let disk = Disk::new("disk-stall");
    let store = disk
        .store()
        .waiting_at_most(std::time::Duration::from_secs(1));
    let emu = PersistentServer::with_store(store, Arc::new(ManualClock::new(START))).await;
    let c = emu.client();
    create(&c, "stalled", "v0").await;
    disk.stall(true);
    let token = token();
    let began = std::time::Instant::now();
    let put = c
        .put_secret_value()
        .secret_id("stalled")
        .secret_string("v1")
        .client_request_token(&token)
        .send()
        .await;
    let waited = began.elapsed();
    assert_eq!(err(put).0, "InternalServiceError");
    assert!(
        waited < std::time::Duration::from_secs(3),
        "the request waited {waited:?} for a stalled disk"
    );
    // The disk answers again: the change is applied whole (it was never half-applied), and
    // the client's retry with its token is answered as the write it made.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    disk.stall(false);
    let again = c
        .put_secret_value()
        .secret_id("stalled")
        .secret_string("v1")
        .client_request_token(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.version_id(), Some(token.as_str()));
    assert_eq!(current_value(&c, "stalled").await, "v1");
    drop(emu);
    // After a restart, what was answered is what the disk holds.
    let emu = server(&disk).await;
    assert_eq!(current_value(&emu.client(), "stalled").await, "v1");
}

#[tokio::test]
async fn a_write_whose_commit_fails_publishes_no_event() {
    let disk = Disk::new("disk-events");
    let emu = server(&disk).await;
    let account = "616161616161";
    let (rx, rx_addr) = crate::events::Receiver::start().await;
    crate::events::put_calls_to(emu.addr, account, rx_addr, "/calls").await;
    let c = client_for(emu.addr, account, REGION);
    create(&c, "evented", "v0").await;
    disk.fail(true);
    let failed = c
        .put_secret_value()
        .secret_id("evented")
        .secret_string("never stored")
        .send()
        .await;
    assert_eq!(err(failed).0, "InternalServiceError");
    disk.fail(false);
    wait_writable(emu.addr).await;
    let stored = c
        .put_secret_value()
        .secret_id("evented")
        .secret_string("stored")
        .send()
        .await
        .unwrap();
    let got = rx.wait("/calls", 1).await;
    // Time for an event of the failed write, had one been sent, to arrive too.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let got = rx.wait("/calls", got.len()).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let event: serde_json::Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(
        event["detail"]["responseElements"]["versionId"],
        stored.version_id().unwrap()
    );
}
