//! Function management: CreateFunction, Get/List/Update/DeleteFunction.

use super::model::{configuration, supported_runtime, FunctionConfig, RESERVED_ENV};
use super::{code, function_arn, Lambda};
use crate::domain::Namespace;
use crate::generated::lambda as lm;
use crate::generated::lambda::{Error, ErrorCode, Result};
use crate::wire::{At, Ticket, Violations};
use std::collections::BTreeMap;
use std::sync::Arc;

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidParameterValueException, message)
}

fn check_environment(env: &BTreeMap<String, String>) -> Result<()> {
    let reserved: Vec<&str> = env
        .keys()
        .filter(|k| RESERVED_ENV.contains(&k.as_str()))
        .map(String::as_str)
        .collect();
    if reserved.is_empty() {
        return Ok(());
    }
    Err(invalid(format!(
        "Lambda was unable to configure your environment variables because the environment \
         variables you have provided contains reserved keys that are currently not supported \
         for modification. Reserved keys used in this request: {}",
        reserved.join(", ")
    )))
}

/// Runtimes AWS no longer lets a function be created or updated with.
const RETIRED_RUNTIMES: [&str; 19] = [
    "python2.7",
    "python3.6",
    "python3.7",
    "python3.8",
    "nodejs",
    "nodejs4.3",
    "nodejs4.3-edge",
    "nodejs6.10",
    "nodejs8.10",
    "nodejs10.x",
    "nodejs12.x",
    "nodejs14.x",
    "nodejs16.x",
    "java8",
    "go1.x",
    "ruby2.7",
    "dotnetcore3.1",
    "dotnet6",
    "provided",
];

fn check_runtime(runtime: &str) -> Result<()> {
    if supported_runtime(runtime) {
        return Ok(());
    }
    if RETIRED_RUNTIMES.contains(&runtime) {
        return Err(invalid(format!(
            "The runtime parameter of {runtime} is no longer supported for creating or updating \
             AWS Lambda functions. We recommend you use a supported runtime while creating or \
             updating functions."
        )));
    }
    Err(invalid(format!(
        "The runtime parameter of {runtime} is not supported by LocalEmu. Supported runtimes: \
         python3.9-python3.15, nodejs18.x-nodejs26.x, provided.al2, provided.al2023."
    )))
}

/// Lambda's service limits beyond the model's bounds, reported in the same form.
/// Layers are stored and reported; AWS allows five.
fn check_layers(layers: Option<Vec<String>>) -> Result<Vec<String>> {
    let layers = layers.unwrap_or_default();
    if layers.len() > super::model::MAX_LAYERS {
        return Err(Error::new(
            ErrorCode::InvalidParameterValueException,
            "Cannot reference more than 5 layers.",
        ));
    }
    Ok(layers)
}

fn check_limits(timeout: Option<i64>, memory: Option<i64>) -> Result<()> {
    let mut v = Violations::new();
    if let Some(t) = timeout {
        v.range(At::new("", "timeout"), t, Some(1), Some(900));
    }
    if let Some(m) = memory {
        v.range(At::new("", "memorySize"), m, Some(128), Some(10_240));
    }
    Ok(v.finish()?)
}

fn environment_of(env: Option<lm::Environment>) -> Option<BTreeMap<String, String>> {
    env.map(|e| e.variables.unwrap_or_default().into_iter().collect())
}

impl Lambda {
    fn revision(&self) -> String {
        self.ids.version_id()
    }

    /// Where a function's unpacked code trees live: `code/<account>/<region>/<name>`.
    pub(super) fn code_root(&self, ns: &Namespace, name: &str) -> Result<std::path::PathBuf> {
        let parts = [ns.account.as_str(), ns.region.as_str(), name];
        // Every part came from a request: each must be one plain path component.
        let plain = parts.iter().all(|p| {
            let mut c = std::path::Path::new(p).components();
            matches!(
                (c.next(), c.next()),
                (Some(std::path::Component::Normal(_)), None)
            )
        });
        if !plain {
            return Err(invalid(format!("Invalid function name: {name}")));
        }
        Ok(parts
            .iter()
            .fold(self.work_dir.join("code"), |dir, p| dir.join(p)))
    }

    /// Unpacks `zip` into a directory of its own, so running environments keep their files;
    /// the directory goes when the last user of it does. A `<dir>.sha256` file beside it
    /// records the code it holds, so a restart can use it again instead of unpacking.
    pub(super) fn store_code(
        &self,
        ns: &Namespace,
        name: &str,
        zip: &[u8],
    ) -> Result<Arc<super::CodeDir>> {
        let dir = self
            .code_root(ns, name)?
            .join(uuid::Uuid::new_v4().simple().to_string());
        code::unpack(zip, &dir)?;
        let code = Arc::new(super::CodeDir(dir));
        let _ = std::fs::write(code.marker(), code::code_sha256(zip));
        Ok(code)
    }

