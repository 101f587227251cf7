//! `ferrule-server`: the Cloud Agents-compatible HTTP API
//! (`reference/cloud-api.md`) over SQLite (default) or PostgreSQL.
//!
//! [`Server::start`] opens the database in a data directory (migrations run
//! on start), creates the default environment once, resumes turns left
//! running by a previous process, and serves `/api/v1/cloud` on a listener.
//! Sessions run the ferrule agent (`ferrule-agent`) in a working directory
//! under the data directory; every event is committed before it is
//! streamed. [`keys::create`] makes API keys (stored hashed).
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use ferrule_server::{Server, ServerConfig};
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let config = ServerConfig::from_env("/tmp/ferrule-data".into());
//! let server = Server::start(listener, config, None).await?;
//! println!("serving on {}", server.addr());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

mod agents;
mod app;
mod artifacts;
pub mod db;
mod environments;
mod envvars;
mod error;
mod events;
mod files;
mod idempotency;
pub mod ids;
mod input;
pub mod keys;
mod list;
mod live;
pub mod mapping;
mod memories;
mod memory_stores;
mod models;
mod pause;
pub mod seal;
mod sessions;
mod store;
mod stream;
pub mod toolset;
mod turn;
mod vaults;
mod work;
mod writer;

use std::net::SocketAddr;

pub use app::{AppState, ServerConfig};
pub use error::ApiError;

/// Error starting the server.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Db(#[from] db::DbError),
    /// The listener has no local address.
    #[error("listener: {0}")]
    Io(#[from] std::io::Error),
    /// First-start setup failed.
    #[error("startup: {0}")]
    Setup(String),
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    state: AppState,
    serve: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Opens the database (`database_url`, or the SQLite file in the data
    /// directory) and serves the API on `listener`.
    pub async fn start(
        listener: tokio::net::TcpListener,
        config: ServerConfig,
        database_url: Option<&str>,
    ) -> Result<Self, StartError> {
        let url = database_url.map_or_else(|| db::sqlite_url(&config.data_dir), str::to_owned);
        let pool = db::open(&url, &config.data_dir).await?;
        let store = store::Store::new(pool)
            .await
            .map_err(|e| StartError::Setup(e.to_string()))?;
        let sealer = seal::Sealer::load(config.vault_key.as_deref(), &config.data_dir)
            .map_err(|e| StartError::Setup(e.to_string()))?;
        let state = AppState::new(store, sealer, config);
        environments::ensure_default(&state)
            .await
            .map_err(|e| StartError::Setup(e.message))?;
        turn::resume_all(&state)
            .await
            .map_err(|e| StartError::Setup(e.message))?;
        let addr = listener.local_addr()?;
        let shutdown = state.shutdown.clone();
        let serve_state = state.clone();
        let serve = tokio::spawn(async move {
            if let Err(error) = app::serve(listener, serve_state, shutdown).await {
                tracing::error!(%error, "server stopped");
            }
        });
        Ok(Self { addr, state, serve })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL of the API, `http://ADDR/api/v1/cloud`.
    pub fn base_url(&self) -> String {
        format!("http://{}/api/v1/cloud", self.addr)
    }

    /// The shared state (database pool, live turns).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting, ends streams, stops live turns (left marked for
    /// resumption on the next start), waits for them and closes the pool.
    pub async fn shutdown(self) {
        self.state.shutdown.cancel();
        self.state.live.cancel_all();
        self.state.tasks.close();
        self.state.tasks.wait().await;
        let _ = self.serve.await;
        self.state.store.pool.close().await;
    }
}
