//! AWS's protocol test cases (botocore's JSON and query suites) against the wire structures:
//! every JSON body AWS wrote, read into the suite's structure and written again, is the same
//! JSON (member names, nesting, lists and maps, blobs in base64, numbers and timestamps as
//! epoch seconds); every query form an SDK sends reads into the members it carries (lists
//! with or without `member`, flattened, renamed; maps with `entry` or flattened, renamed keys);
//! and every query response's members, written as XML, are the elements AWS sent.

#[allow(
    clippy::all,
    clippy::pedantic,
    dead_code,
    reason = "written by `cargo codegen` from the cases: its shape follows them"
)]
mod cases;

use serde_json::Value;

/// A suite's description, the body AWS wrote, and the body read and written again.
type Case = (
    &'static str,
    &'static str,
    fn(&str) -> Result<Value, String>,
);

/// A query suite's description, the form an SDK sends, its members as JSON, and the form read.
type FormCase = (
    &'static str,
    &'static str,
    &'static str,
    fn(&str) -> Result<Value, String>,
);

/// A query response suite's description, the XML AWS sent, the element holding the members
/// (none: the root), the members as JSON, and those members written as XML.
type XmlCase = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    fn(&str) -> Result<String, String>,
);

/// A REST-JSON request suite's description, the method, URI (path and query string), the
/// operation's path template, headers (as a JSON object), body, the members as JSON, and the
/// request bound into the suite's structure.
type RestCase = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    fn(crate::wire::RestRequest) -> Result<Value, String>,
);

/// A REST-JSON response suite's description, the status, headers (as a JSON object) and
/// body AWS sent, the members as JSON, and those members written as a REST answer.
type RestOutCase = (
    &'static str,
    u16,
    &'static str,
    &'static str,
    &'static str,
    fn(&str) -> Result<crate::wire::RestResponse, String>,
);

/// A REST output made from a case's members (generated).
pub(crate) trait FromMembers: Sized {
    fn from_members(v: &Value) -> Result<Self, String>;
}

fn rest_written<T: FromMembers + crate::wire::ToRest>(
    members: &str,
) -> Result<crate::wire::RestResponse, String> {
    let v: Value = serde_json::from_str(members).map_err(|e| e.to_string())?;
    let output = T::from_members(&v)?;
    let mut response = crate::wire::RestResponse::new(200, crate::wire::Ticket::ready());
    output
        .to_rest(&JsonBody, &mut response)
        .map_err(|e| format!("{e:?}"))?;
    Ok(response)
}

/// Every member of a REST input, those bound outside the body included (generated).
pub(crate) trait RestMembers {
    fn rest_members(&self) -> Value;
}

/// The JSON body codec as REST-JSON services read bodies: an empty body has no members.
struct JsonBody;

impl crate::wire::Codec for JsonBody {
    type Code = crate::error::NoService;

    fn decode<I: serde::de::DeserializeOwned + Default>(
        &self,
        body: &[u8],
    ) -> crate::error::Result<I> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(I::default());
        }
        serde_json::from_slice(body).map_err(|e| crate::error::Error::serialization(e.to_string()))
    }

    fn encode<O: serde::Serialize>(&self, output: &O) -> crate::error::Result<Vec<u8>> {
        serde_json::to_vec(output).map_err(|e| crate::error::Error::serialization(e.to_string()))
    }

    fn bad_value(&self, member: &str, value: &str) -> crate::error::Error {
        crate::error::Error::serialization(format!("{member}: {value}"))
    }
}

fn rest_read<T: crate::wire::FromRest + RestMembers>(
    request: crate::wire::RestRequest,
) -> Result<Value, String> {
    T::from_rest(&JsonBody, request)
        .map(|t| t.rest_members())
        .map_err(|e| format!("{e:?}"))
}

/// The request a case describes, as the REST front end hands it to the binding: labels from
/// the path template, the query string's pairs (decoded), headers in lower case, the body.
fn rest_request(
    method: &'static str,
    uri: &str,
    template: &'static str,
    headers: &str,
    body: &str,
) -> Option<crate::wire::RestRequest> {
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let route = crate::wire::Route {
        method,
        path: template,
        op: (),
    };
    let labels = route.bind(method, path)?;
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect();
    let headers: serde_json::Map<String, Value> = serde_json::from_str(headers).unwrap_or_default();
    Some(crate::wire::RestRequest {
        labels,
        query,
        headers: headers
            .into_iter()
            .map(|(k, v)| {
                (
                    k.to_ascii_lowercase(),
                    v.as_str().unwrap_or_default().to_string(),
                )
            })
            .collect(),
        body: body.as_bytes().to_vec(),
    })
}

fn xml_written<T: crate::wire::query::ToXml + serde::de::DeserializeOwned>(
    members: &str,
) -> Result<String, String> {
    let value: T = serde_json::from_str(members).map_err(|e| e.to_string())?;
    let mut out = String::new();
    value.to_xml(&mut out);
    Ok(out)
}

