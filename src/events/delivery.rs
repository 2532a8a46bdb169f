//! Events out: routing an event to the rules of its bus, and delivering it to each matching rule's targets (Lambda functions, API destinations with
//! their connection's credentials read from the secret at each call, other buses), with the
//! target's retry policy and the destination's rate limit.

use super::model::{Destination, Rule};
use super::oauth::{form, parts, with_query};
use super::transform::{payload, RuleInfo};
use super::Events;
use crate::domain::Namespace;
use crate::generated::events as g;
use base64::Engine;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// How long one call to an API destination may take (AWS's limit).
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest answer read from an API destination.
const MAX_ANSWER: usize = 1024 * 1024;
/// The first wait before a retry, doubled each time up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_mins(1);

pub(super) fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// How one delivery attempt ended.
enum Attempt {
    Done,
    /// Worth trying again (a 401/407/409/429/5xx answer, no answer, a missing function).
    Retry(String),
    /// Not worth trying again.
    Fail(String),
}

/// An event as it is put on a bus: the members PutEvents entries give.
pub struct Entry<'a> {
    pub source: &'a str,
    pub detail_type: &'a str,
    pub detail: Value,
    pub resources: Vec<String>,
    /// When it happened (ms since the epoch).
    pub at: i64,
}

impl Events {
    /// Puts one event on `bus` of `ns` and starts its deliveries; returns its id.
    pub fn put_event(&self, ns: &Namespace, bus: &str, e: Entry<'_>) -> String {
        let id = self.new_id();
        let event = json!({
            "version": "0",
            "id": id,
            "detail-type": e.detail_type,
            "source": e.source,
            "account": ns.account,
            "time": rfc3339(e.at),
            "region": ns.region,
            "resources": e.resources,
            "detail": e.detail,
        });
        self.route(ns, bus, &event, 0);
        id
    }

    /// Starts the deliveries of `event` to the matching rules of `bus`.
    fn route(&self, ns: &Namespace, bus: &str, event: &Value, hops: u8) {
        self.archive(ns, bus, event);
        for rule in self.matching_rules(ns, bus, event) {
            self.to_targets(ns, &rule, event, hops);
        }
    }

    /// Starts the deliveries of `event` to every target of `rule`.
    pub(super) fn to_targets(&self, ns: &Namespace, rule: &Rule, event: &Value, hops: u8) {
        let Some(me) = self.me.upgrade() else {
            return;
        };
        for target in rule.targets.clone() {
            if self.in_flight.fetch_add(1, Ordering::Relaxed) >= super::MAX_IN_FLIGHT {
                self.in_flight.fetch_sub(1, Ordering::Relaxed);
                tracing::warn!(rule = %rule.arn, "too many deliveries under way; an event was dropped");
                continue;
            }
            let (me, ns, rule, event) = (me.clone(), ns.clone(), rule.clone(), event.clone());
            tokio::spawn(async move {
                me.deliver(&ns, &rule, &target, &event, hops).await;
                me.in_flight.fetch_sub(1, Ordering::Relaxed);
            });
        }
    }

