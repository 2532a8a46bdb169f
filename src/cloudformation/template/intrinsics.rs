//! The intrinsic functions: what a template value evaluates to once parameters, pseudo
//! parameters, conditions and the resources created so far are known; and which names a
//! value refers to (for the creation order and the template checks).

use super::refs::{condition_names, sub_pieces, Piece};
use super::Template;
use base64::Engine;
use serde_json::{Map, Value};
use std::collections::HashMap;

const SELECT_MALFORMED: &str =
    "Template error: Fn::Select requires a list argument with two elements: an integer index and a list";

/// A name a value refers to: `Ref X` (attribute false) or `Fn::GetAtt [X, ...]` (true).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub attribute: bool,
}

/// What evaluation reads from the stack being worked on.
pub trait Resources {
    /// What `Ref` of a created resource returns; None if it is not created.
    fn reference(&self, logical: &str) -> Option<String>;
    /// What `Fn::GetAtt` returns.
    fn attribute(&self, logical: &str, attribute: &str) -> Result<Value, String>;
}

/// The most text (and list members) a stack operation's functions may produce, all values
/// together: a small template can otherwise multiply its input without bound (`Fn::Sub` of a
/// parameter repeated thousands of times, or nested eight deep), and every evaluated value is
/// kept in the stack's record.
pub const MAX_EVALUATED: usize = 8 * 1024 * 1024;

/// What one stack operation's evaluations have produced so far (see [`MAX_EVALUATED`]).
#[derive(Debug, Default)]
pub struct Budget(std::sync::atomic::AtomicUsize);

impl Budget {
    fn spend(&self, bytes: usize) -> Result<(), String> {
        use std::sync::atomic::Ordering;
        let before = self.0.fetch_add(bytes, Ordering::Relaxed);
        if before.saturating_add(bytes) > MAX_EVALUATED {
            return Err(fail(format!(
                "Template error: the template's intrinsic functions evaluate to more than \
                 {MAX_EVALUATED} bytes"
            )));
        }
        Ok(())
    }
}

/// The size a value counts for against the [`Budget`].
fn size_of(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len(),
        Value::Array(items) => items.iter().map(size_of).sum::<usize>() + items.len(),
        Value::Object(m) => m.iter().map(|(k, v)| k.len() + size_of(v)).sum(),
        _ => 8,
    }
}

/// Everything an evaluation may read.
pub struct Scope<'a> {
    /// Shared by every evaluation of one stack operation.
    pub budget: &'a Budget,
    pub template: &'a Template,
    /// Parameter values: a string, or an array for list types.
    pub parameters: &'a HashMap<String, Value>,
    pub account: &'a str,
    pub region: &'a str,
    pub stack_name: &'a str,
    pub stack_id: &'a str,
    pub conditions: &'a HashMap<String, bool>,
    pub resources: &'a dyn Resources,
}

/// How a value a change set cannot know yet begins (a resource not created: see
/// `plan::Preview`). Functions over such a value give an unknown value rather than fail: AWS
/// evaluates them only when the resource exists.
pub const UNKNOWN: &str = "{{pending:";

fn unknown(v: &Value) -> bool {
    matches!(v, Value::String(s) if s.contains(UNKNOWN))
}

fn fail(msg: impl Into<String>) -> String {
    msg.into()
}

fn as_text(v: &Value, what: &str) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(fail(format!("Template error: {what} must be a string"))),
    }
}

