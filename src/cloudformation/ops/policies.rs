//! SetStackPolicy and GetStackPolicy.

use super::policy_text;
use crate::cloudformation::CloudFormation;
use crate::domain::caller::Caller;
use crate::generated::cloudformation::Answer;
use crate::generated::cloudformation::{self as g, handlers as h};
use crate::wire::{answer, Ack};

impl h::SetStackPolicy for CloudFormation {
    fn set_stack_policy(&self, cx: &Caller, i: g::SetStackPolicyInput) -> Answer<()> {
        let name = i.stack_name.unwrap_or_default();
        let policy = policy_text("StackPolicy", i.stack_policy_body, i.stack_policy_url)?;
        let s = self.stack(&cx.namespace, &name)?;
        let ((), ticket) = self
            .edit(&cx.namespace, &s.id, |s| {
                if policy.is_some() {
                    s.policy = policy;
                }
            })
            .ok_or_else(|| super::super::missing(&name))?;
        answer((), ticket)
    }
}

impl h::GetStackPolicy for CloudFormation {
    fn get_stack_policy(
        &self,
        cx: &Caller,
        i: g::GetStackPolicyInput,
    ) -> Answer<g::GetStackPolicyOutput> {
        let s = self.stack(&cx.namespace, i.stack_name.as_deref().unwrap_or_default())?;
        Ok(Ack::ready(g::GetStackPolicyOutput {
            stack_policy_body: s.policy,
        }))
    }
}
