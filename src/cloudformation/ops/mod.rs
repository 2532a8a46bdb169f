//! CloudFormation's operations, one module per family: stacks (create, update, delete,
//! describe, list), change sets, and what describes a stack's parts (events, resources,
//! templates). Here: what they share (reading a request's template and parameters).

mod changesets;
mod describe;
mod policies;
mod stacks;

use super::model::{Deployment, Stack};
use super::plan::{Frame, Place};
use super::template::{self, Template};
use super::CloudFormation;
use crate::domain::caller::Caller;
use crate::generated::cloudformation::{self as g, Operation};
use crate::generated::cloudformation::{Error, ErrorCode, Result};

/// Whether `op` changes nothing (allowed while the database cannot take writes).
pub fn reads_only(op: Operation) -> bool {
    !matches!(
        op,
        Operation::CreateStack
            | Operation::UpdateStack
            | Operation::DeleteStack
            | Operation::CreateChangeSet
            | Operation::ExecuteChangeSet
            | Operation::DeleteChangeSet
    )
}

/// Stacks an account keeps in one region (AWS's quota), and change sets per stack: beyond
/// them a request is refused rather than let state grow without bound.
const MAX_STACKS: usize = 2000;
const MAX_CHANGE_SETS: usize = 1000;

fn invalid(message: impl Into<String>) -> Error {
    Error::validation(message)
}

/// What a create, update or change set asks to deploy.
pub(super) struct Ask {
    pub template_body: Option<String>,
    pub template_url: Option<String>,
    pub use_previous_template: bool,
    pub parameters: Option<Vec<g::Parameter>>,
    pub capabilities: Option<Vec<String>>,
    pub tags: Option<Vec<g::Tag>>,
}

/// A stack name as CloudFormation takes it.
fn check_name(name: &str) -> Result<()> {
    let ok = name.len() <= 128
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "1 validation error detected: Value '{name}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*"
        )))
    }
}

/// A template body from a request: inline only (LocalEmu has no S3 to fetch one from).
fn template_text(body: Option<String>, url: Option<String>) -> Result<String> {
    match (body, url) {
        (Some(b), None) => Ok(b),
        (None, Some(_)) => Err(invalid(
            "TemplateURL is not supported by LocalEmu (it has no S3): pass the template in TemplateBody.",
        )),
        (Some(_), Some(_)) => Err(invalid("Specify either TemplateBody or TemplateURL, not both.")),
        (None, None) => Err(invalid("Either Template URL or Template Body must be specified.")),
    }
}

/// A stack policy from a request's body and URL members (`what` names them: `StackPolicy` or
/// `StackPolicyDuringUpdate`), checked as AWS checks it.
fn policy_text(what: &str, body: Option<String>, url: Option<String>) -> Result<Option<String>> {
    match (body, url) {
        (Some(_), Some(_)) => Err(invalid(format!(
            "You cannot specify both {what}URL and {what}Body"
        ))),
        (None, Some(_)) => Err(invalid(format!(
            "{what}URL is not supported by LocalEmu (it has no S3): pass the policy in {what}Body."
        ))),
        (Some(b), None) => {
            crate::cloudformation::stack_policy::Policy::parse(&b).map_err(invalid)?;
            Ok(Some(b))
        }
        (None, None) => Ok(None),
    }
}

fn read_template(body: &str) -> Result<Template> {
    template::read(body).map_err(|e| invalid(e.to_string()))
}

/// "The following resource(s) require capabilities: [AWS::IAM::Role]".
fn capabilities_reason(t: &Template) -> Option<String> {
    let types: Vec<&str> = t
        .resources
        .values()
        .map(|r| r.type_.as_str())
        .filter(|t| t.starts_with("AWS::IAM::"))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    (!types.is_empty()).then(|| {
        format!(
            "The following resource(s) require capabilities: [{}]",
            types.join(", ")
        )
    })
}

impl CloudFormation {
    /// Refuses a new stack once the namespace holds [`MAX_STACKS`] that are not deleted.
    fn check_stack_quota(&self, cx: &Caller) -> Result<()> {
        let active = self
            .read()
            .get(&cx.namespace)
            .map_or(0, |all| all.values().filter(|s| !s.is_deleted()).count());
        if active >= MAX_STACKS {
            return Err(Error::new(
                ErrorCode::LimitExceededException,
                format!("Limit for the number of stacks ({MAX_STACKS}) in this account and region has been reached."),
            ));
        }
        Ok(())
    }

    /// The value of a Parameter Store parameter, for SSM-typed template parameters.
    fn ssm_value(&self, caller: &Caller, name: &str) -> Option<String> {
        use crate::generated::ssm as pg;
        // A read: no gate to take (this operation holds the store's gate already).
        // Read as the caller, with the action a direct read would name.
        let caller = caller.clone().acting("ssm:GetParameter".into());
        let ack = pg::handlers::GetParameter::get_parameter(
            &*self.services.ssm,
            &caller,
            pg::GetParameterRequest {
                name: Some(name.to_string()),
                with_decryption: Some(false),
            },
        )
        .ok()?;
        ack.output.parameter?.value
    }