impl Scope<'_> {
    /// A value with every intrinsic function replaced by its result; None is `AWS::NoValue`.
    pub fn eval(&self, v: &Value) -> Result<Option<Value>, String> {
        self.eval_at(v, 0)
    }

    fn eval_at(&self, v: &Value, depth: usize) -> Result<Option<Value>, String> {
        if depth > 64 {
            return Err(fail("Template error: functions nest too deeply"));
        }
        match v {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    if let Some(x) = self.eval_at(i, depth + 1)? {
                        out.push(x);
                    }
                }
                Ok(Some(Value::Array(out)))
            }
            Value::Object(m) if m.len() == 1 => {
                let (k, arg) = m
                    .iter()
                    .next()
                    .map_or(("", &Value::Null), |(k, v)| (k.as_str(), v));
                if k == "Ref" || k == "Condition" || k.starts_with("Fn::") {
                    return self.function(k, arg, depth);
                }
                self.object(m, depth)
            }
            Value::Object(m) => self.object(m, depth),
            other => Ok(Some(other.clone())),
        }
    }

    fn object(&self, m: &Map<String, Value>, depth: usize) -> Result<Option<Value>, String> {
        let mut out = Map::new();
        for (k, v) in m {
            if let Some(x) = self.eval_at(v, depth + 1)? {
                out.insert(k.clone(), x);
            }
        }
        Ok(Some(Value::Object(out)))
    }

    fn must(&self, v: &Value, depth: usize) -> Result<Value, String> {
        Ok(self.eval_at(v, depth + 1)?.unwrap_or(Value::Null))
    }

    /// `Ref` of a parameter, pseudo parameter or resource.
    pub fn reference(&self, name: &str) -> Result<Option<Value>, String> {
        if let Some(v) = self.parameters.get(name) {
            return Ok(Some(v.clone()));
        }
        Ok(Some(Value::String(match name {
            "AWS::NoValue" => return Ok(None),
            "AWS::AccountId" => self.account.to_string(),
            "AWS::Region" => self.region.to_string(),
            "AWS::StackName" => self.stack_name.to_string(),
            "AWS::StackId" => self.stack_id.to_string(),
            "AWS::Partition" => "aws".into(),
            "AWS::URLSuffix" => "amazonaws.com".into(),
            "AWS::NotificationARNs" => return Ok(Some(Value::Array(Vec::new()))),
            _ => self.resources.reference(name).ok_or_else(|| {
                fail(format!(
                    "Template format error: Unresolved resource dependencies [{name}] in the Resources block of the template"
                ))
            })?,
        })))
    }

    /// Whether condition `name` holds.
    pub fn condition(&self, name: &str) -> Result<bool, String> {
        self.conditions.get(name).copied().ok_or_else(|| {
            fail(format!(
                "Template format error: Unresolved dependencies [{name}]. Cannot reference resources in the Conditions block of the template"
            ))
        })
    }

    fn boolean(&self, v: &Value, depth: usize) -> Result<bool, String> {
        match self.must(v, depth)? {
            Value::Bool(b) => Ok(b),
            Value::String(s) if s == "true" => Ok(true),
            Value::String(s) if s == "false" => Ok(false),
            _ => Err(fail(
                "Template error: a condition function must evaluate to a boolean",
            )),
        }
    }

    fn list(&self, v: &Value, depth: usize, what: &str) -> Result<Vec<Value>, String> {
        match self.must(v, depth)? {
            Value::Array(a) => Ok(a),
            _ => Err(fail(format!("Template error: {what} requires a list"))),
        }
    }

    fn function(&self, name: &str, arg: &Value, depth: usize) -> Result<Option<Value>, String> {
        let value = self.apply(name, arg, depth)?;
        // Fn::Sub, Fn::Join and Fn::Split count what they make as they make it.
        if !matches!(name, "Fn::Sub" | "Fn::Join" | "Fn::Split") {
            if let Some(v) = &value {
                self.budget.spend(size_of(v))?;
            }
        }
        Ok(value)
    }

    fn apply(&self, name: &str, arg: &Value, depth: usize) -> Result<Option<Value>, String> {
        let args = |n: usize| -> Result<&Vec<Value>, String> {
            match arg {
                Value::Array(a) if a.len() == n => Ok(a),
                _ => Err(fail(format!(
                    "Template error: {name} requires a list of {n} arguments"
                ))),
            }
        };
        Ok(Some(match name {
            "Ref" => {
                let target = as_text(arg, "Ref")?;
                return self.reference(&target);
            }
            "Condition" => Value::Bool(self.condition(&as_text(arg, "Condition")?)?),
            "Fn::GetAtt" => {
                let (res, attr) = match arg {
                    Value::Array(a) if a.len() == 2 => (
                        as_text(&a[0], "Fn::GetAtt")?,
                        as_text(&self.must(&a[1], depth)?, "Fn::GetAtt")?,
                    ),
                    Value::String(s) => match s.split_once('.') {
                        Some((r, a)) => (r.to_string(), a.to_string()),
                        None => return Err(fail("Template error: every Fn::GetAtt object requires two non-empty parameters, the resource name and the resource attribute")),
                    },
                    _ => return Err(fail("Template error: every Fn::GetAtt object requires two non-empty parameters, the resource name and the resource attribute")),
                };
                self.resources.attribute(&res, &attr)?
            }
            "Fn::Sub" => Value::String(self.sub(arg, depth)?),
            "Fn::Join" => {
                let a = args(2)?;
                let delim = as_text(&a[0], "Fn::Join delimiter")?;
                let list = self.must(&a[1], depth)?;
                if unknown(&list) {
                    return Ok(Some(list));
                }
                let items = self.list(&list, depth, "Fn::Join")?;
                let parts: Vec<String> = items
                    .iter()
                    .map(|i| as_text(i, "Fn::Join list member"))
                    .collect::<Result<_, _>>()?;
                let joined = parts.iter().map(String::len).sum::<usize>()
                    + delim.len() * parts.len().saturating_sub(1);
                self.budget.spend(joined)?;
                Value::String(parts.join(&delim))
            }
            "Fn::Select" => {
                // AWS gives one reason for every malformed Fn::Select, an index past the
                // list's end included.
                let malformed = || fail(SELECT_MALFORMED);
                let Value::Array(a) = arg else {
                    return Err(malformed());
                };
                let [index, list] = a.as_slice() else {
                    return Err(malformed());
                };
                let index = as_text(&self.must(index, depth)?, "Fn::Select index")
                    .map_err(|_| malformed())?;
                let list = self.must(list, depth)?;
                if unknown(&list) {
                    return Ok(Some(list));
                }
                let Value::Array(items) = list else {
                    return Err(malformed());
                };
                let i: usize = index.parse().map_err(|_| malformed())?;
                // A list made from an unknown value may be longer once it is known.
                if i >= items.len() && items.iter().any(unknown) {
                    return Ok(Some(Value::String(format!("{UNKNOWN}Fn::Select}}}}"))));
                }
                items.get(i).cloned().ok_or_else(malformed)?
            }
            "Fn::Split" => {
                let a = match arg {
                    Value::Array(a) if a.len() == 2 => a,
                    _ => return Err(fail("Template error: every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string to be split or a function that returns a string to be split.")),
                };
                let delim = as_text(&a[0], "Fn::Split delimiter")?;
                let source = as_text(&self.must(&a[1], depth)?, "Fn::Split source")?;
                if delim.is_empty() {
                    return Err(fail("Template error: Fn::Split requires a non-empty delimiter"));
                }
                if source.contains(UNKNOWN) {
                    return Ok(Some(Value::String(source)));
                }
                // Each member costs more than its text: counted before the list is built.
                let members = source.matches(delim.as_str()).count() + 1;
                self.budget.spend(members.saturating_mul(64))?;
                Value::Array(source.split(delim.as_str()).map(|s| Value::String(s.into())).collect())
            }
            "Fn::If" => {
                let a = args(3)?;
                let cond = as_text(&a[0], "Fn::If condition")?;
                if !self.conditions.contains_key(&cond) {
                    return Err(fail(format!(
                        "Template error: unresolved condition dependency {cond} in Fn::If"
                    )));
                }
                let branch = if self.condition(&cond)? { &a[1] } else { &a[2] };
                return self.eval_at(branch, depth + 1);
            }
            "Fn::Equals" => {
                let a = match arg {
                    Value::Array(a) if a.len() == 2 => a,
                    _ => return Err(fail("Template error: every Fn::Equals object requires a list of 2 string parameters.")),
                };
                let l = self.must(&a[0], depth)?;
                let r = self.must(&a[1], depth)?;
                Value::Bool(loose_text(&l) == loose_text(&r))
            }
            "Fn::And" | "Fn::Or" => {
                let Value::Array(a) = arg else {
                    return Err(fail(format!("Template error: {name} requires a list")));
                };
                if !(2..=10).contains(&a.len()) {
                    return Err(fail(format!(
                        "Template error: {name} requires between 2 and 10 conditions"
                    )));
                }
                let mut values = Vec::new();
                for c in a {
                    values.push(self.boolean(c, depth)?);
                }
                Value::Bool(if name == "Fn::And" {
                    values.iter().all(|b| *b)
                } else {
                    values.iter().any(|b| *b)
                })
            }
            "Fn::Not" => {
                let a = args(1)?;
                Value::Bool(!self.boolean(&a[0], depth)?)
            }
            "Fn::Contains" => {
                let a = args(2)?;
                let items = self.list(&a[0], depth, "Fn::Contains")?;
                let x = loose_text(&self.must(&a[1], depth)?);
                Value::Bool(items.iter().any(|i| loose_text(i) == x))
            }
            "Fn::FindInMap" => self.find_in_map(arg, depth)?,
            "Fn::Base64" => {
                let s = as_text(&self.must(arg, depth)?, "Fn::Base64")?;
                Value::String(base64::engine::general_purpose::STANDARD.encode(s))
            }
            "Fn::GetAZs" => {
                let r = as_text(&self.must(arg, depth)?, "Fn::GetAZs")?;
                let r = if r.is_empty() { self.region.to_string() } else { r };
                Value::Array(["a", "b", "c"].iter().map(|z| Value::String(format!("{r}{z}"))).collect())
            }
            other => {
                return Err(fail(format!(
                    "Template format error: Unsupported function {other}: LocalEmu does not evaluate it"
                )))
            }
        }))
    }

    fn find_in_map(&self, arg: &Value, depth: usize) -> Result<Value, String> {
        let Value::Array(a) = arg else {
            return Err(fail("Template error: Fn::FindInMap requires a list"));
        };
        if a.len() != 3 && a.len() != 4 {
            return Err(fail("Template error: Fn::FindInMap requires 3 arguments"));
        }
        let key = |i: usize| -> Result<String, String> {
            as_text(&self.must(&a[i], depth)?, "Fn::FindInMap key")
        };
        let (map, top, second) = (key(0)?, key(1)?, key(2)?);
        let found = self.template.mappings.get(&map).map(|m| (m.get(&top), m));
        match found {
            Some((Some(t), _)) if t.get(&second).is_some() => Ok(t[&second].clone()),
            Some(_) => {
                if let Some(d) = a.get(3).and_then(|d| d.get("DefaultValue")) {
                    return self.must(d, depth);
                }
                Err(fail(format!(
                    "Template error: Unable to get mapping for {map}::{top}::{second}"
                )))
            }
            None => Err(fail(format!(
                "Template error: Unable to get mapping for {map}::{top}::{second}"
            ))),
        }
    }

    fn sub(&self, arg: &Value, depth: usize) -> Result<String, String> {
        let (text, vars) = match arg {
            Value::String(s) => (s.clone(), Map::new()),
            Value::Array(a) if a.len() == 2 => (
                as_text(&a[0], "Fn::Sub")?,
                match self.must(&a[1], depth)? {
                    Value::Object(m) => m,
                    _ => return Err(fail("Template error: Fn::Sub variables must be an object")),
                },
            ),
            _ => {
                return Err(fail(
                    "Template error: Fn::Sub requires a string or a list of two",
                ))
            }
        };
        let mut out = String::new();
        for piece in sub_pieces(&text) {
            match piece {
                Piece::Text(t) => {
                    self.budget.spend(t.len())?;
                    out.push_str(t);
                }
                Piece::Var(name) => {
                    let value = if let Some(v) = vars.get(name) {
                        v.clone()
                    } else if let Some((res, attr)) = name.split_once('.').filter(|(r, _)| {
                        !self.parameters.contains_key(*r) && !super::is_pseudo(name)
                    }) {
                        self.resources.attribute(res, attr)?
                    } else {
                        self.reference(name)?
                            .unwrap_or(Value::String(String::new()))
                    };
                    let text = as_text(&value, "Fn::Sub variable")?;
                    // Counted before it is copied, so an oversized result is never built.
                    self.budget.spend(text.len())?;
                    out.push_str(&text);
                }
            }
        }
        Ok(out)
    }
}

/// Values compared by Fn::Equals: numbers and booleans as their text.
fn loose_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Scope<'_> {
    /// Every condition of the template, evaluated with this scope's parameters (a condition
    /// may name others, declared in any order).
    pub fn evaluate_conditions(&self) -> Result<HashMap<String, bool>, String> {
        let mut known: HashMap<String, bool> = HashMap::new();
        let all = &self.template.conditions;
        while known.len() < all.len() {
            let mut progressed = false;
            for (name, c) in all {
                if known.contains_key(name) {
                    continue;
                }
                let mut needs = Vec::new();
                condition_names(c, &mut needs);
                if let Some(missing) = needs.iter().find(|n| !all.contains_key(*n)) {
                    return Err(format!(
                        "Template format error: Unresolved dependencies [{missing}]. Cannot reference resources in the Conditions block of the template"
                    ));
                }
                if !needs.iter().all(|n| known.contains_key(n)) {
                    continue;
                }
                let value = {
                    let s = Scope {
                        conditions: &known,
                        ..*self
                    };
                    s.boolean(c, 0)?
                };
                known.insert(name.clone(), value);
                progressed = true;
            }
            if !progressed {
                return Err("Template format error: Circular dependency between conditions".into());
            }
        }
        Ok(known)
    }
}
