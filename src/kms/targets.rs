//! How a KeyId names a key: a key id, a key ARN, an alias name or an alias ARN, read into
//! the namespace and name it points at, with AWS's refusals of malformed ones.

use super::{multi_region, not_found};
use crate::domain::Namespace;
use crate::generated::kms::{Error, ErrorCode, Result};

/// Where a KeyId points: a namespace and a key id or alias name in it.
pub(super) enum Target {
    Key(Namespace, String),
    Alias(Namespace, String),
}

pub(super) fn parse_target(caller: &Namespace, id: &str) -> Result<Target> {
    if id.starts_with("arn:") {
        let Some(crate::domain::arn::Arn {
            service: "kms",
            region,
            account,
            resource,
            ..
        }) = crate::domain::arn::Arn::parse(id)
        else {
            return Err(Error::new(
                ErrorCode::InvalidArnException,
                format!("Invalid arn {id}"),
            ));
        };
        // A key lives in one region; this region's KMS cannot reach another's.
        if region != caller.region {
            return Err(not_found(format!("Invalid arn {region}")));
        }
        let ns = Namespace::new(account, region);
        return match resource.split_once('/') {
            Some(("key", key)) => Ok(Target::Key(ns, key.to_string())),
            Some(("alias", _)) => Ok(Target::Alias(ns, resource.to_string())),
            _ => Err(Error::new(
                ErrorCode::InvalidArnException,
                format!("Invalid arn {id}"),
            )),
        };
    }
    if id.starts_with("alias/") {
        return Ok(Target::Alias(caller.clone(), id.to_string()));
    }
    if uuid::Uuid::parse_str(id).is_err() && !multi_region::is_key_id(id) {
        return Err(not_found(format!("Invalid keyId '{id}'")));
    }
    Ok(Target::Key(caller.clone(), id.to_string()))
}