    /// Reads the template and parameters of `ask` into the deployment it describes, with every
    /// check CloudFormation makes before it starts: template format, parameter values and
    /// constraints, rules, capabilities.
    pub(super) fn prepare(
        &self,
        caller: &Caller,
        ask: Ask,
        previous: Option<&Deployment>,
        place: &Place,
    ) -> Result<(Deployment, Frame)> {
        let body = if ask.use_previous_template {
            if ask.template_body.is_some() || ask.template_url.is_some() {
                return Err(invalid(
                    "You cannot specify both usePreviousTemplate and Template Body/Template Url",
                ));
            }
            previous.map(|p| p.template.clone()).ok_or_else(|| {
                invalid("UsePreviousTemplate can only be used for an existing stack.")
            })?
        } else {
            template_text(ask.template_body, ask.template_url)?
        };
        let t = read_template(&body)?;
        let given = ask.parameters.unwrap_or_default();
        let mut unknown: Vec<String> = given
            .iter()
            .filter_map(|p| p.parameter_key.clone())
            .filter(|k| !t.parameters.contains_key(k))
            .collect();
        if !unknown.is_empty() {
            unknown.dedup();
            return Err(invalid(format!(
                "Parameters: [{}] do not exist in the template",
                unknown.join(", ")
            )));
        }
        let mut parameters = Vec::new();
        let mut resolved = Vec::new();
        let mut missing = Vec::new();
        for (name, decl) in &t.parameters {
            let g = given
                .iter()
                .find(|p| p.parameter_key.as_deref() == Some(name));
            let value = match g {
                Some(p) if p.use_previous_value == Some(true) => {
                    let old = previous.and_then(|d| d.parameters.iter().find(|(k, _)| k == name));
                    match old {
                        Some((_, v)) => Some(v.clone()),
                        None => {
                            return Err(invalid(format!(
                                "Invalid input for parameter key {name}. Cannot specify usePreviousValue as true for a parameter key not in the previous template"
                            )))
                        }
                    }
                }
                Some(p) => p.parameter_value.clone(),
                None => decl.default.clone(),
            };
            let Some(value) = value else {
                missing.push(name.clone());
                continue;
            };
            check_value(name, decl, &value)?;
            if decl.reads_ssm() {
                let found = self.ssm_value(caller, &value).ok_or_else(|| {
                    invalid(format!(
                        "Unable to fetch parameters [{value}] from parameter store for this account."
                    ))
                })?;
                resolved.push((name.clone(), found));
            }
            parameters.push((name.clone(), value));
        }
        if !missing.is_empty() {
            return Err(invalid(format!(
                "Parameters: [{}] must have values",
                missing.join(", ")
            )));
        }
        let tags = ask
            .tags
            .map(|t| {
                t.into_iter()
                    .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
                    .collect()
            })
            .or_else(|| previous.map(|p| p.tags.clone()))
            .unwrap_or_default();
        let capabilities = ask.capabilities.unwrap_or_default();
        let deployment = Deployment {
            template: body,
            description: t.description.clone(),
            parameters,
            resolved,
            resources: previous.map(|p| p.resources.clone()).unwrap_or_default(),
            outputs: previous.map(|p| p.outputs.clone()).unwrap_or_default(),
            capabilities: capabilities.clone(),
            tags,
        };
        let frame = Frame::new(&deployment, place.clone()).map_err(invalid)?;
        check_rules(&frame)?;
        let needed: Vec<&str> = t
            .capabilities
            .iter()
            .copied()
            .filter(|c| {
                !capabilities
                    .iter()
                    .any(|g| g == c || (*c == "CAPABILITY_IAM" && g == "CAPABILITY_NAMED_IAM"))
            })
            .collect();
        if !needed.is_empty() {
            return Err(Error::new(
                ErrorCode::InsufficientCapabilitiesException,
                format!("Requires capabilities : [{}]", needed.join(", ")),
            ));
        }
        frame.order().map_err(invalid)?;
        // AWS refuses malformed functions before it makes anything: the template is evaluated
        // once over what is deployed, values not known yet left as placeholders. Other
        // failures of that preview are left to the deployment, which knows more.
        if let Err(e) = frame.changes(&deployment.resources) {
            if e.starts_with("Template error:") || e.starts_with("Template format error:") {
                return Err(invalid(e));
            }
        }
        Ok((deployment, frame))
    }
}

