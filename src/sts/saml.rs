//! AssumeRoleWithSAML: the SAML assertion read for what STS takes from it (session name,
//! duration, tags, source identity, subject, issuer, audience), and what strict mode checks.
//!
//! There is no IAM here, so no SAML provider metadata and no certificate to verify a
//! signature against. Lenient mode (the default) verifies nothing: a readable assertion
//! assumes the role the request names. Strict mode (`strict.signatures`) refuses an assertion
//! that carries no XML signature, whose `Role` attribute does not pair the requested role
//! with the requested provider, whose conditions are not in force now, or whose recipient
//! and audience are not AWS sign-in; the signature itself is not verified.

use super::{credentials, packed_size, tags, Sts};
use crate::domain::caller::SessionTags;
use crate::generated::sts::{self as g, Answer, Error, ErrorCode, Result};
use base64::Engine as _;
use quick_xml::events::{BytesStart, Event};

const ATTRIBUTES: &str = "https://aws.amazon.com/SAML/Attributes/";

/// What STS reads of an assertion.
#[derive(Debug, Default)]
struct Assertion {
    issuer: Option<String>,
    name_id: Option<String>,
    name_format: Option<String>,
    recipient: Option<String>,
    not_before: Option<String>,
    not_on_or_after: Option<String>,
    audiences: Vec<String>,
    /// Attribute name and values, in document order.
    attributes: Vec<(String, Vec<String>)>,
    signed: bool,
}

impl Assertion {
    fn attribute(&self, name: &str) -> Option<&[String]> {
        let full = format!("{ATTRIBUTES}{name}");
        self.attributes
            .iter()
            .find(|(n, _)| *n == full)
            .map(|(_, v)| v.as_slice())
    }

    fn first(&self, name: &str) -> Option<&str> {
        self.attribute(name)
            .and_then(|v| v.first())
            .map(|s| s.trim())
    }
}

fn invalid(message: &str) -> Error {
    Error::new(ErrorCode::InvalidIdentityToken, message)
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == name.as_bytes())
            .then(|| a.unescape_value().ok().map(std::borrow::Cow::into_owned))
            .flatten()
    })
}

