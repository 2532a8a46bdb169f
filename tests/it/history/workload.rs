//! The history check's workload: each worker's calls on one node, recorded as they end.

use super::check::{Call, Ended, Op};
use super::Node;
use aws_sdk_secretsmanager::config::http::HttpResponse;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::Client;
use rand::{Rng, SeedableRng};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Stable secrets: never deleted, put into and read.
pub const STABLE: usize = 48;
/// Versions put into one stable secret at most: below the 100 AWS keeps.
const MAX_VERSIONS: usize = 90;

/// What the workers share: versions put per stable secret, the churn names in use.
#[derive(Default)]
pub struct Shared {
    pub puts: Mutex<Vec<usize>>,
    pub churn: Mutex<Vec<String>>,
}

fn ended<T, E: ProvideErrorMetadata>(r: &Result<T, SdkError<E, HttpResponse>>) -> Ended {
    match r {
        Ok(_) => Ended::Acked,
        Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() < 500 => Ended::Refused,
        Err(_) => Ended::Unknown,
    }
}

/// Runs `f` with a bound, so that a call to a paused node ends as Unknown rather than hanging.
async fn bounded<T, E>(
    f: impl std::future::Future<Output = Result<T, SdkError<E, HttpResponse>>>,
) -> Option<Result<T, SdkError<E, HttpResponse>>> {
    tokio::time::timeout(Duration::from_secs(20), f).await.ok()
}

pub struct Worker {
    pub id: usize,
    pub node: Arc<Node>,
    pub shared: Arc<Shared>,
    pub t0: Instant,
    pub ops: Vec<Op>,
    /// This worker's churn name and whether it exists.
    pub churn: (usize, bool),
}

impl Worker {
    fn record(&mut self, call: Call, start: Duration, ended: Ended) {
        let end = self.t0.elapsed();
        self.ops.push(Op {
            call,
            start,
            end,
            ended,
        });
    }

    fn churn_name(&self) -> String {
        format!("churn-{}-{}", self.id, self.churn.0)
    }

    pub async fn run(mut self, until: Instant, seed: u64) -> Vec<Op> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        while Instant::now() < until {
            let Some(c) = self.node.client() else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let secret = rng.random_range(0..STABLE);
            match rng.random_range(0..100) {
                0..35 => self.put(&c, secret, rng.random_ratio(1, 4)).await,
                35..75 => {
                    self.read(&c, secret).await;
                }
                75..88 => self.churn_step(&c).await,
                _ => {
                    let names = self.shared.churn.lock().unwrap().clone();
                    let name = &names[rng.random_range(0..names.len())];
                    self.look(&c, name).await;
                }
            }
        }
        self.ops
    }

    async fn put(&mut self, c: &Client, secret: usize, pending: bool) {
        {
            let mut puts = self.shared.puts.lock().unwrap();
            if puts[secret] >= MAX_VERSIONS {
                return;
            }
            puts[secret] += 1;
        }
        let version = uuid::Uuid::new_v4().to_string();
        let mut req = c
            .put_secret_value()
            .secret_id(format!("stable-{secret}"))
            .secret_string(&version)
            .client_request_token(&version);
        if pending {
            req = req.version_stages("AWSPENDING");
        }
        let start = self.t0.elapsed();
        let r = bounded(req.send()).await;
        let how = r.as_ref().map_or(Ended::Unknown, ended);
        let call = Call::Put {
            secret,
            version: version.clone(),
            current: !pending,
        };
        self.record(call, start, how);
        if !pending || how != Ended::Acked {
            return;
        }
        // A stage move: AWSCURRENT from the version read now onto the pending one.
        let Some(current) = self.read(c, secret).await else {
            return;
        };
        let start = self.t0.elapsed();
        let r = bounded(
            c.update_secret_version_stage()
                .secret_id(format!("stable-{secret}"))
                .version_stage("AWSCURRENT")
                .move_to_version_id(&version)
                .remove_from_version_id(current)
                .send(),
        )
        .await;
        let how = r.as_ref().map_or(Ended::Unknown, ended);
        self.record(Call::Move { secret, version }, start, how);
    }

    pub async fn read(&mut self, c: &Client, secret: usize) -> Option<String> {
        let start = self.t0.elapsed();
        let r = bounded(
            c.get_secret_value()
                .secret_id(format!("stable-{secret}"))
                .send(),
        )
        .await?
        .ok()?;
        let version = r.version_id()?.to_string();
        let value = r.secret_string().unwrap_or_default().to_string();
        let call = Call::Read {
            secret,
            version: version.clone(),
            value,
        };
        self.record(call, start, Ended::Acked);
        Some(version)
    }

    pub async fn look(&mut self, c: &Client, name: &str) {
        let start = self.t0.elapsed();
        let Some(r) = bounded(c.get_secret_value().secret_id(name).send()).await else {
            return;
        };
        let seen = match r {
            Ok(out) => Some(out.secret_string().unwrap_or_default().to_string()),
            Err(e) if e.code() == Some("ResourceNotFoundException") => None,
            Err(_) => return,
        };
        let call = Call::Look {
            name: name.to_string(),
            seen,
        };
        self.record(call, start, Ended::Acked);
    }

    async fn churn_step(&mut self, c: &Client) {
        let name = self.churn_name();
        let start = self.t0.elapsed();
        let (call, how) = if self.churn.1 {
            let r = bounded(
                c.delete_secret()
                    .secret_id(&name)
                    .force_delete_without_recovery(true)
                    .send(),
            )
            .await;
            (
                Call::Delete { name },
                r.as_ref().map_or(Ended::Unknown, ended),
            )
        } else {
            let value = uuid::Uuid::new_v4().to_string();
            let r = bounded(c.create_secret().name(&name).secret_string(&value).send()).await;
            (
                Call::Create { name, value },
                r.as_ref().map_or(Ended::Unknown, ended),
            )
        };
        self.record(call, start, how);
        match how {
            Ended::Acked => self.churn.1 = !self.churn.1,
            Ended::Refused => {}
            // Nobody knows whether it happened: later calls go to a new name.
            Ended::Unknown => {
                self.churn = (self.churn.0 + 1, false);
                self.shared.churn.lock().unwrap().push(self.churn_name());
            }
        }
    }
}
