//! Following other nodes' commits (LISTEN/NOTIFY) into this node's memory, and the read
//! barrier built on it.
//!
//! Every commit takes the next number of one sequence row, whose lock it holds until it
//! commits: numbers follow commit order, and so do the notifications that carry them. A
//! barrier reads the sequence (one cheap query for every request waiting meanwhile) and waits
//! until the follower has applied that number: every write acknowledged before the barrier
//! began has a number no greater, so it is in memory by then.

use super::super::backend::note_revisions;
use super::super::backend::Revisions;
use super::super::journal::{Reconciler, Reverted};
use super::super::journal::{Rev, Touched};
use super::super::seal::Keyring;
use super::commit::read_back;
use super::{connect, mem_key, CHANNEL};
use postgres::fallible_iterator::FallibleIterator;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::oneshot;

/// How long a lost connection waits before it is tried again.
const RETRY: Duration = Duration::from_secs(1);
/// How long the feed waits for this node's own writes of a record another node changed.
const SETTLE: Duration = Duration::from_secs(5);

#[derive(Default)]
struct Waiters {
    /// Asked for since the sequence was last read.
    waiting: Vec<oneshot::Sender<bool>>,
    /// Waiting for the follower to apply the commit number they are keyed by.
    sent: BTreeMap<i64, Vec<oneshot::Sender<bool>>>,
    /// The highest commit number applied to memory.
    applied: i64,
}

/// The barriers of this node, and whether it is following the database.
pub struct Feed {
    waiters: Mutex<Waiters>,
    wake: Condvar,
    following: AtomicBool,
}

