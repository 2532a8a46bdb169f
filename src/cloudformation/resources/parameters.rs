//! `AWS::SSM::Parameter`, through Parameter Store's own operations.

use super::{call, tags, text, Fail, Made, Outcome, Target};
use crate::generated::ssm as pg;
use serde_json::Value;

/// Creates (or, for an update, overwrites) the parameter `name`.
pub async fn put(t: &Target<'_>, props: &Value, name: &str, overwrite: bool) -> Outcome<Made> {
    let type_ = text(props, "Type");
    if type_.as_deref() == Some("SecureString") {
        return Err(Fail::Plain(
            "Properties validation failed: SecureString is not a Type CloudFormation can create (use String or StringList).".into(),
        ));
    }
    let tag_list = tags(props);
    let request = pg::PutParameterRequest {
        name: Some(name.to_string()),
        description: text(props, "Description"),
        value: text(props, "Value"),
        type_: type_.clone(),
        overwrite: overwrite.then_some(true),
        allowed_pattern: text(props, "AllowedPattern"),
        // Tags go with the first version only; Parameter Store refuses them on an overwrite.
        tags: (!overwrite && !tag_list.is_empty()).then(|| {
            tag_list
                .into_iter()
                .map(|(k, v)| pg::Tag {
                    key: Some(k),
                    value: Some(v),
                })
                .collect()
        }),
        tier: text(props, "Tier"),
        policies: text(props, "Policies"),
        data_type: text(props, "DataType"),
        ..Default::default()
    };
    let s = &t.services.ssm;
    call!(
        s,
        ssm,
        "Ssm",
        PutParameter,
        put_parameter,
        &t.caller,
        request
    )?;
    Ok(Made::named(name)
        .with("Type", type_.unwrap_or_default())
        .with("Value", text(props, "Value").unwrap_or_default()))
}

pub async fn delete(t: &Target<'_>, name: &str) -> Outcome<()> {
    let s = &t.services.ssm;
    call!(
        s,
        ssm,
        "Ssm",
        DeleteParameter,
        delete_parameter,
        &t.caller,
        pg::DeleteParameterRequest {
            name: Some(name.to_string()),
        }
    )?;
    Ok(())
}
