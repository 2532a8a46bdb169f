//! Reading a resource's properties as the providers need them, and the tags CloudFormation
//! adds to the resources of the types that carry them.

use super::{Fail, Outcome};
use serde_json::{json, Value};

/// A property as text (numbers and booleans as CloudFormation passes them on).
pub fn text(props: &Value, name: &str) -> Option<String> {
    match props.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

pub(super) fn number(props: &Value, name: &str) -> Outcome<Option<i64>> {
    match text(props, name) {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| {
            Fail::Plain(format!(
                "Properties validation failed: #/{name}: expected type: Number, found: String"
            ))
        }),
    }
}

pub(super) fn flag(props: &Value, name: &str) -> Option<bool> {
    text(props, name).map(|s| s.eq_ignore_ascii_case("true"))
}

pub(super) fn required(props: &Value, name: &str) -> Outcome<String> {
    text(props, name).ok_or_else(|| {
        Fail::Plain(format!(
            "Properties validation failed for resource: #: required key [{name}] not found"
        ))
    })
}

/// A JSON document property, given as an object or as text.
pub(super) fn document(props: &Value, name: &str) -> Option<String> {
    match props.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// `[{Key, Value}]` tags as pairs.
pub(super) fn tags(props: &Value) -> Vec<(String, String)> {
    match props.get("Tags") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|t| Some((text(t, "Key")?, text(t, "Value").unwrap_or_default())))
            .collect(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_string),
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// What an update does to a resource's tags: the keys `new` drops, and the pairs it adds or
/// changes.
pub fn tag_changes(old: &Value, new: &Value) -> (Vec<String>, Vec<(String, String)>) {
    let (before, after) = (tags(old), tags(new));
    let gone = before
        .iter()
        .filter(|(k, _)| !after.iter().any(|(a, _)| a == k))
        .map(|(k, _)| k.clone())
        .collect();
    let set = after
        .into_iter()
        .filter(|tag| !before.contains(tag))
        .collect();
    (gone, set)
}

/// Types whose resources carry the stack's tags and CloudFormation's own
/// (`aws:cloudformation:stack-name`, `stack-id`, `logical-id`), as AWS tags them.
const STACK_TAGGED: [&str; 6] = [
    "AWS::SecretsManager::Secret",
    "AWS::SSM::Parameter",
    "AWS::KMS::Key",
    "AWS::Lambda::Function",
    "AWS::Events::EventBus",
    "AWS::Events::Rule",
];

pub fn carries_stack_tags(type_: &str) -> bool {
    STACK_TAGGED.contains(&type_)
}

/// The stack a resource belongs to, as its tags name it.
pub struct StackTags<'a> {
    pub name: &'a str,
    pub id: &'a str,
    pub tags: &'a [(String, String)],
}

/// `props` with the stack's tags (where the resource does not set the same key) and
/// CloudFormation's own added to its `Tags`, in the form the type writes them (a list of
/// Key/Value pairs, or a map for `AWS::SSM::Parameter`). Other types are left as they are.
pub fn with_stack_tags(type_: &str, logical: &str, props: &Value, stack: &StackTags) -> Value {
    if !carries_stack_tags(type_) {
        return props.clone();
    }
    let own = tags(props);
    let mut added: Vec<(String, String)> = stack
        .tags
        .iter()
        .filter(|(k, _)| !own.iter().any(|(o, _)| o == k))
        .cloned()
        .collect();
    added.extend([
        ("aws:cloudformation:stack-name".into(), stack.name.into()),
        ("aws:cloudformation:stack-id".into(), stack.id.into()),
        ("aws:cloudformation:logical-id".into(), logical.into()),
    ]);
    let mut out = props.as_object().cloned().unwrap_or_default();
    let map_form = type_ == "AWS::SSM::Parameter";
    let list = out
        .entry("Tags")
        .or_insert_with(|| if map_form { json!({}) } else { json!([]) });
    match list {
        Value::Object(m) => {
            for (k, v) in added {
                m.insert(k, Value::String(v));
            }
        }
        Value::Array(items) => {
            for (k, v) in added {
                items.push(json!({ "Key": k, "Value": v }));
            }
        }
        _ => {}
    }
    Value::Object(out)
}
