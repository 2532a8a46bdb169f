//! The generated Lambda service trait, implemented over the function registry: Invoke's
//! invocation types and payload limits, and Event invocations queued in the background.

use super::Lambda;
use crate::domain::Namespace;
use crate::generated::lambda::{self as lm, Operation, Service};
use crate::generated::lambda::{Error, ErrorCode, Result};
use crate::wire::{Ack, Ticket};
use std::sync::Arc;

/// AWS's limits on an invocation's payload: 6 MB synchronous, 1 MB asynchronous.
pub const MAX_SYNC_PAYLOAD: usize = 6_291_456;
const MAX_EVENT_PAYLOAD: usize = 1_048_576;

/// Who calls, and the request id the protocol layer gave the call (an invocation runs under
/// it, so the function's context and the answer's `x-amzn-RequestId` agree).
pub struct Call {
    pub namespace: Namespace,
    /// Who is calling: checked against a function's policy when another account calls.
    pub caller: crate::domain::caller::Caller,
    pub request_id: String,
}

type Answer<O> = Result<Ack<O>>;

/// Unpacking code takes disk time that must not hold up a server worker.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::new(ErrorCode::ServiceException, "The change failed.").because(e))?
}

/// Lambda's operations: the generated traits are implemented on this handle (handlers
/// that hand work to a blocking thread take the service with them).
#[derive(Clone)]
pub struct Api(pub Arc<Lambda>);

impl std::ops::Deref for Api {
    type Target = Lambda;

    fn deref(&self) -> &Lambda {
        &self.0
    }
}

fn durable<O>((output, ticket): (O, Ticket)) -> Ack<O> {
    Ack::new(output, ticket)
}

impl Service for Api {
    type Context = Call;
    type Guard<'a> = ();

    /// Lambda's handlers take the store's gate around each change themselves.
    fn begin(&self, _: Operation) -> Result<()> {
        Ok(())
    }
}

impl Lambda {
    /// Strict mode: the function's policy decides what other accounts may do with it.
    fn check_caller(&self, c: &Call, id: &str) -> Result<()> {
        let Ok(f) = self.find(&c.namespace, id) else {
            // The operation itself reports a missing function.
            return Ok(());
        };
        let action = c.caller.action.as_deref().unwrap_or("lambda:*");
        self.authorize(&c.caller, &f, action)
    }
}

impl lm::AddPermission for Api {
    async fn add_permission(
        &self,
        c: &Call,
        i: lm::AddPermissionRequest,
    ) -> Answer<lm::AddPermissionResponse> {
        let id = i.function_name.clone().unwrap_or_default();
        self.check_caller(c, &id)?;
        Ok(durable(Lambda::add_permission(self, &c.namespace, &id, i)?))
    }
}

impl lm::CreateFunction for Api {
    async fn create_function(
        &self,
        c: &Call,
        i: lm::CreateFunctionRequest,
    ) -> Answer<lm::FunctionConfiguration> {
        let (lambda, ns) = (self.0.clone(), c.namespace.clone());
        Ok(durable(
            blocking(move || Lambda::create_function(&lambda, &ns, i)).await?,
        ))
    }
}

impl lm::DeleteFunction for Api {
    async fn delete_function(
        &self,
        c: &Call,
        i: lm::DeleteFunctionRequest,
    ) -> Answer<lm::DeleteFunctionResponse> {
        let id = i.function_name.unwrap_or_default();
        self.check_caller(c, &id)?;
        let ticket = Lambda::delete_function(self, &c.namespace, &id)?;
        let output = lm::DeleteFunctionResponse {
            status_code: Some(204),
        };
        Ok(Ack::new(output, ticket))
    }
}

impl lm::GetFunction for Api {
    async fn get_function(
        &self,
        c: &Call,
        i: lm::GetFunctionRequest,
    ) -> Answer<lm::GetFunctionResponse> {
        let id = i.function_name.unwrap_or_default();
        self.check_caller(c, &id)?;
        Lambda::get_function(self, &c.namespace, &id).map(Ack::ready)
    }
}

impl lm::GetFunctionConfiguration for Api {
    async fn get_function_configuration(
        &self,
        c: &Call,
        i: lm::GetFunctionConfigurationRequest,
    ) -> Answer<lm::FunctionConfiguration> {
        let id = i.function_name.unwrap_or_default();
        self.check_caller(c, &id)?;
        Lambda::get_function_configuration(self, &c.namespace, &id).map(Ack::ready)
    }
}

