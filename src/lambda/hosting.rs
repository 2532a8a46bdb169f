//! What the server plugs into Lambda from outside it: temporary credentials for function
//! processes, the Parameters and Secrets extension, strict mode's function policies, and the
//! recent invocations the console shows.

use super::{function_arn, Function, FunctionConfig, Lambda};
use crate::domain::Namespace;
use crate::generated::lambda::Result;
use std::sync::Arc;

/// Serves AWS's Parameters and Secrets extension for the functions that have its layer:
/// the port of the listener that answers for `function` (of `ns`, running as `role`, with its
/// environment), started on first use. Secrets Manager and Parameter Store stay unknown here.
pub trait Extensions: Send + Sync {
    fn port(
        &self,
        ns: &Namespace,
        function: &str,
        role: &str,
        env: &std::collections::BTreeMap<String, String>,
    ) -> Option<u16>;

    /// The function is gone: its listener stops.
    fn forget(&self, ns: &Namespace, function: &str);
}

/// Issues (access key, secret key, session token) for a function's execution role:
/// (namespace, role ARN, function name).
pub type CredentialSource =
    Box<dyn Fn(&Namespace, &str, &str) -> (String, String, String) + Send + Sync>;

/// What the server gives Lambda when it makes it.
pub struct Wiring {
    /// `AWS_ENDPOINT_URL` for functions: this emulator's listener, over loopback.
    pub endpoint: String,
    /// Temporary credentials for function processes (None: the account's 12-digit key).
    pub credentials: Option<CredentialSource>,
    /// Strict mode: callers of other accounts need the function's policy to allow them.
    pub strict_permissions: bool,
}

impl Default for Wiring {
    fn default() -> Self {
        Wiring {
            endpoint: "http://127.0.0.1:4566".into(),
            credentials: None,
            strict_permissions: false,
        }
    }
}

impl Lambda {
    /// Credentials for a process of `name` running as `role` in `ns`: temporary ones from
    /// STS, or (without STS) the account's 12-digit key, which the emulator reads back as it.
    pub(crate) fn credentials_for(
        &self,
        ns: &Namespace,
        role: &str,
        name: &str,
    ) -> (String, String, String) {
        match self.wiring.credentials.as_ref() {
            Some(issue) => issue(ns, role, name),
            None => (ns.account.clone(), "test".into(), String::new()),
        }
    }

    /// What serves the Parameters and Secrets extension.
    pub fn set_extensions(&self, e: Arc<dyn Extensions>) {
        *self
            .extensions
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(e);
    }

    /// The extension's port for a function that has its layer.
    pub(crate) fn extension_port(&self, ns: &Namespace, c: &FunctionConfig) -> Option<u16> {
        if !c.has_secrets_extension() {
            return None;
        }
        let host = self
            .extensions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()?;
        host.port(ns, &c.name, &c.role, &c.environment)
    }

    /// The functions of `ns` with their recent invocations, for the console.
    /// How many functions each (account, region) holds.
    pub fn function_counts(&self) -> Vec<(Namespace, usize)> {
        let map = self
            .functions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut counts: std::collections::BTreeMap<(String, String), usize> =
            std::collections::BTreeMap::new();
        for (ns, _) in map.keys() {
            *counts
                .entry((ns.account.clone(), ns.region.clone()))
                .or_default() += 1;
        }
        counts
            .into_iter()
            .map(|((account, region), n)| (Namespace::new(account, region), n))
            .collect()
    }

    pub fn recent_invocations(&self, ns: &Namespace) -> Vec<serde_json::Value> {
        let map = self
            .functions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.iter()
            .filter(|((n, _), _)| n == ns)
            .map(|((_, name), f)| {
                let c = f.snapshot().config;
                serde_json::json!({
                    "name": name,
                    "runtime": c.runtime,
                    "layers": c.layers,
                    "invocations": f.recent(),
                })
            })
            .collect()
    }

    /// Stops the extension listener of a deleted function.
    pub(crate) fn forget_extension(&self, ns: &Namespace, name: &str) {
        let host = self
            .extensions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if let Some(host) = host {
            host.forget(ns, name);
        }
    }

    /// Whether resource policies are enforced (strict mode).
    pub fn strict_permissions(&self) -> bool {
        self.wiring.strict_permissions
    }

    /// In strict mode, a caller of another account may act on a function only if the
    /// function's policy allows it `action`.
    pub(crate) fn authorize(
        &self,
        caller: &crate::domain::caller::Caller,
        f: &Function,
        action: &str,
    ) -> Result<()> {
        if !self.wiring.strict_permissions || f.namespace.account == caller.account() {
            return Ok(());
        }
        let arn = function_arn(&f.namespace, &f.snapshot().config.name);
        let statements: Vec<serde_json::Value> = f.snapshot().policy.clone();
        let text =
            serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string();
        let decision =
            crate::policy::parse(&text).map_or(crate::policy::Decision::NotApplicable, |p| {
                let context = caller.policy_context(self.clock.now());
                crate::policy::evaluate(
                    &p,
                    &crate::policy::Request {
                        who: &caller.who,
                        action,
                        resource: &arn,
                        context: &context,
                    },
                )
            });
        match crate::policy::refusal(decision, true) {
            Some(explicit) => Err(crate::policy::access_denied(
                caller.arn(),
                action,
                &arn,
                explicit,
            )),
            None => Ok(()),
        }
    }
}
