//! A PostgreSQL database shared by several nodes: its versioned schema, loading it, and the
//! node's handle on the change feed, read barrier and background lease ([`Shared`]).
//!
//! Every node keeps the whole state in memory, as with the embedded file. A write names the
//! revision its record had in memory and is applied only if the database still holds it, so
//! a node that changed a stale copy loses the race, takes the stored version and runs the
//! operation again. Every commit notifies the other nodes of the keys it changed; a request
//! first waits until the node has applied every change committed before it started.

mod commit;
mod feed;
mod lease;

use super::backend::Revisions;
use super::journal::{Loaded, Reconciler};
use super::journal::{Rev, Touched};
use super::record::SecretRecords;
use super::seal::open_row;
use super::seal::Keyring;
use crate::domain::Namespace;
use postgres::{Client, NoTls};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

pub use feed::Feed;
pub use lease::Lease;

/// The schema this build writes; a database at a newer one is refused.
/// 2: every record carries its own format version (`store::table`); a database of version 1
/// is read as it is, its unmarked records as version 0.
pub const SCHEMA_VERSION: i64 = 2;
/// The channel commits notify the other nodes on.
const CHANNEL: &str = "localemu";

/// Each step brings the schema from the version before it to its own.
const MIGRATIONS: [(i64, &str); 2] = [
    (
        1,
    "CREATE TABLE localemu_secrets (key text PRIMARY KEY, rev bigint NOT NULL, record bytea NOT NULL);
     CREATE TABLE localemu_values (key text NOT NULL, version text NOT NULL, bytes bytea NOT NULL,
                                   PRIMARY KEY (key, version));
     CREATE TABLE localemu_blobs (key text PRIMARY KEY, rev bigint NOT NULL, bytes bytea NOT NULL);
     CREATE TABLE localemu_leases (name text PRIMARY KEY, holder text NOT NULL,
                                   expires timestamptz NOT NULL);
     CREATE TABLE localemu_commits (id int PRIMARY KEY, seq bigint NOT NULL);
     INSERT INTO localemu_commits VALUES (1, 0);",
    ),
    // Records written from here on carry their format version; the tables are unchanged.
    (2, "SELECT 1;"),
];

/// Whether `location` names a PostgreSQL database rather than a directory.
pub fn is_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// Keys hold NUL separators, which PostgreSQL text cannot: they are stored as U+001F, which
/// no AWS name may contain.
pub(super) fn db_key(key: &str) -> String {
    key.replace('\0', "\u{1f}")
}

pub(super) fn mem_key(key: &str) -> String {
    key.replace('\u{1f}', "\0")
}

/// The URL without its password, for messages.
pub fn redacted(url: &str) -> String {
    match url.split_once("://").and_then(|(scheme, rest)| {
        let (auth, host) = rest.rsplit_once('@')?;
        let user = auth.split(':').next().unwrap_or_default();
        Some(format!("{scheme}://{user}:***@{host}"))
    }) {
        Some(r) => r,
        None => url.to_string(),
    }
}

/// A database error with PostgreSQL's own message, not just "db error".
pub(super) fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    }
}

pub(super) fn connect(url: &str) -> Result<Client, String> {
    let mut config: postgres::Config = url
        .parse()
        .map_err(|e| format!("{} is not a PostgreSQL URL: {e}", redacted(url)))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(5));
    }
    config
        .application_name("awsemu")
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(10))
        .tcp_user_timeout(Duration::from_secs(15))
        // Not the notices of tables that already exist.
        .options("-c client_min_messages=warning");
    config
        .connect(NoTls)
        .map_err(|e| format!("cannot reach PostgreSQL at {}: {e}", redacted(url)))
}

/// Runs `f` on a thread of its own: the blocking client starts a runtime, which cannot be
/// done on one of the server's.
pub(super) fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| match s.spawn(f).join() {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e),
    })
}

/// Creates or upgrades the schema; refuses a database a newer build wrote.
fn migrate(client: &mut Client, url: &str) -> Result<(), String> {
    let fail =
        |e: postgres::Error| format!("cannot set up LocalEmu's tables in {}: {e}", redacted(url));
    let mut tx = client.transaction().map_err(fail)?;
    // One node at a time: two starting together must not both create the tables.
    tx.execute("SELECT pg_advisory_xact_lock(7454311)", &[])
        .map_err(fail)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS localemu_meta (name text PRIMARY KEY, value text NOT NULL)",
    )
    .map_err(fail)?;
    let current: i64 = tx
        .query_opt("SELECT value FROM localemu_meta WHERE name = 'schema'", &[])
        .map_err(fail)?
        .and_then(|row| row.get::<_, String>(0).parse().ok())
        .unwrap_or(0);
    if current > SCHEMA_VERSION {
        return Err(format!(
            "the database {} holds LocalEmu schema version {current}, newer than this awsemu \
             understands ({SCHEMA_VERSION}); upgrade awsemu, or use another database",
            redacted(url)
        ));
    }
    for (version, sql) in MIGRATIONS {
        if version > current {
            tx.batch_execute(sql).map_err(fail)?;
        }
    }
    tx.execute(
        "INSERT INTO localemu_meta VALUES ('schema', $1) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        &[&SCHEMA_VERSION.to_string()],
    )
    .map_err(fail)?;
    tx.commit().map_err(fail)
}

/// Connects to the database at `url` (creating or upgrading its tables): the backend the
/// writer commits through, everything stored, and what nodes sharing it need.
pub(super) fn open(url: &str) -> Result<(commit::Postgres, Loaded, Shared), String> {
    off_runtime(|| {
        let mut client = connect(url)?;
        migrate(&mut client, url)?;
        let loaded = load(&mut client)
            .map_err(|e| format!("cannot read LocalEmu's state from {}: {e}", redacted(url)))?;
        let shared = Shared::new(url);
        let backend = commit::Postgres::new(url, shared.node(), client)?;
        Ok((backend, loaded, shared))
    })
}

