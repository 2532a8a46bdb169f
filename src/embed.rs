//! LocalEmu inside a Rust program or test: an emulator on a free port with one call, its
//! endpoint and an SDK configuration for it, its clock to move, and a stop when it is dropped.
//!
//! ```no_run
//! # async fn example() -> std::io::Result<()> {
//! let emu = localemu::Emulator::start().await?;
//! let sm = aws_sdk_secretsmanager::Client::new(&emu.sdk_config());
//! sm.create_secret().name("db").secret_string("s3cret").send().await.unwrap();
//! emu.advance(std::time::Duration::from_hours(30 * 24)).unwrap(); // scheduled rotations run
//! emu.stop().await;
//! # Ok(())
//! # }
//! ```

use crate::clock::{Clock, ManualClock, Millis, RandomIds, SystemClock};
use crate::config::{Config, Strict};
use crate::server::{Control, Deps, Server};
use crate::store::Store;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::oneshot;

/// How an [`Emulator`] starts; [`Emulator::builder`] makes one.
#[derive(Default)]
pub struct Builder {
    config: Config,
    persist: Option<PathBuf>,
    frozen_at: Option<Millis>,
}

impl Builder {
    /// Keeps state in `dir` (created if missing), as `awsemu start --persist` does.
    #[must_use]
    pub fn persist(mut self, dir: impl Into<PathBuf>) -> Self {
        self.persist = Some(dir.into());
        self
    }

    /// A clock that stands still at `millis` (since the epoch) until [`Emulator::advance`]
    /// moves it, for tests whose answers must not depend on the time they run at.
    #[must_use]
    pub fn frozen_at(mut self, millis: Millis) -> Self {
        self.frozen_at = Some(millis);
        self
    }

    /// Everything strict mode enforces (see the README).
    #[must_use]
    pub fn strict(mut self) -> Self {
        self.config.strict = Strict::all();
        self
    }

    /// Any other setting of `awsemu start`.
    #[must_use]
    pub fn configure(mut self, f: impl FnOnce(&mut Config)) -> Self {
        f(&mut self.config);
        self
    }

    /// Starts the emulator on a free loopback port.
    pub async fn start(self) -> std::io::Result<Emulator> {
        let clock: Arc<dyn Clock> = match self.frozen_at {
            Some(t) => Arc::new(ManualClock::new(t)),
            None => Arc::new(SystemClock::default()),
        };
        let store = match &self.persist {
            Some(dir) => Store::open(dir).map_err(std::io::Error::other)?,
            None => Store::new(),
        };
        let config = Config {
            port: 0,
            host: "127.0.0.1".into(),
            work_dir: self.persist.as_ref().map(|d| d.join("lambda")),
            ..self.config
        };
        let deps = Deps {
            clock,
            ids: Arc::new(RandomIds),
            store: Arc::new(store),
        };
        let server = Server::bind(&config, deps).await?;
        let addr = server.local_addr()?;
        let control = server.control();
        let (stop, stopped) = oneshot::channel::<()>();
        let done = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        Ok(Emulator {
            addr,
            region: config.default_region,
            control,
            stop: Some(stop),
            done: Some(done),
        })
    }
}

/// A running emulator; it stops when dropped (call [`Emulator::stop`] to wait for it, for
/// instance before starting another on the same data directory).
pub struct Emulator {
    addr: SocketAddr,
    region: String,
    control: Control,
    stop: Option<oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Emulator {
    /// An emulator in memory, on a free port, with the real clock.
    pub async fn start() -> std::io::Result<Emulator> {
        Builder::default().start().await
    }

    pub fn builder() -> Builder {
        Builder::default()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL` or an SDK's `endpoint_url`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Moves the emulator's clock forward; rotations that became due start at once.
    pub fn advance(&self, by: std::time::Duration) -> Result<(), String> {
        let ms = Millis::try_from(by.as_millis()).map_err(|_| "too far".to_string())?;
        self.control.advance(ms)
    }

    /// The emulator's time, in milliseconds since the epoch.
    pub fn now(&self) -> Millis {
        self.control.now()
    }

    /// Stops the server and waits until it has (its data directory is free again).
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
    }

    /// An SDK configuration for this emulator: its endpoint, the default region, and the
    /// `test`/`test` credentials; `aws_sdk_secretsmanager::Client::new(&emu.sdk_config())`.
    #[cfg(feature = "sdk")]
    pub fn sdk_config(&self) -> aws_types::SdkConfig {
        self.sdk_config_as("test", &self.region)
    }

    /// The same for another access key (a 12-digit key acts as that account) and region.
    #[cfg(feature = "sdk")]
    pub fn sdk_config_as(&self, access_key: &str, region: &str) -> aws_types::SdkConfig {
        use aws_credential_types::provider::SharedCredentialsProvider;
        aws_types::SdkConfig::builder()
            .endpoint_url(self.endpoint())
            .region(aws_types::region::Region::new(region.to_string()))
            .credentials_provider(SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new(access_key, "test", None, None, "localemu"),
            ))
            .behavior_version(
                aws_smithy_runtime_api::client::behavior_version::BehaviorVersion::latest(),
            )
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
