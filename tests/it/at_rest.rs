//! Secret values at rest: sealed under their secret's KMS key (a data key per row), never
//! written in the clear, and read back after a restart; rows of older files are sealed at
//! the next start.

use crate::common::*;
use localemu::clock::ManualClock;
use localemu::domain::secret::Secret;
use localemu::domain::versions::SecretValue;
use localemu::domain::Namespace;
use localemu::store::Store;
use redb::{ReadableDatabase, ReadableTable};
use std::path::Path;
use std::sync::Arc;

fn db_file(dir: &Path) -> std::path::PathBuf {
    dir.join(localemu::store::DB_FILE)
}

/// Whether every value row in the database in `dir` is sealed.
pub fn all_rows_sealed(dir: &Path) -> bool {
    // Opened writable: after `kill -9` the file needs the recovery only a writer does.
    let db = redb::Database::open(db_file(dir)).unwrap();
    let txn = db.begin_read().unwrap();
    let values = txn.open_table(localemu::store::VALUES).unwrap();
    let rows: Vec<Vec<u8>> = values
        .iter()
        .unwrap()
        .map(|r| r.unwrap().1.value().to_vec())
        .collect();
    !rows.is_empty() && rows.iter().all(|r| r.first() == Some(&b'e'))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn values_are_sealed_under_their_keys_and_survive_a_restart() {
    let dir = temp_dir("at-rest");
    let clock = Arc::new(ManualClock::new(START));
    let server = PersistentServer::start(&dir, clock.clone()).await;
    let c = server.client();
    let marker = "clear-text-marker-7f3a9c";
    create(&c, "default-key", &format!("{marker}-default")).await;
    key_with_alias(server.addr, "000000000000", "alias/first").await;
    c.create_secret()
        .name("keyed")
        .kms_key_id("alias/first")
        .secret_string(format!("{marker}-keyed"))
        .send()
        .await
        .unwrap();
    // A new key re-encrypts AWSCURRENT under it.
    let second = key_with_alias(server.addr, "000000000000", "alias/second").await;
    c.update_secret()
        .secret_id("keyed")
        .kms_key_id(&second)
        .send()
        .await
        .unwrap();
    server.stop().await;
    let bytes = std::fs::read(db_file(&dir)).unwrap();
    assert!(
        !contains(&bytes, marker.as_bytes()),
        "a value reached the disk in the clear"
    );
    assert!(all_rows_sealed(&dir));
    let server = PersistentServer::start(&dir, clock).await;
    let c = server.client();
    assert_eq!(
        current_value(&c, "default-key").await,
        format!("{marker}-default")
    );
    assert_eq!(current_value(&c, "keyed").await, format!("{marker}-keyed"));
    server.stop().await;
}

#[tokio::test]
async fn rows_found_in_the_clear_are_sealed_at_start() {
    let dir = temp_dir("at-rest-clear");
    {
        // A store without KMS writes rows as they are, as format 1 and imports did.
        let store = Store::open(&dir).unwrap();
        let ns = store.namespace_or_create(&Namespace::new(ACCOUNT, REGION));
        let arn = format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:old-AbCdEf");
        let mut s = Secret::new("old".into(), arn, START);
        s.versions
            .put(
                "v1",
                SecretValue::String("was-clear".into()),
                &["AWSCURRENT".to_string()],
                START,
            )
            .unwrap();
        let (_, ticket) = ns
            .insert_unless(s, |_| false)
            .unwrap_or_else(|_| panic!("insert"));
        assert!(ticket.durable().await);
    }
    assert!(!all_rows_sealed(&dir));
    let server = PersistentServer::start(&dir, Arc::new(ManualClock::new(START))).await;
    assert_eq!(current_value(&server.client(), "old").await, "was-clear");
    server.stop().await;
    assert!(all_rows_sealed(&dir));
}

/// Every record that is not a secret's value (stacks with their NoEcho values and template
/// literals, KMS key material, the STS signing key, functions, parameters) is sealed under the
/// root key, which is kept beside the database, never in it: the database file alone, copied
/// anywhere, gives nothing away.
#[tokio::test]
async fn a_copied_database_reveals_nothing() {
    let dir = temp_dir("at-rest-copy");
    let clock = Arc::new(ManualClock::new(START));
    let server = PersistentServer::start(&dir, clock.clone()).await;
    let noecho = "noecho-marker-5e1d";
    let literal = "template-literal-marker-9b2c";
    let body = format!(
        "Parameters:\n  Pass: {{Type: String, NoEcho: true}}\nResources:\n  P:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Type: String\n      Value: {literal}\n"
    );
    let c = crate::stacks::cfn(server.addr);
    let (id, status) = crate::stacks::deploy(&c, "sealed", &body, &[("Pass", noecho)]).await;
    assert_eq!(status, "CREATE_COMPLETE");
    key_with_alias(server.addr, ACCOUNT, "alias/sealed").await;
    server.stop().await;

    let bytes = std::fs::read(db_file(&dir)).unwrap();
    for marker in [noecho, literal] {
        assert!(
            !contains(&bytes, marker.as_bytes()),
            "{marker} is in the clear"
        );
    }
    {
        let db = redb::Database::open(db_file(&dir)).unwrap();
        let txn = db.begin_read().unwrap();
        let blobs = txn.open_table(localemu::store::BLOBS).unwrap();
        let mut kinds = std::collections::BTreeSet::new();
        for row in blobs.iter().unwrap() {
            let (key, value) = row.unwrap();
            kinds.insert(key.value().split('\0').next().unwrap().to_string());
            assert!(
                value.value().starts_with(b"LER1"),
                "{:?} is not sealed",
                key.value()
            );
        }
        for kind in ["kms-material", "cfn", "sts", "ssm"] {
            assert!(
                kinds.iter().any(|k| k.starts_with(kind)),
                "{kind}: {kinds:?}"
            );
        }
    }
    let key_file = dir.join(localemu::store::root_key::FILE_NAME);
    let key_mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(key_mode, 0o600);

    // The database alone, in another directory: refused, and nothing is made up.
    let copy = temp_dir("at-rest-copied");
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::copy(db_file(&dir), db_file(&copy)).unwrap();
    let e = Store::open(&copy).err().unwrap();
    assert!(e.contains("root key"), "{e}");
    assert!(!copy.join(localemu::store::root_key::FILE_NAME).exists());
    // With the key it opens, as the original does.
    std::fs::copy(&key_file, copy.join(localemu::store::root_key::FILE_NAME)).unwrap();
    let server = PersistentServer::start(&copy, clock).await;
    let c = crate::stacks::cfn(server.addr);
    let d = c.describe_stacks().stack_name(&id).send().await.unwrap();
    assert_eq!(
        d.stacks()[0].stack_status().unwrap().as_str(),
        "CREATE_COMPLETE"
    );
    server.stop().await;
}