fn form_read<T: crate::wire::query::FromForm + Default + serde::Serialize>(
    body: &str,
) -> Result<Value, String> {
    let form = crate::wire::query::Form::parse(body.as_bytes()).map_err(|e| e.to_string())?;
    let read = T::from_form(&form, "").map_err(|e| e.to_string())?;
    serde_json::to_value(read.unwrap_or_default()).map_err(|e| e.to_string())
}

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(
    body: &str,
) -> Result<Value, String> {
    let body = if body.trim().is_empty() { "{}" } else { body };
    let read: T = serde_json::from_str(body).map_err(|e| e.to_string())?;
    serde_json::to_value(&read).map_err(|e| e.to_string())
}

/// JSON equality as a client reads it: numbers by value (`1422172800` and `1422172800.0` are
/// one timestamp), a null member as an absent one, and a union's `__type` (which clients
/// ignore) left out.
fn same(a: &Value, b: &Value) -> bool {
    let present = |m: &serde_json::Map<String, Value>| -> Vec<(String, Value)> {
        m.iter()
            .filter(|(k, v)| !v.is_null() && k.as_str() != "__type")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            let (x, y) = (present(x), present(y));
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.iter().any(|(l, w)| l == k && same(v, w)))
        }
        _ => a == b,
    }
}

/// Cases whose point no wire structure can show by writing back what it read: a sparse list
/// (`null` members, which no served shape allows), and members a client ignores (the read
/// succeeds; what is written back rightly leaves them out).
const OUT_OF_SCOPE: [&str; 2] = ["Lists", "Ignores extra data"];

fn differing(cases: &[Case]) -> Vec<String> {
    cases
        .iter()
        .filter(|(description, ..)| !OUT_OF_SCOPE.contains(description))
        .filter_map(|(description, body, again)| {
            let aws: Value = if body.trim().is_empty() {
                Value::Object(serde_json::Map::new())
            } else {
                serde_json::from_str(body).ok()?
            };
            match again(body) {
                Ok(ours) if same(&aws, &ours) => None,
                Ok(ours) => Some(format!("{description}: AWS {aws}, LocalEmu {ours}")),
                Err(e) => Some(format!("{description}: {body} cannot be read: {e}")),
            }
        })
        .collect()
}

