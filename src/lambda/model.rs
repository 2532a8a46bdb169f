//! Lambda wire shapes (REST-JSON, PascalCase) and the function configuration they show.

use crate::clock::Millis;
use crate::generated::lambda as lm;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Runtimes LocalEmu can run, and how.
pub const PYTHON_RUNTIMES: [&str; 7] = [
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
    "python3.15",
];
pub const NODE_RUNTIMES: [&str; 5] = [
    "nodejs18.x",
    "nodejs20.x",
    "nodejs22.x",
    "nodejs24.x",
    "nodejs26.x",
];
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
    /// Layer version ARNs, as given; only AWS's Parameters and Secrets extension is run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<String>,
}

impl FunctionConfig {
    /// Whether the function has AWS's Parameters and Secrets Lambda Extension layer.
    pub fn has_secrets_extension(&self) -> bool {
        self.layers.iter().any(|arn| is_secrets_extension(arn))
    }
}

/// `arn:aws:lambda:<region>:<account>:layer:AWS-Parameters-and-Secrets-Lambda-Extension[-Arm64]:<n>`.
pub fn is_secrets_extension(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    matches!(
        parts.as_slice(),
        ["arn", "aws", "lambda", _, _, "layer", name, version]
            if name.starts_with("AWS-Parameters-and-Secrets-Lambda-Extension")
                && version.parse::<u32>().is_ok()
    )
}

/// A function may use at most this many layers.
pub const MAX_LAYERS: usize = 5;

/// Lambda shows LastModified as `2019-08-14T22:26:11.234+0000`.
pub fn lambda_time(ms: Millis) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
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

/// A function's configuration as GetFunctionConfiguration and the changing operations show it.
pub fn configuration(c: &FunctionConfig) -> lm::FunctionConfiguration {
    let int = |n: u64| Some(i64::try_from(n).unwrap_or(i64::MAX));
    lm::FunctionConfiguration {
        function_name: Some(c.name.clone()),
        function_arn: Some(c.arn.clone()),
        runtime: Some(c.runtime.clone()),
        role: Some(c.role.clone()),
        handler: Some(c.handler.clone()),
        code_size: int(c.code_size),
        description: Some(c.description.clone()),
        timeout: int(c.timeout),
        memory_size: int(c.memory_size),
        last_modified: Some(lambda_time(c.last_modified)),
        code_sha256: Some(c.code_sha256.clone()),
        version: Some("$LATEST".into()),
        environment: (!c.environment.is_empty()).then(|| lm::EnvironmentResponse {
            variables: Some(
                c.environment
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            error: None,
        }),
        revision_id: Some(c.revision_id.clone()),
        state: Some("Active".into()),
        last_update_status: Some("Successful".into()),
        package_type: Some("Zip".into()),
        architectures: Some(vec!["x86_64".into()]),
        layers: (!c.layers.is_empty()).then(|| {
            c.layers
                .iter()
                .map(|arn| lm::Layer {
                    arn: Some(arn.clone()),
                    code_size: Some(0),
                    ..lm::Layer::default()
                })
                .collect()
        }),
        ..lm::FunctionConfiguration::default()
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
