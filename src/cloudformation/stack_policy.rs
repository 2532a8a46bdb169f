//! Stack policies: which resources an update may modify, replace or delete. A stack without a
//! policy may change everything; with one, an action on a resource needs a statement that
//! allows it, and any statement that denies it wins.

use serde_json::Value;

/// The refusal AWS gives for a policy it cannot read.
pub const INVALID: &str = "Error validating stack policy: Invalid stack policy";

/// What an update does to a resource, as policies name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Modify,
    Replace,
    Delete,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Modify => "Update:Modify",
            Action::Replace => "Update:Replace",
            Action::Delete => "Update:Delete",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Statement {
    allow: bool,
    actions: Vec<String>,
    /// Patterns of `LogicalResourceId/<id>`; `not` when they come from NotResource.
    resources: Vec<String>,
    not: bool,
    /// (StringLike?, resource type patterns) from the Condition, if any.
    types: Option<(bool, Vec<String>)>,
}

/// A stack policy read from its JSON text.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// None: the policy has no statements (`{}`), which restricts nothing.
    statements: Option<Vec<Statement>>,
}

/// A string or a list of strings, as policy elements are written.
fn strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => None,
    }
}

fn statement(v: &Value) -> Option<Statement> {
    let m = v.as_object()?;
    let allow = match m.get("Effect")?.as_str()? {
        "Allow" => true,
        "Deny" => false,
        _ => return None,
    };
    if m.get("Principal")?.as_str()? != "*" {
        return None;
    }
    let actions = strings(m.get("Action")?)?;
    let known = [
        "Update:*",
        "Update:Modify",
        "Update:Replace",
        "Update:Delete",
    ];
    if actions.is_empty() || !actions.iter().all(|a| known.contains(&a.as_str())) {
        return None;
    }
    let (resources, not) = match (m.get("Resource"), m.get("NotResource")) {
        (Some(r), None) => (strings(r)?, false),
        (None, Some(r)) => (strings(r)?, true),
        _ => return None,
    };
    let types = match m.get("Condition") {
        None => None,
        Some(c) => {
            let c = c.as_object()?;
            let (op, test) = c.iter().next().filter(|_| c.len() == 1)?;
            let like = match op.as_str() {
                "StringEquals" => false,
                "StringLike" => true,
                _ => return None,
            };
            let test = test.as_object()?;
            Some((like, strings(test.get("ResourceType")?)?))
        }
    };
    let allowed_keys = [
        "Effect",
        "Action",
        "Principal",
        "Resource",
        "NotResource",
        "Condition",
        "Sid",
    ];
    if !m.keys().all(|k| allowed_keys.contains(&k.as_str())) {
        return None;
    }
    Some(Statement {
        allow,
        actions,
        resources,
        not,
        types,
    })
}

impl Policy {
    /// Reads a policy; Err carries AWS's refusal.
    pub fn parse(text: &str) -> Result<Policy, &'static str> {
        let v: Value = serde_json::from_str(text).map_err(|_| INVALID)?;
        let m = v.as_object().ok_or(INVALID)?;
        let Some(list) = m.get("Statement") else {
            return Ok(Policy { statements: None });
        };
        let list = match list {
            Value::Array(items) => items.clone(),
            one @ Value::Object(_) => vec![one.clone()],
            _ => return Err(INVALID),
        };
        let statements = list
            .iter()
            .map(statement)
            .collect::<Option<Vec<_>>>()
            .ok_or(INVALID)?;
        Ok(Policy {
            statements: Some(statements),
        })
    }

    /// None if `action` on resource `logical` of type `type_` is allowed, else the reason the
    /// resource's failure shows.
    pub fn refuses(&self, action: Action, logical: &str, type_: &str) -> Option<String> {
        let statements = self.statements.as_ref()?;
        let resource = format!("LogicalResourceId/{logical}");
        let applies = |s: &Statement| {
            let acts = s
                .actions
                .iter()
                .any(|a| a == "Update:*" || a == action.name());
            let named = s.resources.iter().any(|p| wildcard(p, &resource));
            let typed = s.types.as_ref().is_none_or(|(like, types)| {
                types.iter().any(|t| {
                    if *like {
                        wildcard(t, type_)
                    } else {
                        t == type_
                    }
                })
            });
            acts && named != s.not && typed
        };
        let shown = action.name();
        if let Some(i) = statements.iter().position(|s| !s.allow && applies(s)) {
            return Some(format!(
                "Action denied by stack policy: Statement [#{}] does not allow [{shown}] for resource [{resource}]",
                i + 1
            ));
        }
        if statements.iter().any(|s| s.allow && applies(s)) {
            return None;
        }
        Some(format!(
            "Action not allowed by stack policy: No statement allows [{shown}] for resource [{resource}]"
        ))
    }
}