    async fn deliver(
        self: &Arc<Self>,
        ns: &Namespace,
        rule: &Rule,
        target: &g::Target,
        event: &Value,
        hops: u8,
    ) {
        let info = RuleInfo {
            name: &rule.name,
            arn: &rule.arn,
            ingestion_time: event["time"].as_str().unwrap_or_default(),
        };
        let body = payload(target, event, &info);
        let arn = target.arn.clone().unwrap_or_default();
        let policy = target.retry_policy.clone().unwrap_or_default();
        let max_retries = policy.maximum_retry_attempts.unwrap_or(185).clamp(0, 185);
        let max_age = Duration::from_secs(
            policy
                .maximum_event_age_in_seconds
                .unwrap_or(86_400)
                .clamp(60, 86_400) as u64,
        );
        let started = std::time::Instant::now();
        let mut backoff = FIRST_BACKOFF;
        let mut retries = 0;
        loop {
            let outcome = if arn.contains(":function:") {
                self.to_function(ns, &arn, &body).await
            } else if arn.contains(":api-destination/") {
                self.to_destination(ns, &arn, target, &body, retries > 0)
                    .await
            } else if let Some((_, bus)) = arn.split_once(":event-bus/") {
                // Another bus: of this account and region, or of another account or region
                // whose policy lets this account send to it. A loop between buses stops after
                // a few hops.
                let target = crate::domain::arn::Arn::parse(&arn)
                    .map_or_else(|| ns.clone(), |a| Namespace::new(a.account, a.region));
                if self.bus_accepts(&target, bus, &ns.account) {
                    if hops < 4 {
                        self.route(&target, bus, event, hops + 1);
                    }
                    Attempt::Done
                } else {
                    Attempt::Fail(format!(
                        "the policy of {arn} does not let account {} send events to it",
                        ns.account
                    ))
                }
            } else {
                Attempt::Fail(format!("{arn} is not a target LocalEmu delivers to"))
            };
            match outcome {
                Attempt::Done => return,
                Attempt::Fail(why) => {
                    tracing::warn!(rule = %rule.arn, target = %arn, %why, "an event could not be delivered");
                    return;
                }
                Attempt::Retry(why) => {
                    if retries >= max_retries || started.elapsed() + backoff > max_age {
                        tracing::warn!(rule = %rule.arn, target = %arn, %why, retries, "an event could not be delivered; retries exhausted");
                        return;
                    }
                    tracing::debug!(target = %arn, %why, "delivery failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    retries += 1;
                }
            }
        }
    }

    async fn to_function(&self, ns: &Namespace, arn: &str, body: &str) -> Attempt {
        let f = match self.lambda.find(ns, arn) {
            Ok(f) => f,
            Err(e) => return Attempt::Retry(e.message),
        };
        // AWS invokes only a function whose policy allows EventBridge; strict mode enforces
        // it, lenient mode says so.
        let permission = self
            .lambda
            .service_permission(ns, arn, "events.amazonaws.com");
        if permission != crate::lambda::Permission::Allowed {
            if self.lambda.strict_permissions() {
                return Attempt::Fail(format!(
                    "the policy of {arn} does not allow events.amazonaws.com to invoke it"
                ));
            }
            tracing::warn!(function = %arn, "the function's policy does not allow events.amazonaws.com to invoke it; AWS would not deliver");
        }
        let out = self.lambda.invoke(&f, body.as_bytes().to_vec()).await;
        if let Some(e) = out.function_error {
            // The function ran: its own error is not EventBridge's to retry.
            tracing::info!(function = %arn, error = %e, "a function invoked by a rule failed");
        }
        Attempt::Done
    }

    /// Waits until `d` may make another call this second (its invocation rate limit). Real
    /// time, not the emulator's clock: a stopped clock must not stop deliveries.
    async fn take_rate(&self, d: &Destination) {
        loop {
            let wait = {
                let mut rates = self
                    .rates
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let now = std::time::Instant::now();
                let entry = rates.entry(d.arn.clone()).or_insert((now, 0));
                if now.duration_since(entry.0) >= Duration::from_secs(1) {
                    *entry = (now, 0);
                }
                if entry.1 < d.rate {
                    entry.1 += 1;
                    None
                } else {
                    Some(Duration::from_secs(1).saturating_sub(now.duration_since(entry.0)))
                }
            };
            match wait {
                None => return,
                Some(w) => tokio::time::sleep(w.max(Duration::from_millis(5))).await,
            }
        }
    }

    async fn to_destination(
        &self,
        ns: &Namespace,
        arn: &str,
        target: &g::Target,
        body: &str,
        retrying: bool,
    ) -> Attempt {
        let Some(d) = self.destination(ns, arn) else {
            return Attempt::Fail(format!("the api-destination {arn} does not exist"));
        };
        let Some(c) = self.connection(ns, &d.connection_arn) else {
            return Attempt::Fail(format!(
                "the connection {} does not exist",
                d.connection_arn
            ));
        };
        if c.state != "AUTHORIZED" {
            return Attempt::Fail(format!("the connection {} is {}", c.name, c.state));
        }
        // Read at every call, so a changed credential is used by the next one.
        let secret = match self.credentials(ns, &c) {
            Ok(s) => s,
            Err(e) => return Attempt::Retry(e.message),
        };
        let text = |k: &str| {
            secret
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let (mut headers, mut query, body_params) = parts(secret.get("invocation_http_parameters"));
        match c.auth_type.as_str() {
            "API_KEY" => headers.push((text("api_key_name"), text("api_key_value"))),
            "BASIC" => {
                let pair = base64::engine::general_purpose::STANDARD.encode(format!(
                    "{}:{}",
                    text("username"),
                    text("password")
                ));
                headers.push(("authorization".into(), format!("Basic {pair}")));
            }
            _ => match self.token(ns, &c, retrying).await {
                Ok(t) => headers.push(("authorization".into(), format!("Bearer {t}"))),
                Err(e) => return Attempt::Retry(e),
            },
        }
        let mut url = d.endpoint.clone();
        if let Some(p) = &target.http_parameters {
            for v in p.path_parameter_values.iter().flatten() {
                url = url.replacen('*', v, 1);
            }
            for (k, v) in p.header_parameters.iter().flatten() {
                headers.push((k.clone(), v.clone()));
            }
            for (k, v) in p.query_string_parameters.iter().flatten() {
                query.push((k.clone(), v.clone()));
            }
        }
        let url = with_query(&url, &query);
        // Body parameters join a JSON object payload; otherwise the payload goes as it is.
        let payload = match serde_json::from_str::<Value>(body) {
            Ok(Value::Object(mut m)) if !body_params.is_empty() => {
                for (k, v) in body_params {
                    m.insert(k, Value::String(v));
                }
                Value::Object(m).to_string()
            }
            _ if !body_params.is_empty() && body.is_empty() => form(&body_params),
            _ => body.to_string(),
        };
        headers.push((
            "content-type".into(),
            "application/json; charset=utf-8".into(),
        ));
        headers.push((
            "user-agent".into(),
            "Amazon/EventBridge/ApiDestinations".into(),
        ));
        let sends_body = !matches!(d.method.as_str(), "GET" | "HEAD" | "OPTIONS");
        let bytes = if sends_body {
            payload.into_bytes()
        } else {
            Vec::new()
        };
        self.take_rate(&d).await;
        let sent = tokio::time::timeout(
            CALL_TIMEOUT,
            crate::outbound::send(&d.method, &url, &headers, bytes, MAX_ANSWER),
        )
        .await;
        match sent {
            Ok(Ok(reply)) => match reply.status {
                200..=399 => Attempt::Done,
                401 | 407 | 409 | 429 | 500..=599 => {
                    Attempt::Retry(format!("the endpoint answered {}", reply.status))
                }
                s => Attempt::Fail(format!("the endpoint answered {s}")),
            },
            Ok(Err(crate::outbound::Failure::BadUrl)) => {
                Attempt::Fail(format!("{url} cannot be called"))
            }
            Ok(Err(crate::outbound::Failure::Unreachable(e))) => Attempt::Retry(e),
            Err(_) => Attempt::Retry("the endpoint did not answer within 5 seconds".into()),
        }
    }
}
