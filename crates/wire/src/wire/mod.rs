//! The contract between the protocol layer and the services, and the runtime the generated
//! code (`crate::generated`) relies on: acknowledgements and durability tickets, the codec a
//! protocol supplies, constraint checks, and the encodings of blobs.

mod constraints;
mod encoded;
pub mod java;
pub mod object;
pub mod query;
mod rest;

pub use constraints::{At, Pattern, Violations};
pub use encoded::Encoded;
pub use rest::{boolean, integer, text, FromRest, RestRequest, RestResponse, Route, ToRest};

use crate::error::{Error, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::oneshot;

/// Maps keep the order they were written in, as AWS's answers do.
pub type Map<K, V> = indexmap::IndexMap<K, V>;

/// Shown instead of a sensitive member in debug output and logs.
pub const REDACTED: &str = "*** Sensitive Data Redacted ***";

/// The body of an answer without members: `{}`.
#[derive(Debug, Serialize)]
pub struct Empty {}

/// How a journaled change ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// On disk (or in the shared database): the answer may be sent.
    Committed,
    /// The database failed; memory was put back to what it holds.
    Failed,
    /// Another node changed the same record first; memory now holds that node's version, so
    /// the operation can be run again on it.
    Conflict,
}

/// Resolves once a change is durable (or has failed): the answer must not be sent before.
#[derive(Debug)]
pub struct Ticket(Option<oneshot::Receiver<Outcome>>);

impl Ticket {
    /// For answers that change nothing durable.
    pub fn ready() -> Ticket {
        Ticket(None)
    }

    /// Whether the answer carries no change to wait for.
    pub fn is_ready(&self) -> bool {
        self.0.is_none()
    }

    /// A ticket the store resolves through the sender.
    pub fn pending() -> (oneshot::Sender<Outcome>, Ticket) {
        let (tx, rx) = oneshot::channel();
        (tx, Ticket(Some(rx)))
    }

    pub async fn settle(self) -> Outcome {
        match self.0 {
            None => Outcome::Committed,
            Some(rx) => rx.await.unwrap_or(Outcome::Failed),
        }
    }

    pub async fn durable(self) -> bool {
        self.settle().await == Outcome::Committed
    }

    /// Two tickets for one change: one for the answer, one for work that must follow only
    /// a stored change (a rotation whose start must be committed before its function runs).
    pub fn fork(self) -> (Ticket, Ticket) {
        let Some(rx) = self.0 else {
            return (Ticket::ready(), Ticket::ready());
        };
        let ((answer_tx, answer), (after_tx, after)) = (Ticket::pending(), Ticket::pending());
        tokio::spawn(async move {
            let outcome = rx.await.unwrap_or(Outcome::Failed);
            let _ = answer_tx.send(outcome);
            let _ = after_tx.send(outcome);
        });
        (answer, after)
    }

    /// Like [`Ticket::settle`], for a request that must not wait on a stalled database longer
    /// than `limit`: past it the answer is `Failed`. The change itself is neither lost nor
    /// half-applied: it is committed whole when the database answers, or put back whole.
    pub async fn settle_within(self, limit: std::time::Duration) -> Outcome {
        if let Ok(outcome) = tokio::time::timeout(limit, self.settle()).await {
            outcome
        } else {
            tracing::warn!(?limit, "the database did not commit in time");
            Outcome::Failed
        }
    }
}

/// How far a store's writer has got: the writes submitted, those settled (in submission
/// order), and how often memory was put back after a failed or lost commit. Memory changes
/// before its commit, so a read may see a change that is then put back; a read checks with
/// this that what it saw was never put back, and runs again otherwise.
pub struct Progress {
    submitted: std::sync::Mutex<u64>,
    /// The last number handed out, for readers (who need no lock).
    last: std::sync::atomic::AtomicU64,
    /// (writes settled, memory put back so far)
    state: tokio::sync::watch::Sender<(u64, u64)>,
}

impl Default for Progress {
    fn default() -> Self {
        Progress {
            submitted: std::sync::Mutex::new(0),
            last: std::sync::atomic::AtomicU64::new(0),
            state: tokio::sync::watch::channel((0, 0)).0,
        }
    }
}

impl Progress {
    /// Numbers a write and hands it to `send` under one lock, so numbers follow the queue.
    pub fn submit<T>(&self, send: impl FnOnce(u64) -> T) -> T {
        let mut n = self
            .submitted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *n += 1;
        self.last.store(*n, std::sync::atomic::Ordering::SeqCst);
        send(*n)
    }

    /// Every write up to `n` settled.
    pub fn settled(&self, n: u64) {
        self.state.send_if_modified(|s| {
            let moved = n > s.0;
            s.0 = s.0.max(n);
            moved
        });
    }

    /// Memory was put back to what the database holds (before any ticket of it resolves).
    pub fn put_back(&self) {
        self.state.send_modify(|s| s.1 += 1);
    }

    /// Taken before a read runs.
    pub fn mark(&self) -> u64 {
        self.state.borrow().1
    }

    /// Waits (at most `limit`) until every write submitted so far has settled; true when
    /// memory was not put back since `mark`, so what a read saw meanwhile was all stored.
    pub async fn clean_since(&self, mark: u64, limit: std::time::Duration) -> bool {
        let target = self.last.load(std::sync::atomic::Ordering::SeqCst);
        let now = *self.state.borrow();
        if now.0 >= target {
            return now.1 == mark;
        }
        let mut rx = self.state.subscribe();
        let settled = tokio::time::timeout(limit, rx.wait_for(|s| s.0 >= target))
            .await
            .ok()
            .and_then(Result::ok)
            .map(|s| s.1);
        settled == Some(mark)
    }
}

