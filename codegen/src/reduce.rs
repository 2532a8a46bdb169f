//! `cargo codegen models [DIR]`: copies the service models the generator reads from a full
//! model directory (botocore's layout, `../shared/spec` by default) into `codegen/models/`,
//! reduced to what the generator and the tests read — shapes, operations, constraints, errors,
//! protocols and paginators — without the documentation text, so that a clone of the
//! repository builds, checks and tests on its own.

use serde_json::Value;
use std::path::Path;

/// Members that only carry prose (or links to it): dropped everywhere in a model.
const PROSE: &[&str] = &["documentation", "documentationUrl", "deprecatedMessage"];

/// `value` without its prose members, at every depth.
pub fn without_prose(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !PROSE.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), without_prose(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_prose).collect()),
        other => other.clone(),
    }
}

/// The reduced files of one model (`service-2.json`, and `paginators-1.json` when there is
/// one): (file name, text).
pub fn reduce(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for name in ["service-2.json", "paginators-1.json"] {
        let path = dir.join(name);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(_) if name == "paginators-1.json" => continue,
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let full: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut reduced = without_prose(&full);
        // A model's examples are prose too.
        if let Value::Object(map) = &mut reduced {
            map.remove("examples");
        }
        let mut text = serde_json::to_string_pretty(&reduced).map_err(|e| e.to_string())?;
        text.push('\n');
        out.push((name.to_string(), text));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_goes_and_everything_else_stays() {
        let full = serde_json::json!({
            "documentation": "<p>words</p>",
            "shapes": {"S": {"type": "string", "max": 5, "pattern": "^a$",
                "documentation": "more words"}},
            "operations": {"Op": {"errors": [{"shape": "E", "documentation": "w"}]}}
        });
        let reduced = without_prose(&full);
        assert_eq!(
            reduced,
            serde_json::json!({
                "shapes": {"S": {"type": "string", "max": 5, "pattern": "^a$"}},
                "operations": {"Op": {"errors": [{"shape": "E"}]}}
            })
        );
    }
}
