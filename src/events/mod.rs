//! EventBridge for secrets: event buses, rules and their targets, connections whose
//! credentials live in secrets EventBridge owns, API destinations, the delivery of events to
//! Lambda functions and HTTP endpoints, and the bus Secrets Manager sends its events to.

mod archives;
mod buses;
mod connections;
mod credentials;
mod delivery;
mod destinations;
mod lookups;
mod managed;
pub mod model;
mod oauth;
pub mod pattern;
mod permissions;
mod publish;
mod put_events;
mod records;
mod replays;
mod rules;
mod schedule;
mod tags;
mod targets;
mod transform;

use crate::clock::{Clock, IdSource, Millis};
use crate::domain::caller::Caller;
use crate::domain::Namespace;
use crate::generated::events::{Error, ErrorCode, Result};
use crate::generated::events::{Operation, Service};
use crate::lambda::Lambda;
use crate::secretsmanager::SecretsManager;
use crate::store::{Gate, Store};
use model::Space;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock, Weak};

pub use publish::Publisher;

pub struct Events {
    spaces: RwLock<HashMap<Namespace, Space>>,
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    secrets: Arc<SecretsManager>,
    lambda: Arc<Lambda>,
    /// OAuth access tokens by connection ARN: (token, expiry on the emulator's clock).
    tokens: Mutex<HashMap<String, (String, Millis)>>,
    /// Each API destination's current one-second window and the calls made in it, for its
    /// rate limit.
    rates: Mutex<HashMap<String, (std::time::Instant, i64)>>,
    /// Each schedule rule's (first seen, next run), by rule ARN, on the emulator's clock.
    schedules: Mutex<HashMap<String, (Millis, Millis)>>,
    /// Deliveries started and not yet ended (retries included), bounded by [`MAX_IN_FLIGHT`].
    in_flight: std::sync::atomic::AtomicUsize,
    me: Weak<Events>,
}

/// Deliveries that may be under way at once: beyond this, new ones are dropped (and logged)
/// rather than let a flood of events to a failing endpoint grow memory without bound.
const MAX_IN_FLIGHT: usize = 10_000;

impl Events {
    pub fn new(
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
        store: Arc<Store>,
        secrets: Arc<SecretsManager>,
        lambda: Arc<Lambda>,
    ) -> Arc<Self> {
        Arc::new_cyclic(|me| Events {
            spaces: RwLock::new(HashMap::new()),
            store,
            clock,
            ids,
            secrets,
            lambda,
            tokens: Mutex::new(HashMap::new()),
            rates: Mutex::new(HashMap::new()),
            schedules: Mutex::new(HashMap::new()),
            in_flight: std::sync::atomic::AtomicUsize::new(0),
            me: me.clone(),
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Namespace, Space>> {
        self.spaces
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<Namespace, Space>> {
        self.spaces
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn now(&self) -> Millis {
        self.clock.now()
    }

    fn new_id(&self) -> String {
        self.ids.version_id()
    }

    /// Forgets everything, for test isolation (the store is reset by its owner).
    pub fn reset(&self) {
        self.write().clear();
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}

fn not_found(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::ResourceNotFoundException, message)
}

fn exists(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::ResourceAlreadyExistsException, message)
}

fn invalid(message: impl Into<String>) -> Error {
    Error::validation(message)
}

fn limit(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::LimitExceededException, message)
}

/// A rule's, connection's or API destination's name: `[.\-_A-Za-z0-9]+`, 64 at most.
fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        return Ok(());
    }
    Err(invalid(format!(
        "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+"
    )))
}

fn seconds(ms: Millis) -> f64 {
    ms as f64 / 1000.0
}

/// Whether `op` changes nothing.
fn reads_only(op: Operation) -> bool {
    use Operation as O;
    matches!(
        op,
        O::DescribeApiDestination
            | O::DescribeConnection
            | O::DescribeEventBus
            | O::DescribeRule
            | O::DescribeArchive
            | O::DescribeReplay
            | O::ListArchives
            | O::ListReplays
            | O::ListApiDestinations
            | O::ListConnections
            | O::ListEventBuses
            | O::ListRules
            | O::ListTargetsByRule
            | O::TestEventPattern
            | O::PutEvents
    )
}

impl Service for Events {
    type Context = Caller;
    type Guard<'a> = Gate<'a>;

    fn begin(&self, op: Operation) -> Result<Gate<'_>> {
        let gate = self.store.gate();
        if !reads_only(op) && !self.store.writable() {
            return Err(Error::unwritable());
        }
        Ok(gate)
    }
}

/// One page of `items` from `token` (an offset), `limit` at a time (100 at most).
pub(super) fn page<T>(
    items: Vec<T>,
    token: Option<&str>,
    limit: Option<i64>,
) -> Result<(Vec<T>, Option<String>)> {
    use base64::Engine as _;
    // Tokens are opaque, as AWS's are: the position, wrapped.
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let start: usize = match token {
        Some(t) => engine
            .decode(t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix("localemu-events:")?.parse().ok())
            .ok_or_else(|| invalid("The NextToken provided is invalid."))?,
        None => 0,
    };
    let size = limit.map_or(100, |l| l.clamp(1, 100) as usize);
    let total = items.len();
    let out: Vec<T> = items.into_iter().skip(start).take(size).collect();
    let next = (start + out.len() < total)
        .then(|| engine.encode(format!("localemu-events:{}", start + out.len())));
    Ok((out, next))
}