/// How long a request waits for the database by default (read barrier, then commit).
pub const DEFAULT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Waits until this node has seen every change acknowledged anywhere before the wait began,
/// so that an answer never lags behind a write another node already acknowledged. Without a
/// shared database there is nothing to wait for.
/// It also carries how long a request may wait for the database, barrier and commit each.
#[derive(Clone)]
pub struct Barrier {
    wait: Option<std::sync::Arc<dyn Fn() -> oneshot::Receiver<bool> + Send + Sync>>,
    limit: std::time::Duration,
    progress: Option<std::sync::Arc<Progress>>,
}

impl Default for Barrier {
    fn default() -> Self {
        Barrier {
            wait: None,
            limit: DEFAULT_WAIT,
            progress: None,
        }
    }
}

type Wait = std::sync::Arc<dyn Fn() -> oneshot::Receiver<bool> + Send + Sync>;

impl Barrier {
    pub fn new(wait: Option<Wait>, limit: std::time::Duration) -> Self {
        Barrier {
            wait,
            limit,
            progress: None,
        }
    }

    /// Reads check with `progress` that what they saw was stored (see [`Progress`]).
    #[must_use]
    pub fn with_progress(mut self, progress: Option<std::sync::Arc<Progress>>) -> Self {
        self.progress = progress;
        self
    }

    /// The writer's progress, for reads to check against; None without a database.
    pub fn progress(&self) -> Option<&Progress> {
        self.progress.as_deref()
    }

    /// How long a request waits for the database at most, at each of the two waits.
    pub fn limit(&self) -> std::time::Duration {
        self.limit
    }

    /// False when the database cannot be reached, or does not answer within the limit: the
    /// caller answers with its internal error.
    pub async fn pass(&self) -> bool {
        self.pass_within(self.limit).await
    }

    /// Like [`Barrier::pass`] with another limit.
    pub async fn pass_within(&self, limit: std::time::Duration) -> bool {
        match &self.wait {
            None => true,
            Some(f) => matches!(tokio::time::timeout(limit, f()).await, Ok(Ok(true))),
        }
    }
}

/// How often an operation whose write lost a race with another node is run again.
pub const CONFLICT_RETRIES: usize = 32;

/// Waits a little before attempt `lost` + 1 of an operation that lost a race: a random
/// pause that grows with the attempts (at most 10 ms), so that two nodes writing one record
/// all the time do not keep colliding in step, on a loaded machine least of all.
pub async fn after_lost_race(lost: usize) {
    let most = u64::try_from(lost.min(10)).unwrap_or(10);
    let pause = rand::random_range(0..=most * 1000);
    tokio::time::sleep(std::time::Duration::from_micros(pause)).await;
}

/// What a handler answers: its output with the ticket of its change, or an error.
pub type Answer<O, E = Error> = Result<Ack<O>, E>;

/// The answer `output` with `ticket`.
#[allow(clippy::unnecessary_wraps, reason = "handlers answer through it")]
pub fn answer<O, E>(output: O, ticket: Ticket) -> Answer<O, E> {
    Ok(Ack::new(output, ticket))
}

/// An operation's output with the ticket for the change it made.
pub struct Ack<O> {
    pub output: O,
    pub ticket: Ticket,
}

impl<O> Ack<O> {
    pub fn new(output: O, ticket: Ticket) -> Self {
        Ack { output, ticket }
    }

    /// The answer of an operation that changed nothing.
    pub fn ready(output: O) -> Self {
        Ack::new(output, Ticket::ready())
    }

    pub fn try_map<P, E>(self, f: impl FnOnce(O) -> Result<P, E>) -> Result<Ack<P>, E> {
        Ok(Ack::new(f(self.output)?, self.ticket))
    }
}

/// How a protocol reads and writes bodies, and how it reports a member it cannot parse.
/// `Code` is the service whose codes its refusals use (`NoService`: only the shared ones).
pub trait Codec {
    type Code;
    fn decode<I: DeserializeOwned + Default>(&self, body: &[u8]) -> Result<I, Error<Self::Code>>;
    fn encode<O: Serialize>(&self, output: &O) -> Result<Vec<u8>, Error<Self::Code>>;
    /// A query-string or header member whose text is not of its type.
    fn bad_value(&self, member: &str, value: &str) -> Error<Self::Code>;
}

/// Model constraints of a structure, checked member by member in the model's order.
pub trait Validate {
    fn validate(&self, base: &str, v: &mut Violations);
}

/// Checks a whole input: every violation is reported in one ValidationException.
pub fn check<I: Validate>(input: &I) -> Result<()> {
    let mut v = Violations::new();
    input.validate("", &mut v);
    v.finish()
}

/// A blob inside a list or a map: base64 text on the wire, like a blob member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blob(pub Vec<u8>);

impl serde::Serialize for Blob {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        blob::required::serialize(&self.0, s)
    }
}

impl<'de> serde::Deserialize<'de> for Blob {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        blob::required::deserialize(d).map(Blob)
    }
}

pub mod blob {
    //! Blobs travel as base64 text inside JSON.
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    #[allow(
        clippy::ref_option,
        reason = "serde's `with` passes the field by reference"
    )]
    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(bytes) => s.serialize_str(&STANDARD.encode(bytes)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.map(|t| {
            STANDARD
                .decode(t.as_bytes())
                .map_err(|_| serde::de::Error::custom("a blob member is not valid base64"))
        })
        .transpose()
    }

    /// The same for a blob that is always present (stored records).
    pub mod required {
        use super::{Deserialize, Deserializer, Engine, Serializer, STANDARD};

        pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&STANDARD.encode(v))
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
            let text = String::deserialize(d)?;
            STANDARD
                .decode(text.as_bytes())
                .map_err(|_| serde::de::Error::custom("a blob is not valid base64"))
        }
    }
}
