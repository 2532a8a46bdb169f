//! The `awsemu` command line: `awsemu start` runs the emulator; `awsemu state` moves state.

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
    about = "A local emulator of AWS Secrets Manager"
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
}

#[derive(clap::Args)]
struct DataDir {
    /// Directory holding the database when persistence is on.
    #[arg(long, env = "AWSEMU_DATA_DIR", default_value = ".localemu")]
    data_dir: PathBuf,
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
    /// Keep state in the data directory across restarts (every write is fsync'd).
    #[arg(long, env = "PERSISTENCE")]
    persist: bool,
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
        #[command(flatten)]
        dir: DataDir,
    },
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("AWSEMU_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("awsemu: {message}");
    ExitCode::FAILURE
}

async fn start(args: StartArgs) -> ExitCode {
    let config = Config {
        host: args.host,
        port: args.port,
        default_region: args.default_region,
    };
    let store = if args.persist {
        match Store::open(&args.dir.data_dir) {
            Ok(store) => store,
            Err(e) => return fail(e),
        }
    } else {
        Store::new()
    };
    let deps = Deps {
        store: Arc::new(store),
        ..Deps::default()
    };
    let server = match Server::bind(&config, deps).await {
        Ok(s) => s,
        Err(e) => {
            return fail(format!(
                "cannot listen on {}:{}: {e}",
                config.host, config.port
            ))
        }
    };
    if let Ok(addr) = server.local_addr() {
        let data = args
            .persist
            .then(|| args.dir.data_dir.display().to_string());
        tracing::info!(%addr, persistence = data.as_deref().unwrap_or("off"), "listening");
    }
    println!("Ready.");
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
        StateCommand::Export { file, dir } => transfer::export(&dir.data_dir, &file).await,
        StateCommand::Import { file, dir } => transfer::import(&dir.data_dir, &file).await,
    };
    match result {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    match cli.command {
        Command::Start(args) => runtime.block_on(start(args)),
        Command::State(command) => runtime.block_on(state(command)),
    }
}
