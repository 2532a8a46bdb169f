//! CloudFormation for secret stacks: stacks kept per account and region, their operations
//! (stacks, change sets, templates), the engine that deploys, updates, rolls back and deletes
//! them in the background, and their records in the store.

pub mod dynamic;
mod engine;
mod model;
mod ops;
mod plan;
pub mod resources;
mod stack_policy;
pub mod template;

use crate::clock::Clock;
use crate::domain::caller::Caller;
use crate::domain::Namespace;
use crate::generated::cloudformation::{Error, Result};
use crate::generated::cloudformation::{Operation, Service};
use crate::store::{Gate, Store};
use crate::wire::Ticket;
use indexmap::IndexMap;
use model::Stack;
use resources::Services;
use std::collections::HashMap;
use std::sync::{Arc, RwLock, Weak};

/// One namespace's stacks by id, in creation order (deleted ones kept, as AWS lists them).
type Stacks = IndexMap<String, Stack>;

/// Deleted stacks kept per namespace for ListStacks and DescribeStacks by id.
const KEEP_DELETED: usize = 200;

pub struct CloudFormation {
    spaces: RwLock<HashMap<Namespace, Stacks>>,
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    services: Services,
    me: Weak<CloudFormation>,
    /// Stacks whose operation this node is running: never "recovered" while it runs them.
    driving: std::sync::Mutex<std::collections::HashSet<String>>,
    /// Stacks in progress that no live node runs, with when they were first seen so.
    orphans: std::sync::Mutex<HashMap<String, std::time::Instant>>,
}

const PREFIX: &str = "cfn\0";

fn record_key(s: &Stack) -> String {
    format!("{PREFIX}{}\0{}\0{}", s.account, s.region, s.id)
}

