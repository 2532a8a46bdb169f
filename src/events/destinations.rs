//! API destinations: an HTTP endpoint, its method and invocation rate, and the connection
//! whose credentials every call carries (CreateApiDestination, Describe, Update, Delete, List).

use super::model::Destination;
use super::{exists, invalid, not_found, seconds, Events};
use crate::domain::caller::Caller;
use crate::domain::Namespace;
use crate::generated::events::Answer;
use crate::generated::events::Result;
use crate::generated::events::{self as g, handlers as h};
use crate::wire::{answer, Ack};

/// API destinations an account keeps in one region (AWS's quota).
const MAX_DESTINATIONS: usize = 3000;
const METHODS: [&str; 7] = ["POST", "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"];

fn missing(name: &str) -> crate::generated::events::Error {
    not_found(format!(
        "Failed to describe the api-destination(s). An api-destination '{name}' does not exist."
    ))
}

fn check(endpoint: &str, method: &str, rate: Option<i64>) -> Result<()> {
    if !endpoint.starts_with("https://") && !endpoint.starts_with("http://") {
        return Err(invalid("InvocationEndpoint must be an http or https URL."));
    }
    if endpoint.parse::<hyper::Uri>().is_err() {
        return Err(invalid("InvocationEndpoint is not a valid URL."));
    }
    if !METHODS.contains(&method) {
        return Err(invalid(format!("HttpMethod {method} is not valid.")));
    }
    if rate.is_some_and(|r| !(1..=300).contains(&r)) {
        return Err(invalid(
            "InvocationRateLimitPerSecond must be between 1 and 300.",
        ));
    }
    Ok(())
}

impl Events {
    pub(super) fn destination(&self, ns: &Namespace, name_or_arn: &str) -> Option<Destination> {
        let spaces = self.read();
        spaces
            .get(ns)?
            .destinations
            .values()
            .find(|d| d.name == name_or_arn || d.arn == name_or_arn)
            .cloned()
    }

    fn connection_arn(&self, ns: &Namespace, given: &str) -> Result<String> {
        self.connection(ns, given)
            .map(|c| c.arn)
            .ok_or_else(|| not_found(format!("Connection '{given}' does not exist.")))
    }
}

impl h::CreateApiDestination for Events {
    fn create_api_destination(
        &self,
        cx: &Caller,
        i: g::CreateApiDestinationRequest,
    ) -> Answer<g::CreateApiDestinationResponse> {
        let name = i.name.unwrap_or_default();
        super::check_name(&name)?;
        let ns = &cx.namespace;
        if self.destination(ns, &name).is_some() {
            return Err(exists(format!(
                "An api-destination '{name}' already exists."
            )));
        }
        let endpoint = i.invocation_endpoint.unwrap_or_default();
        let method = i.http_method.unwrap_or_default();
        check(&endpoint, &method, i.invocation_rate_limit_per_second)?;
        let connection_arn = self.connection_arn(ns, &i.connection_arn.unwrap_or_default())?;
        if self
            .read()
            .get(ns)
            .is_some_and(|s| s.destinations.len() >= MAX_DESTINATIONS)
        {
            return Err(super::limit(
                "The requested resource exceeds the maximum number allowed.",
            ));
        }
        let now = self.now();
        let d = Destination {
            arn: ns.arn(
                "events",
                &format!("api-destination/{name}/{}", self.new_id()),
            ),
            name: name.clone(),
            description: i.description,
            connection_arn,
            endpoint,
            method,
            rate: i.invocation_rate_limit_per_second.unwrap_or(300),
            state: "ACTIVE".into(),
            created: now,
            modified: now,
        };
        let ticket = self.store_destination(ns, &d);
        answer(
            g::CreateApiDestinationResponse {
                api_destination_arn: Some(d.arn),
                api_destination_state: Some(d.state),
                creation_time: Some(seconds(d.created)),
                last_modified_time: Some(seconds(d.modified)),
            },
            ticket,
        )
    }
}

