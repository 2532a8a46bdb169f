//! Secrets Manager's way into Lambda: the rotation engine asks whether it may invoke a function
//! and invokes it through this adapter, never through Lambda's own types.

use crate::domain::Namespace;
use crate::lambda::{Lambda, Permission};
use crate::secretsmanager::rotation::{FunctionAccess, Invoker, StepResult};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Secrets Manager reaches Lambda only through this adapter.
pub(super) struct LambdaInvoker(pub(super) Arc<Lambda>);

impl Invoker for LambdaInvoker {
    fn access(&self, caller: &Namespace, function: &str) -> FunctionAccess {
        match self.0.secretsmanager_permission(caller, function) {
            Permission::Missing => FunctionAccess::Missing,
            Permission::Allowed => FunctionAccess::Allowed,
            Permission::NotGranted => FunctionAccess::NotGranted,
        }
    }

    fn invoke(
        &self,
        caller: &Namespace,
        function: &str,
        payload: Vec<u8>,
    ) -> Pin<Box<dyn Future<Output = StepResult> + Send>> {
        let lambda = self.0.clone();
        let found = lambda.find(caller, function);
        Box::pin(async move {
            let f = match found {
                Ok(f) => f,
                Err(e) => {
                    return StepResult {
                        error: Some(e.message),
                        log: String::new(),
                        runtime: None,
                    }
                }
            };
            let result = lambda.invoke(&f, payload).await;
            let error = result.function_error.map(|_| {
                let body: serde_json::Value =
                    serde_json::from_slice(&result.payload).unwrap_or_default();
                format!(
                    "{}: {}",
                    body["errorType"].as_str().unwrap_or("Unhandled"),
                    body["errorMessage"].as_str().unwrap_or_default()
                )
            });
            StepResult {
                error,
                log: result.log,
                runtime: Some(result.runtime).filter(|r| !r.is_empty()),
            }
        })
    }
}
