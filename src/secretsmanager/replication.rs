//! Replication: real replica secrets in other regions of the same account, kept in step with
//! their primary on every write (ReplicateSecretToRegions, RemoveRegionsFromReplication,
//! StopReplicationToReplica, and CreateSecret's AddReplicaRegions).

use super::commit::commit;
use super::model::ts;
use super::policy::replica_refused;
use super::{secret_id, Ack, Caller, SecretsManager, Ticket};
use crate::domain::secret::{ReplicaStatus, Secret};
use crate::domain::Namespace;
use crate::generated::secretsmanager as sm;
use crate::generated::secretsmanager::{Error, Result};
use crate::store::Store;
use crate::wire::{At, Violations};

pub const IN_SYNC: &str = "InSync";
pub const FAILED: &str = "Failed";

/// Every replica needs a Region, which the model leaves optional.
fn require_regions(member: &str, regions: &[sm::ReplicaRegionType]) -> Result<()> {
    let mut v = Violations::new();
    for (i, r) in regions.iter().enumerate() {
        if r.region.is_none() {
            let base = format!("{member}.{}.member", i + 1);
            v.missing(At::new(&base, "region"));
        }
    }
    Ok(v.finish()?)
}

/// The replica of `primary` in `region`, keeping a previous replica's own access dates.
fn replica_of(
    primary: &Secret,
    region: &str,
    kms_key_id: Option<String>,
    previous: Option<&Secret>,
) -> Secret {
    let mut r = primary.clone();
    if let Some(arn) = crate::domain::arn::Arn::parse(&primary.arn) {
        r.arn = arn.in_region(region);
    }
    r.primary_region = Some(primary.region().to_string());
    r.replicas = Vec::new();
    r.rotation = None;
    r.kms_key_id = kms_key_id;
    if let Some(p) = previous {
        r.last_accessed = p.last_accessed;
    }
    r
}

fn is_replica_of(candidate: &Secret, primary: &Secret) -> bool {
    candidate.is_replica() && candidate.primary_region.as_deref() == Some(primary.region())
}

/// Creates or refreshes the replica of `primary` in `region`; returns its status.
fn place(
    store: &Store,
    account: &str,
    primary: &Secret,
    region: &str,
    kms: Option<String>,
    force: bool,
) -> ReplicaStatus {
    let space = store.namespace_or_create(&Namespace::new(account, region));
    let status = |status: &str, message: String| ReplicaStatus {
        region: region.to_string(),
        kms_key_id: kms.clone(),
        status: status.to_string(),
        status_message: message,
    };
    if let Some(existing) = space.get(&primary.name) {
        let ours = is_replica_of(&existing.read(), primary);
        if !ours && !force {
            return status(
                FAILED,
                format!(
                    "Replication failed: Secret name {} already exists in region {region}.",
                    primary.name
                ),
            );
        }
        if !ours {
            let _ = space.remove(&existing);
        }
    }
    let replica = replica_of(primary, region, kms.clone(), None);
    match space.insert_unless(replica, |old| is_replica_of(old, primary)) {
        Ok(_) => {}
        Err(cell) => {
            let mut r = cell.write();
            *r = replica_of(primary, region, kms.clone(), Some(&r));
            let ids: Vec<String> = r.versions.iter().map(|v| v.id.clone()).collect();
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            let _ = commit(store, &space, &cell, &r, &ids);
        }
    }
    status(IN_SYNC, "Replication succeeded".into())
}

/// Brings every in-sync replica of `primary` up to date after a change to it.
pub fn sync(store: &Store, account: &str, primary: &Secret, new_values: &[&str]) {
    for status in primary.replicas.iter().filter(|r| r.status == IN_SYNC) {
        let Some(space) = store.namespace(&Namespace::new(account, status.region.clone())) else {
            continue;
        };
        let Some(cell) = space.get(&primary.name) else {
            continue;
        };
        let mut r = cell.write();
        if !is_replica_of(&r, primary) {
            continue;
        }
        *r = replica_of(primary, &status.region, status.kms_key_id.clone(), Some(&r));
        let _ = commit(store, &space, &cell, &r, new_values);
    }
}

impl SecretsManager {
    /// ReplicationStatus as DescribeSecret and the replication operations show it.
    pub(crate) fn replication_status(
        &self,
        account: &str,
        s: &Secret,
    ) -> Vec<sm::ReplicationStatusType> {
        s.replicas
            .iter()
            .map(|r| {
                let accessed = self
                    .store
                    .namespace(&Namespace::new(account, r.region.clone()))
                    .and_then(|space| space.get(&s.name))
                    .and_then(|cell| cell.read().last_accessed);
                sm::ReplicationStatusType {
                    region: Some(r.region.clone()),
                    // AWS names the default key by its alias here.
                    kms_key_id: Some(
                        r.kms_key_id
                            .clone()
                            .unwrap_or_else(|| "alias/aws/secretsmanager".into()),
                    ),
                    status: Some(r.status.clone()),
                    status_message: Some(r.status_message.clone()),
                    last_accessed_date: accessed.map(ts),
                }
            })
            .collect()
    }

