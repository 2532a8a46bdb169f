//! What a REST operation's binding needs from HTTP, and what it gives back, without HTTP types.

use super::{Codec, Ticket};
use crate::error::{Error, Result};

/// One row of a REST service's routing table.
#[derive(Debug, Clone, Copy)]
pub struct Route<Op> {
    pub method: &'static str,
    /// The model's `requestUri`, with `{Label}` segments.
    pub path: &'static str,
    pub op: Op,
}

impl<Op: Copy> Route<Op> {
    /// The path's labels if `path` fits this route's template (the query string removed).
    pub fn bind(&self, method: &str, path: &str) -> Option<Vec<(&'static str, String)>> {
        if method != self.method {
            return None;
        }
        let template = self.path.split('?').next().unwrap_or(self.path);
        let want: Vec<&str> = template.trim_end_matches('/').split('/').collect();
        let got: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        if want.len() != got.len() {
            return None;
        }
        let mut labels = Vec::new();
        for (w, g) in want.iter().zip(&got) {
            match w.strip_prefix('{').and_then(|l| l.strip_suffix('}')) {
                Some(label) if !g.is_empty() => labels.push((label, percent_decode(g)?)),
                Some(_) => return None,
                None if w == g => {}
                None => return None,
            }
        }
        Some(labels)
    }
}

fn percent_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

/// A REST request as the binding sees it: path labels, query parameters, headers (names in
/// lower case) and the body.
#[derive(Debug, Default)]
pub struct RestRequest {
    pub labels: Vec<(&'static str, String)>,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RestRequest {
    pub fn label(&self, name: &str) -> Option<String> {
        self.labels
            .iter()
            .find(|(l, _)| *l == name)
            .map(|(_, v)| v.clone())
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A REST operation's input, bound from a request's labels, query string, headers and body
/// (generated per input structure).
pub trait FromRest: Sized {
    fn from_rest<C: Codec>(codec: &C, request: RestRequest) -> Result<Self, Error<C::Code>>;
}

/// A REST operation's output, written as an answer's status, headers and body (generated per
/// output structure).
pub trait ToRest {
    fn to_rest<C: Codec>(
        &self,
        codec: &C,
        response: &mut RestResponse,
    ) -> Result<(), Error<C::Code>>;
}

/// A REST answer: status, headers and body, sent once `ticket` says the change is durable.
pub struct RestResponse {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    pub ticket: Ticket,
}

impl RestResponse {
    pub fn new(status: u16, ticket: Ticket) -> Self {
        RestResponse {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            ticket,
        }
    }
}

/// A string member bound from the query string or a header.
pub fn text<C: Codec>(
    _: &C,
    _: &str,
    value: Option<&str>,
) -> Result<Option<String>, Error<C::Code>> {
    Ok(value.map(str::to_string))
}

pub fn integer<C: Codec>(
    codec: &C,
    name: &str,
    value: Option<&str>,
) -> Result<Option<i64>, Error<C::Code>> {
    value
        .map(|v| v.parse().map_err(|_| codec.bad_value(name, v)))
        .transpose()
}

pub fn boolean<C: Codec>(
    codec: &C,
    name: &str,
    value: Option<&str>,
) -> Result<Option<bool>, Error<C::Code>> {
    value
        .map(|v| v.parse().map_err(|_| codec.bad_value(name, v)))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_bind_labels() {
        let r = Route {
            method: "DELETE",
            path: "/2015-03-31/functions/{FunctionName}/policy/{StatementId}",
            op: (),
        };
        let labels = r
            .bind("DELETE", "/2015-03-31/functions/f%3A1/policy/s1")
            .unwrap();
        assert_eq!(
            labels,
            vec![("FunctionName", "f:1".into()), ("StatementId", "s1".into())]
        );
        assert!(r.bind("GET", "/2015-03-31/functions/f/policy/s1").is_none());
        assert!(r.bind("DELETE", "/2015-03-31/functions/f/policy").is_none());
        assert!(r
            .bind("DELETE", "/2015-03-31/functions//policy/s")
            .is_none());
        let list = Route {
            method: "GET",
            path: "/2015-03-31/functions/",
            op: (),
        };
        assert!(list.bind("GET", "/2015-03-31/functions").is_some());
    }
}
