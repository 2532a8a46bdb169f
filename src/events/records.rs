//! How EventBridge keeps its resources in the store: one record per bus, rule (with its
//! targets), connection and API destination, saved after each change and put back after a
//! failed commit or at start-up.

use super::model::{Bus, Connection, Destination, Rule};
use super::Events;
use crate::domain::Namespace;
use crate::wire::Ticket;
use serde::Serialize;

const PREFIX: &str = "events\0";

/// The record of one resource: `kind` is bus, rule, connection or destination.
fn key(ns: &Namespace, kind: &str, id: &str) -> String {
    format!("{PREFIX}{}\0{}\0{kind}\0{id}", ns.account, ns.region)
}

/// A rule's id in its record key: its bus and name.
fn rule_id(bus: &str, name: &str) -> String {
    format!("{bus}\u{1}{name}")
}

impl Events {
    fn put<T: Serialize>(&self, key: &str, value: Option<&T>) -> Ticket {
        match value.map(serde_json::to_vec) {
            Some(Ok(bytes)) => self.store.put_blob(key, Some(bytes)),
            Some(Err(_)) => self.store.invalid(key),
            None => self.store.put_blob(key, None),
        }
    }

    pub(super) fn save_bus(&self, ns: &Namespace, name: &str, b: Option<&Bus>) -> Ticket {
        self.put(&key(ns, "bus", name), b)
    }

    pub(super) fn save_rule(
        &self,
        ns: &Namespace,
        bus: &str,
        name: &str,
        r: Option<&Rule>,
    ) -> Ticket {
        self.put(&key(ns, "rule", &rule_id(bus, name)), r)
    }

    pub(super) fn save_connection(
        &self,
        ns: &Namespace,
        name: &str,
        c: Option<&Connection>,
    ) -> Ticket {
        self.put(&key(ns, "connection", name), c)
    }

    pub(super) fn save_destination(
        &self,
        ns: &Namespace,
        name: &str,
        d: Option<&Destination>,
    ) -> Ticket {
        self.put(&key(ns, "destination", name), d)
    }
}

impl Events {
    /// Keeps `c` in memory and journals it, under the namespaces' lock (so records stay in
    /// order per connection).
    pub(super) fn store_connection(&self, ns: &Namespace, c: &Connection) -> Ticket {
        let mut spaces = self.write();
        let ticket = self.save_connection(ns, &c.name, Some(c));
        let space = spaces.entry(ns.clone()).or_default();
        space.connections.insert(c.name.clone(), c.clone());
        ticket
    }

    pub(super) fn drop_connection(&self, ns: &Namespace, name: &str) -> Ticket {
        let mut spaces = self.write();
        if let Some(s) = spaces.get_mut(ns) {
            s.connections.shift_remove(name);
        }
        self.save_connection(ns, name, None)
    }

    /// Keeps `d` in memory and journals it.
    pub(super) fn store_destination(&self, ns: &Namespace, d: &Destination) -> Ticket {
        let mut spaces = self.write();
        let ticket = self.save_destination(ns, &d.name, Some(d));
        let space = spaces.entry(ns.clone()).or_default();
        space.destinations.insert(d.name.clone(), d.clone());
        ticket
    }

    pub(super) fn drop_destination(&self, ns: &Namespace, name: &str) -> Ticket {
        let mut spaces = self.write();
        if let Some(s) = spaces.get_mut(ns) {
            s.destinations.shift_remove(name);
        }
        self.save_destination(ns, name, None)
    }
}

impl crate::store::Records for Events {
    fn prefix(&self) -> &'static str {
        PREFIX
    }

    fn put_back(&self, record: &str, bytes: Option<&[u8]>) -> std::result::Result<(), String> {
        let parts: Vec<&str> = record.splitn(5, '\0').collect();
        let [_, account, region, kind, id] = parts.as_slice() else {
            return Err(format!("a malformed EventBridge record key {record:?}"));
        };
        let ns = Namespace::new(*account, *region);
        let mut spaces = self.write();
        let space = spaces.entry(ns).or_default();
        let bad = |e: serde_json::Error| format!("an EventBridge {kind} record: {e}");
        match (*kind, bytes) {
            ("bus", Some(b)) => {
                let bus: Bus = serde_json::from_slice(b).map_err(bad)?;
                space.buses.insert(bus.name.clone(), bus);
            }
            ("bus", None) => {
                space.buses.shift_remove(*id);
            }
            ("rule", Some(b)) => {
                let r: Rule = serde_json::from_slice(b).map_err(bad)?;
                space.rules.insert((r.bus.clone(), r.name.clone()), r);
            }
            ("rule", None) => {
                if let Some((bus, name)) = id.split_once('\u{1}') {
                    space
                        .rules
                        .shift_remove(&(bus.to_string(), name.to_string()));
                }
            }
            ("connection", Some(b)) => {
                let c: Connection = serde_json::from_slice(b).map_err(bad)?;
                space.connections.insert(c.name.clone(), c);
            }
            ("connection", None) => {
                space.connections.shift_remove(*id);
            }
            ("destination", Some(b)) => {
                let d: Destination = serde_json::from_slice(b).map_err(bad)?;
                space.destinations.insert(d.name.clone(), d);
            }
            ("destination", None) => {
                space.destinations.shift_remove(*id);
            }
            _ => return Err(format!("a malformed EventBridge record key {record:?}")),
        }
        Ok(())
    }
}
