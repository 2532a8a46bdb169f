//! Lambda wire shapes (REST-JSON, PascalCase) and the function configuration they show.

use crate::clock::Millis;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Runtimes LocalEmu can run, and how.
pub const PYTHON_RUNTIMES: [&str; 5] = [
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
];
pub const NODE_RUNTIMES: [&str; 3] = ["nodejs18.x", "nodejs20.x", "nodejs22.x"];
pub const PROVIDED_RUNTIMES: [&str; 2] = ["provided.al2", "provided.al2023"];

pub fn supported_runtime(r: &str) -> bool {
    PYTHON_RUNTIMES.contains(&r) || NODE_RUNTIMES.contains(&r) || PROVIDED_RUNTIMES.contains(&r)
}

/// Environment variables AWS reserves for itself.
pub const RESERVED_ENV: [&str; 16] = [
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
];

/// A function's configuration as LocalEmu keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionConfig {
    pub name: String,
    pub arn: String,
    pub runtime: String,
    pub handler: String,
    pub role: String,
    pub description: String,
    pub timeout: u64,
    pub memory_size: u64,
    pub environment: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    pub code_sha256: String,
    pub code_size: u64,
    pub last_modified: Millis,
    pub revision_id: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnvironmentInput {
    pub variables: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeInput {
    #[serde(default, with = "crate::wire::blob")]
    pub zip_file: Option<Vec<u8>>,
    pub s3_bucket: Option<String>,
    pub image_uri: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateFunctionInput {
    pub function_name: Option<String>,
    pub runtime: Option<String>,
    pub role: Option<String>,
    pub handler: Option<String>,
    pub description: Option<String>,
    pub timeout: Option<i64>,
    pub memory_size: Option<i64>,
    pub code: Option<CodeInput>,
    pub environment: Option<EnvironmentInput>,
    pub tags: Option<BTreeMap<String, String>>,
    pub package_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateFunctionCodeInput {
    #[serde(default, with = "crate::wire::blob")]
    pub zip_file: Option<Vec<u8>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateFunctionConfigurationInput {
    pub runtime: Option<String>,
    pub role: Option<String>,
    pub handler: Option<String>,
    pub description: Option<String>,
    pub timeout: Option<i64>,
    pub memory_size: Option<i64>,
    pub environment: Option<EnvironmentInput>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddPermissionInput {
    pub statement_id: Option<String>,
    pub action: Option<String>,
    pub principal: Option<String>,
    pub source_account: Option<String>,
    pub source_arn: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnvironmentOutput {
    pub variables: BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FunctionConfiguration {
    pub function_name: String,
    pub function_arn: String,
    pub runtime: String,
    pub role: String,
    pub handler: String,
    pub code_size: u64,
    pub description: String,
    pub timeout: u64,
    pub memory_size: u64,
    pub last_modified: String,
    pub code_sha256: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<EnvironmentOutput>,
    pub revision_id: String,
    pub state: String,
    pub last_update_status: String,
    pub package_type: String,
    pub architectures: Vec<String>,
}

/// Lambda shows LastModified as `2019-08-14T22:26:11.234+0000`.
pub fn lambda_time(ms: Millis) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+0000",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

impl FunctionConfiguration {
    pub fn of(c: &FunctionConfig) -> Self {
        FunctionConfiguration {
            function_name: c.name.clone(),
            function_arn: c.arn.clone(),
            runtime: c.runtime.clone(),
            role: c.role.clone(),
            handler: c.handler.clone(),
            code_size: c.code_size,
            description: c.description.clone(),
            timeout: c.timeout,
            memory_size: c.memory_size,
            last_modified: lambda_time(c.last_modified),
            code_sha256: c.code_sha256.clone(),
            version: "$LATEST".into(),
            environment: (!c.environment.is_empty()).then(|| EnvironmentOutput {
                variables: c.environment.clone(),
            }),
            revision_id: c.revision_id.clone(),
            state: "Active".into(),
            last_update_status: "Successful".into(),
            package_type: "Zip".into(),
            architectures: vec!["x86_64".into()],
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lambda_times() {
        assert_eq!(
            super::lambda_time(1_565_821_571_234),
            "2019-08-14T22:26:11.234+0000"
        );
    }
}
