//! The `ferrule-server` binary: `serve`, `worker`, `keys create`, `keys revoke`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use ferrule_server::worker::remote::{self, WorkerOptions};
use ferrule_server::{Server, ServerConfig, db, keys};

#[derive(Parser)]
#[command(
    name = "ferrule-server",
    version,
    about = "Cloud Agents-compatible API server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve /api/v1/cloud.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8787")]
        bind: String,
        /// Data directory (database file, session working directories).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Database URL (default: SQLite in the data directory).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Serve a self-hosted environment's work queue from this machine.
    Worker {
        /// The server (`http://HOST:PORT`, or its `/api/v1/cloud` URL).
        #[arg(long)]
        server: String,
        /// The self-hosted environment (`env_…`).
        #[arg(long)]
        environment: String,
        /// API key (default: `FERRULE_API_KEY`).
        #[arg(long, env = "FERRULE_API_KEY", hide_env_values = true)]
        api_key: String,
        /// Data directory for session working directories (default:
        /// `$FERRULE_HOME/worker`).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Worker-ID sent with polls (default: a random one).
        #[arg(long)]
        worker_id: Option<String>,
        /// Lease asked for in heartbeats, in seconds.
        #[arg(long, default_value_t = 30)]
        ttl_seconds: u64,
    },
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a key; prints it once (last line of stdout).
    Create {
        /// A name for the key.
        name: String,
        /// Data directory.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Database URL (default: SQLite in the data directory).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Revoke a key by its record ID (`key_…`).
    Revoke {
        /// The record ID printed by `keys create`.
        id: String,
        /// Data directory.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Database URL (default: SQLite in the data directory).
        #[arg(long)]
        database_url: Option<String>,
    },
}

fn data_dir(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    home_dir(given, "server")
}

fn home_dir(given: Option<PathBuf>, leaf: &str) -> anyhow::Result<PathBuf> {
    if let Some(dir) = given {
        return Ok(dir);
    }
    let home = std::env::var_os("FERRULE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".ferrule")))
        .context("no --data-dir given and neither FERRULE_HOME nor HOME is set")?;
    Ok(home.join(leaf))
}

async fn open(dir: Option<PathBuf>, url: Option<String>) -> anyhow::Result<sqlx::AnyPool> {
    let dir = data_dir(dir)?;
    let url = url.unwrap_or_else(|| db::sqlite_url(&dir));
    Ok(db::open(&url, &dir).await?)
}

#[allow(clippy::print_stdout)]
async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            bind,
            data_dir: dir,
            database_url,
        } => {
            let dir = data_dir(dir)?;
            let listener = tokio::net::TcpListener::bind(&bind)
                .await
                .with_context(|| format!("cannot listen on {bind}"))?;
            let config = ServerConfig::from_env(dir);
            let server = Server::start(listener, config, database_url.as_deref()).await?;
            tracing::info!(addr = %server.addr(), "ferrule-server ready");
            wait_for_signal().await?;
            tracing::info!("shutting down");
            server.shutdown().await;
            Ok(())
        }
        Command::Worker {
            server,
            environment,
            api_key,
            data_dir: dir,
            worker_id,
            ttl_seconds,
        } => {
            let dir = home_dir(dir, "worker")?;
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let options = WorkerOptions {
                server,
                environment,
                api_key,
                worker_id: worker_id.unwrap_or_else(|| format!("worker-{}", std::process::id())),
                ttl_seconds,
                config: ServerConfig::from_env(dir),
            };
            let shutdown = tokio_util::sync::CancellationToken::new();
            let stop = shutdown.clone();
            tokio::spawn(async move {
                if let Err(error) = wait_for_signal().await {
                    tracing::error!(%error, "cannot wait for signals");
                }
                tracing::info!("worker shutting down");
                stop.cancel();
            });
            tracing::info!(worker = %options.worker_id, "ferrule-server worker polling");
            remote::run(options, shutdown).await?;
            Ok(())
        }
        Command::Keys {
            command:
                KeysCommand::Create {
                    name,
                    data_dir: dir,
                    database_url,
                },
        } => {
            let pool = open(dir, database_url).await?;
            let key = keys::create(&pool, &name).await?;
            println!("created key {} ({name}); it is shown only once:", key.id);
            println!("{}", key.secret);
            Ok(())
        }
        Command::Keys {
            command:
                KeysCommand::Revoke {
                    id,
                    data_dir: dir,
                    database_url,
                },
        } => {
            let pool = open(dir, database_url).await?;
            anyhow::ensure!(
                keys::revoke(&pool, &id).await?,
                "no active key with ID {id}"
            );
            println!("revoked {id}");
            Ok(())
        }
    }
}

async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result?,
        _ = term.recv() => {}
    }
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ferrule-server: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
