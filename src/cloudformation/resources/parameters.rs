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

/// Updates the parameter `name` in place: a new version, then its tags brought to what the
/// template now says (Parameter Store takes no tags with an overwrite).
pub async fn update(t: &Target<'_>, old: &Value, new: &Value, name: &str) -> Outcome<Made> {
    let made = put(t, new, name, true).await?;
    let (gone, set) = super::tag_changes(old, new);
    let s = &t.services.ssm;
    if !gone.is_empty() {
        call!(
            s,
            ssm,
            "Ssm",
            RemoveTagsFromResource,
            remove_tags_from_resource,
            &t.caller,
            pg::RemoveTagsFromResourceRequest {
                resource_type: Some("Parameter".into()),
                resource_id: Some(name.to_string()),
                tag_keys: Some(gone),
            }
        )?;
    }
    if !set.is_empty() {
        call!(
            s,
            ssm,
            "Ssm",
            AddTagsToResource,
            add_tags_to_resource,
            &t.caller,
            pg::AddTagsToResourceRequest {
                resource_type: Some("Parameter".into()),
                resource_id: Some(name.to_string()),
                tags: Some(
                    set.into_iter()
                        .map(|(k, v)| pg::Tag {
                            key: Some(k),
                            value: Some(v),
                        })
                        .collect(),
                ),
            }
        )?;
    }
    Ok(made)
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
