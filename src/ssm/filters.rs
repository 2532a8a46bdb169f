//! The ParameterFilters of DescribeParameters and GetParametersByPath, checked before any
//! parameter is read: which keys each operation takes, each key's options and values, a
//! key given twice, and paths, with Parameter Store's codes and wording.

use crate::generated::ssm as g;
use crate::generated::ssm::{Error, ErrorCode, Result};

/// Which operation the filters come with: they take different keys.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Listing {
    Describe,
    ByPath,
}

fn invalid_key(key: &str, valid: &str) -> Error {
    Error::new(
        ErrorCode::InvalidFilterKey,
        format!(
            "The following filter key is not valid: {key}. Valid filter keys include: [{valid}]."
        ),
    )
}

fn invalid_option(option: &str, valid: &str) -> Error {
    Error::new(
        ErrorCode::InvalidFilterOption,
        format!(
            "The following filter option is not valid: {option}. Valid options include: [{valid}]."
        ),
    )
}

fn invalid_value(message: String) -> Error {
    Error::new(ErrorCode::InvalidFilterValue, message)
}

const PATH_RULES: &str = "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\". It can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.";

/// A Path filter's value: `/`, or slash-separated segments of letters, digits, `.`, `-`
/// and `_`, each non-empty (a trailing slash is allowed).
fn is_path(value: &str) -> bool {
    let Some(rest) = value.strip_prefix('/') else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    rest.split('/').all(|seg| {
        !seg.is_empty()
            && seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-_".contains(&b))
    })
}

/// Whether a path names the reserved `aws` or `ssm` namespace (any case).
fn is_reserved(value: &str) -> bool {
    let first = value
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("");
    first.eq_ignore_ascii_case("aws") || first.eq_ignore_ascii_case("ssm")
}