impl CloudFormation {
    pub fn new(clock: Arc<dyn Clock>, store: Arc<Store>, services: Services) -> Arc<Self> {
        Arc::new_cyclic(|me| CloudFormation {
            spaces: RwLock::new(HashMap::new()),
            store,
            clock,
            services,
            me: me.clone(),
            driving: std::sync::Mutex::default(),
            orphans: std::sync::Mutex::default(),
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Namespace, Stacks>> {
        self.spaces
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<Namespace, Stacks>> {
        self.spaces
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn now(&self) -> crate::clock::Millis {
        self.clock.now()
    }

    fn new_id(&self) -> String {
        self.services.ids.version_id()
    }

    /// Forgets every stack, for test isolation (the store is reset by its owner).
    pub fn reset(&self) {
        self.write().clear();
    }

    /// Journals `s` (called with the namespace's lock held, so per-stack order is kept).
    fn save(&self, s: &Stack) -> Ticket {
        self.store.put::<StackTable>(&record_key(s), Some(s))
    }

    /// The active (not deleted) stack named `name`, or the stack whose id is `name`.
    fn find(&self, ns: &Namespace, name: &str) -> Option<Stack> {
        let spaces = self.read();
        let stacks = spaces.get(ns)?;
        if name.starts_with("arn:") {
            return stacks.get(name).cloned();
        }
        stacks
            .values()
            .rev()
            .find(|s| s.name == name && !s.is_deleted())
            .cloned()
    }

    /// Like [`find`](Self::find), with AWS's error for a stack that does not exist.
    fn stack(&self, ns: &Namespace, name: &str) -> Result<Stack> {
        self.find(ns, name).ok_or_else(|| missing(name))
    }

    /// Changes one stack under the namespace lock and journals it. Operations call it with the
    /// store's gate already held (by `begin`); background work through [`gated`](Self::gated).
    fn edit<T>(
        &self,
        ns: &Namespace,
        id: &str,
        f: impl FnOnce(&mut Stack) -> T,
    ) -> Option<(T, Ticket)> {
        let mut spaces = self.write();
        let stack = spaces.get_mut(ns)?.get_mut(id)?;
        let out = f(stack);
        self.claim(stack);
        let ticket = self.save(stack);
        Some((out, ticket))
    }

    /// [`edit`](Self::edit) from background work: takes the store's gate first.
    fn gated<T>(
        &self,
        ns: &Namespace,
        id: &str,
        f: impl FnOnce(&mut Stack) -> T,
    ) -> Option<(T, Ticket)> {
        let _gate = self.store.gate();
        self.edit(ns, id, f)
    }

    /// Adds a new stack (dropping the oldest deleted ones past [`KEEP_DELETED`]).
    fn insert(&self, mut stack: Stack) -> Ticket {
        self.claim(&mut stack);
        let mut spaces = self.write();
        let stacks = spaces
            .entry(Namespace::new(&stack.account, &stack.region))
            .or_default();
        let ticket = self.save(&stack);
        stacks.insert(stack.id.clone(), stack);
        let deleted: Vec<String> = stacks
            .values()
            .filter(|s| s.is_deleted())
            .map(|s| s.id.clone())
            .collect();
        if deleted.len() > KEEP_DELETED {
            for id in &deleted[..deleted.len() - KEEP_DELETED] {
                if let Some(s) = stacks.shift_remove(id) {
                    let _ = self.store.put::<StackTable>(&record_key(&s), None);
                }
            }
        }
        ticket
    }

    /// A stack whose operation this node runs says so in the same write that starts it.
    fn claim(&self, stack: &mut Stack) {
        if stack.in_progress() {
            stack.driver = self.store.node();
        }
    }

    /// Runs the stack's operation in the background until it reaches a settled status.
    fn spawn(&self, ns: Namespace, id: String) {
        let Some(me) = self.me.upgrade() else {
            return;
        };
        me.driving_set().insert(id.clone());
        tokio::spawn(async move {
            me.drive(&ns, &id).await;
            me.driving_set().remove(&id);
        });
    }

    fn driving_set(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<String>> {
        self.driving
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// After a restart: every operation that was running when the emulator stopped ends as AWS
    /// shows a failed one (a create or an update is rolled back, a delete fails), never
    /// half-recorded. With a shared database, the node holding the lease does the same for the
    /// operations of nodes that died, once they have looked dead for `patience` (longer than
    /// a node's liveness takes to be seen).
    pub fn recover(&self, patience: std::time::Duration) {
        let live = self.store.live_nodes();
        let orphaned: Vec<(Namespace, String)> = self
            .read()
            .iter()
            .flat_map(|(ns, stacks)| {
                stacks
                    .values()
                    .filter(|s| {
                        let alive = s
                            .driver
                            .as_ref()
                            .zip(live.as_ref())
                            .is_some_and(|(d, live)| live.contains(d));
                        s.in_progress() && !alive && !self.driving_set().contains(&s.id)
                    })
                    .map(move |s| (ns.clone(), s.id.clone()))
            })
            .collect();
        let running = {
            let mut seen = self
                .orphans
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = std::time::Instant::now();
            seen.retain(|id, _| orphaned.iter().any(|(_, o)| o == id));
            orphaned
                .into_iter()
                .filter(|(_, id)| now - *seen.entry(id.clone()).or_insert(now) >= patience)
                .collect::<Vec<_>>()
        };
        for (ns, id) in running {
            let reason = "The operation was interrupted: LocalEmu stopped while it ran.";
            let now = self.now();
            let event_id = self.new_id();
            let _ = self.gated(&ns, &id, |s| {
                let next = match s.status.as_str() {
                    "CREATE_IN_PROGRESS" => Some("ROLLBACK_IN_PROGRESS"),
                    "UPDATE_IN_PROGRESS" => Some("UPDATE_ROLLBACK_IN_PROGRESS"),
                    "DELETE_IN_PROGRESS" => Some("DELETE_FAILED"),
                    _ => None,
                };
                if let Some(next) = next {
                    engine::set_status(s, next, Some(reason.to_string()), now, event_id);
                }
            });
            tracing::warn!(stack = %id, "finishing a stack operation interrupted by a restart");
            self.spawn(ns, id);
        }
    }
}

pub(super) fn missing(name: &str) -> Error {
    Error::validation(format!("Stack with id {name} does not exist"))
}

/// Stacks in the store: one record per stack (its deployments, events and change sets),
/// keyed by account, region and stack id.
struct StackTable;

impl crate::store::table::Table for StackTable {
    const PREFIX: &'static str = PREFIX;
    const VERSION: u16 = 1;
    type Record = Stack;
}

impl crate::store::Records for CloudFormation {
    fn prefix(&self) -> &'static str {
        PREFIX
    }

    fn put_back(&self, record: &str, bytes: Option<&[u8]>) -> std::result::Result<(), String> {
        let parts = crate::store::table::parts::<StackTable>(record, 3);
        let Some([account, region, id]) = parts.as_deref() else {
            return Err(format!("a malformed CloudFormation record key {record:?}"));
        };
        let ns = Namespace::new(*account, *region);
        let mut spaces = self.write();
        let stacks = spaces.entry(ns).or_default();
        match bytes {
            Some(b) => {
                let s = crate::store::table::decode::<StackTable>(b)?;
                stacks.insert(s.id.clone(), s);
            }
            None => {
                stacks.shift_remove(*id);
            }
        }
        Ok(())
    }
}

impl Service for CloudFormation {
    type Context = Caller;
    type Guard<'a> = Gate<'a>;

    fn begin(&self, op: Operation) -> Result<Gate<'_>> {
        let gate = self.store.gate();
        if !ops::reads_only(op) && !self.store.writable() {
            return Err(Error::unwritable());
        }
        Ok(gate)
    }
}