    /// The unpacked tree of exactly this code left by an earlier run, if there is one.
    pub(super) fn reuse_code(
        &self,
        ns: &Namespace,
        name: &str,
        zip: &[u8],
    ) -> Option<Arc<super::CodeDir>> {
        let sha = code::code_sha256(zip);
        let entries = std::fs::read_dir(self.code_root(ns, name).ok()?).ok()?;
        entries
            .flatten()
            .map(|e| e.path())
            .find(|tree| {
                tree.is_dir()
                    && std::fs::read_to_string(super::CodeDir::marker_of(tree))
                        .is_ok_and(|m| m == sha)
            })
            .map(|tree| Arc::new(super::CodeDir(tree)))
    }

    pub fn create_function(
        &self,
        caller: &Namespace,
        input: lm::CreateFunctionRequest,
    ) -> Result<(lm::FunctionConfiguration, Ticket)> {
        check_limits(input.timeout, input.memory_size)?;
        let name = input.function_name.unwrap_or_default();
        let (ns, name) = super::check_function_name(caller, &name)?;
        if name.len() > super::MAX_NAME {
            // AWS names this refusal as a validation error, under Lambda's own code.
            return Err(Error::new(
                ErrorCode::InvalidParameterValueException,
                format!(
                    "1 validation error detected: Value '{name}' at 'functionName' failed to \
                     satisfy constraint: Member must have length less than or equal to {}",
                    super::MAX_NAME
                ),
            ));
        }
        if input.package_type.as_deref().is_some_and(|p| p != "Zip") {
            return Err(invalid("LocalEmu runs Zip functions only."));
        }
        let runtime = input
            .runtime
            .ok_or_else(|| invalid("Runtime is required for a Zip function."))?;
        check_runtime(&runtime)?;
        let handler = input
            .handler
            .ok_or_else(|| invalid("Handler is required for a Zip function."))?;
        let zip = input
            .code
            .and_then(|c| c.zip_file)
            .ok_or_else(|| invalid("LocalEmu needs the function code as Code.ZipFile."))?;
        code::check_zip(&zip)?;
        let environment = environment_of(input.environment).unwrap_or_default();
        check_environment(&environment)?;
        let key = (ns.clone(), name.clone());
        if self
            .functions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains_key(&key)
        {
            return Err(conflict(&name));
        }
        let config = FunctionConfig {
            arn: function_arn(&ns, &name),
            name: name.clone(),
            runtime,
            handler,
            role: input.role.unwrap_or_default(),
            description: input.description.unwrap_or_default(),
            timeout: input.timeout.map_or(3, i64::unsigned_abs),
            memory_size: input.memory_size.map_or(128, i64::unsigned_abs),
            environment,
            tags: input.tags.unwrap_or_default().into_iter().collect(),
            code_sha256: code::code_sha256(&zip),
            code_size: zip.len() as u64,
            last_modified: self.clock.now(),
            revision_id: self.revision(),
            layers: check_layers(input.layers)?,
        };
        let code_dir = self.store_code(&ns, &name, &zip)?;
        let out = configuration(&config);
        let _gate = self.gate();
        {
            let map = self
                .functions
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if map.contains_key(&key) {
                return Err(conflict(&name));
            }
        }
        let function = self.insert(ns, config, code_dir, zip, Vec::new());
        Ok((out, self.save(&function)))
    }

    pub fn get_function(&self, caller: &Namespace, id: &str) -> Result<lm::GetFunctionResponse> {
        let f = self.find(caller, id)?;
        let s = f.snapshot();
        Ok(lm::GetFunctionResponse {
            configuration: Some(configuration(&s.config)),
            code: Some(lm::FunctionCodeLocation {
                repository_type: Some("S3".into()),
                location: Some(format!(
                    "{}/_awsemu/lambda/code/{}",
                    self.endpoint(),
                    s.config.name
                )),
                ..lm::FunctionCodeLocation::default()
            }),
            tags: Some(s.config.tags.into_iter().collect()),
            ..lm::GetFunctionResponse::default()
        })
    }

    pub fn get_function_configuration(
        &self,
        caller: &Namespace,
        id: &str,
    ) -> Result<lm::FunctionConfiguration> {
        Ok(configuration(&self.find(caller, id)?.snapshot().config))
    }

