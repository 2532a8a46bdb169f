//! Event bus policies: PutPermission and RemovePermission, the policy DescribeEventBus shows,
//! and whether a bus takes events another account's rule sends it.

use super::buses;
use super::model::Bus;
use super::{invalid, Events};
use crate::domain::caller::Caller;
use crate::domain::Namespace;
use crate::generated::events::{self as g, handlers as h, Answer, Result};
use crate::policy::{self, Decision, Request, Who};
use crate::wire::Ack;
use serde_json::{json, Value};

fn no_statement() -> crate::generated::events::Error {
    super::not_found("Statement with the provided id does not exist.")
}

/// The statements of a bus policy (none when it has no policy).
fn statements(policy: Option<&str>) -> Vec<Value> {
    policy
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .and_then(|v| v.get("Statement").cloned())
        .and_then(|s| s.as_array().cloned())
        .unwrap_or_default()
}

fn document(statements: Vec<Value>) -> Option<String> {
    (!statements.is_empty())
        .then(|| json!({"Version": "2012-10-17", "Statement": statements}).to_string())
}

/// The statement PutPermission's parameters describe.
fn statement(bus: &Bus, i: &g::PutPermissionRequest) -> Result<Value> {
    let (Some(sid), Some(principal)) = (&i.statement_id, &i.principal) else {
        return Err(invalid(
            "One of the parameters Policy or (Action, Principal, StatementId) must be specified.",
        ));
    };
    let action = i
        .action
        .clone()
        .unwrap_or_else(|| "events:PutEvents".into());
    if action != "events:PutEvents" {
        return Err(invalid(
            "Provided value in parameter 'action' is not supported.",
        ));
    }
    let who = if principal == "*" {
        json!("*")
    } else {
        json!({"AWS": format!("arn:aws:iam::{principal}:root")})
    };
    let mut s = json!({
        "Sid": sid,
        "Effect": "Allow",
        "Principal": who,
        "Action": action,
        "Resource": bus.arn,
    });
    if let Some(c) = &i.condition {
        s["Condition"] = json!({
            c.type_.clone().unwrap_or_default(): {
                c.key.clone().unwrap_or_default(): c.value.clone().unwrap_or_default()
            }
        });
    }
    Ok(s)
}

impl Events {
    /// Changes the policy of bus `name` with `f` (the default bus gets a record for it).
    fn edit_policy(
        &self,
        ns: &Namespace,
        name: &str,
        f: impl FnOnce(&Bus, Vec<Value>) -> Result<Vec<Value>>,
    ) -> Result<crate::wire::Ticket> {
        let mut spaces = self.write();
        let space = spaces.entry(ns.clone()).or_default();
        let mut bus = buses::find(Some(space), ns, name).ok_or_else(|| buses::missing(name))?;
        let next = f(&bus, statements(bus.policy.as_deref()))?;
        bus.policy = document(next);
        space.buses.insert(name.to_string(), bus.clone());
        Ok(self.save_bus(ns, name, Some(&bus)))
    }

    /// Whether bus `bus` of `target` takes events sent by a rule of account `sender`: its own
    /// account's always, another's when the bus policy allows it events:PutEvents.
    pub(super) fn bus_accepts(&self, target: &Namespace, bus: &str, sender: &str) -> bool {
        let spaces = self.read();
        let Some(found) = buses::find(spaces.get(target), target, bus) else {
            return false;
        };
        if sender == target.account {
            return true;
        }
        let Some(parsed) = found.policy.as_deref().and_then(|p| policy::parse(p).ok()) else {
            return false;
        };
        let who = Who::Aws {
            arn: format!("arn:{}:iam::{sender}:root", target.partition()),
            account: sender.to_string(),
            role: None,
        };
        let decision = policy::evaluate(
            &parsed,
            &Request {
                who: &who,
                action: "events:PutEvents",
                resource: &found.arn,
                context: &policy::Context::default(),
            },
        );
        decision == Decision::Allow
    }
}

impl h::PutPermission for Events {
    fn put_permission(&self, cx: &Caller, i: g::PutPermissionRequest) -> Answer<()> {
        let name = buses::bus_name(i.event_bus_name.as_deref());
        let ticket = if let Some(text) = &i.policy {
            // A whole policy replaces the bus's.
            let parsed: Value =
                serde_json::from_str(text).map_err(|_| invalid("Policy is not valid JSON."))?;
            policy::parse(text).map_err(|e| invalid(e.join(" ")))?;
            let list = parsed
                .get("Statement")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            self.edit_policy(&cx.namespace, &name, |_, _| Ok(list))?
        } else {
            self.edit_policy(&cx.namespace, &name, |bus, mut list| {
                let s = statement(bus, &i)?;
                let sid = s["Sid"].clone();
                list.retain(|x| x["Sid"] != sid);
                list.push(s);
                Ok(list)
            })?
        };
        Ok(Ack::new((), ticket))
    }
}

impl h::RemovePermission for Events {
    fn remove_permission(&self, cx: &Caller, i: g::RemovePermissionRequest) -> Answer<()> {
        let name = buses::bus_name(i.event_bus_name.as_deref());
        let all = i.remove_all_permissions == Some(true);
        let sid = i.statement_id.clone();
        let ticket = self.edit_policy(&cx.namespace, &name, |_, mut list| {
            if all {
                return Ok(Vec::new());
            }
            let Some(sid) = sid else {
                return Err(invalid(
                    "Either StatementId or RemoveAllPermissions must be specified.",
                ));
            };
            let before = list.len();
            list.retain(|x| x["Sid"].as_str() != Some(sid.as_str()));
            if list.len() == before {
                return Err(no_statement());
            }
            Ok(list)
        })?;
        Ok(Ack::new((), ticket))
    }
}
