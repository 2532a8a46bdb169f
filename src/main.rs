//! The `awsemu` command line: `awsemu start` runs the emulator.

use clap::{Parser, Subcommand};
use localemu::config::Config;
use localemu::server::{shutdown_signal, Deps, Server};
use std::process::ExitCode;

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
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("AWSEMU_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn start(args: StartArgs) -> ExitCode {
    let config = Config {
        host: args.host,
        port: args.port,
        default_region: args.default_region,
    };
    let server = match Server::bind(&config, Deps::default()).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "awsemu: cannot listen on {}:{}: {e}",
                config.host, config.port
            );
            return ExitCode::FAILURE;
        }
    };
    if let Ok(addr) = server.local_addr() {
        tracing::info!(%addr, "listening");
    }
    println!("Ready.");
    match server.run(shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("awsemu: server error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("awsemu: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::Start(args) => runtime.block_on(start(args)),
    }
}