    /// Adds replicas of the locked primary `s`; the caller commits it.
    pub(crate) fn add_replicas(
        &self,
        account: &str,
        s: &mut Secret,
        regions: &[sm::ReplicaRegionType],
        force: bool,
    ) -> Result<()> {
        require_regions("addReplicaRegions", regions)?;
        // Only Regions AWS has: a made-up name that fits the model's pattern would otherwise
        // add a replica (and a namespace) per name, and every later write to the secret would
        // copy itself to all of them.
        if regions.iter().any(|r| {
            let region = r.region.as_deref().unwrap_or_default();
            region == s.region() || !crate::domain::arn::is_aws_region(region)
        }) {
            return Err(Error::invalid_parameter("Invalid replica region."));
        }
        for r in regions {
            let region = r.region.clone().unwrap_or_default();
            let status = place(
                &self.store,
                account,
                s,
                &region,
                r.kms_key_id.clone(),
                force,
            );
            s.replicas.retain(|x| x.region != region);
            s.replicas.push(status);
        }
        s.primary_region = Some(s.region().to_string());
        Ok(())
    }
}

impl sm::ReplicateSecretToRegions for SecretsManager {
    fn replicate_secret_to_regions(
        &self,
        caller: &Caller,
        input: sm::ReplicateSecretToRegionsRequest,
    ) -> Result<Ack<sm::ReplicateSecretToRegionsResponse>> {
        let regions = input.add_replica_regions.unwrap_or_default();
        let id = secret_id(input.secret_id)?;
        let found = self.find(caller, &id)?;
        let mut s = found.writable()?;
        self.add_replicas(
            &found.namespace().account,
            &mut s,
            &regions,
            input.force_overwrite_replica_secret.unwrap_or(false),
        )?;
        s.touch_changed(self.now());
        let ticket = self.commit(&found, &s, &[]);
        let output = sm::ReplicateSecretToRegionsResponse {
            arn: Some(s.arn.clone()),
            replication_status: Some(self.replication_status(&found.namespace().account, &s)),
        };
        Ok(Ack::new(output, ticket))
    }
}

impl sm::RemoveRegionsFromReplication for SecretsManager {
    fn remove_regions_from_replication(
        &self,
        caller: &Caller,
        input: sm::RemoveRegionsFromReplicationRequest,
    ) -> Result<Ack<sm::RemoveRegionsFromReplicationResponse>> {
        let regions = input.remove_replica_regions.unwrap_or_default();
        let id = secret_id(input.secret_id)?;
        let found = self.find(caller, &id)?;
        let mut s = found.cell.write();
        found.check_owner(&s)?;
        if s.is_replica() {
            return Err(replica_refused());
        }
        for region in &regions {
            let Some(space) = self.store.namespace(&Namespace::new(
                found.namespace().account.clone(),
                region.clone(),
            )) else {
                continue;
            };
            if let Some(cell) = space.get(&s.name) {
                if is_replica_of(&cell.read(), &s) {
                    let _ = space.remove(&cell);
                }
            }
        }
        s.replicas.retain(|r| !regions.contains(&r.region));
        if s.replicas.is_empty() {
            s.primary_region = None;
        }
        s.touch_changed(self.now());
        let ticket = self.commit(&found, &s, &[]);
        let output = sm::RemoveRegionsFromReplicationResponse {
            arn: Some(s.arn.clone()),
            replication_status: Some(self.replication_status(&found.namespace().account, &s)),
        };
        Ok(Ack::new(output, ticket))
    }
}

/// Called in the replica's region: the replica becomes a standalone secret.
impl sm::StopReplicationToReplica for SecretsManager {
    fn stop_replication_to_replica(
        &self,
        caller: &Caller,
        input: sm::StopReplicationToReplicaRequest,
    ) -> Result<Ack<sm::StopReplicationToReplicaResponse>> {
        let id = secret_id(input.secret_id)?;
        let found = self.find(caller, &id)?;
        let (name, primary_region) = {
            let r = found.cell.read();
            found.check_owner(&r)?;
            if !r.is_replica() {
                return Err(Error::invalid_request(
                    "The secret is not a replica secret.",
                ));
            }
            (r.name.clone(), r.primary_region.clone().unwrap_or_default())
        };
        // The primary is updated first and on its own: locks are never held across secrets.
        let primary_ns = Namespace::new(found.namespace().account.clone(), primary_region);
        if let Some(cell) = self
            .store
            .namespace(&primary_ns)
            .and_then(|space| space.get(&name))
        {
            let space = self.store.namespace_or_create(&primary_ns);
            let mut p = cell.write();
            let region = found.namespace().region.clone();
            p.replicas.retain(|x| x.region != region);
            if p.replicas.is_empty() {
                p.primary_region = None;
            }
            let _ = commit(&self.store, &space, &cell, &p, &[]);
        }
        let mut r = found.cell.write();
        r.primary_region = None;
        r.touch_changed(self.now());
        let ticket: Ticket = self.commit(&found, &r, &[]);
        let output = sm::StopReplicationToReplicaResponse {
            arn: Some(r.arn.clone()),
        };
        Ok(Ack::new(output, ticket))
    }
}
