//! What describes a stack's parts: DescribeStackEvents, DescribeStackResource(s),
//! ListStackResources, GetTemplate, GetTemplateSummary and ValidateTemplate.

use super::{capabilities_reason, invalid, read_template, seconds, template_text};
use crate::cloudformation::model::{Resource, Stack};
use crate::cloudformation::template::Template;
use crate::cloudformation::CloudFormation;
use crate::domain::caller::Caller;
use crate::generated::cloudformation::Answer;
use crate::generated::cloudformation::Result;
use crate::generated::cloudformation::{self as g, handlers as h};
use crate::wire::Ack;

/// Events per DescribeStackEvents page.
const EVENTS_PAGE: usize = 100;

fn drift() -> g::StackResourceDriftInformation {
    g::StackResourceDriftInformation {
        stack_resource_drift_status: Some("NOT_CHECKED".into()),
        last_check_timestamp: None,
    }
}

/// The resources a stack shows (a failed create's rolled-back resources included).
fn shown(s: &Stack) -> impl Iterator<Item = &Resource> {
    s.current
        .resources
        .values()
        .filter(|r| !r.status.is_empty())
}

impl CloudFormation {
    /// A stack named for a describe: by name, or by id (a deleted stack too).
    fn described_stack(&self, cx: &Caller, name: Option<String>) -> Result<Stack> {
        let name = name.ok_or_else(|| invalid("StackName must be specified."))?;
        self.stack(&cx.namespace, &name)
    }
}

impl h::DescribeStackEvents for CloudFormation {
    fn describe_stack_events(
        &self,
        cx: &Caller,
        i: g::DescribeStackEventsInput,
    ) -> Answer<g::DescribeStackEventsOutput> {
        let s = self.described_stack(cx, i.stack_name)?;
        let start: usize = match &i.next_token {
            Some(t) => t.parse().map_err(|_| invalid("Invalid NextToken"))?,
            None => 0,
        };
        // NoEcho parameter values are masked wherever a resource's properties carry them.
        let hidden = super::no_echo_values(&s);
        let mask = |props: &String| {
            hidden
                .iter()
                .fold(props.clone(), |text, v| text.replace(v.as_str(), "****"))
        };
        let events: Vec<g::StackEvent> = s
            .events
            .iter()
            .rev()
            .skip(start)
            .take(EVENTS_PAGE)
            .map(|e| g::StackEvent {
                resource_properties: e.properties.as_ref().map(mask),
                stack_id: Some(s.id.clone()),
                event_id: Some(e.id.clone()),
                stack_name: Some(s.name.clone()),
                logical_resource_id: Some(e.logical.clone()),
                physical_resource_id: Some(e.physical.clone()),
                resource_type: Some(e.type_.clone()),
                timestamp: Some(seconds(e.at)),
                resource_status: Some(e.status.clone()),
                resource_status_reason: e.reason.clone(),
                ..Default::default()
            })
            .collect();
        let next = start + events.len();
        Ok(Ack::ready(g::DescribeStackEventsOutput {
            stack_events: Some(events),
            next_token: (next < s.events.len()).then(|| next.to_string()),
        }))
    }
}

impl h::DescribeStackResource for CloudFormation {
    fn describe_stack_resource(
        &self,
        cx: &Caller,
        i: g::DescribeStackResourceInput,
    ) -> Answer<g::DescribeStackResourceOutput> {
        let s = self.described_stack(cx, i.stack_name)?;
        let logical = i.logical_resource_id.unwrap_or_default();
        let r = shown(&s).find(|r| r.logical == logical).ok_or_else(|| {
            invalid(format!(
                "Resource {logical} does not exist for stack {}",
                s.name
            ))
        })?;
        Ok(Ack::ready(g::DescribeStackResourceOutput {
            stack_resource_detail: Some(g::StackResourceDetail {
                stack_name: Some(s.name.clone()),
                stack_id: Some(s.id.clone()),
                logical_resource_id: Some(r.logical.clone()),
                physical_resource_id: r.physical.clone(),
                resource_type: Some(r.type_.clone()),
                last_updated_timestamp: Some(seconds(r.updated)),
                resource_status: Some(r.status.clone()),
                resource_status_reason: r.reason.clone(),
                metadata: Some("{}".into()),
                drift_information: Some(drift()),
                ..Default::default()
            }),
        }))
    }
}

