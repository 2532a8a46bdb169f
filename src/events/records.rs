//! How EventBridge keeps its resources in the store: one record per bus, rule (with its
//! targets), connection, API destination, archive, archived event and replay, saved after each change and put back after a
//! failed commit or at start-up.

use super::model::{Archive, ArchivedEvent, Bus, Connection, Destination, Replay, Rule};
use super::Events;
use crate::domain::Namespace;
use crate::store::table::{self, Table};
use crate::wire::Ticket;

const PREFIX: &str = "events\0";

/// EventBridge's tables: keyed by account, region, the kind (`bus`, `rule`, `connection`,
/// `destination`) and the resource's id.
macro_rules! tables {
    ($($table:ident: $record:ty,)*) => {
        $(struct $table;

        impl Table for $table {
            const PREFIX: &'static str = PREFIX;
            const VERSION: u16 = 1;
            type Record = $record;
        })*
    };
}

tables! {
    Buses: Bus,
    Rules: Rule,
    Connections: Connection,
    Destinations: Destination,
    Archives: Archive,
    ArchivedEvents: ArchivedEvent,
    Replays: Replay,
}

/// The record of one resource: `kind` is bus, rule, connection or destination.
fn key(ns: &Namespace, kind: &str, id: &str) -> String {
    format!("{PREFIX}{}\0{}\0{kind}\0{id}", ns.account, ns.region)
}

/// A rule's id in its record key: its bus and name.
fn rule_id(bus: &str, name: &str) -> String {
    format!("{bus}\u{1}{name}")
}

impl Events {
    pub(super) fn save_bus(&self, ns: &Namespace, name: &str, b: Option<&Bus>) -> Ticket {
        self.store.put::<Buses>(&key(ns, "bus", name), b)
    }

    pub(super) fn save_rule(
        &self,
        ns: &Namespace,
        bus: &str,
        name: &str,
        r: Option<&Rule>,
    ) -> Ticket {
        self.store
            .put::<Rules>(&key(ns, "rule", &rule_id(bus, name)), r)
    }

    pub(super) fn save_connection(
        &self,
        ns: &Namespace,
        name: &str,
        c: Option<&Connection>,
    ) -> Ticket {
        self.store
            .put::<Connections>(&key(ns, "connection", name), c)
    }

    pub(super) fn save_destination(
        &self,
        ns: &Namespace,
        name: &str,
        d: Option<&Destination>,
    ) -> Ticket {
        self.store
            .put::<Destinations>(&key(ns, "destination", name), d)
    }
}

impl Events {
    pub(super) fn save_archive(&self, ns: &Namespace, name: &str, a: Option<&Archive>) -> Ticket {
        self.store.put::<Archives>(&key(ns, "archive", name), a)
    }

    /// An archived event's record: by archive and event id.
    pub(super) fn save_archived(
        &self,
        ns: &Namespace,
        archive: &str,
        id: &str,
        e: Option<&ArchivedEvent>,
    ) -> Ticket {
        self.store
            .put::<ArchivedEvents>(&key(ns, "archived", &rule_id(archive, id)), e)
    }

    pub(super) fn save_replay(&self, ns: &Namespace, name: &str, r: Option<&Replay>) -> Ticket {
        self.store.put::<Replays>(&key(ns, "replay", name), r)
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
        let parts = table::parts::<Buses>(record, 4);
        let Some([account, region, kind, id]) = parts.as_deref() else {
            return Err(format!("a malformed EventBridge record key {record:?}"));
        };
        let ns = Namespace::new(*account, *region);
        let mut spaces = self.write();
        let space = spaces.entry(ns).or_default();
        match (*kind, bytes) {
            ("bus", Some(b)) => {
                let bus = table::decode::<Buses>(b)?;
                space.buses.insert(bus.name.clone(), bus);
            }
            ("bus", None) => {
                space.buses.shift_remove(*id);
            }
            ("rule", Some(b)) => {
                let r = table::decode::<Rules>(b)?;
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
                let c = table::decode::<Connections>(b)?;
                space.connections.insert(c.name.clone(), c);
            }
            ("connection", None) => {
                space.connections.shift_remove(*id);
            }
            ("destination", Some(b)) => {
                let d = table::decode::<Destinations>(b)?;
                space.destinations.insert(d.name.clone(), d);
            }
            ("destination", None) => {
                space.destinations.shift_remove(*id);
            }
            ("archive", Some(b)) => {
                let a = table::decode::<Archives>(b)?;
                space.archives.insert(a.name.clone(), a);
            }
            ("archive", None) => {
                space.archives.shift_remove(*id);
                space.archived.remove(*id);
            }
            ("archived", Some(b)) => {
                let e = table::decode::<ArchivedEvents>(b)?;
                super::archives::keep(space, e);
            }
            ("archived", None) => {
                if let Some((archive, event)) = id.split_once('\u{1}') {
                    if let Some(events) = space.archived.get_mut(archive) {
                        events.retain(|e| e.id != event);
                    }
                }
            }
            ("replay", Some(b)) => {
                let r = table::decode::<Replays>(b)?;
                space.replays.insert(r.name.clone(), r);
            }
            ("replay", None) => {
                space.replays.shift_remove(*id);
            }
            _ => return Err(format!("a malformed EventBridge record key {record:?}")),
        }
        Ok(())
    }
}
