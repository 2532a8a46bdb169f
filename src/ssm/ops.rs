//! Parameter Store's writes (PutParameter, deletes, labels, tags) and single reads, with
//! AWS's name rules, limits and selectors.

use super::names::{check_hierarchy, check_name, plain_name, read_name};
use super::{
    context, key_error, not_found, parameter_arn, Parameter, Ssm, Version, ADVANCED_MAX, MAX_TAGS,
    MAX_VERSIONS, STANDARD_MAX,
};
use crate::domain::caller::Caller;
pub(super) use crate::generated::ssm::Answer;
use crate::generated::ssm::{self as g, Operation};
use crate::generated::ssm::{Error, ErrorCode, Result};
pub(super) use crate::wire::answer as ok;
use crate::wire::Ticket;

/// Operations that change nothing.
pub fn reads_only(op: Operation) -> bool {
    use Operation as O;
    matches!(
        op,
        O::GetParameter
            | O::GetParameters
            | O::GetParametersByPath
            | O::DescribeParameters
            | O::GetParameterHistory
            | O::ListTagsForResource
    )
}

/// `name`, `name:3` (a version) or `name:label`.
pub(super) enum Selector {
    Current,
    Version(i64),
    Label(String),
}

pub(super) fn split_selector(id: &str) -> (String, Selector) {
    let base = plain_name(id);
    // Names never contain ':', so one here starts a selector.
    match base.rsplit_once(':') {
        Some((name, sel)) => {
            let selector = match sel.parse::<i64>() {
                Ok(n) => Selector::Version(n),
                Err(_) => Selector::Label(sel.to_string()),
            };
            (name.to_string(), selector)
        }
        None => (base, Selector::Current),
    }
}

/// Finds the version a selector names.
pub(super) fn select<'a>(p: &'a Parameter, sel: &Selector) -> Result<&'a Version> {
    let missing = |what: String| {
        Error::new(
            ErrorCode::ParameterVersionNotFound,
            format!(
                "Systems Manager could not find version {what} of {}. Verify the version and try again.",
                p.name
            ),
        )
    };
    match sel {
        Selector::Current => p.current().ok_or_else(not_found),
        Selector::Version(n) => p
            .versions
            .iter()
            .find(|v| v.version == *n)
            .ok_or_else(|| missing(n.to_string())),
        Selector::Label(l) => p
            .versions
            .iter()
            .find(|v| v.labels.contains(l))
            .ok_or_else(|| missing(l.clone())),
    }
}

impl Ssm {
    /// The answer for one version of a parameter.
    pub(super) fn shown(
        &self,
        cx: &Caller,
        p: &Parameter,
        v: &Version,
        selector: Option<&str>,
        decrypt: bool,
    ) -> Result<g::Parameter> {
        Ok(g::Parameter {
            name: Some(p.name.clone()),
            type_: Some(v.type_.clone()),
            value: Some(self.shown_value(cx, &cx.namespace, &p.name, v, decrypt)?),
            version: Some(v.version),
            selector: selector.map(str::to_string),
            last_modified_date: Some(v.modified as f64 / 1000.0),
            arn: Some(parameter_arn(&cx.namespace, &p.name)),
            data_type: Some(v.data_type.clone()),
            ..Default::default()
        })
    }

    /// One GetParameter (also for each name of GetParameters).
    pub(super) fn get_one(&self, cx: &Caller, id: &str, decrypt: bool) -> Result<g::Parameter> {
        if super::reference::is_reference(id) {
            return self.reference(cx, id, decrypt);
        }
        let (name, sel) = split_selector(id);
        if super::public::is_public(&name) {
            return public_one(cx, &name, &sel);
        }
        check_hierarchy(&name)?;
        let Some(p) = self.get(&cx.namespace, &name) else {
            if name == super::public::CDK_BOOTSTRAP && matches!(sel, Selector::Current) {
                return Ok(super::public::cdk_bootstrap(&cx.namespace));
            }
            return Err(not_found());
        };
        let v = select(&p, &sel)?;
        // A selector given comes back as AWS shows it: `:3` or `:label`.
        let selector = match sel {
            Selector::Current => None,
            _ => plain_name(id)
                .rsplit_once(':')
                .map(|(_, s)| format!(":{s}")),
        };
        self.shown(cx, &p, v, selector.as_deref(), decrypt)
    }
}

/// A public parameter (each has one version, 1).
fn public_one(cx: &Caller, name: &str, sel: &Selector) -> Result<g::Parameter> {
    let mut p = super::public::get(&cx.namespace, name).ok_or_else(not_found)?;
    match sel {
        Selector::Current => {}
        Selector::Version(1) => p.selector = Some(":1".into()),
        Selector::Version(n) => {
            return Err(Error::new(
                ErrorCode::ParameterVersionNotFound,
                format!(
                    "Systems Manager could not find version {n} of {name}. Verify the version and try again."
                ),
            ))
        }
        Selector::Label(l) => {
            return Err(Error::new(
                ErrorCode::ParameterVersionNotFound,
                format!(
                    "Systems Manager could not find version {l} of {name}. Verify the version and try again."
                ),
            ))
        }
    }
    Ok(p)
}

