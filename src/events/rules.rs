//! Rules: PutRule, DescribeRule, DeleteRule, ListRules, EnableRule and DisableRule, with AWS's
//! checks and quotas (their targets are in `targets`).

use super::buses::{bus_name, find as find_bus, missing as missing_bus, DEFAULT};
use super::model::Rule;
use super::pattern::Pattern;
use super::{invalid, limit, not_found, Events};
use crate::domain::caller::Caller;
use crate::domain::Namespace;
use crate::generated::events::Answer;
use crate::generated::events::{self as g, handlers as h};
use crate::generated::events::{Error, ErrorCode, Result};
use crate::wire::{answer, Ack, Ticket};

/// AWS's quota of rules per bus.
const MAX_RULES: usize = 300;

pub fn rule_arn(ns: &Namespace, bus: &str, name: &str) -> String {
    if bus == DEFAULT {
        ns.arn("events", &format!("rule/{name}"))
    } else {
        ns.arn("events", &format!("rule/{bus}/{name}"))
    }
}

pub(super) fn missing_rule(name: &str, bus: &str) -> Error {
    not_found(format!("Rule {name} does not exist on EventBus {bus}."))
}

impl Events {
    /// Changes the rule `name` of `bus` with `f` and journals it.
    pub(super) fn edit_rule<T>(
        &self,
        ns: &Namespace,
        bus: &str,
        name: &str,
        f: impl FnOnce(&mut Rule) -> Result<T>,
    ) -> Result<(T, Ticket)> {
        let mut spaces = self.write();
        let rule = spaces
            .get_mut(ns)
            .and_then(|s| s.rules.get_mut(&(bus.to_string(), name.to_string())))
            .ok_or_else(|| missing_rule(name, bus))?;
        let out = f(rule)?;
        let ticket = self.save_rule(ns, bus, name, Some(rule));
        Ok((out, ticket))
    }

    /// The rule `name` of `bus`.
    pub(super) fn rule(&self, ns: &Namespace, bus: &str, name: &str) -> Result<Rule> {
        self.read()
            .get(ns)
            .and_then(|s| s.rules.get(&(bus.to_string(), name.to_string())))
            .cloned()
            .ok_or_else(|| missing_rule(name, bus))
    }

    /// Whether an event put on `bus` would reach anything: an enabled rule or an archive.
    pub(super) fn has_listeners(&self, ns: &Namespace, bus: &str) -> bool {
        self.read().get(ns).is_some_and(|s| {
            s.rules
                .values()
                .any(|r| r.bus == bus && r.state.starts_with("ENABLED"))
                || s.archives.values().any(|a| a.bus == bus)
        })
    }

    /// The enabled rules of `bus` whose pattern matches `event`, but archives' rules: an
    /// archive takes its events as they arrive (`archive`), not through delivery.
    pub(super) fn matching_rules(
        &self,
        ns: &Namespace,
        bus: &str,
        event: &serde_json::Value,
    ) -> Vec<Rule> {
        let spaces = self.read();
        let Some(space) = spaces.get(ns) else {
            return Vec::new();
        };
        space
            .rules
            .values()
            .filter(|r| r.bus == bus && r.state.starts_with("ENABLED"))
            .filter(|r| r.managed_by.as_deref() != Some(super::managed::ARCHIVES))
            .filter(|r| {
                r.pattern
                    .as_deref()
                    .and_then(|p| Pattern::parse(p).ok())
                    .is_some_and(|p| p.matches(event))
            })
            .cloned()
            .collect()
    }
}

impl h::PutRule for Events {
    fn put_rule(&self, cx: &Caller, i: g::PutRuleRequest) -> Answer<g::PutRuleResponse> {
        let name = i.name.unwrap_or_default();
        super::check_name(&name)?;
        let bus = bus_name(i.event_bus_name.as_deref());
        if i.event_pattern.is_none() && i.schedule_expression.is_none() {
            return Err(invalid(
                "Parameter(s) EventPattern or ScheduleExpression must be specified.",
            ));
        }
        if let Some(p) = &i.event_pattern {
            Pattern::parse(p)
                .map_err(|e| Error::new(ErrorCode::InvalidEventPatternException, e))?;
        }
        if let Some(s) = &i.schedule_expression {
            if bus != DEFAULT {
                return Err(invalid(
                    "ScheduleExpression is supported only on the default event bus.",
                ));
            }
            super::schedule::parse(s).map_err(invalid)?;
        }
        let ns = &cx.namespace;
        let mut spaces = self.write();
        if find_bus(spaces.get(ns), ns, &bus).is_none() {
            return Err(missing_bus(&bus));
        }
        let space = spaces.entry(ns.clone()).or_default();
        let key = (bus.clone(), name.clone());
        let existing = space.rules.get(&key).cloned();
        if let Some(r) = &existing {
            super::managed::refuse(r)?;
        }
        if existing.is_none() && space.rules.keys().filter(|(b, _)| *b == bus).count() >= MAX_RULES
        {
            return Err(limit(
                "The requested resource exceeds the maximum number allowed.",
            ));
        }
        // Tags are taken when the rule is made; PutRule on an existing rule keeps its own.
        let tags = if let Some(r) = &existing {
            r.tags.clone()
        } else {
            let mut tags = Vec::new();
            super::tags::merge(&mut tags, i.tags.as_deref().unwrap_or_default())?;
            tags
        };
        let rule = Rule {
            tags,
            arn: rule_arn(ns, &bus, &name),
            name: name.clone(),
            bus: bus.clone(),
            pattern: i.event_pattern,
            schedule: i.schedule_expression,
            state: i.state.unwrap_or_else(|| "ENABLED".into()),
            description: i.description,
            role_arn: i.role_arn,
            created_by: cx.account().to_string(),
            targets: existing.map(|r| r.targets).unwrap_or_default(),
            managed_by: None,
        };
        let ticket = self.save_rule(ns, &bus, &name, Some(&rule));
        let arn = rule.arn.clone();
        space.rules.insert(key, rule);
        answer(
            g::PutRuleResponse {
                rule_arn: Some(arn),
            },
            ticket,
        )
    }
}

