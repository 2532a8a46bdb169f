//! What EventBridge keeps per account and region: event buses, rules with their targets,
//! connections (whose credentials live in a secret the connection owns), API destinations,
//! archives with the events they keep, and replays.

use crate::clock::Millis;
use crate::generated::events as g;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bus {
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub created: Millis,
    pub modified: Millis,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
    /// The bus policy PutPermission writes (which other accounts may send to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rule {
    pub name: String,
    pub bus: String,
    pub arn: String,
    pub pattern: Option<String>,
    pub schedule: Option<String>,
    /// ENABLED, DISABLED or ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS.
    pub state: String,
    pub description: Option<String>,
    pub role_arn: Option<String>,
    pub created_by: String,
    pub targets: Vec<g::Target>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
    /// The service that made the rule on the account's behalf (an archive's rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Connection {
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    /// API_KEY, BASIC or OAUTH_CLIENT_CREDENTIALS.
    pub auth_type: String,
    /// CREATING, UPDATING, DELETING, AUTHORIZED, DEAUTHORIZED, AUTHORIZING, DEAUTHORIZING.
    pub state: String,
    pub state_reason: Option<String>,
    pub secret_arn: String,
    /// The parts of the authorization parameters DescribeConnection shows (no secret values).
    pub shown: g::ConnectionAuthResponseParameters,
    pub created: Millis,
    pub modified: Millis,
    pub authorized: Option<Millis>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Destination {
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub connection_arn: String,
    pub endpoint: String,
    pub method: String,
    pub rate: i64,
    pub state: String,
    pub created: Millis,
    pub modified: Millis,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Archive {
    pub name: String,
    pub arn: String,
    /// The bus it keeps events of (its EventSourceArn) and that bus's name.
    pub bus_arn: String,
    pub bus: String,
    pub description: Option<String>,
    pub pattern: Option<String>,
    /// 0: kept until the archive is deleted.
    pub retention_days: i64,
    pub kms_key: Option<String>,
    pub created: Millis,
    /// Whether its managed rule was made: false for an archive an older build made, whose
    /// rule is made at the next start (see `managed`).
    #[serde(default)]
    pub ruled: bool,
}

/// One event an archive kept: the event as it was put on the bus, and when it arrived.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArchivedEvent {
    pub archive: String,
    pub id: String,
    pub at: Millis,
    pub event: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Replay {
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    /// The archive's ARN (the replay's EventSourceArn) and name.
    pub archive_arn: String,
    pub archive: String,
    pub destination: g::ReplayDestination,
    pub event_start: Millis,
    pub event_end: Millis,
    /// STARTING, RUNNING, CANCELLING, COMPLETED, CANCELLED or FAILED.
    pub state: String,
    pub state_reason: Option<String>,
    pub started: Millis,
    pub ended: Option<Millis>,
    pub last_replayed: Option<Millis>,
}

/// One (account, region)'s EventBridge resources.
#[derive(Debug, Default, Clone)]
pub struct Space {
    pub buses: IndexMap<String, Bus>,
    /// By (bus, rule name).
    pub rules: IndexMap<(String, String), Rule>,
    pub connections: IndexMap<String, Connection>,
    pub destinations: IndexMap<String, Destination>,
    pub archives: IndexMap<String, Archive>,
    /// Each archive's events, oldest first.
    pub archived: std::collections::HashMap<String, Vec<ArchivedEvent>>,
    pub replays: IndexMap<String, Replay>,
}
