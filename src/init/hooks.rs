//! LocalStack's init-hook convention: executable scripts in `<init dir>/ready.d/` run in name
//! order once the server is ready, with the AWS environment pointing at it. Their output goes
//! to the log; a failing script is reported and the server keeps running.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// How far start-up has come, as LocalStack's `/_localstack/init` reports it: harnesses wait
/// for `READY` to be completed, which here means the ready.d scripts have all run.
#[derive(Debug, Default)]
pub struct Status {
    inner: Mutex<StatusInner>,
}

#[derive(Debug, Default)]
struct StatusInner {
    ready_done: bool,
    /// (file, state) of each script: `UNKNOWN` until it runs, then `RUNNING`, `SUCCESSFUL`
    /// or `ERROR`.
    scripts: Vec<(String, &'static str)>,
}

impl Status {
    fn with<T>(&self, f: impl FnOnce(&mut StatusInner) -> T) -> T {
        f(&mut self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Marks the READY stage done (no scripts, or all of them ran).
    pub fn ready(&self) {
        self.with(|s| s.ready_done = true);
    }

    fn script(&self, file: &str, state: &'static str) {
        self.with(|s| match s.scripts.iter_mut().find(|(f, _)| f == file) {
            Some(entry) => entry.1 = state,
            None => s.scripts.push((file.to_string(), state)),
        });
    }

    /// LocalStack's `/_localstack/init` answer (`stage`: only that stage, as `/init/ready`).
    pub fn report(&self, stage: Option<&str>) -> serde_json::Value {
        self.with(|s| {
            let scripts: Vec<serde_json::Value> = s
                .scripts
                .iter()
                .map(|(file, state)| {
                    let name = Path::new(file)
                        .file_name()
                        .map_or_else(|| file.clone(), |n| n.to_string_lossy().to_string());
                    serde_json::json!({"stage": "READY", "name": name, "state": state,
                        "file": file})
                })
                .collect();
            match stage {
                Some(_) => serde_json::json!({"completed": s.ready_done, "scripts": scripts}),
                None => serde_json::json!({
                    "completed": {"BOOT": true, "START": true, "READY": s.ready_done,
                        "SHUTDOWN": false},
                    "scripts": scripts,
                }),
            }
        })
    }
}

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

/// Runs the ready.d scripts one after the other against `endpoint`, reporting each to
/// `status`; returns how many failed.
pub async fn run_ready(init_dir: &Path, endpoint: &str, region: &str, status: &Status) -> usize {
    let mut failed = 0;
    let all = scripts(init_dir);
    for script in &all {
        status.script(&script.display().to_string(), "UNKNOWN");
    }
    for script in all {
        let name = script.display().to_string();
        status.script(&name, "RUNNING");
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
                if out.status.success() {
                    status.script(&name, "SUCCESSFUL");
                } else {
                    status.script(&name, "ERROR");
                    failed += 1;
                    tracing::error!(script = %name, status = %out.status, "ready.d: the script failed; the server keeps running");
                }
            }
            Err(e) => {
                status.script(&name, "ERROR");
                failed += 1;
                tracing::error!(script = %name, error = %e, "ready.d: the script could not be run");
            }
        }
    }
    status.ready();
    failed
}
