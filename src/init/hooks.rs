//! LocalStack's init-hook convention: executable scripts in `<init dir>/ready.d/` run in name
//! order once the server is ready, with the AWS environment pointing at it. Their output goes
//! to the log; a failing script is reported and the server keeps running.

use std::path::{Path, PathBuf};

/// The scripts to run, in name order; files that are not executable are reported and skipped.
pub fn scripts(init_dir: &Path) -> Vec<PathBuf> {
    let dir = init_dir.join("ready.d");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .filter(|p| {
            let executable = {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
                }
                #[cfg(not(unix))]
                {
                    true
                }
            };
            if !executable {
                tracing::warn!(script = %p.display(), "ready.d: not executable, skipped");
            }
            executable
        })
        .collect()
}

/// Runs the ready.d scripts one after the other against `endpoint`; returns how many failed.
pub async fn run_ready(init_dir: &Path, endpoint: &str, region: &str) -> usize {
    let mut failed = 0;
    for script in scripts(init_dir) {
        let name = script.display().to_string();
        tracing::info!(script = %name, "ready.d: running");
        let out = tokio::process::Command::new(&script)
            .current_dir(init_dir)
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", region)
            .env("AWS_DEFAULT_REGION", region)
            .stdin(std::process::Stdio::null())
            .output()
            .await;
        match out {
            Ok(out) => {
                for line in String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .chain(String::from_utf8_lossy(&out.stderr).lines())
                {
                    tracing::info!(script = %name, "{line}");
                }
                if !out.status.success() {
                    failed += 1;
                    tracing::error!(script = %name, status = %out.status, "ready.d: the script failed; the server keeps running");
                }
            }
            Err(e) => {
                failed += 1;
                tracing::error!(script = %name, error = %e, "ready.d: the script could not be run");
            }
        }
    }
    failed
}
