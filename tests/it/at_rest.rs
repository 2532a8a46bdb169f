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
    dir.join(localemu::store::durable::DB_FILE)
}

/// Whether every value row in the database in `dir` is sealed.
pub fn all_rows_sealed(dir: &Path) -> bool {
    // Opened writable: after `kill -9` the file needs the recovery only a writer does.
    let db = redb::Database::open(db_file(dir)).unwrap();
    let txn = db.begin_read().unwrap();
    let values = txn.open_table(localemu::store::durable::VALUES).unwrap();
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