/// `*` (any run of characters) and `?` (one character) matching, as policies use them.
fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Classic two-pointer match with one backtrack point: linear in practice, no recursion.
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && (p[i] == '?' || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_policies_are_refused_with_awss_message() {
        for bad in [
            "not json",
            "[]",
            r#"{"Statement": [{"Effect": "Deny", "Action": "Update:*", "Principal": "me", "Resource": "*"}]}"#,
            r#"{"Statement": [{"Effect": "Deny", "Action": "Delete:*", "Principal": "*", "Resource": "*"}]}"#,
            r#"{"Statement": [{"Effect": "Maybe", "Action": "Update:*", "Principal": "*", "Resource": "*"}]}"#,
            r#"{"Statement": [{"Effect": "Allow", "Action": "Update:*", "Principal": "*"}]}"#,
        ] {
            assert_eq!(Policy::parse(bad), Err(INVALID), "{bad}");
        }
        assert!(Policy::parse("{}")
            .unwrap()
            .refuses(Action::Delete, "A", "T")
            .is_none());
    }

    #[test]
    fn deny_wins_allow_is_needed_and_conditions_name_types() {
        let p = Policy::parse(
            r#"{"Statement": [
                {"Effect": "Deny", "Action": "Update:*", "Principal": "*", "Resource": "LogicalResourceId/Db*"},
                {"Effect": "Deny", "Action": ["Update:Delete"], "Principal": "*", "Resource": "*",
                 "Condition": {"StringLike": {"ResourceType": ["AWS::SecretsManager::*"]}}},
                {"Effect": "Allow", "Action": "Update:Modify", "Principal": "*", "NotResource": "LogicalResourceId/Frozen"}
            ]}"#,
        )
        .unwrap();
        assert_eq!(
            p.refuses(Action::Modify, "DbSecret", "AWS::SSM::Parameter")
                .unwrap(),
            "Action denied by stack policy: Statement [#1] does not allow [Update:Modify] for resource [LogicalResourceId/DbSecret]"
        );
        assert!(p
            .refuses(Action::Modify, "Other", "AWS::SSM::Parameter")
            .is_none());
        assert!(p
            .refuses(Action::Delete, "Other", "AWS::SecretsManager::Secret")
            .unwrap()
            .contains("Statement [#2]"));
        assert!(p
            .refuses(Action::Modify, "Frozen", "AWS::SSM::Parameter")
            .unwrap()
            .starts_with("Action not allowed by stack policy"));
        assert!(p
            .refuses(Action::Replace, "Other", "AWS::SSM::Parameter")
            .is_some());
    }

    #[test]
    fn wildcards_match_whole_names() {
        assert!(wildcard("*", ""));
        assert!(wildcard(
            "LogicalResourceId/Db*",
            "LogicalResourceId/DbMain"
        ));
        assert!(!wildcard("LogicalResourceId/Db*", "LogicalResourceId/Main"));
        assert!(wildcard("a?c*e", "abcde"));
        assert!(!wildcard("a*b", "acbx"));
    }
}