/// What the database holds under the record `key` now.
pub fn stored_blob(url: &str, key: &str) -> Result<Option<Vec<u8>>, String> {
    off_runtime(|| {
        let mut client = connect(url)?;
        let row = client
            .query_opt(
                "SELECT bytes FROM localemu_blobs WHERE key = $1",
                &[&db_key(key)],
            )
            .map_err(|e| e.to_string())?;
        Ok(row.map(|r| r.get(0)))
    })
}

/// Everything stored, with each record's revision: key material first, so that sealed
/// value rows can be opened.
pub(super) fn load(client: &mut Client) -> Result<Loaded, String> {
    let mut loaded = Loaded::empty();
    let mut tx = snapshot(client)?;
    for row in tx
        .query("SELECT key, rev, bytes FROM localemu_blobs", &[])
        .map_err(|e| e.to_string())?
    {
        let key = mem_key(row.get(0));
        let bytes: Vec<u8> = row.get(2);
        loaded
            .revs
            .insert(Touched::Blob(key.clone()), row.get::<_, Rev>(1));
        loaded.blobs.push((key, bytes));
    }
    let check = loaded
        .blobs
        .iter()
        .find(|(k, _)| k == super::root_key::CHECK)
        .map(|(_, b)| b.as_slice());
    let root = super::root_key::resolve(&super::root_key::Place::Shared, check)?;
    loaded.keyring.set_root(root);
    for (key, bytes) in &loaded.blobs {
        loaded.keyring.load_row(key, bytes)?;
    }
    let mut values: HashMap<(String, String), Vec<u8>> = HashMap::new();
    for row in tx
        .query("SELECT key, version, bytes FROM localemu_values", &[])
        .map_err(|e| e.to_string())?
    {
        values.insert((mem_key(row.get(0)), row.get(1)), row.get(2));
    }
    for row in tx
        .query("SELECT key, rev, record FROM localemu_secrets", &[])
        .map_err(|e| e.to_string())?
    {
        let key = mem_key(row.get(0));
        let record: Vec<u8> = row.get(2);
        let (ns, secret) = secret_of(&key, &record, &loaded.keyring, |id| {
            values.remove(&(key.clone(), id.to_string()))
        })?;
        loaded
            .revs
            .insert(Touched::Secret(key.clone()), row.get::<_, Rev>(1));
        loaded.secrets.push((ns, secret));
    }
    tx.commit().map_err(|e| e.to_string())?;
    Ok(loaded)
}

/// A read-only transaction that sees one moment of the database.
pub(super) fn snapshot(client: &mut Client) -> Result<postgres::Transaction<'_>, String> {
    client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(|e| e.to_string())
}

/// A secret from its stored record and value rows.
pub(super) fn secret_of(
    key: &str,
    record: &[u8],
    keyring: &Keyring,
    mut row: impl FnMut(&str) -> Option<Vec<u8>>,
) -> Result<(Namespace, crate::domain::secret::Secret), String> {
    let (ns, _) = super::journal::parse_key(key).ok_or("a malformed key")?;
    let record = super::table::decode::<SecretRecords>(record)?;
    let mut missing = None;
    let secret = record.into_secret(|id| {
        let row_key = format!("{key}\0{id}");
        let value = row(id).and_then(|raw| open_row(keyring, &row_key, &raw));
        if value.is_none() {
            missing = Some(id.to_string());
        }
        value
    });
    match missing {
        Some(id) => Err(format!(
            "the value of version {id} of {:?} is missing or cannot be decrypted",
            secret.name
        )),
        None => Ok((ns, secret)),
    }
}

/// This node's link to the other nodes through the database.
pub struct Shared {
    pub(super) revisions: Arc<Revisions>,
    url: String,
    /// Names this node in barriers and leases.
    node: String,
    pub feed: Arc<Feed>,
    pub lease: Arc<Lease>,
    stop: Arc<AtomicBool>,
}

impl Shared {
    fn new(url: &str) -> Shared {
        let node = uuid::Uuid::new_v4().simple().to_string();
        Shared {
            revisions: Arc::default(),
            url: url.to_string(),
            feed: Arc::new(Feed::new()),
            lease: Arc::new(Lease::new(node.clone())),
            node,
            stop: Arc::default(),
        }
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Starts the threads that follow other nodes' changes, answer barriers and hold the
    /// lease.
    pub(super) fn start(
        &self,
        gate: Arc<RwLock<()>>,
        keyring: Arc<Keyring>,
        reconcile: Reconciler,
    ) -> Result<(), String> {
        let follower = feed::Follower {
            url: self.url.clone(),
            node: self.node.clone(),
            feed: self.feed.clone(),
            revisions: self.revisions.clone(),
            gate,
            keyring,
            reconcile,
            stop: self.stop.clone(),
        };
        feed::spawn(follower, self.url.clone(), self.stop.clone())?;
        lease::spawn(self.lease.clone(), self.url.clone(), self.stop.clone())?;
        // Requests are answered only once the node follows the others' writes.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        // ... and once the other nodes can see it is alive.
        while !self.feed.following() || !self.lease.started() {
            if std::time::Instant::now() > deadline {
                self.stop();
                return Err(format!(
                    "cannot follow the changes in {}: LISTEN failed",
                    redacted(&self.url)
                ));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(())
    }

    pub(super) fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.feed.fail_all();
    }
}
