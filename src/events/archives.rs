//! Archives: CreateArchive, DescribeArchive, UpdateArchive, DeleteArchive and ListArchives,
//! and the keeping of each event a bus receives in the archives whose pattern it matches.

use super::managed;
use super::model::{Archive, ArchivedEvent, Space};
use super::pattern::Pattern;
use super::{buses, exists, invalid, not_found, page, seconds, Events};
use crate::clock::Millis;
use crate::domain::caller::Caller;
use crate::domain::Namespace;
use crate::generated::events::{self as g, handlers as h};
use crate::generated::events::{Answer, Error, ErrorCode, Result};
use crate::wire::{answer, Ack};
use serde_json::Value;

/// Archives an account keeps in one region (AWS's quota).
const MAX_ARCHIVES: usize = 200;
/// The most event text one archive keeps; beyond it the oldest events go first, so a bus
/// flooded with events cannot grow memory without bound.
pub const MAX_ARCHIVE_BYTES: usize = 32 * 1024 * 1024;
const DAY_MS: Millis = 86_400_000;

pub fn archive_arn(ns: &Namespace, name: &str) -> String {
    ns.arn("events", &format!("archive/{name}"))
}

pub fn missing(name: &str) -> Error {
    not_found(format!("Archive {name} does not exist."))
}

/// The archive an ARN (or a bare name) names.
pub fn name_of(arn: &str) -> &str {
    arn.rsplit_once(":archive/").map_or(arn, |(_, name)| name)
}

fn check_pattern(pattern: Option<&str>) -> Result<()> {
    if let Some(p) = pattern {
        Pattern::parse(p).map_err(|e| Error::new(ErrorCode::InvalidEventPatternException, e))?;
    }
    Ok(())
}

/// Adds `e` to its archive's events, in arrival order.
pub(super) fn keep(space: &mut Space, e: ArchivedEvent) {
    let events = space.archived.entry(e.archive.clone()).or_default();
    if events.iter().any(|k| k.id == e.id) {
        return;
    }
    let at = events.partition_point(|k| k.at <= e.at);
    events.insert(at, e);
}

/// The arrival time before which `a`'s events are past its retention at `now`.
fn cutoff(a: &Archive, now: Millis) -> Millis {
    if a.retention_days > 0 {
        now.saturating_sub(a.retention_days.saturating_mul(DAY_MS))
    } else {
        Millis::MIN
    }
}

/// The events of `archive` still within its retention at `now`, oldest first.
pub(super) fn retained<'a>(space: &'a Space, a: &Archive, now: Millis) -> &'a [ArchivedEvent] {
    let events = space.archived.get(&a.name).map_or(&[][..], Vec::as_slice);
    let since = cutoff(a, now);
    &events[events.partition_point(|e| e.at < since)..]
}

/// (EventCount, SizeBytes) as DescribeArchive and ListArchives show them.
fn counts(space: &Space, a: &Archive, now: Millis) -> (i64, i64) {
    let events = retained(space, a, now);
    let size: usize = events.iter().map(|e| e.event.len()).sum();
    (events.len() as i64, size as i64)
}

impl Events {
    /// Whether any archive keeps the events of `bus`.
    pub(super) fn has_archives(&self, ns: &Namespace, bus: &str) -> bool {
        self.read()
            .get(ns)
            .is_some_and(|s| s.archives.values().any(|a| a.bus == bus))
    }

    /// Keeps `event`, just put on `bus`, in each of the bus's archives it matches. Replayed
    /// events are not archived again. Archiving is journaled without holding up the event.
    pub(super) fn archive(&self, ns: &Namespace, bus: &str, event: &Value) {
        if event.get("replay-name").is_some() || !self.has_archives(ns, bus) {
            return;
        }
        let now = self.now();
        let id = event["id"].as_str().unwrap_or_default().to_string();
        let text = event.to_string();
        let mut spaces = self.write();
        let Some(space) = spaces.get_mut(ns) else {
            return;
        };
        let matching: Vec<Archive> = space
            .archives
            .values()
            .filter(|a| a.bus == bus)
            .filter(|a| {
                a.pattern
                    .as_deref()
                    .is_none_or(|p| Pattern::parse(p).is_ok_and(|p| p.matches(event)))
            })
            .cloned()
            .collect();
        for a in matching {
            let kept = ArchivedEvent {
                archive: a.name.clone(),
                id: id.clone(),
                at: now,
                event: text.clone(),
            };
            drop(self.save_archived(ns, &a.name, &id, Some(&kept)));
            keep(space, kept);
            for gone in Self::expired(space, &a, now) {
                drop(self.save_archived(ns, &a.name, &gone, None));
            }
        }
    }