fn check_values(values: &[String], allowed: &[&str]) -> Result<()> {
    match values.iter().find(|v| !allowed.contains(&v.as_str())) {
        Some(bad) => Err(invalid_value(format!(
            "The following filter value is not valid: {bad}. Valid values include: [{}]",
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

/// Checks `filters` as `listing` takes them.
pub(super) fn check(filters: &[g::ParameterStringFilter], listing: Listing) -> Result<()> {
    let mut seen: Vec<&str> = Vec::new();
    for f in filters {
        let key = f.key.as_deref().unwrap_or_default();
        let tag = key.starts_with("tag:");
        match listing {
            Listing::Describe if key == "Label" => {
                return Err(invalid_key(key, "Path, Name, Type, KeyId, Tier"))
            }
            Listing::ByPath if !matches!(key, "Type" | "KeyId" | "Label") => {
                return Err(invalid_key(key, "Type, KeyId"))
            }
            _ => {}
        }
        let values = f.values.as_deref().unwrap_or_default();
        // A tag filter without values asks for the tag's presence.
        if values.is_empty() && !tag {
            return Err(invalid_value(format!(
                "The following filter values are missing : null for filter key {key}."
            )));
        }
        if seen.contains(&key) {
            return Err(invalid_key_duplicated(key));
        }
        seen.push(key);
        let option = f.option.as_deref();
        match key {
            "Path" => {
                if let Some(o) = option.filter(|o| !matches!(*o, "Recursive" | "OneLevel")) {
                    return Err(invalid_option(o, "Recursive, OneLevel"));
                }
                if values.iter().any(|v| !is_path(v)) {
                    return Err(invalid_value(PATH_RULES.into()));
                }
                if values.iter().any(|v| is_reserved(v)) {
                    return Err(invalid_value(
                        "Filters for common parameters can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). When using global parameters, please specify within a global namespace.".into(),
                    ));
                }
            }
            "Name" => {
                if let Some(o) =
                    option.filter(|o| !matches!(*o, "Equals" | "BeginsWith" | "Contains"))
                {
                    return Err(invalid_option(o, "BeginsWith, Equals"));
                }
            }
            "Label" => {
                if let Some(o) = option.filter(|o| *o != "Equals") {
                    return Err(invalid_option(o, "Equals"));
                }
            }
            _ => {
                if let Some(o) = option.filter(|o| !matches!(*o, "Equals" | "BeginsWith")) {
                    return Err(invalid_option(o, "Equals, BeginsWith"));
                }
            }
        }
        match key {
            "Type" => check_values(values, &["String", "StringList", "SecureString"])?,
            "Tier" => check_values(values, &["Standard", "Advanced", "Intelligent-Tiering"])?,
            "DataType" => check_values(values, &["text", "aws:ec2:image", "aws:ssm:integration"])?,
            _ => {}
        }
    }
    Ok(())
}

fn invalid_key_duplicated(key: &str) -> Error {
    Error::new(
        ErrorCode::InvalidFilterKey,
        format!(
            "The following filter is duplicated in the request: {key}. A request can contain only one occurrence of a specific filter."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(key: &str, option: Option<&str>, values: &[&str]) -> g::ParameterStringFilter {
        g::ParameterStringFilter {
            key: Some(key.into()),
            option: option.map(str::to_string),
            values: (!values.is_empty()).then(|| values.iter().map(ToString::to_string).collect()),
        }
    }

    fn refusal(filters: &[g::ParameterStringFilter], listing: Listing) -> (String, String) {
        let e = check(filters, listing).unwrap_err();
        (e.code.as_str().to_string(), e.message)
    }

    #[test]
    fn paths_are_checked_for_their_syntax_and_reserved_namespaces() {
        for ok in ["/", "/a", "/a/b_c.d-e/", "/A1"] {
            assert!(is_path(ok), "{ok}");
        }
        for bad in ["/###", "//", "test", "/a//b", ""] {
            assert!(!is_path(bad), "{bad}");
        }
        let (code, message) = refusal(&[filter("Path", None, &["/aws"])], Listing::Describe);
        assert_eq!(code, "InvalidFilterValue");
        assert!(
            message.starts_with("Filters for common parameters"),
            "{message}"
        );
        let (code, _) = refusal(
            &[filter("Path", Some("Equals"), &["/a"])],
            Listing::Describe,
        );
        assert_eq!(code, "InvalidFilterOption");
    }

    #[test]
    fn keys_options_and_values_are_refused_as_parameter_store_refuses_them() {
        let (code, message) = refusal(&[filter("Label", None, &["x"])], Listing::Describe);
        assert_eq!(code, "InvalidFilterKey");
        assert_eq!(message, "The following filter key is not valid: Label. Valid filter keys include: [Path, Name, Type, KeyId, Tier].");
        let (_, message) = refusal(&[filter("Name", None, &["x"])], Listing::ByPath);
        assert_eq!(message, "The following filter key is not valid: Name. Valid filter keys include: [Type, KeyId].");
        let (code, message) = refusal(&[filter("Name", None, &[])], Listing::Describe);
        assert_eq!(code, "InvalidFilterValue");
        assert_eq!(
            message,
            "The following filter values are missing : null for filter key Name."
        );
        let (code, _) = refusal(
            &[filter("Name", None, &["a"]), filter("Name", None, &["b"])],
            Listing::Describe,
        );
        assert_eq!(code, "InvalidFilterKey");
        let (_, message) = refusal(&[filter("Tier", None, &["test"])], Listing::Describe);
        assert_eq!(message, "The following filter value is not valid: test. Valid values include: [Standard, Advanced, Intelligent-Tiering]");
        let (_, message) = refusal(&[filter("Name", Some("option"), &["t"])], Listing::Describe);
        assert_eq!(message, "The following filter option is not valid: option. Valid options include: [BeginsWith, Equals].");
        check(&[filter("tag:team", None, &[])], Listing::Describe).unwrap();
        check(&[filter("Label", None, &["prod"])], Listing::ByPath).unwrap();
    }
}
