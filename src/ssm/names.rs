//! Parameter names: the rules a name that is written must follow, the hierarchy rules a
//! name that is read must follow, and a parameter's ARN taken as its name.

use super::MAX_LEVELS;
use crate::generated::ssm::{Error, ErrorCode, Result};

fn bad_name() -> Error {
    Error::validation(
        "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If formed \
         as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be \
         formed as a mix of letters, numbers and the following 3 symbols .-_",
    )
}

/// AWS's rules for a name that is written.
pub(super) fn check_name(name: &str) -> Result<()> {
    let chars_ok = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'/'));
    let first = name.trim_start_matches('/').to_ascii_lowercase();
    if !chars_ok || first.starts_with("aws") || first.starts_with("ssm") || name.is_empty() {
        return Err(bad_name());
    }
    check_hierarchy(name)?;
    if name.matches('/').count() > MAX_LEVELS {
        return Err(Error::new(
            ErrorCode::HierarchyLevelLimitExceededException,
            format!("Parameter name can have at most {MAX_LEVELS} levels."),
        ));
    }
    Ok(())
}

/// A name as reads accept it: a name, or a parameter's ARN.
pub(super) fn plain_name(id: &str) -> String {
    match crate::domain::arn::Arn::parse(id) {
        Some(a) if a.service == "ssm" => {
            let name = a.resource.strip_prefix("parameter").unwrap_or(a.resource);
            name.to_string()
        }
        _ => id.to_string(),
    }
}

fn not_qualified() -> Error {
    Error::validation("Parameter name must be a fully qualified name")
}

/// The hierarchy rules every name meets, read or written: a name with a path starts with a
/// slash, and no level of it is empty.
pub(super) fn check_hierarchy(name: &str) -> Result<()> {
    if name.contains('/') && !name.starts_with('/') {
        return Err(not_qualified());
    }
    if name.contains("//") || (name.len() > 1 && name.ends_with('/')) {
        return Err(bad_name());
    }
    Ok(())
}

/// The name a read, delete, label or tag call names (a name or an ARN), checked.
pub(super) fn read_name(id: &str) -> Result<String> {
    let name = plain_name(id);
    check_hierarchy(&name)?;
    Ok(name)
}
