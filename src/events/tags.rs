//! Tags on rules and event buses: TagResource, UntagResource, ListTagsForResource.

use super::buses::{self, DEFAULT};
use super::model::Bus;
use super::{invalid, Events};
use crate::domain::caller::Caller;
use crate::domain::Namespace;
use crate::generated::events::{self as g, handlers as h, Answer, Result};
use crate::wire::{Ack, Ticket};

/// The most tags a resource may carry.
const MAX_TAGS: usize = 50;

/// What a resource ARN names: a bus, or a rule of a bus.
enum Resource {
    Bus(String),
    Rule(String, String),
}

fn read_arn(arn: &str) -> Result<Resource> {
    let resource = crate::domain::arn::Arn::parse(arn)
        .filter(|a| a.service == "events")
        .map(|a| a.resource.to_string())
        .ok_or_else(|| invalid(format!("Provided ResourceArn {arn} is not valid.")))?;
    match resource.split_once('/') {
        Some(("event-bus", name)) => Ok(Resource::Bus(name.to_string())),
        Some(("rule", rest)) => Ok(match rest.rsplit_once('/') {
            Some((bus, name)) => Resource::Rule(bus.to_string(), name.to_string()),
            None => Resource::Rule(DEFAULT.to_string(), rest.to_string()),
        }),
        _ => Err(invalid(format!("Provided ResourceArn {arn} is not valid."))),
    }
}

fn shown(tags: &[(String, String)]) -> Vec<g::Tag> {
    tags.iter()
        .map(|(k, v)| g::Tag {
            key: Some(k.clone()),
            value: Some(v.clone()),
        })
        .collect()
}

/// `new` set over `tags` (a key given again takes its new value), within the limit.
pub(super) fn merge(tags: &mut Vec<(String, String)>, new: &[g::Tag]) -> Result<()> {
    for t in new {
        let key = t.key.clone().unwrap_or_default();
        let value = t.value.clone().unwrap_or_default();
        match tags.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => tags.push((key, value)),
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(super::limit(
            "The requested resource exceeds the maximum number allowed.",
        ));
    }
    Ok(())
}

impl Events {
    /// Changes the tags of what `arn` names with `f`; returns its tags after.
    fn with_tags(
        &self,
        ns: &Namespace,
        arn: &str,
        f: impl FnOnce(&mut Vec<(String, String)>) -> Result<()>,
    ) -> Result<(Vec<(String, String)>, Ticket)> {
        let mut spaces = self.write();
        let space = spaces.entry(ns.clone()).or_default();
        match read_arn(arn)? {
            Resource::Bus(name) => {
                // The default bus exists without a record; one is kept once it has tags.
                let mut bus: Bus = match space.buses.get(&name) {
                    Some(b) => b.clone(),
                    None if name == DEFAULT => {
                        buses::find(None, ns, DEFAULT).ok_or_else(|| buses::missing(&name))?
                    }
                    None => return Err(buses::missing(&name)),
                };
                f(&mut bus.tags)?;
                let tags = bus.tags.clone();
                space.buses.insert(name.clone(), bus.clone());
                Ok((tags, self.save_bus(ns, &name, Some(&bus))))
            }
            Resource::Rule(bus, name) => {
                let rule = space
                    .rules
                    .get_mut(&(bus.clone(), name.clone()))
                    .ok_or_else(|| super::rules::missing_rule(&name, &bus))?;
                super::managed::refuse(rule)?;
                f(&mut rule.tags)?;
                let tags = rule.tags.clone();
                let ticket = self.save_rule(ns, &bus, &name, Some(rule));
                Ok((tags, ticket))
            }
        }
    }
}

impl h::TagResource for Events {
    fn tag_resource(
        &self,
        cx: &Caller,
        i: g::TagResourceRequest,
    ) -> Answer<g::TagResourceResponse> {
        let new = i.tags.unwrap_or_default();
        let (_, ticket) = self.with_tags(
            &cx.namespace,
            i.resource_arn.as_deref().unwrap_or_default(),
            |tags| merge(tags, &new),
        )?;
        Ok(Ack::new(g::TagResourceResponse {}, ticket))
    }
}

impl h::UntagResource for Events {
    fn untag_resource(
        &self,
        cx: &Caller,
        i: g::UntagResourceRequest,
    ) -> Answer<g::UntagResourceResponse> {
        let keys = i.tag_keys.unwrap_or_default();
        let (_, ticket) = self.with_tags(
            &cx.namespace,
            i.resource_arn.as_deref().unwrap_or_default(),
            |tags| {
                tags.retain(|(k, _)| !keys.contains(k));
                Ok(())
            },
        )?;
        Ok(Ack::new(g::UntagResourceResponse {}, ticket))
    }
}

impl h::ListTagsForResource for Events {
    fn list_tags_for_resource(
        &self,
        cx: &Caller,
        i: g::ListTagsForResourceRequest,
    ) -> Answer<g::ListTagsForResourceResponse> {
        let arn = i.resource_arn.unwrap_or_default();
        let spaces = self.read();
        let space = spaces.get(&cx.namespace);
        let tags = match read_arn(&arn)? {
            Resource::Bus(name) => {
                buses::find(space, &cx.namespace, &name)
                    .ok_or_else(|| buses::missing(&name))?
                    .tags
            }
            Resource::Rule(bus, name) => space
                .and_then(|s| s.rules.get(&(bus.clone(), name.clone())))
                .ok_or_else(|| super::rules::missing_rule(&name, &bus))?
                .tags
                .clone(),
        };
        Ok(Ack::ready(g::ListTagsForResourceResponse {
            tags: Some(shown(&tags)),
        }))
    }
}
