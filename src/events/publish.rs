//! Secrets Manager's events on the default bus of the secret's account and region, in the
//! shape AWS delivers them from CloudTrail: "AWS API Call via CloudTrail" for its write
//! operations (request parameters without secret values) and "AWS Service Event via
//! CloudTrail" for rotation and version deletion.

use super::buses::DEFAULT;
use super::delivery::Entry;
use super::Events;
use crate::domain::caller::Caller;
use crate::domain::Namespace;
use crate::policy::Who;
use serde_json::{json, Map, Value};
use std::sync::Weak;

/// Secrets Manager's listener: publishes to EventBridge (held weakly, as EventBridge holds
/// Secrets Manager).
pub struct Publisher(pub Weak<Events>);

/// Members never copied into an event: secret values.
const SECRET_MEMBERS: [&str; 2] = ["SecretString", "SecretBinary"];

/// `SecretId` → `secretId`, as CloudTrail names request members.
fn camel(key: &str) -> String {
    if key == "ARN" {
        return "arn".into();
    }
    let mut out = key.to_string();
    if let Some(first) = out.get(..1).map(str::to_ascii_lowercase) {
        out.replace_range(..1, &first);
    }
    out
}

fn request_parameters(request: &Value) -> Value {
    let Value::Object(m) = request else {
        return Value::Null;
    };
    let out: Map<String, Value> = m
        .iter()
        .filter(|(k, _)| !SECRET_MEMBERS.contains(&k.as_str()))
        .map(|(k, v)| (camel(k), v.clone()))
        .collect();
    Value::Object(out)
}

fn response_elements(response: &Value) -> Value {
    let Value::Object(m) = response else {
        return Value::Null;
    };
    let out: Map<String, Value> = ["ARN", "Name", "VersionId"]
        .iter()
        .filter_map(|k| m.get(*k).map(|v| (camel(k), v.clone())))
        .collect();
    if out.is_empty() {
        Value::Null
    } else {
        Value::Object(out)
    }
}

fn identity(caller: &Caller) -> Value {
    match &caller.who {
        Who::Aws { account, arn, role } => {
            let kind = if role.is_some() {
                "AssumedRole"
            } else if arn.ends_with(":root") {
                "Root"
            } else {
                "IAMUser"
            };
            json!({
                "type": kind,
                "principalId": account,
                "arn": arn,
                "accountId": account,
                "accessKeyId": caller.access_key_id.clone().unwrap_or_default(),
            })
        }
        Who::Service(s) => json!({ "type": "AWSService", "invokedBy": s }),
    }
}

impl Publisher {
    fn common(e: &Events, ns: &Namespace, name: &str, at: i64) -> Map<String, Value> {
        let time = time::OffsetDateTime::from_unix_timestamp(at.div_euclid(1000))
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let mut m = Map::new();
        m.insert("eventVersion".into(), json!("1.08"));
        m.insert("eventTime".into(), json!(time));
        m.insert("eventSource".into(), json!("secretsmanager.amazonaws.com"));
        m.insert("eventName".into(), json!(name));
        m.insert("awsRegion".into(), json!(ns.region));
        m.insert("requestID".into(), json!(e.new_id()));
        m.insert("eventID".into(), json!(e.new_id()));
        m.insert("readOnly".into(), json!(false));
        m.insert("managementEvent".into(), json!(true));
        m.insert("recipientAccountId".into(), json!(ns.account));
        m.insert("eventCategory".into(), json!("Management"));
        m
    }
}

impl crate::secretsmanager::notify::Notify for Publisher {
    fn api_call(&self, caller: &Caller, operation: &str, request: &[u8], response: &[u8]) {
        let Some(e) = self.0.upgrade() else {
            return;
        };
        let ns = &caller.namespace;
        // Nothing to build for a bus no rule listens on (the common case, and cheap).
        if !e.has_listeners(ns, DEFAULT) {
            return;
        }
        let at = e.now();
        let mut d = Self::common(&e, ns, operation, at);
        d.insert("userIdentity".into(), identity(caller));
        d.insert("sourceIPAddress".into(), json!("127.0.0.1"));
        d.insert("userAgent".into(), json!("localemu"));
        let parse = |b: &[u8]| serde_json::from_slice(b).unwrap_or(Value::Null);
        d.insert(
            "requestParameters".into(),
            request_parameters(&parse(request)),
        );
        d.insert(
            "responseElements".into(),
            response_elements(&parse(response)),
        );
        d.insert("eventType".into(), json!("AwsApiCall"));
        e.put_event(
            ns,
            DEFAULT,
            Entry {
                source: "aws.secretsmanager",
                detail_type: "AWS API Call via CloudTrail",
                detail: Value::Object(d),
                resources: Vec::new(),
                at,
            },
        );
    }

    fn service_event(&self, ns: &Namespace, name: &str, secret_arn: &str) {
        let Some(e) = self.0.upgrade() else {
            return;
        };
        if !e.has_listeners(ns, DEFAULT) {
            return;
        }
        let at = e.now();
        let mut d = Self::common(&e, ns, name, at);
        d.insert(
            "userIdentity".into(),
            json!({ "accountId": ns.account, "invokedBy": "secretsmanager.amazonaws.com" }),
        );
        d.insert(
            "sourceIPAddress".into(),
            json!("secretsmanager.amazonaws.com"),
        );
        d.insert("userAgent".into(), json!("secretsmanager.amazonaws.com"));
        d.insert("requestParameters".into(), Value::Null);
        d.insert("responseElements".into(), Value::Null);
        d.insert(
            "additionalEventData".into(),
            json!({ "SecretId": secret_arn }),
        );
        d.insert("eventType".into(), json!("AwsServiceEvent"));
        e.put_event(
            ns,
            DEFAULT,
            Entry {
                source: "aws.secretsmanager",
                detail_type: "AWS Service Event via CloudTrail",
                detail: Value::Object(d),
                resources: Vec::new(),
                at,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_never_go_into_events() {
        let r = request_parameters(
            &json!({"SecretId": "a", "SecretString": "s3cret", "SecretBinary": "eA==", "ClientRequestToken": "t"}),
        );
        assert_eq!(r, json!({"secretId": "a", "clientRequestToken": "t"}));
        let out = response_elements(
            &json!({"ARN": "arn:x", "Name": "n", "VersionId": "v", "SecretString": "s"}),
        );
        assert_eq!(out, json!({"arn": "arn:x", "name": "n", "versionId": "v"}));
    }
}
