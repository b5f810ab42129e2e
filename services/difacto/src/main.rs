use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use difacto::cli::{Cli, Command};
use difacto::commands;
use tracing_subscriber::EnvFilter;

/// mimalloc: the log's hot paths (decoding records, gRPC frames) allocate many small
/// values, which it serves markedly faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("DIFACTO_LOG_LEVEL").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Dev(args) => commands::dev::run(args, &cli.auth).await,
            Command::Serve(command) => commands::serve::run(command, &cli.auth).await,
            Command::Token(args) => commands::token::run(args, &cli.auth),
            Command::Verify(args) => commands::verify::run(args, &cli.auth).await,
            Command::Schema => commands::schema::run(),
            Command::Bench(args) => difacto::bench::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
