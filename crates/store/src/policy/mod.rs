//! IAM policy documents: a typed model, grammar validation, and the "public access" check.
//! Pure functions: the evaluator takes the request context from its caller.

pub mod eval;
mod grammar;

pub use eval::{evaluate, refusal, Context, Decision, Request, Who};
pub use grammar::{parse, parse_as, Kind};

use crate::error::{Common, Error};

/// AWS's refusal, naming the caller, the action and why.
pub fn access_denied<C>(
    caller_arn: &str,
    action: &str,
    resource: &str,
    explicit: bool,
) -> Error<C> {
    let why = if explicit {
        "with an explicit deny in a resource-based policy".to_string()
    } else {
        format!("because no resource-based policy allows the {action} action")
    };
    Error::common(Common::AccessDenied,
        format!("User: {caller_arn} is not authorized to perform: {action} on resource: {resource} {why}"),
    )
}

/// Policies larger than this are refused (the model's bound on ResourcePolicy).
pub const MAX_POLICY_LEN: usize = 20_480;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub version: String,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Principal: "*"` or a map such as `{"AWS": [...], "Service": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Anyone,
    Map(Vec<(String, Vec<String>)>),
}

/// An element that may be negated (`NotPrincipal`, `NotAction`, `NotResource`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negatable<T> {
    pub not: bool,
    pub value: T,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    ForAllValues,
    ForAnyValue,
}

/// A condition operator such as `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub base: String,
    pub qualifier: Option<SetQualifier>,
    pub if_exists: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub operator: Operator,
    pub key: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<Negatable<Principal>>,
    pub action: Negatable<Vec<String>>,
    pub resource: Option<Negatable<Vec<String>>>,
    pub conditions: Vec<Condition>,
}

/// Condition keys that pin access to known accounts or organisations.
const NARROWING_KEYS: [&str; 6] = [
    "aws:sourceaccount",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:sourcearn",
    "aws:principalarn",
    "aws:sourceowner",
];

impl Statement {
    fn grants_everyone(&self) -> bool {
        match &self.principal {
            Some(Negatable { not: true, .. }) => true,
            Some(Negatable {
                value: Principal::Anyone,
                ..
            }) => true,
            Some(Negatable {
                value: Principal::Map(map),
                ..
            }) => map
                .iter()
                .any(|(kind, values)| kind == "AWS" && values.iter().any(|v| v == "*")),
            None => false,
        }
    }

    fn narrowed(&self) -> bool {
        self.conditions.iter().any(|c| {
            !c.operator.base.contains("Not")
                && NARROWING_KEYS.contains(&c.key.to_ascii_lowercase().as_str())
        })
    }
}

impl Policy {
    /// Whether any statement has a condition (only then does evaluation need the request's
    /// context, which costs something to build).
    pub fn has_conditions(&self) -> bool {
        self.statements.iter().any(|s| !s.conditions.is_empty())
    }

    /// True if an Allow statement opens the secret to everyone without a condition that
    /// narrows it to known accounts or organisations (what BlockPublicPolicy refuses).
    pub fn is_public(&self) -> bool {
        self.statements
            .iter()
            .any(|s| s.effect == Effect::Allow && s.grants_everyone() && !s.narrowed())
    }
}

#[cfg(test)]
mod tests;
