//! Who may act on a secret: its resource policy, evaluated for callers of other accounts
//! (and, in strict mode, for the owning account's callers too), as AWS evaluates it.

use super::{Caller, Found, SecretsManager};
use crate::generated::secretsmanager::Result;
use crate::policy::{self, Decision, Request};

/// BatchGetSecretValue reads each secret as GetSecretValue does.
fn per_secret(action: &str) -> &str {
    match action {
        "secretsmanager:BatchGetSecretValue" => "secretsmanager:GetSecretValue",
        a => a,
    }
}

impl SecretsManager {
    /// Refuses `caller`'s action on the found secret unless AWS would allow it.
    pub(crate) fn authorize(
        &self,
        caller: &Caller,
        found: &Found,
        keys: &[(&str, &str)],
    ) -> Result<()> {
        let Some(action) = caller.action.as_deref().map(per_secret) else {
            return Ok(());
        };
        let cross = found.namespace().account != caller.account();
        if !cross && !self.strict.policies {
            return Ok(());
        }
        let (arn, text, tags) = {
            let s = found.cell.read();
            if s.resource_policy.is_none() && !cross {
                // No policy: nothing can deny the owner.
                return Ok(());
            }
            (s.arn.clone(), s.resource_policy.clone(), s.tags.clone())
        };
        let decision = match text.as_deref().map(policy::parse) {
            Some(Ok(p)) if !p.has_conditions() => policy::evaluate(
                &p,
                &Request {
                    who: &caller.who,
                    action,
                    resource: &arn,
                    context: &policy::Context::default(),
                },
            ),
            Some(Ok(p)) => {
                let mut context = caller.policy_context(self.now());
                context.set("secretsmanager:SecretId", vec![arn.clone()]);
                for (k, v) in keys {
                    context.set(k, vec![(*v).to_string()]);
                }
                for t in tags.iter().flatten() {
                    for prefix in ["secretsmanager:ResourceTag/", "aws:ResourceTag/"] {
                        context.set(&format!("{prefix}{}", t.key), vec![t.value.clone()]);
                    }
                }
                policy::evaluate(
                    &p,
                    &Request {
                        who: &caller.who,
                        action,
                        resource: &arn,
                        context: &context,
                    },
                )
            }
            // A stored policy always parsed when it was put; a missing one allows nothing.
            _ => Decision::NotApplicable,
        };
        match policy::refusal(decision, cross) {
            Some(explicit) => Err(policy::access_denied(caller.arn(), action, &arn, explicit)),
            None => Ok(()),
        }
    }
}
