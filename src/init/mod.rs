//! `awsemu start --init FILE`: the secrets, functions, KMS keys and parameters a team wants
//! present at every start, in JSON or YAML. The file is read and checked in full (paths,
//! code, then a dry run against a scratch emulator) before anything is created; creating is
//! idempotent, so a persistent emulator can start with the same file again.

pub mod apply;
pub mod hooks;

pub use apply::{apply, Applied};

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file's content.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Document {
    #[serde(default)]
    pub keys: Vec<KeyEntry>,
    #[serde(default)]
    pub functions: Vec<FunctionEntry>,
    #[serde(default)]
    pub secrets: Vec<SecretEntry>,
    #[serde(default)]
    pub parameters: Vec<ParameterEntry>,
}

/// Where an entry lives; the default account and region when left out.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Place {
    pub account: Option<String>,
    pub region: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KeyEntry {
    /// The alias that names the key (`alias/...`): how later runs find it again.
    pub alias: String,
    pub description: Option<String>,
    /// A key policy, as JSON text or as a document.
    pub policy: Option<serde_json::Value>,
    #[serde(flatten)]
    pub place: Place,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Permission {
    pub statement_id: String,
    pub principal: String,
    #[serde(default = "invoke")]
    pub action: String,
}

fn invoke() -> String {
    "lambda:InvokeFunction".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FunctionEntry {
    pub name: String,
    pub runtime: String,
    pub handler: String,
    /// A directory or a zip file, relative to the init file.
    pub code: PathBuf,
    pub role: Option<String>,
    pub timeout: Option<i64>,
    pub memory_size: Option<i64>,
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    #[serde(default)]
    pub layers: Vec<String>,
    /// Resource-policy statements to add, such as Secrets Manager's invoke permission.
    #[serde(default)]
    pub permissions: Vec<Permission>,
    #[serde(flatten)]
    pub place: Place,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Rotation {
    /// The rotation function: a name in the secret's account and region, or an ARN.
    pub function: String,
    pub automatically_after_days: Option<i64>,
    pub schedule_expression: Option<String>,
    pub duration: Option<String>,
    #[serde(default)]
    pub rotate_immediately: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretEntry {
    pub name: String,
    /// The value as text (a JSON document is written as one string).
    pub value: Option<serde_json::Value>,
    /// A binary value, base64-encoded.
    pub binary: Option<String>,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// A resource policy, as JSON text or as a document.
    pub policy: Option<serde_json::Value>,
    /// Regions to replicate to.
    #[serde(default)]
    pub replicas: Vec<String>,
    pub rotation: Option<Rotation>,
    #[serde(flatten)]
    pub place: Place,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ParameterEntry {
    pub name: String,
    pub value: String,
    #[serde(rename = "type", default = "string_type")]
    pub type_: String,
    pub key_id: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(flatten)]
    pub place: Place,
}

fn string_type() -> String {
    "String".into()
}

/// A value given as a string stays one; any other JSON becomes its text.
pub fn text_of(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Reads `path` as YAML (a superset of JSON) and resolves function code next to it.
pub fn read(path: &Path) -> Result<(Document, PathBuf), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the init file {}: {e}", path.display()))?;
    let doc: Document = serde_yaml_ng::from_str(&text)
        .map_err(|e| format!("the init file {} is not valid: {e}", path.display()))?;
    let base = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
    for f in &doc.functions {
        let code = base.join(&f.code);
        if !code.exists() {
            return Err(format!(
                "the init file {}: function {}: its code {} does not exist",
                path.display(),
                f.name,
                code.display()
            ));
        }
    }
    Ok((doc, base))
}

/// The zip of a function's code: the file itself, or a directory zipped.
pub fn zip_code(path: &Path) -> Result<Vec<u8>, String> {
    if path.is_file() {
        return std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()));
    }
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let name = p
                .strip_prefix(path)
                .map_err(|e| e.to_string())?
                .to_string_lossy()
                .replace('\\', "/");
            let mode = {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::metadata(&p).map_or(0o644, |m| m.permissions().mode() & 0o777)
                }
                #[cfg(not(unix))]
                {
                    0o644
                }
            };
            let options = zip::write::SimpleFileOptions::default().unix_permissions(mode);
            let bytes =
                std::fs::read(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            w.start_file(name, options).map_err(|e| e.to_string())?;
            std::io::Write::write_all(&mut w, &bytes).map_err(|e| e.to_string())?;
        }
    }
    w.finish()
        .map(std::io::Cursor::into_inner)
        .map_err(|e| e.to_string())
}
