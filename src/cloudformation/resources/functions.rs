//! `AWS::Lambda::Function` (inline `ZipFile` code) and `AWS::Lambda::Permission`, through
//! Lambda's own operations.

use super::{number, required, tags, text, Fail, Made, Outcome, Target};
use crate::generated::lambda as lg;
use crate::lambda::api::{Api, Call};
use serde_json::Value;

/// A Lambda call made for the stack, naming its IAM action (`CreateFunction`, ...).
fn call(t: &Target<'_>, operation: &str) -> Call {
    Call {
        namespace: t.caller.namespace.clone(),
        caller: t.caller.clone().acting(format!("lambda:{operation}")),
        request_id: uuid::Uuid::new_v4().to_string(),
    }
}

async fn settle<O>(r: lg::Result<crate::wire::Ack<O>>) -> Outcome<O> {
    match r {
        Ok(ack) => super::settle(ack, "Lambda").await,
        Err(e) => Err(Fail::Service("Lambda", e.into())),
    }
}

/// The zip CloudFormation makes of inline code: one file, `index.py` or `index.js` by
/// runtime, as the handler `index.<function>` expects.
fn inline_zip(runtime: &str, source: &str) -> Outcome<Vec<u8>> {
    use std::io::Write;
    let file = if runtime.starts_with("python") {
        "index.py"
    } else if runtime.starts_with("nodejs") {
        "index.js"
    } else {
        return Err(Fail::Plain(format!(
            "Properties validation failed: ZipFile is only supported for the Python and Node.js runtimes, not {runtime}."
        )));
    };
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().unix_permissions(0o644);
    let written = w
        .start_file(file, options)
        .map_err(|e| e.to_string())
        .and_then(|()| w.write_all(source.as_bytes()).map_err(|e| e.to_string()));
    written
        .and_then(|()| w.finish().map_err(|e| e.to_string()))
        .map(std::io::Cursor::into_inner)
        .map_err(|e| Fail::Plain(format!("Internal Failure: {e}")))
}

fn code(props: &Value) -> Outcome<Vec<u8>> {
    let runtime = text(props, "Runtime").unwrap_or_default();
    let c = props.get("Code").cloned().unwrap_or(Value::Null);
    if let Some(source) = text(&c, "ZipFile") {
        return inline_zip(&runtime, &source);
    }
    Err(Fail::Plain(
        "Code from S3Bucket/S3Key or ImageUri is not supported by LocalEmu (it has no S3 or container registry): give the function's code inline in Code.ZipFile.".into(),
    ))
}

fn environment(props: &Value) -> Option<lg::Environment> {
    let vars = props.get("Environment")?.get("Variables")?.as_object()?;
    Some(lg::Environment {
        variables: Some(
            vars.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_string),
                    )
                })
                .collect(),
        ),
    })
}

fn layers(props: &Value) -> Option<Vec<String>> {
    props.get("Layers")?.as_array().map(|l| {
        l.iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect()
    })
}

fn made(name: &str, arn: String) -> Made {
    Made::named(name).with("Arn", arn)
}

pub async fn create(t: &Target<'_>, props: &Value, name: &str) -> Outcome<Made> {
    let tag_list = tags(props);
    let request = lg::CreateFunctionRequest {
        function_name: Some(name.to_string()),
        runtime: text(props, "Runtime"),
        role: Some(required(props, "Role")?),
        handler: text(props, "Handler"),
        code: Some(lg::FunctionCode {
            zip_file: Some(code(props)?),
            ..Default::default()
        }),
        description: text(props, "Description"),
        timeout: number(props, "Timeout")?,
        memory_size: number(props, "MemorySize")?,
        environment: environment(props),
        layers: layers(props),
        tags: (!tag_list.is_empty()).then(|| tag_list.into_iter().collect()),
        ..Default::default()
    };
    let out = settle(
        lg::call::create_function(
            &Api(t.services.lambda.clone()),
            &call(t, "CreateFunction"),
            request,
        )
        .await,
    )
    .await?;
    Ok(made(name, out.function_arn.unwrap_or_default()))
}

pub async fn update(t: &Target<'_>, name: &str, old: &Value, new: &Value) -> Outcome<Made> {
    let changed = |k: &str| old.get(k) != new.get(k);
    let mut arn = None;
    if changed("Code") || changed("Runtime") {
        let request = lg::UpdateFunctionCodeRequest {
            function_name: Some(name.to_string()),
            zip_file: Some(code(new)?),
            ..Default::default()
        };
        let out = settle(
            lg::call::update_function_code(
                &Api(t.services.lambda.clone()),
                &call(t, "UpdateFunctionCode"),
                request,
            )
            .await,
        )
        .await?;
        arn = out.function_arn;
    }
    let config = [
        "Role",
        "Handler",
        "Description",
        "Timeout",
        "MemorySize",
        "Environment",
        "Runtime",
        "Layers",
    ];
    if config.iter().any(|k| changed(k)) {
        let request = lg::UpdateFunctionConfigurationRequest {
            function_name: Some(name.to_string()),
            role: text(new, "Role"),
            handler: text(new, "Handler"),
            description: Some(text(new, "Description").unwrap_or_default()),
            timeout: number(new, "Timeout")?,
            memory_size: number(new, "MemorySize")?,
            environment: Some(environment(new).unwrap_or(lg::Environment {
                variables: Some(crate::wire::Map::default()),
            })),
            runtime: text(new, "Runtime"),
            layers: Some(layers(new).unwrap_or_default()),
            ..Default::default()
        };
        let out = settle(
            lg::call::update_function_configuration(
                &Api(t.services.lambda.clone()),
                &call(t, "UpdateFunctionConfiguration"),
                request,
            )
            .await,
        )
        .await?;
        arn = out.function_arn;
    }
    let arn = arn.unwrap_or_else(|| crate::domain::arn::function_arn(&t.caller.namespace, name));
    Ok(made(name, arn))
}

pub async fn delete(t: &Target<'_>, name: &str) -> Outcome<()> {
    let request = lg::DeleteFunctionRequest {
        function_name: Some(name.to_string()),
        ..Default::default()
    };
    settle(
        lg::call::delete_function(
            &Api(t.services.lambda.clone()),
            &call(t, "DeleteFunction"),
            request,
        )
        .await,
    )
    .await?;
    Ok(())
}

pub async fn permit(t: &Target<'_>, props: &Value, statement: &str) -> Outcome<Made> {
    let request = lg::AddPermissionRequest {
        function_name: Some(required(props, "FunctionName")?),
        statement_id: Some(statement.to_string()),
        action: Some(required(props, "Action")?),
        principal: Some(required(props, "Principal")?),
        source_arn: text(props, "SourceArn"),
        source_account: text(props, "SourceAccount"),
        ..Default::default()
    };
    settle(
        lg::call::add_permission(
            &Api(t.services.lambda.clone()),
            &call(t, "AddPermission"),
            request,
        )
        .await,
    )
    .await?;
    Ok(Made::named(statement))
}

pub async fn unpermit(t: &Target<'_>, statement: &str, props: &Value) -> Outcome<()> {
    let request = lg::RemovePermissionRequest {
        function_name: text(props, "FunctionName"),
        statement_id: Some(statement.to_string()),
        ..Default::default()
    };
    settle(
        lg::call::remove_permission(
            &Api(t.services.lambda.clone()),
            &call(t, "RemovePermission"),
            request,
        )
        .await,
    )
    .await?;
    Ok(())
}
