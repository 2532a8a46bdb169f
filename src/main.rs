//! The `awsemu` command line: `awsemu start` runs the emulator; `awsemu state` moves state.

// A panic in the server loses every in-memory secret; outside tests, code must handle the
// failure instead, with a justified `allow` only where a panic cannot happen.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use clap::{Parser, Subcommand};
use localemu::config::Config;
use localemu::server::{shutdown_signal, Deps, Server};
use localemu::store::{transfer, Store};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "awsemu",
    version,
    about = "A local emulator of AWS Secrets Manager",
    after_help = "AWS-CLI-style client commands:\n  awsemu secretsmanager <command> [parameters]   (see: awsemu secretsmanager help)\n  awsemu lambda <command> [parameters]           (see: awsemu lambda help)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the emulator until SIGINT or SIGTERM.
    Start(StartArgs),
    /// Export or import the persisted state of a data directory (stop the server first).
    #[command(subcommand)]
    State(StateCommand),
    /// Show or move a running emulator's clock (to test schedules and recovery windows).
    #[command(subcommand)]
    Clock(ClockCommand),
    /// Show the recent rotations a running emulator has run: steps, outcome, error, runtime.
    Rotations(RotationsArgs),
    /// Wipe all state of a running emulator (secrets and functions), as POST /_awsemu/reset.
    Reset(EndpointArg),
    /// Exit 0 if a running emulator answers and can take writes (for container health checks).
    Health(EndpointArg),
}

#[derive(clap::Args)]
struct EndpointArg {
    /// The running emulator.
    #[arg(
        long,
        env = "AWS_ENDPOINT_URL",
        default_value = "http://localhost:4566"
    )]
    endpoint_url: String,
}

#[derive(clap::Args)]
struct RotationsArgs {
    /// Only the rotations of this secret (name or ARN).
    #[arg(long)]
    secret: Option<String>,
    /// `table` (a readable report) or `json` (the full records, logs included).
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    output: String,
    /// Wait up to this many seconds (at most 60) for a rotation to end (of --version when
    /// given, else any that starts or ends meanwhile), instead of answering at once.
    #[arg(long, value_name = "SECONDS")]
    wait: Option<u64>,
    /// With --wait: the version (the VersionId RotateSecret returned) to wait for.
    #[arg(long)]
    version: Option<String>,
    #[command(flatten)]
    endpoint: EndpointArg,
}

#[derive(Subcommand)]
enum ClockCommand {
    /// Print the emulator's current time.
    Show(EndpointArg),
    /// Move the clock forward by a span such as 30d, 12h, 15m or 90s.
    Advance {
        span: String,
        #[command(flatten)]
        endpoint: EndpointArg,
    },
}

#[derive(clap::Args)]
struct DataDir {
    /// Directory holding the database when persistence is on.
    #[arg(long, env = "AWSEMU_DATA_DIR", default_value = ".localemu")]
    data_dir: PathBuf,
    /// Keep all state in a PostgreSQL database instead (postgres://user:password@host/db),
    /// which several nodes may share; implies persistence.
    #[arg(long, env = "AWSEMU_STORE", value_parser = postgres_url)]
    store: Option<String>,
}

fn postgres_url(s: &str) -> Result<String, String> {
    if localemu::store::postgres::is_url(s) {
        Ok(s.to_string())
    } else {
        Err("takes a postgres:// URL (the embedded store lives in --data-dir)".into())
    }
}

impl DataDir {
    fn location(&self) -> transfer::Location {
        match &self.store {
            Some(url) => transfer::Location::Postgres(url.clone()),
            None => transfer::Location::Dir(self.data_dir.clone()),
        }
    }
}

