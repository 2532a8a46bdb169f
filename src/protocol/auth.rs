//! Who sent a request: its credentials resolved to a principal and, when signatures are
//! checked (strict mode), its SigV4 signature verified on the emulator's clock.

use super::sigv4::{self, Signable};
use crate::clock::Clock;
use crate::domain::caller::Caller;
use crate::domain::Namespace;
use crate::error::{Common, Error, Result};
use crate::sts::identity::{Identities, Resolution};
use axum::http::request::Parts;
use std::sync::Arc;

pub struct Auth {
    identities: Arc<Identities>,
    clock: Arc<dyn Clock>,
    /// Strict mode's signature check.
    verify: bool,
    default_region: String,
    keys: sigv4::SigningKeys,
    /// The console's token: its requests act as the root of the account they name, signed
    /// or not (the guard has already checked that they come from the console's page).
    console: Option<String>,
}

fn unrecognized() -> Error {
    Error::common(
        Common::UnrecognizedClient,
        "The security token included in the request is invalid.",
    )
}

impl Auth {
    pub fn new(
        identities: Arc<Identities>,
        clock: Arc<dyn Clock>,
        verify: bool,
        default_region: impl Into<String>,
    ) -> Auth {
        Auth {
            identities,
            clock,
            verify,
            default_region: default_region.into(),
            keys: sigv4::SigningKeys::default(),
            console: None,
        }
    }

    #[must_use]
    pub fn with_console(mut self, token: &str) -> Auth {
        self.console = Some(token.to_string());
        self
    }

    fn is_console(&self, parts: &Parts) -> bool {
        let given = parts.headers.get(crate::guard::CONSOLE_HEADER);
        self.console
            .as_deref()
            .is_some_and(|t| given.is_some_and(|g| g.as_bytes() == t.as_bytes()))
    }

    pub fn default_region(&self) -> &str {
        &self.default_region
    }

    /// The caller of a request to `service` (its signing name) whose whole body is `body`.
    /// `anonymous_ok` lets an unsigned request through in strict mode
    /// (AssumeRoleWithWebIdentity needs no credentials).
    pub fn caller(
        &self,
        parts: &Parts,
        body: &[u8],
        service: &str,
        anonymous_ok: bool,
    ) -> Result<Caller> {
        let query = parts.uri.query().unwrap_or_default();
        if self.is_console(parts) {
            let cred = sigv4::signature(&parts.headers, query)?.map(|s| s.credential);
            return Ok(Caller::root(Namespace::new(
                cred.as_ref()
                    .map_or(sigv4::DEFAULT_ACCOUNT, |c| c.account.as_str()),
                cred.as_ref()
                    .map_or(self.default_region.as_str(), |c| c.region.as_str()),
            )));
        }
        let Some(signed) = sigv4::signature(&parts.headers, query)? else {
            if self.verify && !anonymous_ok {
                return Err(Error::common(
                    Common::MissingAuthenticationToken,
                    "Missing Authentication Token",
                ));
            }
            return Ok(Caller::root(Namespace::new(
                sigv4::DEFAULT_ACCOUNT,
                &self.default_region,
            )));
        };
        let cred = &signed.credential;
        let region = cred.region.clone();
        let resolution = self.identities.resolve(
            &cred.access_key_id,
            signed.security_token.as_deref(),
            &region,
        );
        let (who, account, session_tags) = match resolution {
            Resolution::Known {
                who,
                account,
                secret,
                expires,
                tags,
            } => {
                if self.verify {
                    sigv4::check_service(&signed, service)?;
                    let now = self.clock.now();
                    if expires.is_some_and(|e| e <= now) {
                        return Err(Error::common(
                            Common::ExpiredToken,
                            "The security token included in the request is expired",
                        ));
                    }
                    let req = Signable {
                        method: &parts.method,
                        path: parts.uri.path(),
                        query,
                        headers: &parts.headers,
                        body,
                    };
                    sigv4::verify(&req, &signed, &secret, now, &self.keys)?;
                }
                (who, account, tags)
            }
            // Lenient mode takes any key: a 12-digit key names its account, others the default.
            Resolution::BadToken | Resolution::Unknown if !self.verify => {
                let root = Caller::root(Namespace::new(cred.account.clone(), &region));
                (root.who, cred.account.clone(), root.session_tags)
            }
            Resolution::BadToken | Resolution::Unknown => return Err(unrecognized()),
        };
        Ok(Caller {
            namespace: Namespace::new(account, region),
            access_key_id: Some(cred.access_key_id.clone()),
            who,
            secure_transport: false,
            action: None,
            session_tags,
            via: None,
        })
    }
}
