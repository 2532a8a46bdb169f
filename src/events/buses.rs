//! Event buses: the default bus every account and region has, and custom ones
//! (CreateEventBus, DescribeEventBus, DeleteEventBus, ListEventBuses).

use super::model::{Bus, Space};
use super::{exists, invalid, not_found, seconds, Events};
use crate::domain::caller::Caller;
use crate::domain::Namespace;
use crate::generated::events::Answer;
use crate::generated::events::Result;
use crate::generated::events::{self as g, handlers as h};
use crate::wire::{answer, Ack};

pub const DEFAULT: &str = "default";

pub fn bus_arn(ns: &Namespace, name: &str) -> String {
    ns.arn("events", &format!("event-bus/{name}"))
}

/// A bus named by name or ARN; None is the default bus.
pub fn bus_name(given: Option<&str>) -> String {
    match given {
        None | Some("") => DEFAULT.to_string(),
        Some(n) if n.starts_with("arn:") => n
            .split_once(":event-bus/")
            .map_or_else(|| n.to_string(), |(_, tail)| tail.to_string()),
        Some(n) => n.to_string(),
    }
}

fn default_bus(ns: &Namespace) -> Bus {
    Bus {
        name: DEFAULT.into(),
        arn: bus_arn(ns, DEFAULT),
        description: None,
        created: 0,
        modified: 0,
        tags: Vec::new(),
        policy: None,
    }
}

/// The bus `name` of `space`, the default one included.
pub fn find(space: Option<&Space>, ns: &Namespace, name: &str) -> Option<Bus> {
    if name == DEFAULT {
        // A record of the default bus exists only to keep its tags.
        let kept = space.and_then(|s| s.buses.get(DEFAULT).cloned());
        return Some(kept.unwrap_or_else(|| default_bus(ns)));
    }
    space?.buses.get(name).cloned()
}

pub fn missing(name: &str) -> crate::generated::events::Error {
    not_found(format!("Event bus {name} does not exist."))
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 256
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'));
    if !ok {
        return Err(invalid(format!(
            "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+"
        )));
    }
    // `/` belongs to partner event buses' names (aws.partner/...), not to custom ones.
    if name.contains('/') {
        return Err(invalid("Event bus name must not contain '/'."));
    }
    if name.starts_with("aws.") {
        return Err(invalid(
            "Event bus names starting with 'aws.' are for partner event sources, which LocalEmu does not have.",
        ));
    }
    Ok(())
}

/// Custom buses an account keeps in one region (AWS's quota).
const MAX_BUSES: usize = 100;

impl h::CreateEventBus for Events {
    fn create_event_bus(
        &self,
        cx: &Caller,
        i: g::CreateEventBusRequest,
    ) -> Answer<g::CreateEventBusResponse> {
        let name = i.name.unwrap_or_default();
        if name == DEFAULT {
            return Err(exists(format!("Event bus {name} already exists.")));
        }
        check_name(&name)?;
        let ns = &cx.namespace;
        let now = self.now();
        let mut spaces = self.write();
        let space = spaces.entry(ns.clone()).or_default();
        if space.buses.contains_key(&name) {
            return Err(exists(format!("Event bus {name} already exists.")));
        }
        if space.buses.len() >= MAX_BUSES {
            return Err(super::limit(
                "The requested resource exceeds the maximum number allowed.",
            ));
        }
        let mut tags = Vec::new();
        super::tags::merge(&mut tags, i.tags.as_deref().unwrap_or_default())?;
        let bus = Bus {
            tags,
            policy: None,
            arn: bus_arn(ns, &name),
            name: name.clone(),
            description: i.description.clone(),
            created: now,
            modified: now,
        };
        let ticket = self.save_bus(ns, &name, Some(&bus));
        let arn = bus.arn.clone();
        space.buses.insert(name, bus);
        answer(
            g::CreateEventBusResponse {
                event_bus_arn: Some(arn),
                description: i.description,
                ..Default::default()
            },
            ticket,
        )
    }
}