/// A value against its parameter's type and constraints, with AWS's messages.
fn check_value(name: &str, decl: &template::Param, value: &str) -> Result<()> {
    let fail = |what: String| {
        Err(invalid(match &decl.constraint_description {
            Some(c) => format!("Parameter '{name}' failed to satisfy constraint: {c}"),
            None => what,
        }))
    };
    let items: Vec<&str> = if decl.is_list() {
        value.split(',').map(str::trim).collect()
    } else {
        vec![value]
    };
    let numeric = decl.type_ == "Number" || decl.type_ == "List<Number>";
    for v in items {
        if numeric && v.parse::<f64>().is_err() {
            return Err(invalid(format!("Parameter '{name}' must be a number.")));
        }
        if !decl.allowed_values.is_empty() && !decl.allowed_values.iter().any(|a| a == v) {
            return fail(format!("Parameter '{name}' must be one of AllowedValues"));
        }
        if let Some(p) = &decl.allowed_pattern {
            let matches = regex::Regex::new(&format!("^(?:{p})$")).is_ok_and(|r| r.is_match(v));
            if !matches {
                return fail(format!("Parameter '{name}' must match pattern {p}"));
            }
        }
        let len = v.chars().count();
        if decl.min_length.is_some_and(|m| len < m) {
            return fail(format!(
                "Parameter '{name}' must contain at least {} characters",
                decl.min_length.unwrap_or_default()
            ));
        }
        if decl.max_length.is_some_and(|m| len > m) {
            return fail(format!(
                "Parameter '{name}' must contain at most {} characters",
                decl.max_length.unwrap_or_default()
            ));
        }
        if let Ok(n) = v.parse::<f64>() {
            if numeric && decl.min_value.is_some_and(|m| n < m) {
                return fail(format!(
                    "Parameter '{name}' must be a number not less than {}",
                    decl.min_value.unwrap_or_default()
                ));
            }
            if numeric && decl.max_value.is_some_and(|m| n > m) {
                return fail(format!(
                    "Parameter '{name}' must be a number not greater than {}",
                    decl.max_value.unwrap_or_default()
                ));
            }
        }
    }
    Ok(())
}

/// The template's Rules: every assertion of a rule whose condition holds must hold.
fn check_rules(frame: &Frame) -> Result<()> {
    let none = indexmap::IndexMap::new();
    let working = super::plan::Working(&none);
    let scope = frame.scope(&working);
    for (name, rule) in &frame.template.rules {
        if let Some(c) = rule.get("RuleCondition") {
            let holds = scope.eval(c).map_err(invalid)?;
            if holds != Some(serde_json::Value::Bool(true)) {
                continue;
            }
        }
        let assertions = rule
            .get("Assertions")
            .and_then(|a| a.as_array())
            .cloned()
            .unwrap_or_default();
        for a in assertions {
            let Some(assert) = a.get("Assert") else {
                continue;
            };
            let holds = scope.eval(assert).map_err(invalid)?;
            if holds != Some(serde_json::Value::Bool(true)) {
                let description = a
                    .get("AssertDescription")
                    .and_then(|d| d.as_str())
                    .map_or_else(
                        || format!("Template error: Rule {name} failed"),
                        str::to_string,
                    );
                return Err(invalid(description));
            }
        }
    }
    Ok(())
}

/// The values of the stack's NoEcho parameters as they appear inside JSON text.
fn no_echo_values(stack: &Stack) -> Vec<String> {
    let Ok(t) = template::read(&stack.current.template) else {
        return Vec::new();
    };
    stack
        .current
        .parameters
        .iter()
        .chain(stack.current.resolved.iter())
        .filter(|(k, v)| !v.is_empty() && t.parameters.get(k).is_some_and(|d| d.no_echo))
        .map(|(_, v)| {
            let quoted = serde_json::to_string(v).unwrap_or_default();
            quoted[1..quoted.len().saturating_sub(1).max(1)].to_string()
        })
        .filter(|v| !v.is_empty())
        .collect()
}

/// The parameters of a stack as DescribeStacks shows them (NoEcho values masked).
fn shown_parameters(stack: &Stack) -> Vec<g::Parameter> {
    let t = template::read(&stack.current.template).ok();
    stack
        .current
        .parameters
        .iter()
        .map(|(k, v)| {
            let decl = t.as_ref().and_then(|t| t.parameters.get(k));
            let no_echo = decl.is_some_and(|d| d.no_echo);
            g::Parameter {
                parameter_key: Some(k.clone()),
                parameter_value: Some(if no_echo { "****".into() } else { v.clone() }),
                use_previous_value: None,
                resolved_value: stack
                    .current
                    .resolved
                    .iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, r)| if no_echo { "****".into() } else { r.clone() }),
            }
        })
        .collect()
}

fn shown_tags(tags: &[(String, String)]) -> Option<Vec<g::Tag>> {
    (!tags.is_empty()).then(|| {
        tags.iter()
            .map(|(k, v)| g::Tag {
                key: Some(k.clone()),
                value: Some(v.clone()),
            })
            .collect()
    })
}

fn seconds(ms: crate::clock::Millis) -> f64 {
    ms as f64 / 1000.0
}