/// Reads the assertion out of a SAML response (or a bare assertion); None when it is not
/// well-formed XML.
fn read(xml: &str) -> Option<Assertion> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Assertion::default();
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    loop {
        let (e, empty) = match reader.read_event().ok()? {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::Text(t) => {
                text.push_str(&t.xml_content().ok()?);
                continue;
            }
            Event::GeneralRef(r) => {
                let name = String::from_utf8_lossy(r.as_ref()).into_owned();
                let c = r
                    .resolve_char_ref()
                    .ok()
                    .flatten()
                    .map(String::from)
                    .or_else(|| {
                        quick_xml::escape::resolve_predefined_entity(&name).map(String::from)
                    })?;
                text.push_str(&c);
                continue;
            }
            Event::End(_) => {
                let name = stack.pop()?;
                let parent = stack.last().map(String::as_str);
                let value = std::mem::take(&mut text).trim().to_string();
                match (name.as_str(), parent) {
                    ("Issuer", Some("Assertion")) => out.issuer = Some(value),
                    ("Issuer", _) if out.issuer.is_none() => out.issuer = Some(value),
                    ("NameID", Some("Subject")) => out.name_id = Some(value),
                    ("Audience", _) => out.audiences.push(value),
                    ("AttributeValue", Some("Attribute")) => {
                        if let Some((_, values)) = out.attributes.last_mut() {
                            values.push(value);
                        }
                    }
                    _ => {}
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
        match name.as_str() {
            "NameID" => out.name_format = attr(&e, "Format"),
            "SubjectConfirmationData" => out.recipient = attr(&e, "Recipient"),
            "Conditions" => {
                out.not_before = attr(&e, "NotBefore");
                out.not_on_or_after = attr(&e, "NotOnOrAfter");
            }
            "Attribute" => out
                .attributes
                .push((attr(&e, "Name").unwrap_or_default(), Vec::new())),
            "Signature" => out.signed = true,
            _ => {}
        }
        text.clear();
        if !empty {
            stack.push(name);
        }
    }
    stack.is_empty().then_some(out)
}

/// SubjectType as STS reports it: SAML 2.0's name id formats by their short name.
fn subject_type(format: Option<&str>) -> Option<String> {
    let format = format?;
    Some(
        format
            .strip_prefix("urn:oasis:names:tc:SAML:2.0:nameid-format:")
            .unwrap_or(format)
            .to_string(),
    )
}

/// NameQualifier: base64 of the SHA-1 of the issuer, the account and `/` and the provider's
/// name, as STS documents it.
fn name_qualifier(issuer: &str, provider_arn: &str) -> Option<String> {
    use sha1::Digest;
    let a = crate::domain::arn::Arn::parse(provider_arn)?;
    let name = a.resource.strip_prefix("saml-provider/")?;
    let digest = sha1::Sha1::digest(format!("{issuer}{}/{name}", a.account).as_bytes());
    Some(base64::engine::general_purpose::STANDARD.encode(digest))
}

fn is_session_name(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

fn timestamp(s: Option<&str>) -> Option<i64> {
    let t = time::OffsetDateTime::parse(s?, &time::format_description::well_known::Rfc3339);
    t.ok().map(time::OffsetDateTime::unix_timestamp)
}

/// AWS sign-in, which an assertion for AWS is addressed to.
fn is_aws_signin(url: &str) -> bool {
    url.strip_prefix("https://")
        .and_then(|u| u.strip_suffix("signin.aws.amazon.com/saml"))
        .is_some_and(|region| region.is_empty() || region.ends_with('.'))
}

impl Sts {
    /// Strict mode's checks of an assertion for `role` and `provider` (see the module).
    fn check_strictly(&self, a: &Assertion, role: &str, provider: &str) -> Result<()> {
        if !a.signed {
            return Err(invalid("Response signature invalid"));
        }
        let paired = a.attribute("Role").unwrap_or_default().iter().any(|v| {
            let mut parts: Vec<&str> = v.split(',').map(str::trim).collect();
            parts.sort_unstable();
            let mut wanted = vec![role, provider];
            wanted.sort_unstable();
            parts == wanted
        });
        if !paired {
            return Err(Error::access_denied(
                "Not authorized to perform sts:AssumeRoleWithSAML",
            ));
        }
        let now = self.clock.now() / 1000;
        let early = timestamp(a.not_before.as_deref()).is_some_and(|t| now < t);
        let late = timestamp(a.not_on_or_after.as_deref()).is_some_and(|t| now >= t);
        if early || late {
            return Err(Error::new(
                ErrorCode::ExpiredTokenException,
                "The SAML assertion is not valid at this time.",
            ));
        }
        let addressed = a.recipient.as_deref().is_some_and(is_aws_signin)
            && a.audiences
                .iter()
                .any(|au| is_aws_signin(au) || au == "urn:amazon:webservices");
        if !addressed {
            return Err(invalid(
                "The SAML assertion's recipient and audience must be AWS sign-in.",
            ));
        }
        Ok(())
    }
}

impl g::AssumeRoleWithSAML for Sts {
    fn assume_role_with_saml(
        &self,
        _: &crate::domain::caller::Caller,
        i: g::AssumeRoleWithSAMLRequest,
    ) -> Answer<g::AssumeRoleWithSAMLResponse> {
        super::check_session_policy(i.policy.as_deref())?;
        let role = i.role_arn.unwrap_or_default();
        let provider = i.principal_arn.unwrap_or_default();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(i.saml_assertion.unwrap_or_default().trim())
            .map_err(|_| invalid("Invalid base64 SAMLResponse"))?;
        let a = std::str::from_utf8(&raw)
            .ok()
            .and_then(read)
            .ok_or_else(|| {
                invalid("Invalid SAML response: the assertion is not well-formed XML.")
            })?;
        if self.strict_saml {
            self.check_strictly(&a, &role, &provider)?;
        }
        let session = a.first("RoleSessionName").unwrap_or_default().to_string();
        if !is_session_name(&session) {
            return Err(invalid(
                "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
            ));
        }
        // The session lasts DurationSeconds, cut to the assertion's SessionDuration.
        let mut seconds = i.duration_seconds.unwrap_or(3600);
        if let Some(limit) = a
            .first("SessionDuration")
            .and_then(|s| s.parse::<i64>().ok())
        {
            seconds = seconds.min(limit);
        }
        let requested: Vec<g::Tag> = a
            .attributes
            .iter()
            .filter_map(|(name, values)| {
                let key = name
                    .strip_prefix(ATTRIBUTES)?
                    .strip_prefix("PrincipalTag:")?;
                Some(g::Tag {
                    key: Some(key.to_string()),
                    value: values.first().cloned(),
                })
            })
            .collect();
        let transitive = a
            .attribute("TransitiveTagKeys")
            .unwrap_or_default()
            .to_vec();
        let session_tags = tags::session_tags(&SessionTags::default(), &requested, &transitive)?;
        let (issued, user) = self.assumed(
            Some(role),
            Some(session),
            Some(seconds),
            false,
            session_tags,
        )?;
        let issuer = a.issuer.clone();
        super::answer(g::AssumeRoleWithSAMLResponse {
            credentials: Some(credentials(&issued)),
            assumed_role_user: Some(user),
            packed_policy_size: packed_size(i.policy.as_deref(), requested.len()),
            subject: a.name_id.clone(),
            subject_type: subject_type(a.name_format.as_deref()),
            name_qualifier: issuer
                .as_deref()
                .and_then(|iss| name_qualifier(iss, &provider)),
            issuer,
            audience: a.recipient.clone(),
            source_identity: a.first("SourceIdentity").map(str::to_string),
            ..Default::default()
        })
    }
}
