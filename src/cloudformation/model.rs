//! A stack as CloudFormation keeps it: its deployed template and parameters, its resources
//! with their physical ids and return values, its events, its change sets, and, while an
//! update runs, the deployment it is leaving (what a rollback goes back to).

use crate::clock::Millis;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The events a stack keeps (the oldest are dropped first).
pub const MAX_EVENTS: usize = 2000;

/// One resource of a stack, as last created or updated.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Resource {
    pub logical: String,
    pub type_: String,
    pub physical: Option<String>,
    /// A name chosen before the resource is created, so that a create interrupted by a crash
    /// can be found and undone.
    #[serde(default)]
    pub pending: Option<String>,
    pub status: String,
    pub reason: Option<String>,
    pub updated: Millis,
    /// The properties with intrinsic functions evaluated; dynamic references stay unresolved.
    pub properties: Value,
    /// What `Ref` returns.
    pub reference: Option<String>,
    /// What `Fn::GetAtt` returns, by attribute.
    pub attributes: Map<String, Value>,
    pub deletion_policy: Option<String>,
    pub update_replace_policy: Option<String>,
}

/// What a stack is deployed as: the template and parameters its resources came from.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Deployment {
    pub template: String,
    pub description: Option<String>,
    /// Parameter values as given or defaulted (for SSM-typed ones: the parameter's name).
    pub parameters: Vec<(String, String)>,
    /// SSM-typed parameters: the value read from Parameter Store.
    pub resolved: Vec<(String, String)>,
    pub resources: IndexMap<String, Resource>,
    pub outputs: Vec<Output>,
    pub capabilities: Vec<String>,
    pub tags: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Output {
    pub key: String,
    pub value: String,
    pub description: Option<String>,
    pub export: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub logical: String,
    pub physical: String,
    pub type_: String,
    pub status: String,
    pub reason: Option<String>,
    pub at: Millis,
    /// A resource event's properties as the template gave them (dynamic references kept),
    /// JSON, as AWS shows them in ResourceProperties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<String>,
}

/// A change a change set would make to one resource.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Change {
    /// Add, Modify or Remove.
    pub action: String,
    pub logical: String,
    pub physical: Option<String>,
    pub type_: String,
    /// For Modify: "True" or "False".
    pub replacement: Option<String>,
    /// The properties whose change makes the Modify.
    pub properties: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangeSet {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// CREATE or UPDATE.
    pub kind: String,
    pub status: String,
    pub execution_status: String,
    pub reason: Option<String>,
    pub created: Millis,
    pub target: Deployment,
    pub changes: Vec<Change>,
}

/// One stack, with everything CloudFormation shows of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stack {
    pub id: String,
    pub name: String,
    pub account: String,
    pub region: String,
    pub status: String,
    pub reason: Option<String>,
    pub created: Millis,
    pub updated: Option<Millis>,
    pub deleted: Option<Millis>,
    pub disable_rollback: bool,
    /// CreateStack's OnFailure: ROLLBACK (the default), DO_NOTHING or DELETE.
    #[serde(default)]
    pub on_failure: Option<String>,
    pub termination_protection: bool,
    pub role_arn: Option<String>,
    pub notification_arns: Vec<String>,
    pub timeout: Option<i64>,
    /// DeleteStack came while the stack was being created: the create stops before its next
    /// resource and the stack is deleted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delete_requested: bool,
    /// The stack policy (SetStackPolicy, or StackPolicyBody on a create or update).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// The policy an update was given for its own run (StackPolicyDuringUpdateBody).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_policy: Option<String>,
    /// What the stack is deployed as (or being moved to, while an operation runs).
    pub current: Deployment,
    /// While an update or a rollback runs: the deployment a rollback returns to (for a create,
    /// an empty one).
    pub previous: Option<Deployment>,
    pub events: Vec<Event>,
    pub change_sets: IndexMap<String, ChangeSet>,
    /// The change set the stack's latest operation executed, as DescribeStacks shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_set_id: Option<String>,
    /// With a shared database: the node running the stack's operation, so that another node
    /// finishes it only if that one died.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// Who asked for the stack's latest operation: its resources are made with that
    /// principal's rights (or the service role's, when `role_arn` is given), never the
    /// account root's. Records written before this was kept act as the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<Operator>,
}

/// An IAM principal as a stack record keeps it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Operator {
    pub account: String,
    pub arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

impl Operator {
    /// The principal of `caller`, if it is an IAM one (a service's calls act as the root).
    pub fn of(caller: &crate::domain::caller::Caller) -> Option<Operator> {
        match &caller.who {
            crate::policy::Who::Aws { account, arn, role } => Some(Operator {
                account: account.clone(),
                arn: arn.clone(),
                role: role.clone(),
            }),
            crate::policy::Who::Service(_) => None,
        }
    }
}

impl Stack {
    pub fn in_progress(&self) -> bool {
        self.status.ends_with("_IN_PROGRESS") && self.status != "REVIEW_IN_PROGRESS"
    }

    pub fn is_deleted(&self) -> bool {
        self.status == "DELETE_COMPLETE"
    }

    /// Adds an event, keeping at most [`MAX_EVENTS`].
    pub fn event(&mut self, e: Event) {
        if self.events.len() >= MAX_EVENTS {
            self.events.remove(0);
        }
        self.events.push(e);
    }
}

/// The physical id AWS shows for a stack event of the stack itself.
pub fn stack_arn(account: &str, region: &str, name: &str, id: &str) -> String {
    crate::domain::Namespace::new(account, region)
        .arn("cloudformation", &format!("stack/{name}/{id}"))
}

/// A change set's ARN.
pub fn change_set_arn(account: &str, region: &str, name: &str, id: &str) -> String {
    crate::domain::Namespace::new(account, region)
        .arn("cloudformation", &format!("changeSet/{name}/{id}"))
}
