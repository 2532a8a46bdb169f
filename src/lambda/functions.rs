//! Function management: CreateFunction, Get/List/Update/DeleteFunction and the resource policy
//! (AddPermission, RemovePermission, GetPolicy).

use super::model::*;
use super::{code, function_arn, Lambda};
use crate::domain::validate::Violations;
use crate::domain::Namespace;
use crate::error::{Error, ErrorCode, Result};
use crate::store::durable::Ticket;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidParameterValueException, message)
}

const ROLE_PATTERN: &str = "arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+";

fn role_ok(role: &str) -> bool {
    let parts: Vec<&str> = role.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", p, "iam", "", account, rest]
        if p.starts_with("aws") && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && rest.starts_with("role") && rest.len() > 5)
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

fn check_runtime(runtime: &str) -> Result<()> {
    if supported_runtime(runtime) {
        return Ok(());
    }
    Err(invalid(format!(
        "The runtime parameter of {runtime} is not supported by LocalEmu. Supported runtimes: \
         python3.9-python3.13, nodejs18.x-nodejs22.x, provided.al2, provided.al2023."
    )))
}

fn check_limits(v: &mut Violations, timeout: Option<i64>, memory: Option<i64>) {
    v.range("timeout", timeout, 1, 900);
    v.range("memorySize", memory, 128, 10_240);
}

