//! The AWS query protocol for STS and CloudFormation: `Action=...` form requests (POST body
//! or GET query string), XML answers wrapped in `<ActionResponse>` with the request id.

use super::pipeline::Failure;
use super::pipeline::{self, Entry, Lost};
use super::{read_body, request_id, AppState, MAX_BODY};
use crate::domain::caller::Caller;
use crate::error::{Common, Error};
use crate::generated::{cloudformation as cfn, sts};
use crate::wire::query::Form;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::Response;
use std::sync::Arc;

/// The query services LocalEmu serves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum QueryService {
    Sts,
    CloudFormation,
}

impl QueryService {
    fn xmlns(self) -> &'static str {
        match self {
            QueryService::Sts => sts::XMLNS,
            QueryService::CloudFormation => cfn::XMLNS,
        }
    }

    /// The namespace of error answers (STS's differs from its answers' by scheme).
    fn error_xmlns(self) -> &'static str {
        match self {
            QueryService::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
            QueryService::CloudFormation => cfn::XMLNS,
        }
    }
}

/// Which service a query request is for: the service its signature is scoped to, else the API
/// version it names, else the service that has its action.
fn service_of(parts: &axum::http::request::Parts, form: &Form) -> QueryService {
    let scoped = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .or_else(|| form.get("X-Amz-Credential"))
        .and_then(|c| c.split('/').nth(3));
    match scoped {
        Some("cloudformation") => return QueryService::CloudFormation,
        Some("sts") => return QueryService::Sts,
        _ => {}
    }
    match form.get("Version") {
        Some(cfn::API_VERSION) => return QueryService::CloudFormation,
        Some(sts::API_VERSION) => return QueryService::Sts,
        _ => {}
    }
    let action = form.get("Action").unwrap_or_default();
    if cfn::Operation::from_name(action).is_some() {
        QueryService::CloudFormation
    } else {
        QueryService::Sts
    }
}

/// The actions a GET (or HEAD) may run: those that change nothing and hand out nothing. A web
/// page can make a browser send a GET to any address without the user's consent and without
/// any header that marks it as the page's (`<img src>` to a name the browser does not treat as
/// local carries neither `Origin` nor `Sec-Fetch-Site`), so a GET must never create, change or
/// delete anything, mint credentials or run code. Everything else must be POSTed, which
/// browsers always mark with `Origin` and the guard refuses.
fn served_by_get(service: QueryService, action: &str) -> bool {
    match service {
        // Presigned GetCallerIdentity URLs are how IAM-based login schemes prove an identity.
        QueryService::Sts => matches!(action, "GetCallerIdentity" | "GetAccessKeyInfo"),
        QueryService::CloudFormation => ["Describe", "List", "Get", "Validate"]
            .iter()
            .any(|prefix| action.starts_with(prefix)),
    }
}

/// The query services' part in the pipeline.
static STS: Entry = Entry {
    service: "sts",
    unstored: Failure::internal,
    internal: None,
    // The query protocol's error document has one spelling: `<Message>`.
    message: "Message",
    lost: Lost::RunAgain,
    again_if_unstored: true,
};
static CLOUDFORMATION: Entry = Entry {
    service: "cloudformation",
    unstored: Failure::internal,
    internal: None,
    // The query protocol's error document has one spelling: `<Message>`.
    message: "Message",
    lost: Lost::RunAgain,
    again_if_unstored: true,
};

fn post_only(action: &str) -> Failure {
    Error::common(
        Common::AccessDenied,
        format!(
            "LocalEmu runs {action} only when it is POSTed: a GET may only read (Describe*, \
             List*, Get* and ValidateTemplate for CloudFormation, GetCallerIdentity and \
             GetAccessKeyInfo for STS)."
        ),
    )
}

fn unknown_action(form: &Form, version: &str) -> Failure {
    let action = form.get("Action").unwrap_or_default();
    Error::common(
        Common::UnknownOperation,
        format!(
            "Could not find operation {action} for version {}",
            form.get("Version").unwrap_or(version)
        ),
    )
}

pub async fn handle(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let id = request_id();
    let (parts, body) = request.into_parts();
    let mut service = QueryService::Sts;
    let result = async {
        let body = read_body(body, MAX_BODY).await.map_err(Failure::from)?;
        let mut text = body.to_vec();
        // A GET (or a presigned POST) carries its parameters in the URL.
        if let Some(q) = parts.uri.query() {
            if !text.is_empty() {
                text.push(b'&');
            }
            text.extend_from_slice(q.as_bytes());
        }
        let form = Form::parse(&text).map_err(Failure::from)?;
        service = service_of(&parts, &form);
        let action = form.get("Action").unwrap_or_default();
        let reading = matches!(parts.method, Method::GET | Method::HEAD);
        if reading && !served_by_get(service, action) {
            return Err(post_only(action));
        }
        match service {
            QueryService::Sts => {
                let op = sts::Operation::from_name(action)
                    .ok_or_else(|| unknown_action(&form, sts::API_VERSION))?;
                // The operations AWS's model marks as taking no credentials.
                let anonymous_ok = matches!(
                    op,
                    sts::Operation::AssumeRoleWithWebIdentity | sts::Operation::AssumeRoleWithSAML
                );
                let run = |caller: Caller| {
                    let ack = sts::dispatch(state.sts.as_ref(), &caller, op, &form);
                    async move { ack.map_err(Failure::from) }
                };
                let entry = &STS;
                let (_, xml) = pipeline::call(
                    &state,
                    entry,
                    (&parts, &body),
                    (op.name(), anonymous_ok),
                    run,
                )
                .await?;
                Ok((op.name(), xml))
            }
            QueryService::CloudFormation => {
                let op = cfn::Operation::from_name(action)
                    .ok_or_else(|| unknown_action(&form, cfn::API_VERSION))?;
                let run = |caller: Caller| {
                    let ack = cfn::dispatch(state.cloudformation.as_ref(), &caller, op, &form);
                    async move { ack.map_err(Failure::from) }
                };
                let entry = &CLOUDFORMATION;
                let (_, xml) =
                    pipeline::call(&state, entry, (&parts, &body), (op.name(), false), run).await?;
                Ok((op.name(), xml))
            }
        }
    }
    .await;
    match result {
        Ok((name, xml)) => {
            let body = format!(
                "<{name}Response xmlns=\"{ns}\">\n  {xml}\n  <ResponseMetadata>\n    <RequestId>{id}</RequestId>\n  </ResponseMetadata>\n</{name}Response>\n",
                ns = service.xmlns(),
            );
            let mut response = Response::new(Body::from(body));
            *response.status_mut() = StatusCode::OK;
            let h = response.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
            if let Ok(v) = HeaderValue::from_str(&id) {
                h.insert("x-amzn-RequestId", v);
            }
            response
        }
        Err(e) => {
            let mut response = super::render::query_xml(&e, service.error_xmlns(), &id);
            if let Ok(v) = HeaderValue::from_str(&id) {
                response.headers_mut().insert("x-amzn-RequestId", v);
            }
            response
        }
    }
}
