//! A template, read and checked: its sections as typed declarations, the errors CloudFormation
//! reports as "Template format error", and what a stack's parameters resolve to.

mod graph;
pub mod intrinsics;
pub mod parse;
mod refs;
mod refusal;

pub use graph::creation_order;
pub use refs::{references, unconditional_references};
pub use refusal::Refusal;

use indexmap::IndexMap;
use serde_json::Value;

/// A parameter's declaration.
#[derive(Debug, Clone, Default)]
pub struct Param {
    pub type_: String,
    pub default: Option<String>,
    pub allowed_values: Vec<String>,
    pub allowed_pattern: Option<String>,
    pub no_echo: bool,
    pub description: Option<String>,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub constraint_description: Option<String>,
}

impl Param {
    /// List types resolve to a list of strings rather than one string.
    pub fn is_list(&self) -> bool {
        self.type_ == "CommaDelimitedList"
            || self.type_.starts_with("List<")
            || self.type_ == "AWS::SSM::Parameter::Value<List<String>>"
            || self.type_ == "AWS::SSM::Parameter::Value<CommaDelimitedList>"
    }

    /// Whether the value given is the name of a Parameter Store parameter to read.
    pub fn reads_ssm(&self) -> bool {
        self.type_.starts_with("AWS::SSM::Parameter::Value<")
    }
}

/// A resource's declaration.
#[derive(Debug, Clone)]
pub struct ResourceDecl {
    pub type_: String,
    pub properties: Value,
    pub depends_on: Vec<String>,
    pub condition: Option<String>,
    pub deletion_policy: Option<String>,
    pub update_replace_policy: Option<String>,
}

#[derive(Debug, Clone)]
pub struct OutputDecl {
    pub value: Value,
    pub description: Option<String>,
    pub condition: Option<String>,
    pub export: Option<Value>,
}

/// A checked template.
#[derive(Debug, Clone)]
pub struct Template {
    pub description: Option<String>,
    pub parameters: IndexMap<String, Param>,
    pub mappings: Value,
    pub conditions: IndexMap<String, Value>,
    pub rules: IndexMap<String, Value>,
    pub resources: IndexMap<String, ResourceDecl>,
    pub outputs: IndexMap<String, OutputDecl>,
    /// The `Capabilities` a stack of this template must be created with.
    pub capabilities: Vec<&'static str>,
}

/// AWS's template quotas.
const MAX_RESOURCES: usize = 500;
const MAX_PARAMETERS: usize = 200;
const MAX_OUTPUTS: usize = 200;

const SECTIONS: [&str; 10] = [
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
];

const PARAM_TYPES: [&str; 5] = [
    "String",
    "Number",
    "List<Number>",
    "List<String>",
    "CommaDelimitedList",
];
const PSEUDO: [&str; 8] = [
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

pub fn is_pseudo(name: &str) -> bool {
    PSEUDO.contains(&name)
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().filter_map(text).collect(),
        Value::Null => Vec::new(),
        other => text(other).into_iter().collect(),
    }
}

/// Parses and checks a template body, refusing it as CloudFormation does.
pub fn read(body: &str) -> Result<Template, Refusal> {
    if body.len() > parse::MAX_BODY {
        return Err(Refusal::Format(format!(
            "the template body is {} bytes, more than the {} bytes allowed inline.",
            body.len(),
            parse::MAX_BODY
        )));
    }
    let root = parse::parse(body)?;
    if let Some(null) = refusal::first_null(&root) {
        return Err(null);
    }
    let Value::Object(top) = &root else {
        return Err(Refusal::Format(
            "template is not a JSON or YAML object.".into(),
        ));
    };
    for key in top.keys() {
        if !SECTIONS.contains(&key.as_str()) {
            return Err(Refusal::Format(format!(
                "Invalid template property or properties [{key}]"
            )));
        }
    }
    if let Some(v) = top.get("AWSTemplateFormatVersion") {
        if text(v).as_deref() != Some("2010-09-09") {
            return Err(Refusal::Format(format!(
                "'{}' is not a supported AWSTemplateFormatVersion value.",
                text(v).unwrap_or_default()
            )));
        }
    }
    if let Some(t) = top.get("Transform") {
        return Err(Refusal::Format(format!(
            "Transform {} is not supported by LocalEmu (macros and AWS::Serverless are not run locally).",
            strings(t).join(", ")
        )));
    }
    let mut template = Template {
        description: top.get("Description").and_then(text),
        parameters: IndexMap::new(),
        mappings: top.get("Mappings").cloned().unwrap_or(Value::Null),
        conditions: IndexMap::new(),
        rules: IndexMap::new(),
        resources: IndexMap::new(),
        outputs: IndexMap::new(),
        capabilities: Vec::new(),
    };
    refusal::check_mappings(top.get("Mappings"))?;
    read_parameters(top.get("Parameters"), &mut template)?;
    if let Some(Value::Object(c)) = top.get("Conditions") {
        template.conditions = c.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    }
    if let Some(Value::Object(r)) = top.get("Rules") {
        template.rules = r.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    }
    read_resources(top.get("Resources"), &mut template)?;
    read_outputs(top.get("Outputs"), &mut template)?;
    graph::check_references(&template)?;
    if let Some(unknown) = refusal::unknown_attribute(top.get("Resources")) {
        return Err(unknown);
    }
    Ok(template)
}

