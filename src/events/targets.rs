//! A rule's targets: PutTargets, RemoveTargets and ListTargetsByRule, with AWS's checks and
//! its quota of targets per rule.

use super::buses::bus_name;
use super::{invalid, limit, Events};
use crate::domain::caller::Caller;
use crate::generated::events::Answer;
use crate::generated::events::{self as g, handlers as h};
use crate::wire::{answer, Ack};

/// AWS's quota of targets per rule.
const MAX_TARGETS: usize = 5;

/// Why LocalEmu cannot deliver to `arn`, if it cannot.
fn undeliverable(arn: &str) -> Option<String> {
    let service = arn.split(':').nth(2).unwrap_or_default();
    let resource = arn.split(':').nth(5).unwrap_or_default();
    let ok = match service {
        "lambda" => resource == "function",
        "events" => resource.starts_with("api-destination/") || resource.starts_with("event-bus/"),
        _ => false,
    };
    (!ok).then(|| {
        format!("LocalEmu delivers events to Lambda functions, API destinations and event buses; {arn} is none of them.")
    })
}

impl h::PutTargets for Events {
    fn put_targets(&self, cx: &Caller, i: g::PutTargetsRequest) -> Answer<g::PutTargetsResponse> {
        let name = i.rule.unwrap_or_default();
        let bus = bus_name(i.event_bus_name.as_deref());
        let targets = i.targets.unwrap_or_default();
        for t in &targets {
            // A target that is not an ARN at all refuses the whole request.
            let arn = t.arn.as_deref().unwrap_or_default();
            if crate::domain::arn::Arn::parse(arn).is_none() {
                return Err(invalid(format!(
                    "Parameter {arn} is not valid. Reason: Provided Arn is not in correct format."
                )));
            }
            let given = [
                t.input.is_some(),
                t.input_path.is_some(),
                t.input_transformer.is_some(),
            ];
            if given.iter().filter(|x| **x).count() > 1 {
                return Err(invalid(format!(
                    "Only one of Input, InputPath, or InputTransformer must be provided for target {}.",
                    t.id.as_deref().unwrap_or_default()
                )));
            }
            if let Some(input) = &t.input {
                if serde_json::from_str::<serde_json::Value>(input).is_err() {
                    return Err(invalid(format!(
                        "Input for target {} must be valid JSON text.",
                        t.id.as_deref().unwrap_or_default()
                    )));
                }
            }
            if let Some(tr) = &t.input_transformer {
                super::transform::check(t.id.as_deref().unwrap_or_default(), tr)
                    .map_err(invalid)?;
            }
        }
        let mut failed = Vec::new();
        let ((), ticket) = self.edit_rule(&cx.namespace, &bus, &name, |r| {
            super::managed::refuse(r)?;
            // Worked out on a copy, so a refusal leaves the rule as it was.
            let mut next = r.targets.clone();
            for t in targets {
                let id = t.id.clone().unwrap_or_default();
                if let Some(why) = undeliverable(t.arn.as_deref().unwrap_or_default()) {
                    failed.push(g::PutTargetsResultEntry {
                        target_id: Some(id),
                        error_code: Some("ValidationException".into()),
                        error_message: Some(why),
                    });
                    continue;
                }
                match next
                    .iter_mut()
                    .find(|x| x.id.as_deref() == Some(id.as_str()))
                {
                    Some(existing) => *existing = t,
                    None => next.push(t),
                }
            }
            if next.len() > MAX_TARGETS {
                return Err(limit(
                    "The requested resource exceeds the maximum number allowed.",
                ));
            }
            r.targets = next;
            Ok(())
        })?;
        answer(
            g::PutTargetsResponse {
                failed_entry_count: Some(failed.len() as i64),
                failed_entries: Some(failed),
            },
            ticket,
        )
    }
}

impl h::RemoveTargets for Events {
    fn remove_targets(
        &self,
        cx: &Caller,
        i: g::RemoveTargetsRequest,
    ) -> Answer<g::RemoveTargetsResponse> {
        let name = i.rule.unwrap_or_default();
        let bus = bus_name(i.event_bus_name.as_deref());
        let ids = i.ids.unwrap_or_default();
        let ((), ticket) = self.edit_rule(&cx.namespace, &bus, &name, |r| {
            super::managed::refuse_unforced(r, i.force)?;
            r.targets
                .retain(|t| !ids.iter().any(|x| Some(x.as_str()) == t.id.as_deref()));
            Ok(())
        })?;
        answer(
            g::RemoveTargetsResponse {
                failed_entry_count: Some(0),
                failed_entries: Some(Vec::new()),
            },
            ticket,
        )
    }
}

impl h::ListTargetsByRule for Events {
    fn list_targets_by_rule(
        &self,
        cx: &Caller,
        i: g::ListTargetsByRuleRequest,
    ) -> Answer<g::ListTargetsByRuleResponse> {
        let name = i.rule.unwrap_or_default();
        let bus = bus_name(i.event_bus_name.as_deref());
        let r = self.rule(&cx.namespace, &bus, &name)?;
        let (page, next) = super::page(r.targets.clone(), i.next_token.as_deref(), i.limit)?;
        Ok(Ack::ready(g::ListTargetsByRuleResponse {
            targets: Some(page),
            next_token: next,
        }))
    }
}