#[test]
fn aws_request_bodies_read_and_write_back_unchanged() {
    let all: Vec<Case> = [cases::JSON_INPUT, cases::CLASSIC_INPUT].concat();
    assert!(all.len() >= 24, "{}", all.len());
    let wrong = differing(&all);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn aws_response_bodies_read_and_write_back_unchanged() {
    let all: Vec<Case> = [cases::JSON_OUTPUT, cases::CLASSIC_OUTPUT].concat();
    assert!(all.len() >= 19, "{}", all.len());
    let wrong = differing(&all);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn aws_query_requests_read_into_the_members_they_carry() {
    assert!(
        cases::QUERY_INPUT.len() >= 15,
        "{}",
        cases::QUERY_INPUT.len()
    );
    let wrong: Vec<String> = cases::QUERY_INPUT
        .iter()
        .filter_map(|(description, body, params, read)| {
            let expected: Value = serde_json::from_str(params).ok()?;
            match read(body) {
                Ok(ours) if same(&expected, &ours) => None,
                Ok(ours) => Some(format!(
                    "{description}: {body}: AWS {expected}, LocalEmu {ours}"
                )),
                Err(e) => Some(format!("{description}: {body} cannot be read: {e}")),
            }
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn aws_rest_json_requests_bind_into_the_members_they_carry() {
    assert!(
        cases::REST_JSON_INPUT.len() >= 15,
        "{}",
        cases::REST_JSON_INPUT.len()
    );
    let wrong: Vec<String> = cases::REST_JSON_INPUT
        .iter()
        .filter_map(
            |(description, method, uri, template, headers, body, params, read)| {
                let expected: Value = serde_json::from_str(params).ok()?;
                let Some(request) = rest_request(method, uri, template, headers, body) else {
                    return Some(format!(
                        "{description}: {method} {uri} does not fit {template}"
                    ));
                };
                match read(request) {
                    Ok(ours) if same(&expected, &ours) => None,
                    Ok(ours) => Some(format!(
                        "{description}: {method} {uri}: AWS {expected}, LocalEmu {ours}"
                    )),
                    Err(e) => Some(format!("{description}: {method} {uri} cannot be read: {e}")),
                }
            },
        )
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Cases about what a client ignores (extra data, a union member it does not know) or about
/// errors, which a server's writing cannot show.
const REST_OUT_OF_SCOPE: [&str; 4] = [
    "Ignores extra data",
    "Ignores undefined output",
    "Modeled exceptions",
    "Tagged Unions",
];

#[test]
fn aws_rest_json_responses_are_what_aws_writes() {
    let cases: Vec<&RestOutCase> = cases::REST_JSON_OUTPUT
        .iter()
        .filter(|c| !REST_OUT_OF_SCOPE.contains(&c.0))
        .collect();
    assert!(cases.len() >= 7, "{}", cases.len());
    let wrong: Vec<String> = cases
        .into_iter()
        .filter_map(|(description, status, headers, body, members, write)| {
            let ours = match write(members) {
                Ok(r) => r,
                Err(e) => return Some(format!("{description}: {members} cannot be written: {e}")),
            };
            let theirs: serde_json::Map<String, Value> =
                serde_json::from_str(headers).unwrap_or_default();
            let header = |name: &str| {
                ours.headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
            };
            let headers_agree = theirs
                .iter()
                .all(|(k, v)| header(k).as_deref() == v.as_str())
                && ours.headers.len() == theirs.len();
            let body_agrees = if body.trim().is_empty() {
                ours.body.is_empty() || ours.body == b"{}"
            } else {
                match (
                    serde_json::from_str::<Value>(body),
                    serde_json::from_slice::<Value>(&ours.body),
                ) {
                    (Ok(a), Ok(b)) => same(&a, &b),
                    _ => body.as_bytes() == ours.body.as_slice(),
                }
            };
            (ours.status != *status || !headers_agree || !body_agrees).then(|| {
                format!(
                    "{description}: AWS {status} {headers} {body}, LocalEmu {} {:?} {}",
                    ours.status,
                    ours.headers,
                    String::from_utf8_lossy(&ours.body)
                )
            })
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// An element as a client reads it: its name, its text, its children in order (attributes,
/// namespaces and the whitespace between elements do not matter to a client).
#[derive(Debug, Clone, PartialEq)]
struct Element {
    name: String,
    text: String,
    children: Vec<Element>,
}

fn parse_xml(text: &str) -> Result<Element, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack = vec![Element {
        name: String::new(),
        text: String::new(),
        children: Vec::new(),
    }];
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        let name = |n: &[u8]| String::from_utf8_lossy(n).into_owned();
        match event {
            Event::Start(e) => stack.push(Element {
                name: name(e.local_name().as_ref()),
                text: String::new(),
                children: Vec::new(),
            }),
            Event::Empty(e) => {
                let done = Element {
                    name: name(e.local_name().as_ref()),
                    text: String::new(),
                    children: Vec::new(),
                };
                stack.last_mut().ok_or("unbalanced")?.children.push(done);
            }
            Event::End(_) => {
                let done = stack.pop().ok_or("unbalanced")?;
                stack.last_mut().ok_or("unbalanced")?.children.push(done);
            }
            Event::Text(t) => {
                let t = t.xml_content().map_err(|e| e.to_string())?;
                stack.last_mut().ok_or("unbalanced")?.text.push_str(&t);
            }
            Event::GeneralRef(r) => {
                let c = r
                    .resolve_char_ref()
                    .ok()
                    .flatten()
                    .map(String::from)
                    .or_else(|| {
                        quick_xml::escape::resolve_predefined_entity(&String::from_utf8_lossy(
                            r.as_ref(),
                        ))
                        .map(String::from)
                    })
                    .ok_or("unknown entity")?;
                stack.last_mut().ok_or("unbalanced")?.text.push_str(&c);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut root = stack.pop().ok_or("unbalanced")?;
    tidy(&mut root);
    Ok(root)
}

/// Text between elements is layout, not content.
fn tidy(e: &mut Element) {
    if !e.children.is_empty() {
        e.text.clear();
    }
    e.children.iter_mut().for_each(tidy);
}

/// The elements holding a response's members: inside the result wrapper (the case's, or a
/// `...Result` element where the case names none, as AWS's query services always write one),
/// with the request's metadata left out.
fn members_of(doc: &Element, wrapper: Option<&str>) -> Option<Vec<Element>> {
    let root = doc.children.first()?;
    let holder = root
        .children
        .iter()
        .find(|e| wrapper.map_or(e.name.ends_with("Result"), |w| e.name == w))
        .unwrap_or(root);
    Some(
        holder
            .children
            .iter()
            .filter(|e| !["ResponseMetadata", "RequestId"].contains(&e.name.as_str()))
            .cloned()
            .collect(),
    )
}

#[test]
fn aws_query_responses_are_the_xml_aws_writes() {
    assert!(
        cases::QUERY_OUTPUT.len() >= 12,
        "{}",
        cases::QUERY_OUTPUT.len()
    );
    let wrong: Vec<String> = cases::QUERY_OUTPUT
        .iter()
        .filter_map(|(description, body, wrapper, members, write)| {
            let aws = parse_xml(body).ok().and_then(|d| members_of(&d, *wrapper));
            let Some(aws) = aws else {
                return Some(format!("{description}: {body} has no members' element"));
            };
            let ours = write(members).and_then(|x| parse_xml(&format!("<r>{x}</r>")));
            match ours.map(|d| members_of(&d, None)) {
                Ok(Some(ours)) if ours == aws => None,
                Ok(ours) => Some(format!("{description}: AWS {aws:?}, LocalEmu {ours:?}")),
                Err(e) => Some(format!("{description}: {members} cannot be written: {e}")),
            }
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
