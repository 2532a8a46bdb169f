//! Replays: StartReplay, DescribeReplay, CancelReplay and ListReplays, and the running of a
//! replay: an archive's events from a time window, put again on the bus they came from for
//! its rules (or the rules the replay names), each marked with the replay's name.

use super::archives::{self, retained};
use super::model::Replay;
use super::{buses, exists, invalid, not_found, page, seconds, Events};
use crate::clock::Millis;
use crate::domain::caller::Caller;
use crate::domain::Namespace;
use crate::generated::events::{self as g, handlers as h};
use crate::generated::events::{Answer, Error, ErrorCode};
use crate::wire::{answer, Ack};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Replays of one account and region that may be under way at once (AWS's quota).
const MAX_ACTIVE: usize = 10;
/// Replays kept per account and region; beyond it the oldest ended one is forgotten, so
/// repeated replays cannot grow the store without bound.
const MAX_KEPT: usize = 1000;
/// How long a replay stays STARTING, on the emulator's clock: AWS takes minutes, and a caller
/// may cancel meanwhile. A clock moved forward (`/_awsemu/clock`) moves the start with it.
const START_DELAY: Millis = 1000;
/// How often a STARTING replay looks at the emulator's clock.
const CLOCK_POLL: Duration = Duration::from_millis(20);

fn replay_arn(ns: &Namespace, name: &str) -> String {
    ns.arn("events", &format!("replay/{name}"))
}

fn missing(name: &str) -> Error {
    not_found(format!("Replay {name} does not exist."))
}

fn active(state: &str) -> bool {
    matches!(state, "STARTING" | "RUNNING" | "CANCELLING")
}

/// `event` as a replay puts it on the bus again: with the replay's name after its region.
fn marked(event: &Value, replay: &str) -> Value {
    let Value::Object(fields) = event else {
        return event.clone();
    };
    let mut out = serde_json::Map::new();
    for (k, v) in fields {
        out.insert(k.clone(), v.clone());
        if k == "region" {
            out.insert("replay-name".into(), Value::String(replay.into()));
        }
    }
    Value::Object(out)
}

impl Events {
    fn replay_of(&self, ns: &Namespace, name: &str) -> Result<Replay, Error> {
        self.read()
            .get(ns)
            .and_then(|s| s.replays.get(name).cloned())
            .ok_or_else(|| missing(name))
    }

    /// Changes the state of replay `name` with `change`, keeping it in the store.
    fn set_replay(&self, ns: &Namespace, name: &str, change: impl FnOnce(&mut Replay)) {
        let mut spaces = self.write();
        if let Some(r) = spaces.get_mut(ns).and_then(|s| s.replays.get_mut(name)) {
            change(r);
            let r = r.clone();
            drop(self.save_replay(ns, name, Some(&r)));
        }
    }

    /// Runs replay `name`: each archived event of its window, oldest first, until done or
    /// cancelled.
    async fn run_replay(self: Arc<Self>, ns: Namespace, name: String) {
        let Ok(r) = self.replay_of(&ns, &name) else {
            return;
        };
        while self.now() < r.started.saturating_add(START_DELAY) {
            tokio::time::sleep(CLOCK_POLL).await;
        }
        let Ok(r) = self.replay_of(&ns, &name) else {
            return;
        };
        if r.state != "STARTING" {
            self.finish_replay(&ns, &name, None);
            return;
        }
        self.set_replay(&ns, &name, |r| r.state = "RUNNING".into());
        let events: Vec<(Millis, Value)> = {
            let spaces = self.read();
            let space = spaces.get(&ns);
            let archive = space.and_then(|s| s.archives.get(&r.archive));
            match (space, archive) {
                (Some(s), Some(a)) => retained(s, a, self.now())
                    .iter()
                    .filter(|e| e.at >= r.event_start && e.at < r.event_end)
                    .filter_map(|e| Some((e.at, serde_json::from_str(&e.event).ok()?)))
                    .collect(),
                _ => Vec::new(),
            }
        };
        let bus = buses::bus_name(r.destination.arn.as_deref());
        let filter = r.destination.filter_arns.clone();
        let mut last = None;
        for (at, event) in events {
            if self
                .replay_of(&ns, &name)
                .is_ok_and(|r| r.state == "CANCELLING")
            {
                break;
            }
            let event = marked(&event, &name);
            for rule in self.matching_rules(&ns, &bus, &event) {
                if filter.as_ref().is_none_or(|f| f.contains(&rule.arn)) {
                    self.to_targets(&ns, &rule, &event, 0);
                }
            }
            last = Some(at);
        }
        self.finish_replay(&ns, &name, last);
    }

    /// Ends replay `name`: CANCELLED if it was being cancelled, else COMPLETED.
    fn finish_replay(&self, ns: &Namespace, name: &str, last: Option<Millis>) {
        let now = self.now();
        self.set_replay(ns, name, |r| {
            r.state = if r.state == "CANCELLING" {
                "CANCELLED".into()
            } else {
                "COMPLETED".into()
            };
            r.ended = Some(now);
            r.last_replayed = last.or(r.last_replayed);
        });
    }
}

impl h::StartReplay for Events {
    fn start_replay(
        &self,
        cx: &Caller,
        i: g::StartReplayRequest,
    ) -> Answer<g::StartReplayResponse> {
        let ns = &cx.namespace;
        let name = i.replay_name.unwrap_or_default();
        let source = i.event_source_arn.unwrap_or_default();
        let archive_name = archives::name_of(&source).to_string();
        let destination = i.destination.unwrap_or_default();
        let (start, end) = (
            (i.event_start_time.unwrap_or(0.0) * 1000.0) as Millis,
            (i.event_end_time.unwrap_or(0.0) * 1000.0) as Millis,
        );
        let bus = buses::bus_name(destination.arn.as_deref());
        let now = self.now();
        let mut spaces = self.write();
        let space = spaces.entry(ns.clone()).or_default();
        let Some(archive) = space.archives.get(&archive_name) else {
            return Err(invalid(format!(
                "Parameter EventSourceArn is not valid. Reason: Archive {archive_name} does not exist."
            )));
        };
        if end <= start {
            return Err(invalid(
                "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.",
            ));
        }
        let own_bus = destination
            .arn
            .as_deref()
            .and_then(crate::domain::arn::Arn::parse)
            .is_none_or(|a| a.account == ns.account && a.region == ns.region);
        if own_bus && buses::find(Some(space), ns, &bus).is_none() {
            return Err(buses::missing(&bus));
        }
        if !own_bus || bus != archive.bus {
            return Err(invalid(
                "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.",
            ));
        }
        if space.replays.contains_key(&name) {
            return Err(exists(format!("Replay {name} already exists.")));
        }
        if space.replays.values().filter(|r| active(&r.state)).count() >= MAX_ACTIVE {
            return Err(super::limit(
                "The requested resource exceeds the maximum number allowed.",
            ));
        }
        let r = Replay {
            arn: replay_arn(ns, &name),
            name: name.clone(),
            description: i.description,
            archive_arn: archive.arn.clone(),
            archive: archive_name,
            destination,
            event_start: start,
            event_end: end,
            state: "STARTING".into(),
            state_reason: None,
            started: now,
            ended: None,
            last_replayed: None,
        };
        if space.replays.len() >= MAX_KEPT {
            let oldest = space
                .replays
                .values()
                .filter(|r| !active(&r.state))
                .min_by_key(|r| r.started)
                .map(|r| r.name.clone());
            if let Some(oldest) = oldest {
                space.replays.shift_remove(&oldest);
                drop(self.save_replay(ns, &oldest, None));
            }
        }
        let ticket = self.save_replay(ns, &name, Some(&r));
        let out = g::StartReplayResponse {
            replay_arn: Some(r.arn.clone()),
            state: Some(r.state.clone()),
            state_reason: None,
            replay_start_time: Some(seconds(now)),
        };
        space.replays.insert(name.clone(), r);
        drop(spaces);
        if let Some(me) = self.me.upgrade() {
            tokio::spawn(me.run_replay(ns.clone(), name));
        }
        answer(out, ticket)
    }
}

impl h::DescribeReplay for Events {
    fn describe_replay(
        &self,
        cx: &Caller,
        i: g::DescribeReplayRequest,
    ) -> Answer<g::DescribeReplayResponse> {
        let r = self.replay_of(&cx.namespace, i.replay_name.as_deref().unwrap_or_default())?;
        Ok(Ack::ready(g::DescribeReplayResponse {
            replay_name: Some(r.name),
            replay_arn: Some(r.arn),
            description: r.description,
            state: Some(r.state),
            state_reason: r.state_reason,
            event_source_arn: Some(r.archive_arn),
            destination: Some(r.destination),
            event_start_time: Some(seconds(r.event_start)),
            event_end_time: Some(seconds(r.event_end)),
            event_last_replayed_time: r.last_replayed.map(seconds),
            replay_start_time: Some(seconds(r.started)),
            replay_end_time: r.ended.map(seconds),
        }))
    }
}

impl h::CancelReplay for Events {
    fn cancel_replay(
        &self,
        cx: &Caller,
        i: g::CancelReplayRequest,
    ) -> Answer<g::CancelReplayResponse> {
        let ns = &cx.namespace;
        let name = i.replay_name.unwrap_or_default();
        let mut spaces = self.write();
        let r = spaces
            .get_mut(ns)
            .and_then(|s| s.replays.get_mut(&name))
            .ok_or_else(|| missing(&name))?;
        if !matches!(r.state.as_str(), "STARTING" | "RUNNING") {
            return Err(Error::new(
                ErrorCode::IllegalStatusException,
                format!("Replay {name} is not in a valid state for cancellation."),
            ));
        }
        r.state = "CANCELLING".into();
        let r = r.clone();
        let ticket = self.save_replay(ns, &name, Some(&r));
        answer(
            g::CancelReplayResponse {
                replay_arn: Some(r.arn),
                state: Some(r.state),
                state_reason: None,
            },
            ticket,
        )
    }
}

impl h::ListReplays for Events {
    fn list_replays(
        &self,
        cx: &Caller,
        i: g::ListReplaysRequest,
    ) -> Answer<g::ListReplaysResponse> {
        let spaces = self.read();
        let all: Vec<g::Replay> = spaces
            .get(&cx.namespace)
            .into_iter()
            .flat_map(|s| s.replays.values())
            .filter(|r| {
                i.name_prefix
                    .as_deref()
                    .is_none_or(|p| r.name.starts_with(p))
            })
            .filter(|r| i.state.as_deref().is_none_or(|s| r.state == s))
            .filter(|r| {
                i.event_source_arn
                    .as_deref()
                    .is_none_or(|a| r.archive_arn == a)
            })
            .map(|r| g::Replay {
                replay_name: Some(r.name.clone()),
                event_source_arn: Some(r.archive_arn.clone()),
                state: Some(r.state.clone()),
                state_reason: r.state_reason.clone(),
                event_start_time: Some(seconds(r.event_start)),
                event_end_time: Some(seconds(r.event_end)),
                event_last_replayed_time: r.last_replayed.map(seconds),
                replay_start_time: Some(seconds(r.started)),
                replay_end_time: r.ended.map(seconds),
            })
            .collect();
        let (replays, next_token) = page(all, i.next_token.as_deref(), i.limit)?;
        Ok(Ack::ready(g::ListReplaysResponse {
            replays: Some(replays),
            next_token,
        }))
    }
}
