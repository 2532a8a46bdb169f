//! `awsemu rotations`: the rotation history a running emulator keeps, as a readable report.

use serde_json::Value;

fn when(ms: &Value) -> String {
    let Some(ms) = ms.as_i64() else {
        return "-".into();
    };
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}

/// The secret's name from its ARN (`...:secret:<name>-<6 characters>`).
fn secret_name(arn: &str) -> &str {
    let tail = arn.split(":secret:").nth(1).unwrap_or(arn);
    tail.rsplit_once('-').map_or(tail, |(name, _)| name)
}

/// One block per rotation, newest last: secret, when, outcome, the steps run with their
/// durations, then the error and the interpreter that ran the function.
pub fn report(history: &Value) -> String {
    let Some(list) = history["Rotations"].as_array().filter(|l| !l.is_empty()) else {
        return "No rotations yet.\n".into();
    };
    let mut out = String::new();
    for r in list {
        let mut kind = if r["scheduled"] == true {
            "scheduled".to_string()
        } else {
            "requested".to_string()
        };
        if let Some(n) = r["attempt"].as_u64().filter(|n| *n > 1) {
            kind.push_str(&format!(", attempt {n}"));
        }
        out.push_str(&format!(
            "{}  {}  {} ({kind})\n",
            secret_name(r["secret_arn"].as_str().unwrap_or_default()),
            when(&r["started"]),
            r["outcome"].as_str().unwrap_or("?"),
        ));
        let steps: Vec<String> = r["steps"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                let mark = if s["error"].is_null() { "ok" } else { "FAILED" };
                format!(
                    "{} {mark} ({} ms)",
                    s["step"].as_str().unwrap_or("?"),
                    s["duration_ms"]
                )
            })
            .collect();
        if !steps.is_empty() {
            out.push_str(&format!("  steps:    {}\n", steps.join(", ")));
        }
        out.push_str(&format!(
            "  version:  {}\n",
            r["version_id"].as_str().unwrap_or_default()
        ));
        if let Some(e) = r["error"].as_str() {
            out.push_str(&format!("  error:    {e}\n"));
        }
        if let Some(rt) = r["runtime"].as_str() {
            out.push_str(&format!("  runtime:  {rt}\n"));
        }
        out.push_str(&format!(
            "  function: {}\n",
            r["function"].as_str().unwrap_or_default()
        ));
    }
    out
}

/// Percent-encodes a query value (secret names may hold `/ + = @`).
pub fn query_value(v: &str) -> String {
    super::http::encode_path_segment(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_read_like_a_person_wrote_them() {
        let history = json!({"Rotations": [{
            "secret_arn": "arn:aws:secretsmanager:us-east-1:000000000000:secret:prod/db-AbC123",
            "version_id": "v-1", "function": "arn:aws:lambda:us-east-1:000000000000:function:rot",
            "scheduled": false, "started": 1_768_478_400_000i64, "finished": 1_768_478_400_900i64,
            "outcome": "Failed", "error": "createSecret failed: Runtime.ImportModuleError: x",
            "steps": [{"step": "createSecret", "duration_ms": 760, "error": "x"}],
            "log_tail": "", "runtime": "/usr/bin/python3.11 (Python 3.11.7)"
        }]});
        let text = report(&history);
        assert!(
            text.starts_with("prod/db  2026-01-15T12:00:00Z  Failed (requested)\n"),
            "{text}"
        );
        assert!(text.contains("  steps:    createSecret FAILED (760 ms)\n"));
        assert!(text.contains("  error:    createSecret failed: Runtime.ImportModuleError: x\n"));
        assert!(text.contains("  runtime:  /usr/bin/python3.11 (Python 3.11.7)\n"));
        assert_eq!(report(&json!({"Rotations": []})), "No rotations yet.\n");
        assert_eq!(query_value("a/b+c d"), "a%2Fb%2Bc%20d");
    }
}
