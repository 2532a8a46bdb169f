//! PutEvents: each entry checked as AWS checks it (a failed entry does not fail the request),
//! the request's size as AWS counts it, and every good entry put on its bus.

use super::delivery::Entry;
use super::{buses, Events};
use crate::domain::caller::Caller;
use crate::generated::events::{self as g, handlers as h};
use crate::generated::events::{Answer, Error};
use crate::wire::Ack;
use serde_json::Value;

/// The most a PutEvents request's entries may hold together, as AWS counts them.
const MAX_ENTRY: usize = 256 * 1024;

fn entry_error(code: &str, message: impl Into<String>) -> g::PutEventsResultEntry {
    g::PutEventsResultEntry {
        event_id: None,
        error_code: Some(code.into()),
        error_message: Some(message.into()),
    }
}

impl h::PutEvents for Events {
    fn put_events(&self, cx: &Caller, i: g::PutEventsRequest) -> Answer<g::PutEventsResponse> {
        let ns = &cx.namespace;
        let all = i.entries.unwrap_or_default();
        // AWS counts the request as a whole: each entry's source, detail type, detail and
        // resources, and 14 bytes for a time.
        let size: usize = all
            .iter()
            .map(|e| {
                e.source.as_deref().map_or(0, str::len)
                    + e.detail_type.as_deref().map_or(0, str::len)
                    + e.detail.as_deref().map_or(0, str::len)
                    + e.resources.iter().flatten().map(String::len).sum::<usize>()
                    + if e.time.is_some() { 14 } else { 0 }
            })
            .sum();
        if size > MAX_ENTRY {
            return Err(Error::validation(
                "Total size of the entries in the request is over the limit.",
            ));
        }
        let mut entries = Vec::new();
        for e in all {
            let bus = buses::bus_name(e.event_bus_name.as_deref());
            let result = match (&e.source, &e.detail_type, &e.detail) {
                (None, _, _) => entry_error(
                    "InvalidArgument",
                    "Parameter Source is not valid. Reason: Source is a required argument.",
                ),
                (_, None, _) => entry_error(
                    "InvalidArgument",
                    "Parameter DetailType is not valid. Reason: DetailType is a required argument.",
                ),
                (_, _, None) => entry_error(
                    "InvalidArgument",
                    "Parameter Detail is not valid. Reason: Detail is a required argument.",
                ),
                (Some(s), _, _) if s.starts_with("aws.") => entry_error(
                    "NotAuthorizedForSourceException",
                    "Not authorized for the source.",
                ),
                (Some(source), Some(kind), Some(detail)) => {
                    match serde_json::from_str::<Value>(detail) {
                        Ok(detail @ Value::Object(_)) => {
                            if buses::find(self.read().get(ns), ns, &bus).is_none() {
                                entry_error(
                                    "ResourceNotFoundException",
                                    format!("Event bus {bus} does not exist."),
                                )
                            } else {
                                let at = e.time.map_or_else(|| self.now(), |t| (t * 1000.0) as i64);
                                let id = self.put_event(
                                    ns,
                                    &bus,
                                    Entry {
                                        source,
                                        detail_type: kind,
                                        detail,
                                        resources: e.resources.clone().unwrap_or_default(),
                                        at,
                                    },
                                );
                                g::PutEventsResultEntry {
                                    event_id: Some(id),
                                    ..Default::default()
                                }
                            }
                        }
                        _ => entry_error("MalformedDetail", "Detail is malformed."),
                    }
                }
            };
            entries.push(result);
        }
        let failed = entries.iter().filter(|e| e.error_code.is_some()).count();
        Ok(Ack::ready(g::PutEventsResponse {
            failed_entry_count: Some(failed as i64),
            entries: Some(entries),
        }))
    }
}
