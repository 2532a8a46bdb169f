//! A throwaway PostgreSQL cluster shared by the tests of this process (started by
//! scripts/pg-cluster.sh, which installs PostgreSQL from the OS packages if it is missing and
//! stops the cluster when this process ends), and a fresh database in it for each test.

use std::sync::OnceLock;

static CLUSTER: OnceLock<String> = OnceLock::new();

/// The URL of the shared cluster's first database; the cluster starts on first use.
pub fn cluster() -> &'static str {
    CLUSTER.get_or_init(|| start_cluster("shared").0)
}

/// A cluster of its own (for a test that stops it): its URL and directory.
pub fn start_cluster(name: &str) -> (String, std::path::PathBuf) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Under /tmp rather than the target directory: the server's own user must reach it.
    let dir = std::env::temp_dir().join(format!("localemu-it-pg-{}-{name}", std::process::id()));
    let out = std::process::Command::new(SCRIPT)
        .arg(&dir)
        .arg(port.to_string())
        .arg(std::process::id().to_string())
        .stderr(std::process::Stdio::inherit())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cannot start PostgreSQL for the tests"
    );
    (
        String::from_utf8(out.stdout).unwrap().trim().to_string(),
        dir,
    )
}

/// Stops (`"stop"`) or starts again (`"start"`) a cluster from [`start_cluster`].
pub fn ctl(dir: &std::path::Path, action: &str) {
    let status = std::process::Command::new(SCRIPT)
        .arg("--ctl")
        .arg(dir)
        .arg(action)
        .status()
        .unwrap();
    assert!(status.success(), "cannot {action} PostgreSQL");
}

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg-cluster.sh");

/// A new, empty database of the cluster: its URL.
pub fn database(prefix: &str) -> String {
    let base = cluster();
    let name: String = crate::common::unique(prefix)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let sql = format!("CREATE DATABASE {name}");
    // The blocking client starts a runtime of its own, so not on a test's runtime thread.
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut c = postgres::Client::connect(base, postgres::NoTls).unwrap();
            c.batch_execute(&sql).unwrap();
        })
        .join()
        .unwrap();
    });
    let (root, _) = base.rsplit_once('/').unwrap();
    format!("{root}/{name}")
}

/// Runs one statement on the database at `url` (for tests that look underneath).
pub fn execute(url: &str, sql: &str) {
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
            c.batch_execute(sql).unwrap();
        })
        .join()
        .unwrap();
    });
}

/// The first column of every row `sql` returns, as bytes.
pub fn bytes(url: &str, sql: &str) -> Vec<Vec<u8>> {
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
            c.query(sql, &[])
                .unwrap()
                .into_iter()
                .map(|row| row.get(0))
                .collect()
        })
        .join()
        .unwrap()
    })
}

/// Pauses (SIGSTOP) or resumes (SIGCONT) every process of a cluster from [`start_cluster`]:
/// a database that stops answering without closing a connection.
pub fn pause(dir: &std::path::Path, paused: bool) {
    let pidfile = std::fs::read_to_string(dir.join("data/postmaster.pid")).unwrap();
    let postmaster = pidfile.lines().next().unwrap().trim().to_string();
    let children = std::process::Command::new("pgrep")
        .args(["-P", &postmaster])
        .output()
        .unwrap();
    let mut pids = vec![postmaster];
    pids.extend(
        String::from_utf8_lossy(&children.stdout)
            .lines()
            .map(str::to_string),
    );
    let signal = if paused { "-STOP" } else { "-CONT" };
    // The postmaster first on the way down (it forks no new backend meanwhile), last on the
    // way up.
    if !paused {
        pids.reverse();
    }
    for pid in pids {
        let _ = std::process::Command::new("kill")
            .args([signal, &pid])
            .status();
    }
}

/// Ends every connection awsemu holds to the cluster behind `url`, as a database restart or
/// a network cut would.
pub fn terminate_connections(url: &str) {
    execute(
        url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = 'awsemu' AND pid <> pg_backend_pid()",
    );
}
