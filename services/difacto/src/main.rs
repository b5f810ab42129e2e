use std::process::ExitCode;

use clap::Parser;
use difacto::cli::{Cli, Command, ServeCommand};
use difacto::commands;

/// mimalloc: the log's hot paths (decoding records, gRPC frames) allocate many small
/// values, which it serves markedly faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Before the runtime: the OTLP exporter's blocking client must not start inside one.
    let telemetry = match telemetry::init(process_name(&cli.command)) {
        Ok(telemetry) => telemetry,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    raise_open_file_limit();
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
            Command::Import(command) => commands::import::run(command, &cli.auth).await,
            Command::Bench(args) => difacto::bench::run(args).await,
        }
    });
    // The runtime first (its tasks may still hold spans), then the last spans out.
    drop(runtime);
    telemetry.shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The process's name in traces (`service.name`), by what it runs.
fn process_name(command: &Command) -> &'static str {
    match command {
        Command::Dev(_) => "difacto-dev",
        Command::Serve(ServeCommand::Log(_)) => "difacto-log",
        Command::Serve(ServeCommand::Practice(_)) => "difacto-practice",
        Command::Serve(ServeCommand::Icb(_)) => "difacto-icb",
        Command::Serve(ServeCommand::Partner(_)) => "difacto-partner",
        Command::Serve(ServeCommand::Provider(_)) => "difacto-provider",
        Command::Serve(ServeCommand::Gateway(_)) => "difacto-gateway",
        _ => "difacto",
    }
}

/// Every connection is a file: under the usual soft limit of 1024, a thousand idle
/// connections lock every legitimate caller out (issue 8). The soft limit is raised to
/// the hard one, which only the administrator sets (the deploy units set 65536). A
/// failure is logged, not fatal: the process still serves, with fewer connections.
fn raise_open_file_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok(limits) => limits,
        Err(err) => {
            tracing::warn!(error = %err, "cannot read the open-file limit");
            return;
        }
    };
    if soft >= hard {
        tracing::debug!(limit = soft, "open-file limit already at its hard limit");
        return;
    }
    match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
        Ok(()) => tracing::info!(from = soft, to = hard, "raised the open-file limit"),
        Err(err) => {
            tracing::warn!(error = %err, soft, hard, "cannot raise the open-file limit")
        }
    }
}

#[cfg(test)]
mod tests {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};

    #[test]
    fn the_open_file_limit_is_raised_to_the_hard_limit() {
        let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).expect("getrlimit");
        setrlimit(Resource::RLIMIT_NOFILE, hard.min(256), hard).expect("lower the soft limit");
        super::raise_open_file_limit();
        let (soft, after) = getrlimit(Resource::RLIMIT_NOFILE).expect("getrlimit");
        assert_eq!((soft, after), (hard, hard));
    }
}