#[derive(clap::Args)]
struct StartArgs {
    /// Address to listen on.
    #[arg(long, env = "AWSEMU_HOST", default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on.
    #[arg(long, env = "AWSEMU_PORT", default_value_t = 4566)]
    port: u16,
    /// Region used for requests without SigV4 credentials.
    #[arg(long, env = "AWSEMU_DEFAULT_REGION", default_value = "us-east-1")]
    default_region: String,
    /// Keep state in the data directory across restarts (every write is fsync'd). The
    /// environment variable takes 1/0, true/false, yes/no or on/off, in any case.
    #[arg(
        long,
        env = "PERSISTENCE",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    persist: bool,
    /// Host names clients may address besides localhost and IP addresses (comma-separated;
    /// `*.example.com` for subdomains, `*` for any). Needed when clients reach this server by a
    /// DNS name.
    #[arg(long, env = "AWSEMU_ALLOWED_HOSTS", value_delimiter = ',')]
    allowed_hosts: Vec<String>,
    /// Function processes that may run at once; further invocations wait for one to finish.
    #[arg(long, env = "AWSEMU_MAX_FUNCTION_PROCESSES", default_value_t = 16)]
    max_function_processes: usize,
    /// Seconds a warm function process may stay idle before it is stopped.
    #[arg(long, env = "AWSEMU_FUNCTION_IDLE_SECONDS", default_value_t = 300)]
    function_idle_seconds: u64,
    /// Seconds a request waits for the database at most (a shared database's read barrier,
    /// then the commit) before it answers InternalServiceError.
    #[arg(long, env = "AWSEMU_STORE_TIMEOUT", default_value_t = 5, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    store_timeout: u64,
    /// Enforce what AWS enforces and a lenient emulator skips: signatures, resource policies
    /// for the owning account, and invoke permissions (each also on its own flag below).
    #[arg(long, env = "AWSEMU_STRICT", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true", default_value = "false")]
    strict: bool,
    /// Verify SigV4 signatures (header and presigned) and accept only known credentials.
    #[arg(long, env = "AWSEMU_STRICT_SIGNATURES", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true", default_value = "false")]
    strict_signatures: bool,
    /// Apply secrets' resource policies to callers of the owning account too.
    #[arg(long, env = "AWSEMU_STRICT_POLICIES", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true", default_value = "false")]
    strict_policies: bool,
    /// Refuse RotateSecret for a function Secrets Manager may not invoke, and apply functions'
    /// policies to callers of other accounts.
    #[arg(long, env = "AWSEMU_STRICT_PERMISSIONS", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true", default_value = "false")]
    strict_permissions: bool,
    /// A JSON file of further credentials: {"credentials": [{"accessKeyId", "secretAccessKey",
    /// "account", "principalArn"}]}.
    #[arg(long, env = "AWSEMU_CREDENTIALS")]
    credentials: Option<std::path::PathBuf>,
    /// Secrets, functions, KMS keys and parameters to create at start (JSON or YAML); what
    /// already exists is left as it is.
    #[arg(long, env = "AWSEMU_INIT")]
    init: Option<std::path::PathBuf>,
    /// A directory whose ready.d/ scripts run, in name order, once the server is ready.
    #[arg(long, env = "AWSEMU_INIT_DIR")]
    init_dir: Option<std::path::PathBuf>,
    #[command(flatten)]
    dir: DataDir,
}

#[derive(Subcommand)]
enum StateCommand {
    /// Write every secret, values included, to FILE as JSON.
    Export {
        file: PathBuf,
        #[command(flatten)]
        dir: DataDir,
    },
    /// Replace the data directory's state with the secrets in FILE.
    Import {
        file: PathBuf,
        /// Create the database if the data directory has none (a new machine); without it,
        /// a directory with no database is refused, as it is most likely a typo.
        #[arg(long)]
        create: bool,
        #[command(flatten)]
        dir: DataDir,
    },
}