/// The data types a parameter may declare.
const DATA_TYPES: [&str; 16] = [
    "text",
    "aws:ec2:image",
    "aws:ssm:integration",
    "aws:region",
    "aws:account:id",
    "boolean",
    "integer",
    "float",
    "binary",
    "hostname",
    "email",
    "ipv4-address",
    "ipv6-address",
    "url",
    "json",
    "jsonc",
];

/// Checks a value PutParameter is given. Returns whether it also passes the check AWS makes
/// after answering: an `aws:ec2:image` value that is not an AMI id is accepted, then never
/// stored.
fn check_value(value: &str, tier: &str, type_: &str, data_type: &str) -> Result<bool> {
    if value.is_empty() {
        return Err(Error::validation(
            "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    if !DATA_TYPES.contains(&data_type) {
        return Err(Error::validation(format!(
            "The following data type is not supported: {data_type} (Data type names are all lowercase.)"
        )));
    }
    let max = if tier == "Standard" {
        STANDARD_MAX
    } else {
        ADVANCED_MAX
    };
    if value.len() > max {
        return Err(Error::validation(if tier == "Standard" {
            "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier."
        } else {
            "Advanced tier parameters support a maximum parameter value of 8192 characters."
        }));
    }
    if type_ == "StringList" && value.split(',').any(str::is_empty) {
        return Err(Error::validation("StringList values may not be empty."));
    }
    if data_type == "aws:ec2:image" {
        return Ok(value.strip_prefix("ami-").is_some_and(|h| {
            (h.len() == 8 || h.len() == 17) && h.bytes().all(|b| b.is_ascii_hexdigit())
        }));
    }
    Ok(true)
}

impl g::PutParameter for Ssm {
    fn put_parameter(
        &self,
        cx: &Caller,
        i: g::PutParameterRequest,
    ) -> Answer<g::PutParameterResult> {
        let name = i.name.unwrap_or_default();
        check_name(&name)?;
        let value = i.value.unwrap_or_default();
        let existing = self.get(&cx.namespace, &name);
        let overwrite = i.overwrite.unwrap_or(false);
        if existing.is_some() && !overwrite {
            return Err(Error::new(
                ErrorCode::ParameterAlreadyExists,
                "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
            ));
        }
        if overwrite && i.tags.as_ref().is_some_and(|t| !t.is_empty()) && existing.is_some() {
            return Err(Error::validation(
                "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.",
            ));
        }
        let last = existing.as_ref().and_then(Parameter::current).cloned();
        let last = last.as_ref();
        let type_ = i
            .type_
            .or_else(|| last.map(|v| v.type_.clone()))
            .ok_or_else(|| {
                Error::validation("A parameter type is required when you create a parameter.")
            })?;
        if i.key_id.is_some() && type_ != "SecureString" {
            return Err(Error::validation(
                "KeyId is required for SecureString type parameter only.",
            ));
        }
        let tier = match i.tier.as_deref() {
            Some("Intelligent-Tiering") | None => {
                let keep = last.map_or_else(|| "Standard".into(), |v| v.tier.clone());
                if keep == "Standard" && value.len() > STANDARD_MAX {
                    "Advanced".into()
                } else {
                    keep
                }
            }
            Some(t) => {
                if t == "Standard" && last.is_some_and(|v| v.tier == "Advanced") {
                    return Err(Error::validation(
                        "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.",
                    ));
                }
                t.to_string()
            }
        };
        let data_type = i
            .data_type
            .or_else(|| last.map(|v| v.data_type.clone()))
            .unwrap_or_else(|| "text".into());
        let passes = check_value(&value, &tier, &type_, &data_type)?;
        let allowed = i
            .allowed_pattern
            .or_else(|| last.and_then(|v| v.allowed_pattern.clone()));
        if let Some(pattern) = &allowed {
            let re = regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|_| {
                Error::new(
                    ErrorCode::InvalidAllowedPatternException,
                    "The allowed pattern is not a valid regular expression.",
                )
            })?;
            if !re.is_match(&value) {
                return Err(Error::new(
                    ErrorCode::ParameterPatternMismatchException,
                    format!(
                        "Parameter value, cannot be validated against allowedPattern: {pattern}"
                    ),
                ));
            }
        }
        let mut p = existing.unwrap_or_else(|| Parameter {
            name: name.clone(),
            versions: Vec::new(),
            tags: Vec::new(),
        });
        if let Some(tags) = i.tags {
            if tags.len() > MAX_TAGS {
                return Err(Error::new(
                    ErrorCode::TooManyTagsError,
                    "The request contains more than 50 tags.",
                ));
            }
            p.tags = tags
                .into_iter()
                .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
                .collect();
        }
        if p.versions.len() >= MAX_VERSIONS {
            let oldest = &p.versions[0];
            if !oldest.labels.is_empty() {
                return Err(Error::new(
                    ErrorCode::ParameterMaxVersionLimitExceeded,
                    format!(
                        "You attempted to create a new version of {name} by calling the PutParameter API with the overwrite flag. Version {}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.",
                        oldest.version
                    ),
                ));
            }
            p.versions.remove(0);
        }
        let (key_id, stored) = if type_ == "SecureString" {
            let (key, blob) = self
                .kms
                .encrypt_for(
                    cx,
                    i.key_id.as_deref(),
                    "alias/aws/ssm",
                    value.as_bytes(),
                    // The stored name: a parameter keeps the spelling it was created with.
                    &context(&cx.namespace, &p.name),
                )
                .map_err(key_error)?;
            (Some(i.key_id.unwrap_or(key)), blob)
        } else {
            (None, value.into_bytes())
        };
        let version = p.current().map_or(1, |v| v.version + 1);
        p.versions.push(Version {
            version,
            value: stored,
            type_,
            key_id,
            description: i
                .description
                .or_else(|| last.and_then(|v| v.description.clone())),
            allowed_pattern: allowed,
            tier: tier.clone(),
            data_type,
            modified: self.now(),
            user: cx.arn().to_string(),
            labels: Vec::new(),
        });
        // AWS answers before it checks an AMI id; one that fails the check is not stored.
        let ticket = if passes {
            self.save(&cx.namespace, &name, Some(p))
        } else {
            Ticket::ready()
        };
        ok(
            g::PutParameterResult {
                version: Some(version),
                tier: Some(tier),
            },
            ticket,
        )
    }
}

impl g::GetParameter for Ssm {
    fn get_parameter(
        &self,
        cx: &Caller,
        i: g::GetParameterRequest,
    ) -> Answer<g::GetParameterResult> {
        let p = self.get_one(
            cx,
            &i.name.unwrap_or_default(),
            i.with_decryption.unwrap_or(false),
        )?;
        ok(
            g::GetParameterResult { parameter: Some(p) },
            Ticket::ready(),
        )
    }
}

impl g::GetParameters for Ssm {
    fn get_parameters(
        &self,
        cx: &Caller,
        i: g::GetParametersRequest,
    ) -> Answer<g::GetParametersResult> {
        let decrypt = i.with_decryption.unwrap_or(false);
        let (mut found, mut invalid) = (Vec::new(), Vec::new());
        for id in i.names.unwrap_or_default() {
            match self.get_one(cx, &id, decrypt) {
                Ok(p) => found.push(p),
                Err(e)
                    if e.code == ErrorCode::ParameterNotFound
                        || e.code == ErrorCode::ParameterVersionNotFound =>
                {
                    invalid.push(id);
                }
                Err(e) => return Err(e),
            }
        }
        ok(
            g::GetParametersResult {
                parameters: Some(found),
                invalid_parameters: Some(invalid),
            },
            Ticket::ready(),
        )
    }
}

impl g::DeleteParameter for Ssm {
    fn delete_parameter(
        &self,
        cx: &Caller,
        i: g::DeleteParameterRequest,
    ) -> Answer<g::DeleteParameterResult> {
        let id = i.name.unwrap_or_default();
        if super::reference::is_reference(&id) {
            return Err(super::reference::unsupported("DeleteParameter"));
        }
        let name = read_name(&id)?;
        self.get(&cx.namespace, &name).ok_or_else(not_found)?;
        let ticket = self.save(&cx.namespace, &name, None);
        ok(g::DeleteParameterResult {}, ticket)
    }
}

impl g::DeleteParameters for Ssm {
    fn delete_parameters(
        &self,
        cx: &Caller,
        i: g::DeleteParametersRequest,
    ) -> Answer<g::DeleteParametersResult> {
        let (mut deleted, mut invalid, mut ticket) = (Vec::new(), Vec::new(), Ticket::ready());
        for id in i.names.unwrap_or_default() {
            let name = plain_name(&id);
            if self.get(&cx.namespace, &name).is_some() {
                ticket = self.save(&cx.namespace, &name, None);
                deleted.push(id);
            } else {
                invalid.push(id);
            }
        }
        ok(
            g::DeleteParametersResult {
                deleted_parameters: Some(deleted),
                invalid_parameters: Some(invalid),
            },
            ticket,
        )
    }
}
