//! The generated Secrets Manager service trait, implemented by the operation families: which
//! operations change state, and the gate every handler runs under.

use super::{Ack, Caller, SecretsManager};
use crate::error::{Error, ErrorCode, Result};
use crate::generated::secretsmanager::{self as sm, Operation, Service};
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

type Answer<O> = Result<Ack<O>>;

impl Service for SecretsManager {
    type Context = Caller;
    type Guard<'a> = Gate<'a>;

    /// Every change to memory and its journal entry happen under the gate, so that a failed
    /// commit can put memory back to what the disk holds; while the disk cannot take writes,
    /// changes are refused before they touch memory.
    fn begin(&self, op: Operation) -> Result<Gate<'_>> {
        let gate = self.gate();
        if !reads_only(op) && !self.writable() {
            return Err(Error::new(
                ErrorCode::InternalServiceError,
                "LocalEmu cannot write to its database (see its log); changes are refused until \
                 it can.",
            ));
        }
        Ok(gate)
    }

    fn batch_get_secret_value(
        &self,
        c: &Caller,
        i: sm::BatchGetSecretValueRequest,
    ) -> Answer<sm::BatchGetSecretValueResponse> {
        self.batch_get_secret_value(c, i).map(Ack::ready)
    }

    fn cancel_rotate_secret(
        &self,
        c: &Caller,
        i: sm::CancelRotateSecretRequest,
    ) -> Answer<sm::CancelRotateSecretResponse> {
        self.cancel_rotate_secret(c, i)
    }

    fn create_secret(
        &self,
        c: &Caller,
        i: sm::CreateSecretRequest,
    ) -> Answer<sm::CreateSecretResponse> {
        self.create_secret(c, i)
    }

    fn delete_resource_policy(
        &self,
        c: &Caller,
        i: sm::DeleteResourcePolicyRequest,
    ) -> Answer<sm::DeleteResourcePolicyResponse> {
        self.delete_resource_policy(c, i)
    }

    fn delete_secret(
        &self,
        c: &Caller,
        i: sm::DeleteSecretRequest,
    ) -> Answer<sm::DeleteSecretResponse> {
        self.delete_secret(c, i)
    }

    fn describe_secret(
        &self,
        c: &Caller,
        i: sm::DescribeSecretRequest,
    ) -> Answer<sm::DescribeSecretResponse> {
        self.describe_secret(c, i).map(Ack::ready)
    }

    fn get_random_password(
        &self,
        c: &Caller,
        i: sm::GetRandomPasswordRequest,
    ) -> Answer<sm::GetRandomPasswordResponse> {
        self.get_random_password(c, i).map(Ack::ready)
    }

    fn get_resource_policy(
        &self,
        c: &Caller,
        i: sm::GetResourcePolicyRequest,
    ) -> Answer<sm::GetResourcePolicyResponse> {
        self.get_resource_policy(c, i).map(Ack::ready)
    }

    fn get_secret_value(
        &self,
        c: &Caller,
        i: sm::GetSecretValueRequest,
    ) -> Answer<sm::GetSecretValueResponse> {
        self.get_secret_value(c, i).map(Ack::ready)
    }

    fn list_secret_version_ids(
        &self,
        c: &Caller,
        i: sm::ListSecretVersionIdsRequest,
    ) -> Answer<sm::ListSecretVersionIdsResponse> {
        self.list_secret_version_ids(c, i).map(Ack::ready)
    }

    fn list_secrets(
        &self,
        c: &Caller,
        i: sm::ListSecretsRequest,
    ) -> Answer<sm::ListSecretsResponse> {
        self.list_secrets(c, i).map(Ack::ready)
    }

    fn put_resource_policy(
        &self,
        c: &Caller,
        i: sm::PutResourcePolicyRequest,
    ) -> Answer<sm::PutResourcePolicyResponse> {
        self.put_resource_policy(c, i)
    }

    fn put_secret_value(
        &self,
        c: &Caller,
        i: sm::PutSecretValueRequest,
    ) -> Answer<sm::PutSecretValueResponse> {
        self.put_secret_value(c, i)
    }

    fn remove_regions_from_replication(
        &self,
        c: &Caller,
        i: sm::RemoveRegionsFromReplicationRequest,
    ) -> Answer<sm::RemoveRegionsFromReplicationResponse> {
        self.remove_regions_from_replication(c, i)
    }

    fn replicate_secret_to_regions(
        &self,
        c: &Caller,
        i: sm::ReplicateSecretToRegionsRequest,
    ) -> Answer<sm::ReplicateSecretToRegionsResponse> {
        self.replicate_secret_to_regions(c, i)
    }

    fn restore_secret(
        &self,
        c: &Caller,
        i: sm::RestoreSecretRequest,
    ) -> Answer<sm::RestoreSecretResponse> {
        self.restore_secret(c, i)
    }

    fn rotate_secret(
        &self,
        c: &Caller,
        i: sm::RotateSecretRequest,
    ) -> Answer<sm::RotateSecretResponse> {
        self.rotate_secret(c, i)
    }

    fn stop_replication_to_replica(
        &self,
        c: &Caller,
        i: sm::StopReplicationToReplicaRequest,
    ) -> Answer<sm::StopReplicationToReplicaResponse> {
        self.stop_replication_to_replica(c, i)
    }

    fn tag_resource(&self, c: &Caller, i: sm::TagResourceRequest) -> Answer<()> {
        self.tag_resource(c, i)
    }

    fn untag_resource(&self, c: &Caller, i: sm::UntagResourceRequest) -> Answer<()> {
        self.untag_resource(c, i)
    }

    fn update_secret(
        &self,
        c: &Caller,
        i: sm::UpdateSecretRequest,
    ) -> Answer<sm::UpdateSecretResponse> {
        self.update_secret(c, i)
    }

    fn update_secret_version_stage(
        &self,
        c: &Caller,
        i: sm::UpdateSecretVersionStageRequest,
    ) -> Answer<sm::UpdateSecretVersionStageResponse> {
        self.update_secret_version_stage(c, i)
    }

    fn validate_resource_policy(
        &self,
        c: &Caller,
        i: sm::ValidateResourcePolicyRequest,
    ) -> Answer<sm::ValidateResourcePolicyResponse> {
        self.validate_resource_policy(c, i).map(Ack::ready)
    }
}
