//! Rules EventBridge manages on the account's behalf: the `Events-Archive-<name>` rule each
//! archive puts on its bus, and the refusals of calls that would change a managed rule.

use super::model::{Archive, Rule};
use super::rules::rule_arn;
use super::Events;
use crate::domain::Namespace;
use crate::generated::events::{self as g, Error, ErrorCode};
use serde_json::Value;

/// The principal AWS shows as `ManagedBy` of an archive's rule.
pub const ARCHIVES: &str = "prod.vhs.events.aws.internal";

/// The name of the rule that feeds archive `archive`.
pub fn archive_rule_name(archive: &str) -> String {
    format!("Events-Archive-{archive}")
}

/// The archive's pattern (every event when it has none), less replayed events.
fn archive_rule_pattern(archive_pattern: Option<&str>) -> String {
    let mut pattern = archive_pattern
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .filter(Value::is_object)
        .unwrap_or_else(|| Value::Object(serde_json::Map::new()));
    pattern["replay-name"] = serde_json::json!([{ "exists": false }]);
    pattern.to_string()
}

/// The rule archive `a` puts on its bus: its pattern, and one target naming the archive
/// (`incarnation` tells this archive from an earlier one of the same name).
pub fn archive_rule(ns: &Namespace, a: &Archive, incarnation: &str) -> Rule {
    let name = archive_rule_name(&a.name);
    // The event and its arrival are placeholders of the input template, not JSON strings;
    // ARNs and UUIDs need no escaping.
    let template = format!(
        "{{\"archive-arn\": \"{}:{incarnation}\", \"event\": <aws.events.event.json>, \"ingestion-time\": <aws.events.event.ingestion-time>}}",
        a.arn
    );
    Rule {
        arn: rule_arn(ns, &a.bus, &name),
        bus: a.bus.clone(),
        pattern: Some(archive_rule_pattern(a.pattern.as_deref())),
        schedule: None,
        state: "ENABLED".into(),
        description: None,
        role_arn: None,
        created_by: ns.account.clone(),
        targets: vec![g::Target {
            id: Some(name.clone()),
            arn: Some(format!("arn:aws:events:{}:::", ns.region)),
            input_transformer: Some(g::InputTransformer {
                input_paths_map: Some(indexmap::IndexMap::new()),
                input_template: Some(template),
            }),
            ..Default::default()
        }],
        tags: Vec::new(),
        managed_by: Some(ARCHIVES.into()),
        name,
    }
}

/// Gives `r` the pattern of archive `a` after an UpdateArchive.
pub fn follow_archive(r: &mut Rule, a: &Archive) {
    r.pattern = Some(archive_rule_pattern(a.pattern.as_deref()));
}

impl Events {
    /// Makes the rules of archives an older build made, once: at start, before any request.
    /// Returns how many were made.
    pub fn adopt_archive_rules(&self) -> usize {
        let mut made = 0;
        let mut spaces = self.write();
        for (ns, space) in spaces.iter_mut() {
            for a in space.archives.values_mut().filter(|a| !a.ruled) {
                let rule = archive_rule(ns, a, &self.new_id());
                let key = (rule.bus.clone(), rule.name.clone());
                if !space.rules.contains_key(&key) {
                    drop(self.save_rule(ns, &rule.bus, &rule.name, Some(&rule)));
                    space.rules.insert(key, rule);
                    made += 1;
                }
                a.ruled = true;
                drop(self.save_archive(ns, &a.name, Some(a)));
            }
        }
        made
    }
}

/// Refuses a change to managed rule `r` unless the call forces it (DeleteRule and
/// RemoveTargets take `Force`; the other calls cannot change a managed rule at all).
pub fn refuse_unforced(r: &Rule, force: Option<bool>) -> Result<(), Error> {
    if r.managed_by.is_none() || force == Some(true) {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::ManagedRuleException,
        format!(
            "{} is a managed rule. Set 'force' parameter to true to override.",
            r.name
        ),
    ))
}

/// Refuses a change that no call may make to managed rule `r`.
pub fn refuse(r: &Rule) -> Result<(), Error> {
    if r.managed_by.is_none() {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::ManagedRuleException,
        format!("{} is a managed rule and cannot be modified.", r.name),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(pattern: Option<&str>) -> Archive {
        Archive {
            name: "orders".into(),
            arn: "arn:aws:events:us-east-1:111111111111:archive/orders".into(),
            bus_arn: "arn:aws:events:us-east-1:111111111111:event-bus/shop".into(),
            bus: "shop".into(),
            description: None,
            pattern: pattern.map(str::to_string),
            retention_days: 0,
            kms_key: None,
            created: 0,
            ruled: true,
        }
    }

    #[test]
    fn an_archives_rule_keeps_its_pattern_less_replays_and_names_the_archive() {
        let ns = Namespace::new("111111111111", "us-east-1");
        let r = archive_rule(&ns, &archive(Some(r#"{"source":["shop"]}"#)), "abc");
        assert_eq!(r.name, "Events-Archive-orders");
        assert_eq!(
            r.arn,
            "arn:aws:events:us-east-1:111111111111:rule/shop/Events-Archive-orders"
        );
        let pattern: Value = serde_json::from_str(r.pattern.as_deref().unwrap()).unwrap();
        assert_eq!(
            pattern,
            serde_json::json!({"source": ["shop"], "replay-name": [{"exists": false}]})
        );
        let t = &r.targets[0];
        assert_eq!(t.arn.as_deref(), Some("arn:aws:events:us-east-1:::"));
        let template = t.input_transformer.as_ref().unwrap().input_template.clone();
        assert_eq!(
            template.as_deref(),
            Some(
                r#"{"archive-arn": "arn:aws:events:us-east-1:111111111111:archive/orders:abc", "event": <aws.events.event.json>, "ingestion-time": <aws.events.event.ingestion-time>}"#
            )
        );
        assert!(refuse(&r).is_err() && refuse_unforced(&r, Some(true)).is_ok());
        let all = archive_rule(&ns, &archive(None), "abc");
        assert_eq!(
            all.pattern.as_deref(),
            Some(r#"{"replay-name":[{"exists":false}]}"#)
        );
    }
}
