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
    pub credentials: Vec<KnownKey>,
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

/// LocalStack's variables that have no meaning here: named once at start, so that a user
/// moving over knows they were seen and not acted on.
pub const LOCALSTACK_IGNORED: &[&str] = &[
    "SERVICES",
    "EAGER_SERVICE_LOADING",
    "LAMBDA_EXECUTOR",
    "LAMBDA_RUNTIME_EXECUTOR",
    "LAMBDA_DOCKER_NETWORK",
    "DOCKER_HOST",
    "LOCALSTACK_AUTH_TOKEN",
    "LOCALSTACK_API_KEY",
    "LOCALSTACK_HOST",
    "HOSTNAME_EXTERNAL",
    "DNS_ADDRESS",
    "SNAPSHOT_SAVE_STRATEGY",
    "DATA_DIR",
];

/// `host:port`, `:port`, `port` or `[v6]:port`, as LocalStack's GATEWAY_LISTEN (its first
/// entry) gives them.
pub fn listen_address(text: &str) -> Option<(Option<String>, u16)> {
    let first = text.split(',').next()?.trim();
    if let Ok(port) = first.parse() {
        return Some((None, port));
    }
    let (host, port) = first.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Some((
        (!host.is_empty()).then(|| host.to_string()),
        port.parse().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_listen_forms() {
        assert_eq!(
            listen_address("127.0.0.1:4599"),
            Some((Some("127.0.0.1".into()), 4599))
        );
        assert_eq!(listen_address(":4510,:443"), Some((None, 4510)));
        assert_eq!(listen_address("4600"), Some((None, 4600)));
        assert_eq!(listen_address("[::]:4566"), Some((Some("::".into()), 4566)));
        assert_eq!(listen_address("nonsense"), None);
    }
}

/// A long-term key: its secret and the principal it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KnownKey {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub account: String,
    /// `arn:aws:iam::<account>:root`, `...:user/<name>` or `...:role/<name>`; the root by default.
    #[serde(default)]
    pub principal_arn: Option<String>,
}
