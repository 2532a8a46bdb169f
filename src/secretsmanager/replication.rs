//! Replication: real replica secrets in other regions of the same account, kept in step with
//! their primary on every write (ReplicateSecretToRegions, RemoveRegionsFromReplication,
//! StopReplicationToReplica, and CreateSecret's AddReplicaRegions).

use super::check_secret_id_member;
use super::model::ts;
use super::policy::replica_refused;
use super::{Ack, Caller, SecretsManager};
use crate::domain::secret::{ReplicaStatus, Secret};
use crate::domain::validate::Violations;
use crate::domain::Namespace;
use crate::error::{Error, Result};
use crate::store::durable::Ticket;
use crate::store::Store;
use serde::{Deserialize, Serialize};

pub const IN_SYNC: &str = "InSync";
pub const FAILED: &str = "Failed";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicaRegion {
    pub region: Option<String>,
    pub kms_key_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicateSecretToRegionsInput {
    pub secret_id: Option<String>,
    pub add_replica_regions: Option<Vec<ReplicaRegion>>,
    pub force_overwrite_replica_secret: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemoveRegionsFromReplicationInput {
    pub secret_id: Option<String>,
    pub remove_replica_regions: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicationStatusEntry {
    pub region: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    pub status: String,
    pub status_message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_accessed_date: Option<f64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicationOutput {
    #[serde(rename = "ARN")]
    pub arn: String,
    pub replication_status: Vec<ReplicationStatusEntry>,
}

#[derive(Debug, Serialize)]
pub struct ArnOutput {
    #[serde(rename = "ARN")]
    pub arn: String,
}

const REGION_PATTERN: &str = "^([a-z]+-)+\\d+$";

fn region_ok(r: &str) -> bool {
    let Some((prefix, number)) = r.rsplit_once('-') else {
        return false;
    };
    !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && prefix
            .split('-')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

/// Checks a list of replica regions against the model.
pub fn check_regions(member: &str, regions: &[ReplicaRegion], v: &mut Violations) {
    v.list_len(member, Some(regions.len()), 1, usize::MAX);
    for (i, r) in regions.iter().enumerate() {
        let m = format!("{member}.{}.member.region", i + 1);
        match r.region.as_deref() {
            Some(region) => {
                v.length(&m, Some(region), 1, 128);
                v.pattern(&m, region, REGION_PATTERN, region_ok(region));
            }
            None => v.missing(&m),
        }
        v.length(
            &format!("{member}.{}.member.kmsKeyId", i + 1),
            r.kms_key_id.as_deref(),
            0,
            2048,
        );
    }
}

/// The replica of `primary` in `region`, keeping a previous replica's own access dates.
fn replica_of(
    primary: &Secret,
    region: &str,
    kms_key_id: Option<String>,
    previous: Option<&Secret>,
) -> Secret {
    let mut r = primary.clone();
    let mut parts: Vec<&str> = primary.arn.splitn(5, ':').collect();
    if parts.len() == 5 {
        parts[3] = region;
    }
    r.arn = parts.join(":");
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
            let _ = space.commit(&cell, &r, &ids);
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
        let _ = space.commit(&cell, &r, new_values);
    }
}

impl SecretsManager {
    /// ReplicationStatus as DescribeSecret and the replication operations show it.
    pub(crate) fn replication_status(
        &self,
        account: &str,
        s: &Secret,
    ) -> Vec<ReplicationStatusEntry> {
        s.replicas
            .iter()
            .map(|r| {
                let accessed = self
                    .store
                    .namespace(&Namespace::new(account, r.region.clone()))
                    .and_then(|space| space.get(&s.name))
                    .and_then(|cell| cell.read().last_accessed);
                ReplicationStatusEntry {
                    region: r.region.clone(),
                    // AWS names the default key by its alias here.
                    kms_key_id: Some(
                        r.kms_key_id
                            .clone()
                            .unwrap_or_else(|| "alias/aws/secretsmanager".into()),
                    ),
                    status: r.status.clone(),
                    status_message: r.status_message.clone(),
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
        regions: &[ReplicaRegion],
        force: bool,
    ) -> Result<()> {
        if regions
            .iter()
            .any(|r| r.region.as_deref() == Some(s.region()))
        {
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

    pub fn replicate_secret_to_regions(
        &self,
        caller: &Caller,
        input: ReplicateSecretToRegionsInput,
    ) -> Result<Ack<ReplicationOutput>> {
        let mut v = Violations::new();
        let regions = input.add_replica_regions.unwrap_or_default();
        check_regions("addReplicaRegions", &regions, &mut v);
        v.finish()?;
        let id = check_secret_id_member(input.secret_id.as_deref())?;
        let found = self.find(caller, &id)?;
        let mut s = found.writable()?;
        self.add_replicas(
            &found.namespace().account,
            &mut s,
            &regions,
            input.force_overwrite_replica_secret.unwrap_or(false),
        )?;
        s.touch_changed(self.now());
        let ticket = found.ns.commit(&found.cell, &s, &[]);
        let output = ReplicationOutput {
            arn: s.arn.clone(),
            replication_status: self.replication_status(&found.namespace().account, &s),
        };
        Ok(Ack::new(output, ticket))
    }

    pub fn remove_regions_from_replication(
        &self,
        caller: &Caller,
        input: RemoveRegionsFromReplicationInput,
    ) -> Result<Ack<ReplicationOutput>> {
        let mut v = Violations::new();
        let regions = input.remove_replica_regions.unwrap_or_default();
        v.list_len("removeReplicaRegions", Some(regions.len()), 1, usize::MAX);
        for (i, region) in regions.iter().enumerate() {
            let m = format!("removeReplicaRegions.{}.member", i + 1);
            v.length(&m, Some(region), 1, 128);
            v.pattern(&m, region, REGION_PATTERN, region_ok(region));
        }
        v.finish()?;
        let id = check_secret_id_member(input.secret_id.as_deref())?;
        let found = self.find(caller, &id)?;
        let mut s = found.cell.write();
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
        let ticket = found.ns.commit(&found.cell, &s, &[]);
        let output = ReplicationOutput {
            arn: s.arn.clone(),
            replication_status: self.replication_status(&found.namespace().account, &s),
        };
        Ok(Ack::new(output, ticket))
    }

    /// Called in the replica's region: the replica becomes a standalone secret.
    pub fn stop_replication_to_replica(
        &self,
        caller: &Caller,
        input: super::model::SecretIdInput,
    ) -> Result<Ack<ArnOutput>> {
        let id = check_secret_id_member(input.secret_id.as_deref())?;
        let found = self.find(caller, &id)?;
        let (name, primary_region) = {
            let r = found.cell.read();
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
            let _ = space.commit(&cell, &p, &[]);
        }
        let mut r = found.cell.write();
        r.primary_region = None;
        r.touch_changed(self.now());
        let ticket: Ticket = found.ns.commit(&found.cell, &r, &[]);
        Ok(Ack::new(ArnOutput { arn: r.arn.clone() }, ticket))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-10",
        ] {
            assert!(super::region_ok(ok), "{ok}");
        }
        for bad in ["", "us-east", "US-EAST-1", "useast1", "-1", "us--east-1"] {
            assert!(!super::region_ok(bad), "{bad}");
        }
    }
}