impl Lambda {
    fn revision(&self) -> String {
        uuid::Uuid::new_v4().to_string()
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
        input: CreateFunctionInput,
    ) -> Result<(FunctionConfiguration, Ticket)> {
        let mut v = Violations::new();
        v.length("functionName", input.function_name.as_deref(), 1, 64);
        if input.function_name.is_none() {
            v.missing("functionName");
        }
        if input.role.is_none() {
            v.missing("role");
        }
        if let Some(role) = input.role.as_deref() {
            v.pattern("role", role, ROLE_PATTERN, role_ok(role));
        }
        v.length("handler", input.handler.as_deref(), 0, 128);
        v.length("description", input.description.as_deref(), 0, 256);
        check_limits(&mut v, input.timeout, input.memory_size);
        v.finish()?;
        let name = input.function_name.unwrap_or_default();
        let (ns, name) = super::check_function_name(caller, &name)?;
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
        let environment = input
            .environment
            .and_then(|e| e.variables)
            .unwrap_or_default();
        check_environment(&environment)?;
        let key = (ns.clone(), name.clone());
        if self
            .functions
            .read()
            .unwrap_or_else(|e| e.into_inner())
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
            timeout: input.timeout.unwrap_or(3) as u64,
            memory_size: input.memory_size.unwrap_or(128) as u64,
            environment,
            tags: input.tags.unwrap_or_default(),
            code_sha256: code::code_sha256(&zip),
            code_size: zip.len() as u64,
            last_modified: self.clock.now(),
            revision_id: self.revision(),
        };
        let code_dir = self.store_code(&ns, &name, &zip)?;
        let out = FunctionConfiguration::of(&config);
        let _gate = self.gate();
        {
            let map = self.functions.read().unwrap_or_else(|e| e.into_inner());
            if map.contains_key(&key) {
                return Err(conflict(&name));
            }
        }
        let function = self.insert(ns, config, code_dir, zip, Vec::new());
        Ok((out, self.save(&function)))
    }

    pub fn get_function(&self, caller: &Namespace, id: &str) -> Result<Value> {
        let f = self.find(caller, id)?;
        let s = f.snapshot();
        Ok(json!({
            "Configuration": FunctionConfiguration::of(&s.config),
            "Code": {"RepositoryType": "S3", "Location": format!("{}/_awsemu/lambda/code/{}", self.endpoint(), s.config.name)},
            "Tags": s.config.tags,
        }))
    }

    pub fn get_function_configuration(
        &self,
        caller: &Namespace,
        id: &str,
    ) -> Result<FunctionConfiguration> {
        Ok(FunctionConfiguration::of(
            &self.find(caller, id)?.snapshot().config,
        ))
    }

    /// ListFunctions: name order, `Marker` is the last name returned.
    pub fn list_functions(
        &self,
        caller: &Namespace,
        marker: Option<&str>,
        max_items: Option<&str>,
    ) -> Result<Value> {
        let limit = match max_items {
            None => 50,
            Some(m) => match m.parse::<usize>() {
                Ok(n) if (1..=10_000).contains(&n) => n.min(50),
                _ => return Err(invalid(format!("Invalid MaxItems: {m}"))),
            },
        };
        let map = self.functions.read().unwrap_or_else(|e| e.into_inner());
        let mut listed = map
            .iter()
            .filter(|((ns, name), _)| ns == caller && marker.is_none_or(|m| name.as_str() > m))
            .map(|(_, f)| FunctionConfiguration::of(&f.snapshot().config));
        let page: Vec<FunctionConfiguration> = listed.by_ref().take(limit).collect();
        let mut out = json!({ "Functions": page });
        if listed.next().is_some() {
            out["NextMarker"] = json!(page.last().map(|f| f.function_name.clone()));
        }
        Ok(out)
    }

    pub fn update_function_code(
        &self,
        caller: &Namespace,
        id: &str,
        input: UpdateFunctionCodeInput,
    ) -> Result<(FunctionConfiguration, Ticket)> {
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
            s.code_dir = code_dir;
            s.config.code_sha256 = code::code_sha256(&zip);
            s.zip = Arc::new(zip.clone());
            s.config.code_size = zip.len() as u64;
            s.config.last_modified = now;
            s.config.revision_id = revision;
            s.generation += 1;
            FunctionConfiguration::of(&s.config)
        });
        f.retire();
        Ok((out, self.save(&f)))
    }

    pub fn update_function_configuration(
        &self,
        caller: &Namespace,
        id: &str,
        input: UpdateFunctionConfigurationInput,
    ) -> Result<(FunctionConfiguration, Ticket)> {
        let mut v = Violations::new();
        if let Some(role) = input.role.as_deref() {
            v.pattern("role", role, ROLE_PATTERN, role_ok(role));
        }
        v.length("handler", input.handler.as_deref(), 0, 128);
        v.length("description", input.description.as_deref(), 0, 256);
        check_limits(&mut v, input.timeout, input.memory_size);
        v.finish()?;
        if let Some(r) = input.runtime.as_deref() {
            check_runtime(r)?;
        }
        let environment = input.environment.map(|e| e.variables.unwrap_or_default());
        if let Some(env) = &environment {
            check_environment(env)?;
        }
        let f = self.find(caller, id)?;
        let (now, revision) = (self.clock.now(), self.revision());
        let _gate = self.gate();
        let out = f.update(|s| {
            let c = &mut s.config;
            c.runtime = input.runtime.unwrap_or(c.runtime.clone());
            c.role = input.role.unwrap_or(c.role.clone());
            c.handler = input.handler.unwrap_or(c.handler.clone());
            c.description = input.description.unwrap_or(c.description.clone());
            c.timeout = input.timeout.map_or(c.timeout, |x| x as u64);
            c.memory_size = input.memory_size.map_or(c.memory_size, |x| x as u64);
            c.environment = environment.unwrap_or(c.environment.clone());
            c.last_modified = now;
            c.revision_id = revision;
            s.generation += 1;
            FunctionConfiguration::of(&s.config)
        });
        f.retire();
        Ok((out, self.save(&f)))
    }

    pub fn delete_function(&self, caller: &Namespace, id: &str) -> Result<Ticket> {
        let f = self.find(caller, id)?;
        let name = f.snapshot().config.name;
        let _gate = self.gate();
        let mut map = self.functions.write().unwrap_or_else(|e| e.into_inner());
        map.remove(&(f.namespace.clone(), name.clone()));
        f.retire();
        Ok(self.forget(&f.namespace, &name))
    }

    pub fn add_permission(
        &self,
        caller: &Namespace,
        id: &str,
        input: AddPermissionInput,
    ) -> Result<(Value, Ticket)> {
        let mut v = Violations::new();
        for (member, present) in [
            ("statementId", input.statement_id.is_some()),
            ("action", input.action.is_some()),
            ("principal", input.principal.is_some()),
        ] {
            if !present {
                v.missing(member);
            }
        }
        v.length("statementId", input.statement_id.as_deref(), 1, 100);
        v.finish()?;
        let f = self.find(caller, id)?;
        let sid = input.statement_id.unwrap_or_default();
        let principal = input.principal.unwrap_or_default();
        let principal = if principal.contains('.') {
            json!({ "Service": principal })
        } else {
            json!({ "AWS": principal })
        };
        let mut statement = json!({
            "Sid": sid,
            "Effect": "Allow",
            "Principal": principal,
            "Action": input.action,
            "Resource": f.snapshot().config.arn,
        });
        let mut condition = serde_json::Map::new();
        if let Some(account) = input.source_account {
            condition.insert(
                "StringEquals".into(),
                json!({ "AWS:SourceAccount": account }),
            );
        }
        if let Some(arn) = input.source_arn {
            condition.insert("ArnLike".into(), json!({ "AWS:SourceArn": arn }));
        }
        if !condition.is_empty() {
            statement["Condition"] = Value::Object(condition);
        }
        let _gate = self.gate();
        f.update(|s| {
            if s.policy.iter().any(|st| st["Sid"] == sid.as_str()) {
                return Err(Error::new(
                    ErrorCode::ResourceConflictException,
                    format!(
                        "The statement id ({sid}) provided already exists. Please provide a new \
                         statement id, or remove the existing statement."
                    ),
                ));
            }
            s.policy.push(statement.clone());
            Ok(())
        })?;
        Ok((json!({ "Statement": statement.to_string() }), self.save(&f)))
    }

    pub fn get_policy(&self, caller: &Namespace, id: &str) -> Result<Value> {
        let s = self.find(caller, id)?.snapshot();
        if s.policy.is_empty() {
            return Err(Error::new(
                ErrorCode::ResourceNotFoundException,
                "The resource you requested does not exist.",
            ));
        }
        let policy = json!({"Version": "2012-10-17", "Id": "default", "Statement": s.policy});
        Ok(json!({ "Policy": policy.to_string(), "RevisionId": s.config.revision_id }))
    }

    pub fn remove_permission(&self, caller: &Namespace, id: &str, sid: &str) -> Result<Ticket> {
        let f = self.find(caller, id)?;
        let _gate = self.gate();
        f.update(|s| {
            let before = s.policy.len();
            s.policy.retain(|st| st["Sid"] != sid);
            if s.policy.len() == before {
                return Err(Error::new(
                    ErrorCode::ResourceNotFoundException,
                    format!("Statement {sid} is not found in resource policy."),
                ));
            }
            Ok(())
        })?;
        Ok(self.save(&f))
    }
}

fn conflict(name: &str) -> Error {
    Error::new(
        ErrorCode::ResourceConflictException,
        format!("Function already exist: {name}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_reserved_variables() {
        assert!(role_ok("arn:aws:iam::123456789012:role/lambda-role"));
        assert!(!role_ok("arn:aws:iam::1234:role/x"));
        assert!(!role_ok("not-a-role"));
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
