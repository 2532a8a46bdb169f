//! Dynamic references, `{{resolve:secretsmanager:...}}`, `{{resolve:ssm:...}}` and
//! `{{resolve:ssm-secure:...}}`: resolved in a resource's properties just before the resource
//! is created or updated, and never stored, shown or logged (stacks keep the reference).

use super::resources::{call, Fail, Outcome, Target};
use crate::generated::{secretsmanager as sg, ssm as pg};
use serde_json::Value;

/// Whether `v` holds a dynamic reference anywhere.
pub fn has_reference(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("{{resolve:"),
        Value::Array(a) => a.iter().any(has_reference),
        Value::Object(m) => m.values().any(has_reference),
        _ => false,
    }
}

/// `v` with every dynamic reference replaced by what it names.
pub async fn resolve(t: &Target<'_>, v: &Value) -> Outcome<Value> {
    if !has_reference(v) {
        return Ok(v.clone());
    }
    Ok(match v {
        Value::String(s) => Value::String(resolve_text(t, s).await?),
        Value::Array(a) => {
            let mut out = Vec::with_capacity(a.len());
            for i in a {
                out.push(Box::pin(resolve(t, i)).await?);
            }
            Value::Array(out)
        }
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, x) in m {
                out.insert(k.clone(), Box::pin(resolve(t, x)).await?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

async fn resolve_text(t: &Target<'_>, s: &str) -> Outcome<String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{resolve:") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let inner = &rest[start + "{{resolve:".len()..start + len];
        out.push_str(&one(t, inner).await?);
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn malformed(reference: &str) -> Fail {
    Fail::Plain(format!(
        "Template format error: the dynamic reference {{{{resolve:{reference}}}}} is not valid."
    ))
}

async fn one(t: &Target<'_>, inner: &str) -> Outcome<String> {
    if let Some(rest) = inner.strip_prefix("secretsmanager:") {
        return secret(t, rest).await.map_err(|f| match f {
            Fail::Plain(m) => Fail::Plain(m),
            Fail::Service(s, e) => Fail::Plain(format!(
                "{} (Service: {s}, Status Code: 400, Error Code: {})",
                e.message,
                e.name(super::resources::JSON)
            )),
        });
    }
    if let Some(rest) = inner.strip_prefix("ssm-secure:") {
        return parameter(t, rest, true).await;
    }
    if let Some(rest) = inner.strip_prefix("ssm:") {
        return parameter(t, rest, false).await;
    }
    Err(malformed(inner))
}

/// `secret-id[:SecretString[:json-key[:version-stage[:version-id]]]]`; a secret id may be an
/// ARN, whose own colons are part of it.
fn split_secret(rest: &str) -> Option<(String, Vec<&str>)> {
    let parts: Vec<&str> = rest.split(':').collect();
    let (id, tail) = if rest.starts_with("arn:") {
        if parts.len() < 7 {
            return None;
        }
        (parts[..7].join(":"), parts[7..].to_vec())
    } else {
        (parts[0].to_string(), parts[1..].to_vec())
    };
    if id.is_empty() || tail.len() > 4 {
        return None;
    }
    Some((id, tail))
}

async fn secret(t: &Target<'_>, rest: &str) -> Outcome<String> {
    let Some((id, tail)) = split_secret(rest) else {
        return Err(malformed(&format!("secretsmanager:{rest}")));
    };
    let field = |i: usize| tail.get(i).copied().filter(|s| !s.is_empty());
    if field(0).is_some_and(|f| f != "SecretString") {
        return Err(Fail::Plain(format!(
            "Template format error: the dynamic reference to secret {id} names {}, but only SecretString can be read.",
            field(0).unwrap_or_default()
        )));
    }
    let (stage, version) = (field(2), field(3));
    if stage.is_some() && version.is_some() {
        return Err(Fail::Plain(format!(
            "Template format error: the dynamic reference to secret {id} names both a version stage and a version id; give one."
        )));
    }
    let request = sg::GetSecretValueRequest {
        secret_id: Some(id.clone()),
        version_id: version.map(str::to_string),
        version_stage: stage.map(str::to_string),
    };
    let s = &t.services.secrets;
    let out = call!(
        s,
        secretsmanager,
        "SecretsManager",
        GetSecretValue,
        get_secret_value,
        &t.caller,
        request
    )?;
    let Some(text) = out.secret_string else {
        return Err(Fail::Plain(format!(
            "Secret {id} has no SecretString: a dynamic reference reads only text secrets."
        )));
    };
    let Some(key) = field(1) else {
        return Ok(text);
    };
    let doc: serde_json::Map<String, Value> = serde_json::from_str(&text)
        .map_err(|_| Fail::Plain("Could not parse SecretString JSON".into()))?;
    match doc.get(key) {
        Some(Value::String(v)) => Ok(v.clone()),
        Some(other) => Ok(other.to_string()),
        None => Err(Fail::Plain(
            "Could not find a value associated with JSONKey in SecretString".into(),
        )),
    }
}

/// `name[:version]` of a Parameter Store parameter.
async fn parameter(t: &Target<'_>, rest: &str, secure: bool) -> Outcome<String> {
    let (name, version) = match rest.rsplit_once(':') {
        Some((n, v)) if !n.is_empty() && v.chars().all(|c| c.is_ascii_digit()) && !v.is_empty() => {
            (n.to_string(), Some(v))
        }
        _ => (rest.to_string(), None),
    };
    if name.is_empty() {
        return Err(malformed(rest));
    }
    let selector = version.map_or_else(|| name.clone(), |v| format!("{name}:{v}"));
    let request = pg::GetParameterRequest {
        name: Some(selector.clone()),
        with_decryption: Some(secure),
    };
    let s = &t.services.ssm;
    let out = call!(
        s,
        ssm,
        "Ssm",
        GetParameter,
        get_parameter,
        &t.caller,
        request
    );
    let p = match out {
        Ok(o) => o.parameter.unwrap_or_default(),
        Err(_) => {
            return Err(Fail::Plain(format!(
                "Parameters: [ssm:{selector}] cannot be found."
            )))
        }
    };
    let kind = p.type_.unwrap_or_default();
    if secure != (kind == "SecureString") {
        return Err(Fail::Plain(if secure {
            format!("Parameters [{name}] referenced by template are not of type SecureString: use the ssm dynamic reference for it.")
        } else {
            format!("Parameters [{name}] referenced by template have types not supported by the ssm dynamic reference: use ssm-secure for a SecureString.")
        }));
    }
    Ok(p.value.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_ids_and_fields() {
        let (id, tail) = split_secret("MySecret").unwrap();
        assert_eq!((id.as_str(), tail.len()), ("MySecret", 0));
        let (id, tail) = split_secret("MySecret:SecretString:password").unwrap();
        assert_eq!(id, "MySecret");
        assert_eq!(tail, vec!["SecretString", "password"]);
        let arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf";
        let text = format!("{arn}:SecretString:user::");
        let (id, tail) = split_secret(&text).unwrap();
        assert_eq!(id, arn);
        assert_eq!(tail, vec!["SecretString", "user", "", ""]);
        assert!(split_secret("arn:aws:secretsmanager:us-east-1").is_none());
        assert!(split_secret("a:SecretString:k:s:v:extra").is_none());
        assert!(has_reference(
            &serde_json::json!({"a": ["x{{resolve:ssm:p}}"]})
        ));
        assert!(!has_reference(&serde_json::json!({"a": "{{other}}"})));
    }
}
