//! What a stack operation works from: the template read with its parameters resolved and its
//! conditions evaluated (a [`Frame`]), the resources an evaluation reads, and the changes a
//! change set shows.

use super::model::{Change, Deployment, Resource};
use super::resources::{changed_properties, replaces};
use super::template::intrinsics::{Resources, Scope};
use super::template::{self, Template};
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::HashMap;

/// Where a stack lives and what it is called, for the pseudo parameters.
#[derive(Debug, Clone)]
pub struct Place {
    pub account: String,
    pub region: String,
    pub stack_name: String,
    pub stack_id: String,
}

impl Place {
    /// Where `s` lives and what it is called.
    pub fn of(s: &super::model::Stack) -> Place {
        Place {
            account: s.account.clone(),
            region: s.region.clone(),
            stack_name: s.name.clone(),
            stack_id: s.id.clone(),
        }
    }
}

/// A deployment's template with parameter values and conditions, ready to evaluate.
pub struct Frame {
    pub template: Template,
    pub params: HashMap<String, Value>,
    pub conditions: HashMap<String, bool>,
    pub place: Place,
    /// What this operation's evaluations may still produce.
    pub budget: super::template::intrinsics::Budget,
}

/// The resources created so far, as `Ref` and `Fn::GetAtt` read them.
pub struct Working<'a>(pub &'a IndexMap<String, Resource>);

fn live(r: &Resource) -> bool {
    r.physical.is_some() && !matches!(r.status.as_str(), "DELETE_COMPLETE" | "CREATE_FAILED")
}

impl Resources for Working<'_> {
    fn reference(&self, logical: &str) -> Option<String> {
        self.0
            .get(logical)
            .filter(|r| live(r))
            .and_then(|r| r.reference.clone())
    }

    fn attribute(&self, logical: &str, attribute: &str) -> Result<Value, String> {
        let r = self.0.get(logical).filter(|r| live(r)).ok_or_else(|| {
            format!(
                "Template error: resource {logical} is not created, so Fn::GetAtt cannot read it"
            )
        })?;
        r.attributes.get(attribute).cloned().ok_or_else(|| {
            format!(
                "Template error: resource {logical} does not support attribute type {attribute} in Fn::GetAtt"
            )
        })
    }
}

/// For previews: resources not created yet stand in as placeholders.
struct Preview<'a>(&'a IndexMap<String, Resource>);

impl Resources for Preview<'_> {
    fn reference(&self, logical: &str) -> Option<String> {
        Some(
            Working(self.0)
                .reference(logical)
                .unwrap_or_else(|| format!("{{{{pending:{logical}}}}}")),
        )
    }

    fn attribute(&self, logical: &str, attribute: &str) -> Result<Value, String> {
        Ok(Working(self.0)
            .attribute(logical, attribute)
            .unwrap_or_else(|_| Value::String(format!("{{{{pending:{logical}.{attribute}}}}}"))))
    }
}

impl Frame {
    /// Reads `d`'s template with its parameters; errors are AWS's ValidationError messages.
    pub fn new(d: &Deployment, place: Place) -> Result<Frame, String> {
        let template = template::read(&d.template).map_err(|e| e.to_string())?;
        let mut params = HashMap::new();
        for (name, decl) in &template.parameters {
            let value = d
                .resolved
                .iter()
                .chain(d.parameters.iter())
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let v = if decl.is_list() {
                Value::Array(
                    value
                        .split(',')
                        .map(|s| Value::String(s.trim().to_string()))
                        .collect(),
                )
            } else {
                Value::String(value)
            };
            params.insert(name.clone(), v);
        }
        let mut frame = Frame {
            template,
            params,
            conditions: HashMap::new(),
            place,
            budget: super::template::intrinsics::Budget::default(),
        };
        let empty = IndexMap::new();
        let conditions = frame.scope(&Working(&empty)).evaluate_conditions()?;
        frame.conditions = conditions;
        // An output shown whatever the conditions cannot read a resource they leave out.
        for o in frame.template.outputs.values() {
            let shown = o
                .condition
                .as_ref()
                .is_none_or(|c| frame.conditions.get(c).copied().unwrap_or(false));
            if !shown {
                continue;
            }
            let left_out = super::template::unconditional_references(&o.value)
                .into_iter()
                .find(|t| {
                    frame.template.resources.contains_key(&t.name) && !frame.included(&t.name)
                });
            if let Some(t) = left_out {
                return Err(format!(
                    "Template format error: Unresolved resource dependencies [{}] in the Outputs block of the template",
                    t.name
                ));
            }
        }
        Ok(frame)
    }

