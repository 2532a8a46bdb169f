//! How a template is refused: most faults are "Template format error: ..." as CloudFormation
//! words them; a null value and an unknown resource attribute are refused in words of their
//! own, as AWS refuses them after the format checks.

use serde_json::Value;

/// Why a template cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A format error: its text after "Template format error: ".
    Format(String),
    /// A refusal AWS words without that head.
    Plain(String),
}

impl From<String> for Refusal {
    fn from(text: String) -> Self {
        Refusal::Format(text)
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Format(text) => write!(f, "Template format error: {text}"),
            Refusal::Plain(text) => f.write_str(text),
        }
    }
}

/// The attributes a resource declaration may have.
const RESOURCE_ATTRIBUTES: [&str; 9] = [
    "Type",
    "Properties",
    "DependsOn",
    "Condition",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "UpdatePolicy",
    "CreationPolicy",
    "Metadata",
];

/// A Mappings section's shape: maps of top-level keys, each a map of second-level keys
/// whose values are text (or numbers and booleans, which CloudFormation takes as text) or
/// lists; errors are format errors.
pub fn check_mappings(section: Option<&Value>) -> Result<(), String> {
    let Some(section) = section else {
        return Ok(());
    };
    let Value::Object(maps) = section else {
        return Err("Every Mappings member must be a map".into());
    };
    for (name, map) in maps {
        let Value::Object(tops) = map else {
            return Err(format!("Every Mappings member {name} must be a map"));
        };
        for (top, seconds) in tops {
            let Value::Object(seconds) = seconds else {
                return Err(format!("Every Mappings member {top} must be a map"));
            };
            if seconds.values().any(Value::is_object) {
                return Err("Every Mappings attribute must be a String or a List.".into());
            }
        }
    }
    Ok(())
}

/// The first null of the template, in document order, by its path (`/Outputs/O/Value`).
pub fn first_null(root: &Value) -> Option<Refusal> {
    fn walk(v: &Value, path: &mut String) -> bool {
        let mark = path.len();
        let found = match v {
            Value::Null => return true,
            Value::Object(m) => m.iter().any(|(k, v)| {
                path.truncate(mark);
                path.push('/');
                path.push_str(k);
                walk(v, path)
            }),
            Value::Array(items) => items.iter().enumerate().any(|(i, v)| {
                path.truncate(mark);
                path.push('/');
                path.push_str(&i.to_string());
                walk(v, path)
            }),
            _ => false,
        };
        if !found {
            path.truncate(mark);
        }
        found
    }
    let mut path = String::new();
    walk(root, &mut path).then(|| {
        Refusal::Plain(format!(
            "[{path}] 'null' values are not allowed in templates"
        ))
    })
}

/// The first attribute of a resource declaration that resources do not have.
pub fn unknown_attribute(resources: Option<&Value>) -> Option<Refusal> {
    let Some(Value::Object(resources)) = resources else {
        return None;
    };
    resources
        .values()
        .filter_map(Value::as_object)
        .flat_map(|d| d.keys())
        .find(|k| !RESOURCE_ATTRIBUTES.contains(&k.as_str()))
        .map(|k| Refusal::Plain(format!("Invalid template resource property '{k}'")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nulls_are_named_by_their_path() {
        let t = json!({"Resources": {"A": {"Type": "X::Y::Z", "Properties": {"L": [1, null]}}}});
        assert_eq!(
            first_null(&t),
            Some(Refusal::Plain(
                "[/Resources/A/Properties/L/1] 'null' values are not allowed in templates".into()
            ))
        );
        assert_eq!(
            first_null(&json!({"Resources": {"A": {"Type": "X"}}})),
            None
        );
        let odd = json!({"Resources": {"A": {"Type": "X::Y::Z", "Invalid": 10}}});
        assert_eq!(
            unknown_attribute(odd.get("Resources")),
            Some(Refusal::Plain(
                "Invalid template resource property 'Invalid'".into()
            ))
        );
        assert_eq!(
            Refusal::Format("x".into()).to_string(),
            "Template format error: x"
        );
        let maps = |m: Value| check_mappings(Some(&m));
        assert_eq!(
            maps(json!({"M": {"A": "suffix-a"}})),
            Err("Every Mappings member A must be a map".into())
        );
        assert_eq!(
            maps(json!({"M": {"A": {"Suffix": {"Ref": "P"}}}})),
            Err("Every Mappings attribute must be a String or a List.".into())
        );
        assert!(maps(json!({"M": {"A": {"S": "x", "N": 2, "L": ["a", "b"]}}})).is_ok());
    }
}