    /// Drops the events of `a` past its retention or beyond its size; returns their ids.
    fn expired(space: &mut Space, a: &Archive, now: Millis) -> Vec<String> {
        let Some(events) = space.archived.get_mut(&a.name) else {
            return Vec::new();
        };
        let since = cutoff(a, now);
        let old = events.partition_point(|e| e.at < since);
        let mut size: usize = events[old..].iter().map(|e| e.event.len()).sum();
        let mut end = old;
        while size > MAX_ARCHIVE_BYTES && end < events.len() {
            size -= events[end].event.len();
            end += 1;
        }
        events.drain(..end).map(|e| e.id).collect()
    }

    fn archive_of(&self, ns: &Namespace, name: &str) -> Result<Archive> {
        self.read()
            .get(ns)
            .and_then(|s| s.archives.get(name).cloned())
            .ok_or_else(|| missing(name))
    }
}

impl h::CreateArchive for Events {
    fn create_archive(
        &self,
        cx: &Caller,
        i: g::CreateArchiveRequest,
    ) -> Answer<g::CreateArchiveResponse> {
        let ns = &cx.namespace;
        let name = i.archive_name.unwrap_or_default();
        let source = i.event_source_arn.unwrap_or_default();
        let bus = buses::bus_name(Some(&source));
        check_pattern(i.event_pattern.as_deref())?;
        let now = self.now();
        let mut spaces = self.write();
        if buses::find(spaces.get(ns), ns, &bus).is_none() {
            return Err(buses::missing(&bus));
        }
        let space = spaces.entry(ns.clone()).or_default();
        if space.archives.contains_key(&name) {
            return Err(exists(format!("Archive {name} already exists.")));
        }
        if space.archives.len() >= MAX_ARCHIVES {
            return Err(super::limit(
                "The requested resource exceeds the maximum number allowed.",
            ));
        }
        let a = Archive {
            arn: archive_arn(ns, &name),
            name: name.clone(),
            bus_arn: buses::bus_arn(ns, &bus),
            bus,
            description: i.description,
            pattern: i.event_pattern,
            retention_days: i.retention_days.unwrap_or(0),
            kms_key: i.kms_key_identifier,
            created: now,
            ruled: true,
        };
        // The archive's rule on its bus, as AWS shows it (it replaces a rule of that name).
        let rule = managed::archive_rule(ns, &a, &self.new_id());
        drop(self.save_rule(ns, &rule.bus, &rule.name, Some(&rule)));
        space
            .rules
            .insert((rule.bus.clone(), rule.name.clone()), rule);
        let ticket = self.save_archive(ns, &name, Some(&a));
        let out = g::CreateArchiveResponse {
            archive_arn: Some(a.arn.clone()),
            state: Some("ENABLED".into()),
            state_reason: None,
            creation_time: Some(seconds(now)),
        };
        space.archives.insert(name, a);
        answer(out, ticket)
    }
}

impl h::DescribeArchive for Events {
    fn describe_archive(
        &self,
        cx: &Caller,
        i: g::DescribeArchiveRequest,
    ) -> Answer<g::DescribeArchiveResponse> {
        let ns = &cx.namespace;
        let name = i.archive_name.unwrap_or_default();
        let a = self.archive_of(ns, &name)?;
        let (count, size) = self
            .read()
            .get(ns)
            .map_or((0, 0), |s| counts(s, &a, self.now()));
        Ok(Ack::ready(g::DescribeArchiveResponse {
            archive_arn: Some(a.arn),
            archive_name: Some(a.name),
            event_source_arn: Some(a.bus_arn),
            description: a.description,
            event_pattern: a.pattern,
            state: Some("ENABLED".into()),
            state_reason: None,
            kms_key_identifier: a.kms_key,
            retention_days: Some(a.retention_days),
            size_bytes: Some(size),
            event_count: Some(count),
            creation_time: Some(seconds(a.created)),
        }))
    }
}