fn stack_resource(s: &Stack, r: &Resource) -> g::StackResource {
    g::StackResource {
        stack_name: Some(s.name.clone()),
        stack_id: Some(s.id.clone()),
        logical_resource_id: Some(r.logical.clone()),
        physical_resource_id: r.physical.clone(),
        resource_type: Some(r.type_.clone()),
        timestamp: Some(seconds(r.updated)),
        resource_status: Some(r.status.clone()),
        resource_status_reason: r.reason.clone(),
        drift_information: Some(drift()),
        ..Default::default()
    }
}

impl h::DescribeStackResources for CloudFormation {
    fn describe_stack_resources(
        &self,
        cx: &Caller,
        i: g::DescribeStackResourcesInput,
    ) -> Answer<g::DescribeStackResourcesOutput> {
        let resources = match (i.stack_name, i.physical_resource_id) {
            (Some(name), _) => {
                let s = self.stack(&cx.namespace, &name)?;
                shown(&s)
                    .filter(|r| {
                        i.logical_resource_id
                            .as_ref()
                            .is_none_or(|l| *l == r.logical)
                    })
                    .map(|r| stack_resource(&s, r))
                    .collect()
            }
            (None, Some(physical)) => {
                let spaces = self.read();
                let found = spaces.get(&cx.namespace).and_then(|all| {
                    all.values()
                        .rev()
                        .filter(|s| !s.is_deleted())
                        .find(|s| {
                            s.current
                                .resources
                                .values()
                                .any(|r| r.physical.as_deref() == Some(&physical))
                        })
                        .cloned()
                });
                let s =
                    found.ok_or_else(|| invalid(format!("Stack for {physical} does not exist")))?;
                shown(&s)
                    .filter(|r| {
                        i.logical_resource_id
                            .as_ref()
                            .is_none_or(|l| *l == r.logical)
                    })
                    .map(|r| stack_resource(&s, r))
                    .collect()
            }
            (None, None) => {
                return Err(invalid(
                    "Either StackName or PhysicalResourceId must be specified.",
                ))
            }
        };
        Ok(Ack::ready(g::DescribeStackResourcesOutput {
            stack_resources: Some(resources),
        }))
    }
}

impl h::ListStackResources for CloudFormation {
    fn list_stack_resources(
        &self,
        cx: &Caller,
        i: g::ListStackResourcesInput,
    ) -> Answer<g::ListStackResourcesOutput> {
        let s = self.described_stack(cx, i.stack_name)?;
        let summaries = shown(&s)
            .map(|r| g::StackResourceSummary {
                logical_resource_id: Some(r.logical.clone()),
                physical_resource_id: r.physical.clone(),
                resource_type: Some(r.type_.clone()),
                last_updated_timestamp: Some(seconds(r.updated)),
                resource_status: Some(r.status.clone()),
                resource_status_reason: r.reason.clone(),
                drift_information: Some(g::StackResourceDriftInformationSummary {
                    stack_resource_drift_status: Some("NOT_CHECKED".into()),
                    last_check_timestamp: None,
                }),
                ..Default::default()
            })
            .collect();
        Ok(Ack::ready(g::ListStackResourcesOutput {
            stack_resource_summaries: Some(summaries),
            next_token: None,
        }))
    }
}

impl h::GetTemplate for CloudFormation {
    fn get_template(&self, cx: &Caller, i: g::GetTemplateInput) -> Answer<g::GetTemplateOutput> {
        let body = match i.change_set_name {
            Some(cs) if !cs.starts_with("arn:") && i.stack_name.is_none() => {
                return Err(invalid("StackName is a required parameter."))
            }
            None if i.stack_name.is_none() => {
                return Err(invalid(
                    "StackName is required if ChangeSetName is not specified.",
                ))
            }
            Some(cs) => {
                self.change_set(cx, &cs, i.stack_name.as_deref())?
                    .1
                    .target
                    .template
            }
            None => self.described_stack(cx, i.stack_name)?.current.template,
        };
        Ok(Ack::ready(g::GetTemplateOutput {
            template_body: Some(body),
            stages_available: Some(vec!["Original".into(), "Processed".into()]),
        }))
    }
}