impl Feed {
    pub(super) fn new() -> Feed {
        Feed {
            waiters: Mutex::default(),
            wake: Condvar::new(),
            following: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Waiters> {
        self.waiters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether this node is connected to the database's change feed and caught up with it.
    pub fn following(&self) -> bool {
        self.following.load(Ordering::SeqCst)
    }

    /// Resolves true once every change committed before now is in memory; false when the
    /// database cannot be reached.
    pub fn barrier(&self) -> oneshot::Receiver<bool> {
        let (tx, rx) = oneshot::channel();
        if !self.following() {
            let _ = tx.send(false);
            return rx;
        }
        self.lock().waiting.push(tx);
        self.wake.notify_one();
        rx
    }

    /// The follower applied every commit up to `seq`: the barriers waiting for it pass.
    fn applied(&self, seq: i64) {
        let mut w = self.lock();
        w.applied = w.applied.max(seq);
        let later = w.sent.split_off(&(seq + 1));
        for tx in std::mem::replace(&mut w.sent, later)
            .into_values()
            .flatten()
        {
            let _ = tx.send(true);
        }
    }

    /// `waiters` pass once commit `seq` is applied (at once if it is).
    fn pass_at(&self, seq: i64, waiters: Vec<oneshot::Sender<bool>>) {
        let mut w = self.lock();
        if w.applied >= seq || !self.following() {
            // Without the feed nothing would let them pass: they fail now instead of hanging.
            let passed = w.applied >= seq;
            for tx in waiters {
                let _ = tx.send(passed);
            }
        } else {
            w.sent.entry(seq).or_default().extend(waiters);
        }
    }

    /// Fails every barrier waiting: the feed lost the database.
    pub fn fail_all(&self) {
        let mut w = self.lock();
        let sent = std::mem::take(&mut w.sent);
        for tx in std::mem::take(&mut w.waiting)
            .into_iter()
            .chain(sent.into_values().flatten())
        {
            let _ = tx.send(false);
        }
        drop(w);
        self.wake.notify_all();
    }

    /// Waits for barriers to be asked for; returns those asked for so far.
    fn next_round(&self) -> Vec<oneshot::Sender<bool>> {
        let mut w = self.lock();
        if w.waiting.is_empty() {
            w = self
                .wake
                .wait_timeout(w, Duration::from_millis(500))
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
        std::mem::take(&mut w.waiting)
    }
}

/// What the follower thread needs.
pub struct Follower {
    pub url: String,
    /// This node's name, which its own commits carry.
    pub node: String,
    pub feed: Arc<Feed>,
    pub revisions: Arc<Revisions>,
    pub gate: Arc<RwLock<()>>,
    pub keyring: Arc<Keyring>,
    pub reconcile: Reconciler,
    pub stop: Arc<AtomicBool>,
}

pub fn spawn(follower: Follower, url: String, stop: Arc<AtomicBool>) -> Result<(), String> {
    let feed = follower.feed.clone();
    std::thread::Builder::new()
        .name("localemu-feed".into())
        .spawn(move || follower.run())
        .map_err(|e| format!("cannot start the change feed: {e}"))?;
    std::thread::Builder::new()
        .name("localemu-barrier".into())
        .spawn(move || read_sequence(&feed, &url, &stop))
        .map_err(|e| format!("cannot start the read barrier: {e}"))?;
    Ok(())
}

/// Reads the commit sequence once for all the barriers asked for meanwhile.
fn read_sequence(feed: &Feed, url: &str, stop: &AtomicBool) {
    let mut link = None;
    while !stop.load(Ordering::SeqCst) {
        let round = feed.next_round();
        if round.is_empty() {
            continue;
        }
        let mut seq = None;
        // A connection the database dropped while it was idle fails at once: one new try.
        for _ in 0..2 {
            if !feed.following() {
                break;
            }
            if link.is_none() {
                link = connect(url).ok().and_then(|mut c| {
                    let st = c.prepare(SEQUENCE).ok()?;
                    Some((c, st))
                });
            }
            seq = link
                .as_mut()
                .and_then(|(client, st)| client.query_one(&*st, &[]).ok())
                .map(|row| row.get::<_, i64>(0));
            if seq.is_some() {
                break;
            }
            link = None;
        }
        if let Some(seq) = seq {
            feed.pass_at(seq, round);
        } else {
            link = None;
            for tx in round {
                let _ = tx.send(false);
            }
        }
    }
    feed.fail_all();
}

const SEQUENCE: &str = "SELECT seq FROM localemu_commits WHERE id = 1";

impl Follower {
    fn run(self) {
        while !self.stop.load(Ordering::SeqCst) {
            if let Err(e) = self.follow() {
                if self.feed.following.swap(false, Ordering::SeqCst) {
                    tracing::error!(error = %e, "lost PostgreSQL's change feed; reconnecting");
                }
                self.feed.fail_all();
                std::thread::sleep(RETRY);
            }
        }
        self.feed.following.store(false, Ordering::SeqCst);
        self.feed.fail_all();
    }

    /// Listens, catches up with what was missed, then applies notifications until the
    /// connection fails or the node stops.
    fn follow(&self) -> Result<(), String> {
        let mut client = connect(&self.url)?;
        client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .map_err(|e| e.to_string())?;
        self.catch_up(&mut client)?;
        if !self.feed.following.swap(true, Ordering::SeqCst) {
            tracing::info!("following PostgreSQL's change feed");
        }
        while !self.stop.load(Ordering::SeqCst) {
            let mut payloads = Vec::new();
            {
                let mut notes = client.notifications();
                let wait = Duration::from_millis(500);
                let first = notes.timeout_iter(wait).next().map_err(|e| e.to_string())?;
                if let Some(first) = first {
                    payloads.push(first.payload().to_string());
                    let mut more = notes.iter();
                    while let Some(n) = more.next().map_err(|e| e.to_string())? {
                        payloads.push(n.payload().to_string());
                    }
                }
            }
            if client.is_closed() {
                return Err("the connection closed".into());
            }
            self.apply(&mut client, &payloads)?;
        }
        Ok(())
    }

    fn apply(&self, client: &mut postgres::Client, payloads: &[String]) -> Result<(), String> {
        let mut changed: HashMap<Touched, Option<Rev>> = HashMap::new();
        let mut everything = false;
        let mut seq = None;
        // This node's own commits: memory has them already (or something newer).
        let mut own = false;
        for line in payloads.iter().flat_map(|p| p.lines()) {
            if line == "*" {
                everything = true;
            } else if let Some(header) = line.strip_prefix('#') {
                let (n, node) = header.split_once(' ').unwrap_or((header, ""));
                seq = n.parse::<i64>().ok().max(seq);
                own = node == self.node;
            } else if let Some((head, key)) = line.split_once(' ').filter(|_| !own) {
                let rev = head.get(1..).and_then(|r| r.parse::<Rev>().ok());
                let key = mem_key(key);
                let key = match head.as_bytes().first() {
                    Some(b's') => Touched::Secret(key),
                    Some(b'b') => Touched::Blob(key),
                    _ => continue,
                };
                changed.insert(key, rev);
            }
        }
        if everything {
            // A reset: every record this node knows and every one stored is compared.
            self.catch_up(client)?;
        } else {
            changed.retain(|k, rev| self.revisions.get(k) != *rev);
            let (own, stale): (HashSet<Touched>, HashSet<Touched>) = changed
                .keys()
                .cloned()
                .partition(|k| self.revisions.pending(k));
            self.refresh(client, &stale)?;
            self.settle_own(&own);
            // An own write that settled before the other node's commit leaves memory without
            // that commit: read those records back too.
            let behind: HashSet<Touched> = own
                .into_iter()
                .filter(|k| self.revisions.get(k) != changed[k] && !self.revisions.pending(k))
                .collect();
            self.refresh(client, &behind)?;
        }
        if let Some(seq) = seq {
            self.feed.applied(seq);
        }
        Ok(())
    }

    /// Waits until this node's own writes of `keys` in flight settle, before the commits that
    /// changed those keys elsewhere count as applied. Such a write was made on a copy older
    /// than the other node's commit, so it meets a conflict and memory takes the stored
    /// version; until then a read must not pass the barrier, or it would miss that commit.
    fn settle_own(&self, keys: &HashSet<Touched>) {
        let deadline = std::time::Instant::now() + SETTLE;
        while keys.iter().any(|k| self.revisions.pending(k)) {
            if std::time::Instant::now() > deadline {
                tracing::warn!(
                    keys = keys.len(),
                    "this node's own writes did not settle in time"
                );
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Compares every stored revision with memory's and reads back what differs: run on
    /// every (re)connection, as notifications sent meanwhile were not received.
    fn catch_up(&self, client: &mut postgres::Client) -> Result<(), String> {
        // Read before the records: everything up to it is caught up with below.
        let seq: i64 = client
            .query_one(SEQUENCE, &[])
            .map_err(|e| e.to_string())?
            .get(0);
        let rows = client
            .query(
                "SELECT 's', key, rev FROM localemu_secrets UNION ALL \
                 SELECT 'b', key, rev FROM localemu_blobs",
                &[],
            )
            .map_err(|e| e.to_string())?;
        let mut known = self.revisions.snapshot();
        let mut stale = HashSet::new();
        for row in rows {
            let kind: String = row.get(0);
            let key = mem_key(row.get(1));
            let key = if kind == "s" {
                Touched::Secret(key)
            } else {
                Touched::Blob(key)
            };
            let rev: Rev = row.get(2);
            if known.remove(&key) != Some(rev) {
                stale.insert(key);
            }
        }
        // Known here, gone from the database.
        stale.extend(known.into_keys());
        let own: HashSet<Touched> = stale
            .iter()
            .filter(|k| self.revisions.pending(k))
            .cloned()
            .collect();
        self.refresh(client, &stale)?;
        self.settle_own(&own);
        self.feed.applied(seq);
        Ok(())
    }

    /// Reads `stale` back and puts it in memory, except records this node changed since it
    /// decided to read them: its own commit (or the conflict it meets) settles those.
    fn refresh(
        &self,
        client: &mut postgres::Client,
        stale: &HashSet<Touched>,
    ) -> Result<(), String> {
        // A record changed meanwhile by the writer's own read-back may have taken an older
        // copy than the one read here: it is read again (the database's copy is the newest),
        // unless a write of this node is in flight for it.
        let mut stale = self.refresh_once(client, stale)?;
        for _ in 0..4 {
            stale.retain(|k| !self.revisions.pending(k));
            if stale.is_empty() {
                break;
            }
            stale = self.refresh_once(client, &stale)?;
        }
        Ok(())
    }

    /// One read-back of `stale` into memory; returns the records left out because memory
    /// changed them while they were read.
    fn refresh_once(
        &self,
        client: &mut postgres::Client,
        stale: &HashSet<Touched>,
    ) -> Result<HashSet<Touched>, String> {
        if stale.is_empty() {
            return Ok(HashSet::new());
        }
        let seen: HashMap<Touched, Option<Rev>> = stale
            .iter()
            .map(|k| (k.clone(), self.revisions.get(k)))
            .collect();
        let mut r = read_back(client, stale, &self.keyring)?;
        let _exclusive = self
            .gate
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut left = HashSet::new();
        if r.everything.is_none() {
            let unchanged = |k: &Touched| {
                seen.get(k).is_some_and(|s| self.revisions.get(k) == *s)
                    && !self.revisions.pending(k)
            };
            left = stale.iter().filter(|k| !unchanged(k)).cloned().collect();
            r = Reverted {
                secrets: std::mem::take(&mut r.secrets)
                    .into_iter()
                    .filter(|(k, _)| unchanged(&Touched::Secret(k.clone())))
                    .collect(),
                blobs: std::mem::take(&mut r.blobs)
                    .into_iter()
                    .filter(|(k, _)| unchanged(&Touched::Blob(k.clone())))
                    .collect(),
                revs: std::mem::take(&mut r.revs)
                    .into_iter()
                    .filter(|(k, _)| unchanged(k))
                    .collect(),
                everything: None,
            };
        }
        note_revisions(Some(&self.revisions), &r);
        (self.reconcile)(r);
        Ok(left)
    }
}
