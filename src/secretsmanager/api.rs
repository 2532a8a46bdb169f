//! What Secrets Manager's operations share under the generated traits: which operations
//! change state, and the gate every handler runs under. Each operation's trait is implemented
//! in its family's module.

use super::{Caller, SecretsManager};
use crate::generated::secretsmanager::{Error, Result};
use crate::generated::secretsmanager::{Operation, Service};
use crate::store::Gate;

/// Operations that only read; every other one may change state. An exhaustive match, so a
/// new operation has to be placed.
pub fn reads_only(op: Operation) -> bool {
    use Operation::{
        BatchGetSecretValue, CancelRotateSecret, CreateSecret, DeleteResourcePolicy, DeleteSecret,
        DescribeSecret, GetRandomPassword, GetResourcePolicy, GetSecretValue, ListSecretVersionIds,
        ListSecrets, PutResourcePolicy, PutSecretValue, RemoveRegionsFromReplication,
        ReplicateSecretToRegions, RestoreSecret, RotateSecret, StopReplicationToReplica,
        TagResource, UntagResource, UpdateSecret, UpdateSecretVersionStage, ValidateResourcePolicy,
    };
    match op {
        BatchGetSecretValue
        | DescribeSecret
        | GetRandomPassword
        | GetResourcePolicy
        | GetSecretValue
        | ListSecretVersionIds
        | ListSecrets
        | ValidateResourcePolicy => true,
        CancelRotateSecret
        | CreateSecret
        | DeleteResourcePolicy
        | DeleteSecret
        | PutResourcePolicy
        | PutSecretValue
        | RemoveRegionsFromReplication
        | ReplicateSecretToRegions
        | RestoreSecret
        | RotateSecret
        | StopReplicationToReplica
        | TagResource
        | UntagResource
        | UpdateSecret
        | UpdateSecretVersionStage => false,
    }
}

impl Service for SecretsManager {
    type Context = Caller;
    type Guard<'a> = Gate<'a>;

    /// Every change to memory and its journal entry happen under the gate, so that a failed
    /// commit can put memory back to what the disk holds; while the disk cannot take writes,
    /// changes are refused before they touch memory.
    fn begin(&self, op: Operation) -> Result<Gate<'_>> {
        let gate = self.gate();
        if !reads_only(op) && !self.writable() {
            return Err(Error::unwritable());
        }
        Ok(gate)
    }
}