impl h::DescribeRule for Events {
    fn describe_rule(
        &self,
        cx: &Caller,
        i: g::DescribeRuleRequest,
    ) -> Answer<g::DescribeRuleResponse> {
        let name = i.name.unwrap_or_default();
        let bus = bus_name(i.event_bus_name.as_deref());
        let r = self.rule(&cx.namespace, &bus, &name)?;
        Ok(Ack::ready(g::DescribeRuleResponse {
            name: Some(r.name.clone()),
            arn: Some(r.arn.clone()),
            event_pattern: r.pattern.clone(),
            schedule_expression: r.schedule.clone(),
            state: Some(r.state.clone()),
            description: r.description.clone(),
            role_arn: r.role_arn.clone(),
            event_bus_name: Some(r.bus.clone()),
            created_by: Some(r.created_by.clone()),
            managed_by: r.managed_by.clone(),
        }))
    }
}

impl h::DeleteRule for Events {
    fn delete_rule(&self, cx: &Caller, i: g::DeleteRuleRequest) -> Answer<()> {
        let name = i.name.unwrap_or_default();
        let bus = bus_name(i.event_bus_name.as_deref());
        let mut spaces = self.write();
        let Some(space) = spaces.get_mut(&cx.namespace) else {
            return Ok(Ack::ready(()));
        };
        let key = (bus.clone(), name.clone());
        let Some(rule) = space.rules.get(&key) else {
            return Ok(Ack::ready(()));
        };
        super::managed::refuse_unforced(rule, i.force)?;
        if !rule.targets.is_empty() && i.force != Some(true) {
            return Err(invalid("Rule can't be deleted since it has targets."));
        }
        space.rules.shift_remove(&key);
        answer((), self.save_rule(&cx.namespace, &bus, &name, None))
    }
}

fn summary(r: &Rule) -> g::Rule {
    g::Rule {
        name: Some(r.name.clone()),
        arn: Some(r.arn.clone()),
        event_pattern: r.pattern.clone(),
        state: Some(r.state.clone()),
        description: r.description.clone(),
        schedule_expression: r.schedule.clone(),
        role_arn: r.role_arn.clone(),
        event_bus_name: Some(r.bus.clone()),
        managed_by: r.managed_by.clone(),
    }
}

impl h::ListRules for Events {
    fn list_rules(&self, cx: &Caller, i: g::ListRulesRequest) -> Answer<g::ListRulesResponse> {
        let bus = bus_name(i.event_bus_name.as_deref());
        let prefix = i.name_prefix.unwrap_or_default();
        let spaces = self.read();
        if find_bus(spaces.get(&cx.namespace), &cx.namespace, &bus).is_none() {
            return Err(missing_bus(&bus));
        }
        let mut rules: Vec<g::Rule> = spaces
            .get(&cx.namespace)
            .map(|s| {
                s.rules
                    .values()
                    .filter(|r| r.bus == bus && r.name.starts_with(&prefix))
                    .map(summary)
                    .collect()
            })
            .unwrap_or_default();
        rules.sort_by(|a, b| a.name.cmp(&b.name));
        let (page, next) = super::page(rules, i.next_token.as_deref(), i.limit)?;
        Ok(Ack::ready(g::ListRulesResponse {
            rules: Some(page),
            next_token: next,
        }))
    }
}

fn set_state(
    e: &Events,
    cx: &Caller,
    name: Option<String>,
    bus: Option<String>,
    state: &str,
) -> Answer<()> {
    let name = name.unwrap_or_default();
    let bus = bus_name(bus.as_deref());
    let ((), ticket) = e.edit_rule(&cx.namespace, &bus, &name, |r| {
        super::managed::refuse(r)?;
        r.state = state.to_string();
        Ok(())
    })?;
    answer((), ticket)
}

impl h::EnableRule for Events {
    fn enable_rule(&self, cx: &Caller, i: g::EnableRuleRequest) -> Answer<()> {
        set_state(self, cx, i.name, i.event_bus_name, "ENABLED")
    }
}

impl h::DisableRule for Events {
    fn disable_rule(&self, cx: &Caller, i: g::DisableRuleRequest) -> Answer<()> {
        set_state(self, cx, i.name, i.event_bus_name, "DISABLED")
    }
}
