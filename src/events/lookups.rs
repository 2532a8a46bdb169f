//! What EventBridge answers about rules without changing anything: TestEventPattern and
//! ListRuleNamesByTarget.

use super::pattern::Pattern;
use super::{buses, invalid, Events};
use crate::domain::caller::Caller;
use crate::generated::events::{self as g, handlers as h, Answer};
use crate::generated::events::{Error, ErrorCode};
use crate::wire::Ack;
use serde_json::Value;

impl h::TestEventPattern for Events {
    fn test_event_pattern(
        &self,
        _: &Caller,
        i: g::TestEventPatternRequest,
    ) -> Answer<g::TestEventPatternResponse> {
        let pattern = Pattern::parse(i.event_pattern.as_deref().unwrap_or_default())
            .map_err(|e| Error::new(ErrorCode::InvalidEventPatternException, e))?;
        let event: Value = serde_json::from_str(i.event.as_deref().unwrap_or_default())
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| invalid("Parameter Event is not valid."))?;
        for field in ["id", "account", "source", "time", "region", "detail-type"] {
            if event.get(field).is_none() {
                return Err(invalid(format!("Parameter Event is not valid. Reason: Provided Event is missing required field '{field}'.")));
            }
        }
        Ok(Ack::ready(g::TestEventPatternResponse {
            result: Some(pattern.matches(&event)),
        }))
    }
}

impl h::ListRuleNamesByTarget for Events {
    fn list_rule_names_by_target(
        &self,
        cx: &Caller,
        i: g::ListRuleNamesByTargetRequest,
    ) -> Answer<g::ListRuleNamesByTargetResponse> {
        let target = i.target_arn.unwrap_or_default();
        let bus = buses::bus_name(i.event_bus_name.as_deref());
        let spaces = self.read();
        let space = spaces.get(&cx.namespace);
        if buses::find(space, &cx.namespace, &bus).is_none() {
            return Err(buses::missing(&bus));
        }
        let names: Vec<String> = space
            .map(|s| {
                s.rules
                    .values()
                    .filter(|r| r.bus == bus)
                    .filter(|r| r.targets.iter().any(|t| t.arn.as_deref() == Some(&target)))
                    .map(|r| r.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        let (page, next) = super::page(names, i.next_token.as_deref(), i.limit)?;
        Ok(Ack::ready(g::ListRuleNamesByTargetResponse {
            rule_names: Some(page),
            next_token: next,
        }))
    }
}