impl lm::GetPolicy for Api {
    async fn get_policy(&self, c: &Call, i: lm::GetPolicyRequest) -> Answer<lm::GetPolicyResponse> {
        let id = i.function_name.unwrap_or_default();
        self.check_caller(c, &id)?;
        Lambda::get_policy(self, &c.namespace, &id).map(Ack::ready)
    }
}

impl lm::Invoke for Api {
    async fn invoke(&self, c: &Call, i: lm::InvocationRequest) -> Answer<lm::InvocationResponse> {
        let kind = i.invocation_type.as_deref().unwrap_or("RequestResponse");
        let payload = i.payload.unwrap_or_default();
        let limit = if kind == "Event" {
            MAX_EVENT_PAYLOAD
        } else {
            MAX_SYNC_PAYLOAD
        };
        if payload.len() > limit {
            return Err(Error::new(
                ErrorCode::RequestTooLargeException,
                format!(
                    "Request must be smaller than {limit} bytes for the InvokeFunction operation"
                ),
            ));
        }
        let id = i.function_name.as_deref().unwrap_or_default();
        let qualifier = i
            .qualifier
            .as_deref()
            .or_else(|| super::qualifier_in(id))
            .unwrap_or("$LATEST");
        let function = self.find_version(&c.namespace, id, Some(qualifier))?;
        self.authorize(&c.caller, &function, "lambda:InvokeFunction")?;
        let answer = |status: i64| lm::InvocationResponse {
            status_code: Some(status),
            ..lm::InvocationResponse::default()
        };
        match kind {
            "DryRun" => return Ok(Ack::ready(answer(204))),
            "Event" => {
                self.0.invoke_event(function, payload)?;
                return Ok(Ack::ready(answer(202)));
            }
            _ => {}
        }
        let result = self
            .invoke_as(&function, payload, c.request_id.clone())
            .await;
        let tail = i.log_type.as_deref() == Some("Tail");
        Ok(Ack::ready(lm::InvocationResponse {
            status_code: Some(200),
            function_error: result.function_error.clone(),
            log_result: tail.then(|| result.log_tail_base64()),
            payload: Some(result.payload),
            executed_version: Some("$LATEST".into()),
            durable_execution_arn: None,
        }))
    }
}

impl lm::ListFunctions for Api {
    async fn list_functions(
        &self,
        c: &Call,
        i: lm::ListFunctionsRequest,
    ) -> Answer<lm::ListFunctionsResponse> {
        Ok(Ack::ready(Lambda::list_functions(
            self,
            &c.namespace,
            i.marker.as_deref(),
            i.max_items,
        )))
    }
}

impl lm::RemovePermission for Api {
    async fn remove_permission(&self, c: &Call, i: lm::RemovePermissionRequest) -> Answer<()> {
        let id = i.function_name.unwrap_or_default();
        self.check_caller(c, &id)?;
        let sid = i.statement_id.unwrap_or_default();
        let ticket =
            Lambda::remove_permission(self, &c.namespace, &id, &sid, i.revision_id.as_deref())?;
        Ok(Ack::new((), ticket))
    }
}

impl lm::UpdateFunctionCode for Api {
    async fn update_function_code(
        &self,
        c: &Call,
        i: lm::UpdateFunctionCodeRequest,
    ) -> Answer<lm::FunctionConfiguration> {
        let (lambda, ns) = (self.0.clone(), c.namespace.clone());
        let id = i.function_name.clone().unwrap_or_default();
        self.check_caller(c, &id)?;
        Ok(durable(
            blocking(move || Lambda::update_function_code(&lambda, &ns, &id, i)).await?,
        ))
    }
}

impl lm::UpdateFunctionConfiguration for Api {
    async fn update_function_configuration(
        &self,
        c: &Call,
        i: lm::UpdateFunctionConfigurationRequest,
    ) -> Answer<lm::FunctionConfiguration> {
        let id = i.function_name.clone().unwrap_or_default();
        self.check_caller(c, &id)?;
        let changed = Lambda::update_function_configuration(self, &c.namespace, &id, i)?;
        Ok(durable(changed))
    }
}
