use std::net::SocketAddr;
use std::process::ExitCode;

use replydesk::cli::{self, Command};
use replydesk::{shutdown_signal, telemetry, Application, Config, StartupError};

fn main() -> ExitCode {
    let command = match cli::parse(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("replydesk: {message}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Help => {
            println!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Command::SimulateHelp => {
            println!("{}", replydesk::loadgen::USAGE);
            return ExitCode::SUCCESS;
        }
        Command::Version => {
            println!("replydesk {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        // Before configuration, logging and the async runtime: the reader starts bare.
        Command::Extract(args) => return replydesk::knowledge::extract::child::main(&args),
        _ => {}
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("replydesk: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format);

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("replydesk: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        match command {
            Command::Migrate { status_only } => report(cli::migrate(&config, status_only).await),
            Command::ResetPassword { email } => report(cli::reset_password(&config, &email).await),
            Command::SetupToken => report(cli::setup_token(&config).await),
            Command::Backup { file } => report(cli::backup(&config, &file).await),
            Command::Restore { file, replace } => {
                report(cli::restore(&config, &file, replace).await)
            }
            Command::Simulate(options) => report(cli::simulate(&config, &options).await),
            _ => serve(config).await,
        }
    })
}

async fn serve(config: Config) -> ExitCode {
    let addr = SocketAddr::new(config.host, config.port);
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("replydesk: PORT: cannot listen on {addr}: {e}");
            return ExitCode::from(2);
        }
    };
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(e) => return startup_failed(&e),
    };
    tracing::info!("Replydesk listening on http://{addr}");
    match app.serve(listener, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => startup_failed(&e),
    }
}

/// Configuration problems exit 2 (fix the environment), a data directory that cannot be made or
/// written 73 (EX_CANTCREAT: fix it or its owner); anything else 1.
fn startup_failed(err: &StartupError) -> ExitCode {
    eprintln!("replydesk: {err}");
    match err {
        StartupError::DataDir { .. } | StartupError::DataDirNotWritable { .. } => {
            ExitCode::from(73)
        }
        StartupError::Connect { .. } | StartupError::Bootstrap(_) => ExitCode::from(2),
        _ => ExitCode::FAILURE,
    }
}

fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("replydesk: {e:#}");
            ExitCode::FAILURE
        }
    }
}
