//! Server settings gathered from flags and environment variables.

/// Everything `awsemu start` can be told.
#[derive(Debug, Clone)]
pub struct Config {
    pub host: String,
    pub port: u16,
    /// Region for requests that carry no SigV4 credential scope.
    pub default_region: String,
    /// Where function code and runtime files go; a fresh temporary directory when None.
    pub work_dir: Option<std::path::PathBuf>,
    /// Host names requests may be addressed to besides loopback names and IP addresses.
    pub allowed_hosts: Vec<String>,
    /// Open client connections at most (the oldest idle one is closed to make room).
    pub max_connections: usize,
    /// Function processes running at once, across all functions.
    pub max_function_processes: usize,
    /// How long a warm function process may stay idle before it is stopped.
    pub function_idle: std::time::Duration,
    pub strict: Strict,
    /// Keys (with their accounts and principals) besides `test`/`test`.
    pub credentials: Vec<crate::sts::identity::KnownKey>,
    /// The token `/_awsemu/*` endpoints (but health) require when signatures are checked;
    /// a random one per start when None.
    pub admin_token: Option<String>,
}

/// What strict mode enforces; `--strict` turns on all of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Strict {
    /// SigV4 signatures are verified and only known keys are accepted.
    pub signatures: bool,
    /// Resource policies apply to callers of the owning account too.
    pub policies: bool,
    /// RotateSecret refuses a function Secrets Manager may not invoke; Lambda's own
    /// operations follow a function's policy for callers of other accounts.
    pub permissions: bool,
}

impl Strict {
    pub fn all() -> Strict {
        Strict {
            signatures: true,
            policies: true,
            permissions: true,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".into(),
            port: 4566,
            default_region: "us-east-1".into(),
            work_dir: None,
            allowed_hosts: Vec::new(),
            max_connections: 2048,
            max_function_processes: 16,
            function_idle: std::time::Duration::from_mins(5),
            strict: Strict::default(),
            credentials: Vec::new(),
            admin_token: None,
        }
    }
}