    pub fn scope<'a>(&'a self, resources: &'a dyn Resources) -> Scope<'a> {
        Scope {
            budget: &self.budget,
            template: &self.template,
            parameters: &self.params,
            account: &self.place.account,
            region: &self.place.region,
            stack_name: &self.place.stack_name,
            stack_id: &self.place.stack_id,
            conditions: &self.conditions,
            resources,
        }
    }

    /// Whether the resource's condition (if any) holds.
    pub fn included(&self, logical: &str) -> bool {
        self.template
            .resources
            .get(logical)
            .and_then(|r| r.condition.as_ref())
            .is_none_or(|c| self.conditions.get(c).copied().unwrap_or(false))
    }

    /// The included resources in creation order.
    pub fn order(&self) -> Result<Vec<String>, String> {
        template::creation_order(&self.template, &|n| self.included(n))
    }

    /// The stack's outputs, evaluated over `resources`.
    pub fn outputs(&self, resources: &dyn Resources) -> Result<Vec<super::model::Output>, String> {
        let scope = self.scope(resources);
        let mut out = Vec::new();
        for (key, o) in &self.template.outputs {
            if let Some(c) = &o.condition {
                if !self.conditions.get(c).copied().unwrap_or(false) {
                    continue;
                }
            }
            let text = |v: Value| match v {
                Value::String(s) => s,
                Value::Array(a) => a
                    .iter()
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            };
            let value = scope.eval(&o.value)?.map(text).unwrap_or_default();
            let export = match &o.export {
                Some(e) => scope.eval(e)?.map(text),
                None => None,
            };
            out.push(super::model::Output {
                key: key.clone(),
                value,
                description: o.description.clone(),
                export,
            });
        }
        Ok(out)
    }

    /// What deploying this frame over `deployed` would change.
    pub fn changes(&self, deployed: &IndexMap<String, Resource>) -> Result<Vec<Change>, String> {
        let preview = Preview(deployed);
        let scope = self.scope(&preview);
        let mut out = Vec::new();
        let order = self.order()?;
        for logical in &order {
            let decl = &self.template.resources[logical];
            let props = scope.eval(&decl.properties)?.unwrap_or(Value::Null);
            match deployed.get(logical).filter(|r| live(r)) {
                None => out.push(Change {
                    action: "Add".into(),
                    logical: logical.clone(),
                    physical: None,
                    type_: decl.type_.clone(),
                    replacement: None,
                    properties: Vec::new(),
                }),
                Some(r) if r.type_ != decl.type_ => out.push(Change {
                    action: "Modify".into(),
                    logical: logical.clone(),
                    physical: r.physical.clone(),
                    type_: decl.type_.clone(),
                    replacement: Some("True".into()),
                    properties: Vec::new(),
                }),
                Some(r) if r.properties != props => out.push(Change {
                    action: "Modify".into(),
                    logical: logical.clone(),
                    physical: r.physical.clone(),
                    type_: decl.type_.clone(),
                    replacement: Some(
                        if replaces(&decl.type_, &r.properties, &props) {
                            "True"
                        } else {
                            "False"
                        }
                        .into(),
                    ),
                    properties: changed_properties(&r.properties, &props),
                }),
                Some(_) => {}
            }
        }
        for (logical, r) in deployed {
            if live(r) && !order.contains(logical) {
                out.push(Change {
                    action: "Remove".into(),
                    logical: logical.clone(),
                    physical: r.physical.clone(),
                    type_: r.type_.clone(),
                    replacement: None,
                    properties: Vec::new(),
                });
            }
        }
        Ok(out)
    }

    /// The outputs this frame would show over `deployed` (placeholders for what is not made).
    pub fn preview_outputs(
        &self,
        deployed: &IndexMap<String, Resource>,
    ) -> Result<Vec<super::model::Output>, String> {
        self.outputs(&Preview(deployed))
    }
}
