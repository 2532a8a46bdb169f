//! The client side of the query protocol (STS, CloudFormation): input as form parameters, the XML answer
//! read back into the JSON shape the AWS CLI prints.

use quick_xml::events::Event;
use serde_json::{Map, Value};

/// The API version of a query-protocol service; None for the JSON ones.
pub fn version(service: &str) -> Option<&'static str> {
    match service {
        "sts" => Some(crate::generated::sts::API_VERSION),
        "cloudformation" => Some(crate::generated::cloudformation::API_VERSION),
        _ => None,
    }
}

/// `Tags: [{Key: a}]` becomes `Tags.member.1.Key=a`.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                flatten(&format!("{prefix}.{k}"), v, out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten(&format!("{prefix}.member.{}", i + 1), item, out);
            }
        }
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

/// The form body of `action` with `input`.
pub fn form(action: &str, version: &str, input: &Map<String, Value>) -> Vec<u8> {
    let mut pairs = vec![
        ("Action".to_string(), action.to_string()),
        ("Version".to_string(), version.to_string()),
    ];
    for (k, v) in input {
        flatten(k, v, &mut pairs);
    }
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                super::http::encode_path_segment(k),
                super::http::encode_path_segment(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

/// Elements with children become objects, `member` children lists, text strings.
fn element(reader: &mut quick_xml::Reader<&[u8]>) -> Value {
    let mut children: Vec<(String, Value)> = Vec::new();
    let mut text = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                let v = element(reader);
                children.push((name, v));
            }
            Ok(Event::Empty(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                children.push((name, Value::String(String::new())));
            }
            Ok(Event::Text(t)) => {
                text.push_str(
                    &t.decode()
                        .map(std::borrow::Cow::into_owned)
                        .unwrap_or_default(),
                );
            }
            Ok(Event::GeneralRef(r)) => {
                let name = String::from_utf8_lossy(&r).into_owned();
                text.push_str(match name.as_str() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "",
                });
            }
            Ok(Event::End(_) | Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    if children.is_empty() {
        return Value::String(text);
    }
    if children.iter().all(|(n, _)| n == "member") {
        return Value::Array(children.into_iter().map(|(_, v)| v).collect());
    }
    Value::Object(children.into_iter().collect())
}

/// The document's root element, read as [`element`] reads it.
pub fn parse(xml: &[u8]) -> Value {
    // Text is kept whole (entities split it into pieces); whitespace between elements is
    // dropped where children are read.
    let mut reader = quick_xml::Reader::from_reader(xml);
    element(&mut reader)
}

/// The result of a successful answer, or the (code, message) of an error.
pub fn answer(action: &str, xml: &[u8]) -> Result<Value, (String, String)> {
    let doc = parse(xml);
    if let Some(e) = doc.get("ErrorResponse").and_then(|r| r.get("Error")) {
        let s = |k: &str| {
            e.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        return Err((s("Code"), s("Message")));
    }
    Ok(doc
        .get(format!("{action}Response"))
        .and_then(|r| r.get(format!("{action}Result")))
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_answers() {
        let input: Map<String, Value> =
            serde_json::from_str(r#"{"RoleArn": "a b", "Tags": [{"Key": "k"}]}"#).unwrap();
        let body = String::from_utf8(form("AssumeRole", "2011-06-15", &input)).unwrap();
        assert_eq!(
            body,
            "Action=AssumeRole&Version=2011-06-15&RoleArn=a%20b&Tags.member.1.Key=k"
        );
        let ok = answer("GetCallerIdentity", b"<GetCallerIdentityResponse xmlns=\"x\"><GetCallerIdentityResult><Arn>a&amp;b</Arn><L><member>1</member></L></GetCallerIdentityResult></GetCallerIdentityResponse>").unwrap();
        assert_eq!(ok["Arn"], "a&b");
        assert_eq!(ok["L"][0], "1");
        let e = answer("X", b"<ErrorResponse>\n  <Error>\n    <Code>C</Code><Message>Value &apos;x&apos; at y</Message></Error></ErrorResponse>").unwrap_err();
        assert_eq!(e, ("C".to_string(), "Value 'x' at y".to_string()));
    }
}