impl h::DescribeEventBus for Events {
    fn describe_event_bus(
        &self,
        cx: &Caller,
        i: g::DescribeEventBusRequest,
    ) -> Answer<g::DescribeEventBusResponse> {
        let name = bus_name(i.name.as_deref());
        let spaces = self.read();
        let bus =
            find(spaces.get(&cx.namespace), &cx.namespace, &name).ok_or_else(|| missing(&name))?;
        Ok(Ack::ready(g::DescribeEventBusResponse {
            name: Some(bus.name),
            arn: Some(bus.arn),
            description: bus.description,
            policy: bus.policy,
            creation_time: (bus.created > 0).then(|| seconds(bus.created)),
            last_modified_time: (bus.modified > 0).then(|| seconds(bus.modified)),
            ..Default::default()
        }))
    }
}

impl h::DeleteEventBus for Events {
    fn delete_event_bus(&self, cx: &Caller, i: g::DeleteEventBusRequest) -> Answer<()> {
        let name = bus_name(i.name.as_deref());
        if name == DEFAULT {
            return Err(invalid("Cannot delete event bus default."));
        }
        let mut spaces = self.write();
        let Some(space) = spaces.get_mut(&cx.namespace) else {
            return Ok(Ack::ready(()));
        };
        if !space.buses.contains_key(&name) {
            return Ok(Ack::ready(()));
        }
        if space.rules.keys().any(|(b, _)| *b == name) {
            return Err(invalid("EventBus can't be deleted since it has rules."));
        }
        space.buses.shift_remove(&name);
        answer((), self.save_bus(&cx.namespace, &name, None))
    }
}

impl h::ListEventBuses for Events {
    fn list_event_buses(
        &self,
        cx: &Caller,
        i: g::ListEventBusesRequest,
    ) -> Answer<g::ListEventBusesResponse> {
        let prefix = i.name_prefix.unwrap_or_default();
        let spaces = self.read();
        let space = spaces.get(&cx.namespace);
        let mut all =
            vec![find(space, &cx.namespace, DEFAULT).unwrap_or_else(|| default_bus(&cx.namespace))];
        if let Some(space) = space {
            all.extend(space.buses.values().filter(|b| b.name != DEFAULT).cloned());
        }
        let matching: Vec<Bus> = all
            .into_iter()
            .filter(|b| b.name.starts_with(&prefix))
            .collect();
        let (page, next) = super::page(matching, i.next_token.as_deref(), i.limit)?;
        Ok(Ack::ready(g::ListEventBusesResponse {
            event_buses: Some(
                page.into_iter()
                    .map(|b| g::EventBus {
                        name: Some(b.name),
                        arn: Some(b.arn),
                        description: b.description,
                        creation_time: (b.created > 0).then(|| seconds(b.created)),
                        last_modified_time: (b.modified > 0).then(|| seconds(b.modified)),
                        ..Default::default()
                    })
                    .collect(),
            ),
            next_token: next,
        }))
    }
}

impl h::UpdateEventBus for Events {
    fn update_event_bus(
        &self,
        cx: &Caller,
        i: g::UpdateEventBusRequest,
    ) -> Answer<g::UpdateEventBusResponse> {
        let name = bus_name(i.name.as_deref());
        let ns = &cx.namespace;
        let mut spaces = self.write();
        let space = spaces.entry(ns.clone()).or_default();
        // The default bus exists without a record; one is kept once it is changed.
        let mut bus = match space.buses.get(&name) {
            Some(b) => b.clone(),
            None if name == DEFAULT => default_bus(ns),
            None => return Err(missing(&name)),
        };
        if i.description.is_some() {
            bus.description.clone_from(&i.description);
        }
        bus.modified = self.now();
        space.buses.insert(name.clone(), bus.clone());
        let ticket = self.save_bus(ns, &name, Some(&bus));
        answer(
            g::UpdateEventBusResponse {
                arn: Some(bus.arn),
                name: Some(name),
                description: bus.description,
                ..Default::default()
            },
            ticket,
        )
    }
}
