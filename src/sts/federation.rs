//! Federation: GetFederationToken's federated-user sessions, and DecodeAuthorizationMessage.

use super::tokens::Session;
use super::{answer, check_session_policy, credentials, packed_size, Sts};
use crate::domain::caller::{Caller, SessionTags};
use crate::generated::sts::{self as g, Answer, Error, ErrorCode};
use crate::policy::Who;

impl g::GetFederationToken for Sts {
    fn get_federation_token(
        &self,
        cx: &Caller,
        i: g::GetFederationTokenRequest,
    ) -> Answer<g::GetFederationTokenResponse> {
        check_session_policy(i.policy.as_deref())?;
        // Federation is for long-term credentials: a user's or the account's own.
        let Who::Aws {
            account,
            role: None,
            ..
        } = &cx.who
        else {
            return Err(Error::access_denied(
                "Cannot call GetFederationToken with session credentials",
            ));
        };
        if cx
            .access_key_id
            .as_deref()
            .is_some_and(|k| k.starts_with("ASIA"))
        {
            return Err(Error::access_denied(
                "Cannot call GetFederationToken with session credentials",
            ));
        }
        let name = i.name.unwrap_or_default();
        let arn = cx
            .namespace
            .global_arn("sts", &format!("federated-user/{name}"));
        let user_id = format!("{account}:{name}");
        let seconds = i.duration_seconds.unwrap_or(43_200);
        let tags = i.tags.as_deref().unwrap_or_default();
        let session_tags = SessionTags {
            tags: tags
                .iter()
                .map(|t| {
                    (
                        t.key.clone().unwrap_or_default(),
                        t.value.clone().unwrap_or_default(),
                    )
                })
                .collect(),
            transitive: Vec::new(),
        };
        let issued = self.identities.minter().issue(Session {
            access_key_id: String::new(),
            account: account.clone(),
            arn: arn.clone(),
            role: None,
            user_id: user_id.clone(),
            expires: self.clock.now() + seconds * 1000,
            tags: session_tags,
        });
        answer(g::GetFederationTokenResponse {
            credentials: Some(credentials(&issued)),
            federated_user: Some(g::FederatedUser {
                federated_user_id: Some(user_id),
                arn: Some(arn),
            }),
            // AWS reports the share even when no policy was passed.
            packed_policy_size: Some(packed_size(i.policy.as_deref(), tags.len()).unwrap_or(0)),
            ..Default::default()
        })
    }
}

impl g::DecodeAuthorizationMessage for Sts {
    fn decode_authorization_message(
        &self,
        _: &Caller,
        _: g::DecodeAuthorizationMessageRequest,
    ) -> Answer<g::DecodeAuthorizationMessageResponse> {
        // LocalEmu's refusals say in plain words why access was denied; it never issues an
        // encoded authorization message, so none can be decoded here.
        Err(Error::new(
            ErrorCode::InvalidAuthorizationMessageException,
            "The encoded message is not one this service issued.",
        ))
    }
}