fn read_parameters(section: Option<&Value>, t: &mut Template) -> Result<(), String> {
    let Some(section) = section else {
        return Ok(());
    };
    let Value::Object(params) = section else {
        return Err("Parameters must be an object.".into());
    };
    if params.len() > MAX_PARAMETERS {
        return Err(format!(
            "Number of parameters, {}, is greater than maximum allowed, {MAX_PARAMETERS}",
            params.len()
        ));
    }
    for (name, decl) in params {
        let Value::Object(d) = decl else {
            return Err(format!(
                "Invalid parameter property: {name} must be an object"
            ));
        };
        let Some(type_) = d.get("Type").and_then(text) else {
            return Err(format!(
                "Every Parameters object must contain a Type member. ({name})"
            ));
        };
        let known = PARAM_TYPES.contains(&type_.as_str())
            || type_.starts_with("AWS::")
            || type_.starts_with("List<AWS::");
        if !known {
            return Err(format!("Unrecognized parameter type: {type_}"));
        }
        let num = |k: &str| d.get(k).and_then(text).and_then(|s| s.parse::<f64>().ok());
        t.parameters.insert(
            name.clone(),
            Param {
                type_,
                default: d.get("Default").map(|v| match v {
                    Value::Array(_) => strings(v).join(","),
                    other => text(other).unwrap_or_default(),
                }),
                allowed_values: d.get("AllowedValues").map(strings).unwrap_or_default(),
                allowed_pattern: d.get("AllowedPattern").and_then(text),
                no_echo: d
                    .get("NoEcho")
                    .and_then(text)
                    .is_some_and(|s| s.eq_ignore_ascii_case("true")),
                description: d.get("Description").and_then(text),
                min_length: num("MinLength").map(|n| n as usize),
                max_length: num("MaxLength").map(|n| n as usize),
                min_value: num("MinValue"),
                max_value: num("MaxValue"),
                constraint_description: d.get("ConstraintDescription").and_then(text),
            },
        );
    }
    Ok(())
}

fn read_resources(section: Option<&Value>, t: &mut Template) -> Result<(), String> {
    let resources = match section {
        None => return Err("At least one Resources member must be defined.".into()),
        Some(Value::Object(resources)) => resources,
        Some(_) => return Err("Any Resources member must be an object.".into()),
    };
    if resources.is_empty() {
        return Err("At least one Resources member must be defined.".into());
    }
    if resources.len() > MAX_RESOURCES {
        return Err(format!(
            "Number of resources, {}, is greater than maximum allowed, {MAX_RESOURCES}",
            resources.len()
        ));
    }
    let type_shape = regex::Regex::new(
        r"^(?:[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+|Custom::[A-Za-z0-9_@-]+)$",
    )
    .map_err(|e| e.to_string())?;
    let mut unrecognized = Vec::new();
    for (name, decl) in resources {
        if !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!("Resource name {name} is non alphanumeric."));
        }
        let Value::Object(d) = decl else {
            return Err(format!(
                "[/Resources/{name}] resource definition is malformed"
            ));
        };
        let Some(type_) = d.get("Type").and_then(text) else {
            return Err(format!(
                "[/Resources/{name}] Every Resources object must contain a Type member."
            ));
        };
        if !type_shape.is_match(&type_) {
            unrecognized.push(type_.clone());
        }
        match type_.as_str() {
            "AWS::IAM::Role" | "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                let named = d.get("Properties").is_some_and(|p| {
                    p.get("RoleName").is_some() || p.get("ManagedPolicyName").is_some()
                });
                let cap = if named {
                    "CAPABILITY_NAMED_IAM"
                } else {
                    "CAPABILITY_IAM"
                };
                if !t.capabilities.contains(&cap) {
                    t.capabilities.push(cap);
                }
            }
            _ => {}
        }
        let properties = d
            .get("Properties")
            .cloned()
            .unwrap_or(Value::Object(serde_json::Map::new()));
        if !properties.is_object() {
            return Err(format!(
                "[/Resources/{name}/Properties] 'Properties' must be an object"
            ));
        }
        t.resources.insert(
            name.clone(),
            ResourceDecl {
                type_,
                properties,
                depends_on: d.get("DependsOn").map(strings).unwrap_or_default(),
                condition: d.get("Condition").and_then(text),
                deletion_policy: d.get("DeletionPolicy").and_then(text),
                update_replace_policy: d.get("UpdateReplacePolicy").and_then(text),
            },
        );
    }
    if !unrecognized.is_empty() {
        return Err(format!(
            "Unrecognized resource types: [{}]",
            unrecognized.join(", ")
        ));
    }
    Ok(())
}

fn read_outputs(section: Option<&Value>, t: &mut Template) -> Result<(), String> {
    let Some(Value::Object(outputs)) = section else {
        return Ok(());
    };
    if outputs.len() > MAX_OUTPUTS {
        return Err(format!(
            "Number of outputs, {}, is greater than maximum allowed, {MAX_OUTPUTS}",
            outputs.len()
        ));
    }
    for (name, decl) in outputs {
        let Some(value) = decl.get("Value") else {
            return Err("Every Outputs member must contain a Value object".into());
        };
        t.outputs.insert(
            name.clone(),
            OutputDecl {
                value: value.clone(),
                description: decl.get("Description").and_then(text),
                condition: decl.get("Condition").and_then(text),
                export: decl.get("Export").and_then(|e| e.get("Name")).cloned(),
            },
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests;