fn init_logging() {
    use std::io::IsTerminal;
    // LocalStack's DEBUG=1 and LS_LOG=debug/trace mean debug logging when AWSEMU_LOG is unset.
    let env = |k: &str| std::env::var(k).unwrap_or_default().to_ascii_lowercase();
    let fallback = if ["1", "true"].contains(&env("DEBUG").as_str())
        || ["debug", "trace"].contains(&env("LS_LOG").as_str())
    {
        "debug"
    } else {
        "info"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("AWSEMU_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(fallback));
    // Colour only for a person at a terminal, and never when NO_COLOR is set.
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .init();
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("awsemu: {message}");
    ExitCode::FAILURE
}

/// Applies an init document to a scratch in-memory emulator, to find a bad entry before the
/// real one is touched.
async fn dry_run(
    config: &Config,
    doc: &localemu::init::Document,
    base: &std::path::Path,
) -> Result<(), String> {
    let scratch = localemu::server::private_work_dir("localemu-init")
        .map_err(|e| format!("cannot make a scratch directory: {e}"))?;
    let scratch_config = Config {
        host: "127.0.0.1".into(),
        port: 0,
        work_dir: Some(scratch.clone()),
        default_region: config.default_region.clone(),
        strict: config.strict,
        credentials: config.credentials.clone(),
        ..Config::default()
    };
    let result = match Server::bind(&scratch_config, Deps::default()).await {
        Ok(server) => server.seed(doc, base, true).await.map(|_| ()),
        Err(e) => Err(format!("cannot check it: {e}")),
    };
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

/// Every path the user gave, made absolute once against the directory `awsemu start` ran in:
/// function processes run in their code's directory, and ready.d scripts in theirs, so a
/// relative path (the default `.localemu`) would be read from the wrong place.
fn absolute_paths(mut args: StartArgs) -> StartArgs {
    fn absolute(p: PathBuf) -> PathBuf {
        std::path::absolute(&p).unwrap_or(p)
    }
    args.dir.data_dir = absolute(args.dir.data_dir);
    args.init = args.init.map(absolute);
    args.init_dir = args.init_dir.map(absolute);
    args.credentials = args.credentials.map(absolute);
    args
}

/// LocalStack's habits that map onto this emulator: GATEWAY_LISTEN (or the older EDGE_PORT)
/// picks the address unless --host/--port or AWSEMU_HOST/AWSEMU_PORT do.
fn localstack_habits(mut args: StartArgs) -> StartArgs {
    let raw: Vec<String> = std::env::args().collect();
    let given = |flag: &str, var: &str| {
        raw.iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
            || std::env::var_os(var).is_some()
    };
    let listen = std::env::var("GATEWAY_LISTEN")
        .ok()
        .and_then(|v| localemu::config::listen_address(&v))
        .or_else(|| {
            let port = std::env::var("EDGE_PORT").ok()?.parse().ok()?;
            Some((None, port))
        });
    if let Some((host, port)) = listen {
        if !given("--port", "AWSEMU_PORT") {
            args.port = port;
        }
        if let Some(host) = host.filter(|_| !given("--host", "AWSEMU_HOST")) {
            args.host = host;
        }
    }
    let ignored: Vec<&str> = localemu::config::LOCALSTACK_IGNORED
        .iter()
        .copied()
        .filter(|v| std::env::var_os(v).is_some())
        .collect();
    if !ignored.is_empty() {
        tracing::warn!(
            variables = %ignored.join(", "),
            "LocalStack settings that do not apply to LocalEmu are ignored (every service it \
             serves is always on; functions run as local processes)"
        );
    }
    args
}

async fn start(args: StartArgs) -> ExitCode {
    let args = localstack_habits(absolute_paths(args));
    let credentials = match &args.credentials {
        Some(file) => match localemu::sts::identity::Identities::read_file(file) {
            Ok(keys) => keys,
            Err(e) => return fail(e),
        },
        None => Vec::new(),
    };
    let config = Config {
        host: args.host,
        port: args.port,
        default_region: args.default_region,
        // With a shared database, function code is unpacked from it into a scratch directory.
        work_dir: (args.persist && args.dir.store.is_none())
            .then(|| args.dir.data_dir.join("lambda")),
        allowed_hosts: args.allowed_hosts,
        max_function_processes: args.max_function_processes.max(1),
        function_idle: std::time::Duration::from_secs(args.function_idle_seconds),
        strict: localemu::config::Strict {
            signatures: args.strict || args.strict_signatures,
            policies: args.strict || args.strict_policies,
            permissions: args.strict || args.strict_permissions,
        },
        credentials,
        admin_token: std::env::var("AWSEMU_ADMIN_TOKEN")
            .ok()
            .filter(|t| !t.is_empty()),
        ..Config::default()
    };
    let opened = match &args.dir.store {
        Some(url) => Some(Store::open_postgres(url)),
        None => args.persist.then(|| Store::open(&args.dir.data_dir)),
    };
    let store = if let Some(opened) = opened {
        match opened {
            Ok(store) => store,
            Err(e) => return fail(e),
        }
    } else {
        Store::new()
    };
    let store = store.waiting_at_most(std::time::Duration::from_secs(args.store_timeout));
    let deps = Deps {
        store: Arc::new(store),
        ..Deps::default()
    };
    // The init file is read and tried on a scratch emulator first: a bad entry stops start-up
    // before anything is created.
    let init = match &args.init {
        Some(file) => match localemu::init::read(file) {
            Ok((doc, base)) => match dry_run(&config, &doc, &base).await {
                Ok(()) => Some((doc, base)),
                Err(e) => {
                    return fail(format!(
                        "the init file {}: {e}; nothing was created",
                        file.display()
                    ))
                }
            },
            Err(e) => return fail(e),
        },
        None => None,
    };
    let server = match Server::bind(&config, deps).await {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            return fail(format!(
                "cannot listen on {}:{}: the port is in use (another awsemu or LocalStack?). \
                 Stop it, or choose another port with --port (or AWSEMU_PORT; 0 picks a free \
                 one).",
                config.host, config.port
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::Other => return fail(e),
        Err(e) => {
            return fail(format!(
                "cannot listen on {}:{}: {e}",
                config.host, config.port
            ))
        }
    };
    let data = match &args.dir.store {
        Some(url) => Some(localemu::store::postgres::redacted(url)),
        None => args.persist.then(|| {
            std::path::absolute(&args.dir.data_dir)
                .unwrap_or_else(|_| args.dir.data_dir.clone())
                .display()
                .to_string()
        }),
    };
    if let Ok(addr) = server.local_addr() {
        tracing::info!(%addr, persistence = data.as_deref().unwrap_or("off"), "listening");
        // On stdout, for people and for tools that start `awsemu start --port 0`.
        println!("Listening on http://{addr}");
    }
    if let Some(data) = &data {
        println!("Persisting state in {data}");
    }
    if let (Some(token), Ok(addr)) = (server.admin_token(), server.local_addr()) {
        println!(
            "Admin token: {token} (strict mode: /_awsemu/* endpoints need it; the awsemu \
             client reads AWSEMU_ADMIN_TOKEN; console: http://{addr}/_awsemu/console?token={token})"
        );
    }
    if let Some((doc, base)) = &init {
        match server.seed(doc, base, false).await {
            Ok(done) => tracing::info!(
                created = done.created,
                existing = done.existing,
                "init file applied"
            ),
            Err(e) => return fail(format!("the init file: {e}")),
        }
    }
    let status = server.init_status();
    if let (Some(dir), Ok(addr)) = (args.init_dir.clone(), server.local_addr()) {
        let endpoint = format!("http://{addr}");
        let region = config.default_region.clone();
        // The scripts talk to the running server; `Ready.` (and `/_localstack/init`'s READY)
        // follow once they have all run, so that waiting for either waits for them.
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            localemu::init::hooks::run_ready(&dir, &endpoint, &region, &status).await;
            println!("Ready.");
        });
    } else {
        status.ready();
        println!("Ready.");
    }
    match server.run(shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("server error: {e}")),
    }
}

async fn state(command: StateCommand) -> ExitCode {
    let result = match command {
        StateCommand::Export { file, dir } => transfer::export(&dir.location(), &file),
        StateCommand::Import { file, create, dir } => {
            transfer::import(&dir.location(), &file, create).await
        }
    };
    match result {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

/// `awsemu secretsmanager ...`, `awsemu lambda ...` and `awsemu help`, with the AWS CLI's exit codes.
fn client(args: &[String]) -> ExitCode {
    if args[0] == "help" {
        print!("{}", localemu_cli::help_root());
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    let code = runtime.block_on(localemu_cli::run(&args[0], &args[1..]));
    ExitCode::from(code as u8)
}

async fn admin(endpoint: &str, path: &str, body: Option<String>) -> ExitCode {
    match localemu_cli::admin_client::call(endpoint, path, body).await {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

async fn rotations(args: RotationsArgs) -> ExitCode {
    let wait = args.wait.map(|seconds| (seconds, args.version.as_deref()));
    let endpoint = &args.endpoint.endpoint_url;
    match localemu_cli::admin_client::rotations(endpoint, args.secret.as_deref(), wait).await {
        Ok(history) if args.output == "json" => {
            println!("{}", localemu_cli::output::json(&history).trim_end());
            ExitCode::SUCCESS
        }
        Ok(history) => {
            print!("{}", localemu_cli::rotations::report(&history));
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

async fn clock(command: ClockCommand) -> ExitCode {
    match command {
        ClockCommand::Show(e) => clock_call(&e.endpoint_url, None).await,
        ClockCommand::Advance { span, endpoint } => {
            if localemu::clock::parse_span(&span).is_none() {
                return fail(format!(
                    "invalid span {span:?}: use e.g. 30d, 12h, 15m or 90s"
                ));
            }
            let body = serde_json::json!({ "advance": span }).to_string();
            clock_call(&endpoint.endpoint_url, Some(body)).await
        }
    }
}

/// Prints the emulator's time as a person reads it, with the seconds since the epoch.
async fn clock_call(endpoint: &str, body: Option<String>) -> ExitCode {
    match localemu_cli::admin_client::clock(endpoint, body).await {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    // Global options may come before the command, as in the AWS CLI; the client takes them
    // anywhere after it, so they move to the end.
    let (globals, at) = localemu_cli::leading_globals(&args[1..]);
    if let Some(first) = args.get(1 + at).map(String::as_str) {
        if localemu_cli::SERVICES.contains(&first) || first == "help" {
            let mut rest: Vec<String> = args[1 + at..].to_vec();
            rest.extend(globals);
            return client(&rest);
        }
        let known = localemu_cli::EMULATOR_COMMANDS.contains(&first) || first.starts_with('-');
        if !known {
            return ExitCode::from(localemu_cli::unknown_command(first) as u8);
        }
    }
    // PERSISTENCE is read by clap, whose refusal names only the flag.
    if args.get(1 + at).map(String::as_str) == Some("start") {
        if let Ok(value) = std::env::var("PERSISTENCE") {
            let known = ["1", "0", "true", "false", "yes", "no", "on", "off", ""];
            if !known.contains(&value.to_ascii_lowercase().as_str()) {
                return fail(format!(
                    "PERSISTENCE={value} is not understood: set PERSISTENCE=1 (or true, yes, on) \
                     to keep state across restarts, or PERSISTENCE=0 (false, no, off) not to"
                ));
            }
        }
    }
    // The emulator's own commands take global options anywhere too: those given before the
    // command move after it, where its own flags are read.
    let mut reordered: Vec<String> = args[..1].to_vec();
    reordered.extend(args[1 + at..].iter().cloned());
    reordered.extend(globals);
    let cli = Cli::parse_from(reordered);
    if matches!(cli.command, Command::Start(_)) {
        // Before any thread starts: this may replace the process (see its comment).
        localemu::server::return_large_blocks_to_the_system();
    }
    init_logging();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    let code = match cli.command {
        Command::Start(args) => runtime.block_on(start(args)),
        Command::State(command) => runtime.block_on(state(command)),
        Command::Clock(command) => runtime.block_on(clock(command)),
        Command::Rotations(args) => runtime.block_on(rotations(args)),
        Command::Reset(e) => runtime.block_on(admin(
            &e.endpoint_url,
            "/_awsemu/reset",
            Some(String::new()),
        )),
        Command::Health(e) => runtime.block_on(admin(&e.endpoint_url, "/_awsemu/health", None)),
    };
    // Work still running on blocking threads (unpacking code) must not hold up the exit.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    code
}