/// The properties that identify a resource of `type_` (its schema's primary identifier), for
/// the types LocalEmu makes; None for the others.
fn identifiers(type_: &str) -> Option<&'static [&'static str]> {
    Some(match type_ {
        "AWS::SecretsManager::Secret"
        | "AWS::SecretsManager::RotationSchedule"
        | "AWS::SecretsManager::ResourcePolicy"
        | "AWS::SecretsManager::SecretTargetAttachment" => &["Id"],
        "AWS::KMS::Key" => &["KeyId"],
        "AWS::KMS::Alias" => &["AliasName"],
        "AWS::SSM::Parameter" => &["Name"],
        "AWS::Lambda::Function" => &["FunctionName"],
        "AWS::Lambda::Permission" => &["FunctionName", "Id"],
        "AWS::Events::Rule" => &["Arn"],
        "AWS::Events::Connection" | "AWS::Events::ApiDestination" => &["Name"],
        "AWS::IAM::Role" => &["RoleName"],
        "AWS::IAM::ManagedPolicy" => &["PolicyArn"],
        _ => return None,
    })
}

/// GetTemplateSummary's ResourceIdentifierSummaries: each type with its logical ids.
fn identifier_summaries(t: &Template) -> Vec<g::ResourceIdentifierSummary> {
    let mut by_type = std::collections::BTreeMap::<&str, Vec<String>>::new();
    for (logical, r) in &t.resources {
        by_type.entry(&r.type_).or_default().push(logical.clone());
    }
    by_type
        .into_iter()
        .map(|(type_, ids)| g::ResourceIdentifierSummary {
            resource_type: Some(type_.to_string()),
            logical_resource_ids: Some(ids),
            resource_identifiers: identifiers(type_)
                .map(|list| list.iter().map(|s| (*s).to_string()).collect()),
        })
        .collect()
}

/// The capabilities a stack of `t` needs, as the API lists them (absent when none).
fn capabilities(t: &Template) -> Option<Vec<String>> {
    let list: Vec<String> = t.capabilities.iter().map(|c| (*c).to_string()).collect();
    (!list.is_empty()).then_some(list)
}

fn declarations(t: &Template) -> Vec<g::ParameterDeclaration> {
    t.parameters
        .iter()
        .map(|(k, p)| g::ParameterDeclaration {
            parameter_key: Some(k.clone()),
            default_value: p.default.clone(),
            parameter_type: Some(p.type_.clone()),
            no_echo: Some(p.no_echo),
            description: p.description.clone(),
            parameter_constraints: Some(g::ParameterConstraints {
                allowed_values: Some(p.allowed_values.clone()).filter(|v| !v.is_empty()),
            }),
        })
        .collect()
}

impl h::GetTemplateSummary for CloudFormation {
    fn get_template_summary(
        &self,
        cx: &Caller,
        i: g::GetTemplateSummaryInput,
    ) -> Answer<g::GetTemplateSummaryOutput> {
        let body = match (i.template_body, i.template_url, i.stack_name) {
            (None, None, Some(name)) => {
                let s = self.stack(&cx.namespace, &name)?;
                if s.status == "REVIEW_IN_PROGRESS" {
                    return Err(invalid(
                        "GetTemplateSummary cannot be called on REVIEW_IN_PROGRESS stacks.",
                    ));
                }
                s.current.template
            }
            (b, u, None) => template_text(b, u)?,
            _ => {
                return Err(invalid(
                    "Specify exactly one of TemplateBody, TemplateURL or StackName.",
                ))
            }
        };
        let t = read_template(&body)?;
        let mut types: Vec<String> = t.resources.values().map(|r| r.type_.clone()).collect();
        types.sort();
        types.dedup();
        Ok(Ack::ready(g::GetTemplateSummaryOutput {
            parameters: Some(declarations(&t)),
            description: t.description.clone(),
            capabilities: capabilities(&t),
            capabilities_reason: capabilities_reason(&t),
            resource_types: Some(types),
            version: Some("2010-09-09".into()),
            resource_identifier_summaries: Some(identifier_summaries(&t)),
            ..Default::default()
        }))
    }
}

impl h::ValidateTemplate for CloudFormation {
    fn validate_template(
        &self,
        _: &Caller,
        i: g::ValidateTemplateInput,
    ) -> Answer<g::ValidateTemplateOutput> {
        let body = template_text(i.template_body, i.template_url)?;
        let t = read_template(&body)?;
        crate::cloudformation::template::creation_order(&t, &|_| true).map_err(invalid)?;
        Ok(Ack::ready(g::ValidateTemplateOutput {
            parameters: Some(
                t.parameters
                    .iter()
                    .map(|(k, p)| g::TemplateParameter {
                        parameter_key: Some(k.clone()),
                        default_value: p.default.clone(),
                        no_echo: Some(p.no_echo),
                        description: p.description.clone(),
                    })
                    .collect(),
            ),
            description: t.description.clone(),
            capabilities: capabilities(&t),
            capabilities_reason: capabilities_reason(&t),
            declared_transforms: None,
        }))
    }
}