impl h::DescribeApiDestination for Events {
    fn describe_api_destination(
        &self,
        cx: &Caller,
        i: g::DescribeApiDestinationRequest,
    ) -> Answer<g::DescribeApiDestinationResponse> {
        let name = i.name.unwrap_or_default();
        let d = self
            .destination(&cx.namespace, &name)
            .ok_or_else(|| missing(&name))?;
        Ok(Ack::ready(g::DescribeApiDestinationResponse {
            api_destination_arn: Some(d.arn),
            name: Some(d.name),
            description: d.description,
            api_destination_state: Some(d.state),
            connection_arn: Some(d.connection_arn),
            invocation_endpoint: Some(d.endpoint),
            http_method: Some(d.method),
            invocation_rate_limit_per_second: Some(d.rate),
            creation_time: Some(seconds(d.created)),
            last_modified_time: Some(seconds(d.modified)),
        }))
    }
}

impl h::UpdateApiDestination for Events {
    fn update_api_destination(
        &self,
        cx: &Caller,
        i: g::UpdateApiDestinationRequest,
    ) -> Answer<g::UpdateApiDestinationResponse> {
        let name = i.name.unwrap_or_default();
        let ns = &cx.namespace;
        let mut d = self.destination(ns, &name).ok_or_else(|| missing(&name))?;
        if let Some(c) = i.connection_arn {
            d.connection_arn = self.connection_arn(ns, &c)?;
        }
        if let Some(e) = i.invocation_endpoint {
            d.endpoint = e;
        }
        if let Some(m) = i.http_method {
            d.method = m;
        }
        if let Some(r) = i.invocation_rate_limit_per_second {
            d.rate = r;
        }
        if i.description.is_some() {
            d.description = i.description;
        }
        check(&d.endpoint, &d.method, Some(d.rate))?;
        d.modified = self.now();
        let ticket = self.store_destination(ns, &d);
        answer(
            g::UpdateApiDestinationResponse {
                api_destination_arn: Some(d.arn),
                api_destination_state: Some(d.state),
                creation_time: Some(seconds(d.created)),
                last_modified_time: Some(seconds(d.modified)),
            },
            ticket,
        )
    }
}

impl h::DeleteApiDestination for Events {
    fn delete_api_destination(
        &self,
        cx: &Caller,
        i: g::DeleteApiDestinationRequest,
    ) -> Answer<g::DeleteApiDestinationResponse> {
        let name = i.name.unwrap_or_default();
        let ns = &cx.namespace;
        let Some(d) = self.destination(ns, &name) else {
            return Err(missing(&name));
        };
        self.rates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&d.arn);
        let ticket = self.drop_destination(ns, &name);
        answer(g::DeleteApiDestinationResponse {}, ticket)
    }
}

impl h::ListApiDestinations for Events {
    fn list_api_destinations(
        &self,
        cx: &Caller,
        i: g::ListApiDestinationsRequest,
    ) -> Answer<g::ListApiDestinationsResponse> {
        let prefix = i.name_prefix.unwrap_or_default();
        let spaces = self.read();
        let list: Vec<g::ApiDestination> = spaces
            .get(&cx.namespace)
            .map(|s| {
                s.destinations
                    .values()
                    .filter(|d| d.name.starts_with(&prefix))
                    .filter(|d| {
                        i.connection_arn
                            .as_ref()
                            .is_none_or(|c| *c == d.connection_arn)
                    })
                    .map(|d| g::ApiDestination {
                        api_destination_arn: Some(d.arn.clone()),
                        name: Some(d.name.clone()),
                        api_destination_state: Some(d.state.clone()),
                        connection_arn: Some(d.connection_arn.clone()),
                        invocation_endpoint: Some(d.endpoint.clone()),
                        http_method: Some(d.method.clone()),
                        invocation_rate_limit_per_second: Some(d.rate),
                        creation_time: Some(seconds(d.created)),
                        last_modified_time: Some(seconds(d.modified)),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let (page, next) = super::page(list, i.next_token.as_deref(), i.limit)?;
        Ok(Ack::ready(g::ListApiDestinationsResponse {
            api_destinations: Some(page),
            next_token: next,
        }))
    }
}
