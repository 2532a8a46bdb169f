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
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".into(),
            port: 4566,
            default_region: "us-east-1".into(),
            work_dir: None,
        }
    }
}