    /// ListFunctions: name order, `Marker` is the last name returned.
    pub fn list_functions(
        &self,
        caller: &Namespace,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> lm::ListFunctionsResponse {
        // The model bounds MaxItems to 1..10000; Lambda returns at most 50 per page.
        let limit = max_items.map_or(50, |n| usize::try_from(n).unwrap_or(50).min(50));
        let map = self
            .functions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut listed = map
            .iter()
            .filter(|((ns, name), _)| ns == caller && marker.is_none_or(|m| name.as_str() > m))
            .map(|(_, f)| configuration(&f.snapshot().config));
        let page: Vec<lm::FunctionConfiguration> = listed.by_ref().take(limit).collect();
        let next_marker = match listed.next() {
            Some(_) => page.last().and_then(|f| f.function_name.clone()),
            None => None,
        };
        lm::ListFunctionsResponse {
            next_marker,
            functions: Some(page),
        }
    }

    pub fn update_function_code(
        &self,
        caller: &Namespace,
        id: &str,
        input: lm::UpdateFunctionCodeRequest,
    ) -> Result<(lm::FunctionConfiguration, Ticket)> {
        let f = self.find(caller, id)?;
        let zip = input
            .zip_file
            .ok_or_else(|| invalid("LocalEmu needs the function code as ZipFile."))?;
        code::check_zip(&zip)?;
        let name = f.snapshot().config.name;
        let code_dir = self.store_code(&f.namespace, &name, &zip)?;
        let (now, revision) = (self.clock.now(), self.revision());
        let _gate = self.gate();
        let out = f.update(|s| {
            same_revision(
                &s.config,
                input.revision_id.as_deref(),
                "GetFunction/GetAlias",
            )?;
            s.code_dir = code_dir;
            s.config.code_sha256 = code::code_sha256(&zip);
            s.zip = Arc::new(zip.clone());
            s.config.code_size = zip.len() as u64;
            s.config.last_modified = now;
            s.config.revision_id = revision;
            s.generation += 1;
            Ok::<_, Error>(configuration(&s.config))
        })?;
        f.retire();
        Ok((out, self.save(&f)))
    }

    pub fn update_function_configuration(
        &self,
        caller: &Namespace,
        id: &str,
        input: lm::UpdateFunctionConfigurationRequest,
    ) -> Result<(lm::FunctionConfiguration, Ticket)> {
        check_limits(input.timeout, input.memory_size)?;
        if let Some(r) = input.runtime.as_deref() {
            check_runtime(r)?;
        }
        let environment = environment_of(input.environment);
        if let Some(env) = &environment {
            check_environment(env)?;
        }
        let layers = input.layers.map(|l| check_layers(Some(l))).transpose()?;
        let f = self.find(caller, id)?;
        let (now, revision) = (self.clock.now(), self.revision());
        let _gate = self.gate();
        let out = f.update(|s| {
            same_revision(
                &s.config,
                input.revision_id.as_deref(),
                "GetFunction/GetAlias",
            )?;
            let c = &mut s.config;
            c.runtime = input.runtime.unwrap_or(c.runtime.clone());
            c.role = input.role.unwrap_or(c.role.clone());
            c.handler = input.handler.unwrap_or(c.handler.clone());
            c.description = input.description.unwrap_or(c.description.clone());
            c.timeout = input.timeout.map_or(c.timeout, i64::unsigned_abs);
            c.memory_size = input.memory_size.map_or(c.memory_size, i64::unsigned_abs);
            c.environment = environment.unwrap_or(c.environment.clone());
            c.layers = layers.unwrap_or(c.layers.clone());
            c.last_modified = now;
            c.revision_id = revision;
            s.generation += 1;
            Ok::<_, Error>(configuration(&s.config))
        })?;
        f.retire();
        Ok((out, self.save(&f)))
    }

    pub fn delete_function(&self, caller: &Namespace, id: &str) -> Result<Ticket> {
        let f = self.find(caller, id)?;
        let name = f.snapshot().config.name;
        let _gate = self.gate();
        let mut map = self
            .functions
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.remove(&(f.namespace.clone(), name.clone()));
        f.retire();
        self.forget_extension(&f.namespace, &name);
        Ok(self.forget(&f.namespace, &name))
    }
}

fn conflict(name: &str) -> Error {
    Error::new(
        ErrorCode::ResourceConflictException,
        format!("Function already exist: {name}"),
    )
}

/// Refuses a change made against a revision other than the function's current one, as AWS
/// does when the caller gives `RevisionId`; `read_with` names the call that reads it.
pub(super) fn same_revision(
    c: &super::model::FunctionConfig,
    given: Option<&str>,
    read_with: &str,
) -> Result<()> {
    match given {
        Some(r) if r != c.revision_id => Err(Error::new(
            ErrorCode::PreconditionFailedException,
            format!(
                "The Revision Id provided does not match the latest Revision Id. Call the {read_with} API to retrieve the latest Revision Id"
            ),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_variables() {
        let mut env = BTreeMap::new();
        env.insert("MY_VAR".to_string(), "x".to_string());
        assert!(check_environment(&env).is_ok());
        env.insert("AWS_REGION".to_string(), "x".to_string());
        assert!(check_environment(&env)
            .unwrap_err()
            .message
            .ends_with("AWS_REGION"));
    }
}
