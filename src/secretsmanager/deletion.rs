//! DeleteSecret and RestoreSecret: recovery windows, forced deletion, restoring.

use super::model::ts;
use super::{secret_id, Ack, Caller, SecretsManager, Ticket};
use crate::clock::DAY_MS;
use crate::domain::arn::{secret_arn, SecretRef};
use crate::domain::secret::Deletion;
use crate::generated::secretsmanager as sm;
use crate::generated::secretsmanager::{Error, ErrorCode, Result};

pub const DEFAULT_RECOVERY_DAYS: i64 = 30;

fn deleted(arn: String, name: String, date: i64) -> sm::DeleteSecretResponse {
    sm::DeleteSecretResponse {
        arn: Some(arn),
        name: Some(name),
        deletion_date: Some(ts(date)),
    }
}

impl SecretsManager {
    /// AWS answers a forced deletion of a secret that does not exist with success.
    fn phantom_deletion(&self, caller: &Caller, id: &str, now: i64) -> sm::DeleteSecretResponse {
        let r = SecretRef::parse(id).unwrap_or_else(|| SecretRef::Name(id.to_string()));
        let name = r.display_name().to_string();
        let arn = secret_arn(
            r.namespace(&caller.namespace),
            &name,
            &self.ids.arn_suffix(),
        );
        deleted(arn, name, now)
    }
}

impl sm::DeleteSecret for SecretsManager {
    fn delete_secret(
        &self,
        caller: &Caller,
        input: sm::DeleteSecretRequest,
    ) -> Result<Ack<sm::DeleteSecretResponse>> {
        let id = secret_id(input.secret_id)?;
        let force = input.force_delete_without_recovery.unwrap_or(false);
        let days = match (force, input.recovery_window_in_days) {
            (true, Some(_)) => {
                return Err(Error::invalid_parameter(
                    "You can't use ForceDeleteWithoutRecovery in conjunction with \
                     RecoveryWindowInDays.",
                ))
            }
            (_, Some(d)) if !(7..=30).contains(&d) => {
                return Err(Error::invalid_parameter(
                    "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
                ))
            }
            (_, d) => d.unwrap_or(DEFAULT_RECOVERY_DAYS),
        };
        let now = self.now();
        let found = match self.find(caller, &id) {
            Ok(found) => found,
            Err(e) if force && e.code == ErrorCode::ResourceNotFoundException => {
                let output = self.phantom_deletion(caller, &id, now);
                return Ok(Ack::new(output, Ticket::ready()));
            }
            Err(e) => return Err(e),
        };
        {
            let s = found.cell.read();
            found.check_owner(&s)?;
            if s.is_replica() {
                return Err(super::policy::replica_refused());
            }
            if !s.replicas.is_empty() {
                let regions: Vec<&str> = s.replicas.iter().map(|r| r.region.as_str()).collect();
                return Err(Error::invalid_parameter(format!(
                    "You can't delete secret {} that still has replica regions [{}].",
                    s.arn,
                    regions.join(", ")
                )));
            }
        }
        if force {
            let (arn, name) = {
                let s = found.cell.read();
                (s.arn.clone(), s.name.clone())
            };
            let ticket = found.ns.remove(&found.cell);
            self.listener()
                .service_event(found.namespace(), "EndSecretVersionDelete", &arn);
            return Ok(Ack::new(deleted(arn, name, now), ticket));
        }
        let mut s = found.cell.write();
        if s.is_deleted() {
            return Err(Error::invalid_request(
                "You tried to perform the operation on a secret that's currently marked deleted.",
            ));
        }
        let deletion = Deletion {
            deleted_at: now,
            purge_at: now + days * DAY_MS,
        };
        s.deletion = Some(deletion);
        let ticket = self.commit(&found, &s, &[]);
        self.listener()
            .service_event(found.namespace(), "StartSecretVersionDelete", &s.arn);
        let output = deleted(s.arn.clone(), s.name.clone(), deletion.purge_at);
        Ok(Ack::new(output, ticket))
    }
}

impl sm::RestoreSecret for SecretsManager {
    fn restore_secret(
        &self,
        caller: &Caller,
        input: sm::RestoreSecretRequest,
    ) -> Result<Ack<sm::RestoreSecretResponse>> {
        let id = secret_id(input.secret_id)?;
        let found = self.find(caller, &id)?;
        let mut s = found.cell.write();
        found.check_owner(&s)?;
        let mut ticket = Ticket::ready();
        if s.deletion.take().is_some() {
            s.touch_changed(self.now());
            ticket = self.commit(&found, &s, &[]);
            self.listener()
                .service_event(found.namespace(), "CancelSecretVersionDelete", &s.arn);
        }
        let output = sm::RestoreSecretResponse {
            arn: Some(s.arn.clone()),
            name: Some(s.name.clone()),
        };
        Ok(Ack::new(output, ticket))
    }
}