impl h::UpdateArchive for Events {
    fn update_archive(
        &self,
        cx: &Caller,
        i: g::UpdateArchiveRequest,
    ) -> Answer<g::UpdateArchiveResponse> {
        let ns = &cx.namespace;
        let name = i.archive_name.unwrap_or_default();
        if i.event_pattern.is_none() && i.retention_days.is_none() && i.description.is_none() {
            return Err(invalid(
                "At least one of EventPattern, RetentionDays or Description must be provided.",
            ));
        }
        check_pattern(i.event_pattern.as_deref())?;
        let mut spaces = self.write();
        let space = spaces.get_mut(ns).ok_or_else(|| missing(&name))?;
        let a = space
            .archives
            .get_mut(&name)
            .ok_or_else(|| missing(&name))?;
        if let Some(d) = i.description {
            a.description = Some(d);
        }
        if let Some(p) = i.event_pattern {
            a.pattern = Some(p);
        }
        if let Some(days) = i.retention_days {
            a.retention_days = days;
        }
        if let Some(k) = i.kms_key_identifier {
            a.kms_key = (!k.is_empty()).then_some(k);
        }
        let a = a.clone();
        if let Some(rule) = space
            .rules
            .get_mut(&(a.bus.clone(), managed::archive_rule_name(&name)))
        {
            managed::follow_archive(rule, &a);
            drop(self.save_rule(ns, &a.bus, &rule.name, Some(rule)));
        }
        let ticket = self.save_archive(ns, &name, Some(&a));
        answer(
            g::UpdateArchiveResponse {
                archive_arn: Some(a.arn),
                state: Some("ENABLED".into()),
                state_reason: None,
                creation_time: Some(seconds(a.created)),
            },
            ticket,
        )
    }
}

impl h::DeleteArchive for Events {
    fn delete_archive(
        &self,
        cx: &Caller,
        i: g::DeleteArchiveRequest,
    ) -> Answer<g::DeleteArchiveResponse> {
        let ns = &cx.namespace;
        let name = i.archive_name.unwrap_or_default();
        let mut spaces = self.write();
        let space = spaces.get_mut(ns).ok_or_else(|| missing(&name))?;
        let a = space
            .archives
            .shift_remove(&name)
            .ok_or_else(|| missing(&name))?;
        let rule = managed::archive_rule_name(&name);
        let key = (a.bus.clone(), rule.clone());
        if space
            .rules
            .get(&key)
            .is_some_and(|r| r.managed_by.is_some())
        {
            space.rules.shift_remove(&key);
            drop(self.save_rule(ns, &a.bus, &rule, None));
        }
        for e in space.archived.remove(&name).unwrap_or_default() {
            drop(self.save_archived(ns, &name, &e.id, None));
        }
        answer(
            g::DeleteArchiveResponse {},
            self.save_archive(ns, &name, None),
        )
    }
}

impl h::ListArchives for Events {
    fn list_archives(
        &self,
        cx: &Caller,
        i: g::ListArchivesRequest,
    ) -> Answer<g::ListArchivesResponse> {
        let ns = &cx.namespace;
        let spaces = self.read();
        let space = spaces.get(ns);
        let bus = i
            .event_source_arn
            .as_deref()
            .map(|a| buses::bus_name(Some(a)));
        if let Some(bus) = &bus {
            if buses::find(space, ns, bus).is_none() {
                return Err(buses::missing(bus));
            }
        }
        let now = self.now();
        let all: Vec<g::Archive> = space
            .into_iter()
            .flat_map(|s| s.archives.values().map(move |a| (s, a)))
            .filter(|(_, a)| {
                i.name_prefix
                    .as_deref()
                    .is_none_or(|p| a.name.starts_with(p))
            })
            .filter(|(_, a)| bus.as_deref().is_none_or(|b| a.bus == b))
            .filter(|_| i.state.as_deref().is_none_or(|s| s == "ENABLED"))
            .map(|(s, a)| {
                let (count, size) = counts(s, a, now);
                g::Archive {
                    archive_name: Some(a.name.clone()),
                    event_source_arn: Some(a.bus_arn.clone()),
                    state: Some("ENABLED".into()),
                    state_reason: None,
                    retention_days: Some(a.retention_days),
                    size_bytes: Some(size),
                    event_count: Some(count),
                    creation_time: Some(seconds(a.created)),
                }
            })
            .collect();
        let (archives, next_token) = page(all, i.next_token.as_deref(), i.limit)?;
        Ok(Ack::ready(g::ListArchivesResponse {
            archives: Some(archives),
            next_token,
        }))
    }
}
