//! `ferrule-server`: the Cloud Agents-compatible HTTP API
//! (`reference/cloud-api.md`) over SQLite (default) or PostgreSQL.
//!
//! [`Server::start`] opens the database (`--database-url`, else
//! `<data dir>/ferrule-server.db`; the embedded sqlx migrations in
//! `migrations/` run on start and are portable between both backends),
//! creates the `default` environment once, resumes turns a previous process
//! left running, and serves `/api/v1/cloud` on a listener until
//! [`Server::shutdown`]. [`keys::create`] makes bearer keys (only a BLAKE3
//! hash is stored); `FERRULE_API_KEY` is accepted as a bootstrap key.
//!
//! What is served:
//! - conventions (§2): bearer auth, the error envelope with `request_id`,
//!   `x-request-id`, prefixed UUIDv7 IDs, cursor pagination with
//!   `next_page`, RFC 3339 times, metadata patches, 4 MB bodies parsed as
//!   JSON whatever the content type, `Idempotency-Key` on POST;
//! - models, environments (+ the default one), agents with versions and
//!   optimistic concurrency, tool configuration (`agent_toolset_20260401`,
//!   legacy `bash_20250124`-style types, custom tools, `mcp_toolset`
//!   validated and stored), the three permission policies;
//! - sessions and events: send (bare event or `{"events": [...]}`), list,
//!   SSE with replay from the first event, `Last-Event-ID` resume and
//!   comment heartbeats; every event is committed, then fanned out to
//!   streams in process;
//! - the work queue as the one way turns run: a `user.message` marks the
//!   turn and queues a work item of the session's environment; the server's
//!   own workers ([`worker`]) serve built-in environments and
//!   `ferrule-server worker` ([`worker::remote`]) self-hosted ones, through
//!   the same claim and lease logic (`FOR UPDATE SKIP LOCKED` on
//!   PostgreSQL), so several server processes share one queue; a lease that
//!   runs out hands the turn to another worker, which resumes it like a
//!   restart does (§15.6): from the last stored step (`resume`), so a
//!   tool call whose result was stored never runs twice and only the model
//!   request whose response was lost is issued again. Streams of every
//!   replica see events committed through any other (LISTEN/NOTIFY,
//!   `fanout`). External workers use the worker endpoints under
//!   `/environments/{id}/work/{wid}/session/` (`begin`, `events`, `park`,
//!   `control`, `finish`, `release`; API key plus the poll's `Work-Secret`);
//! - the turn loop: a claimed turn runs the ferrule agent
//!   (`ferrule-agent`) in `<workspaces>/<session id>` of the worker; agent events
//!   map to session events ([`mapping::EventMapper`]), `always_ask` calls and
//!   custom tools pause with `requires_action`, interrupts and cancel end the
//!   turn promptly, incremental streaming is opt-in per session;
//! - files (text uploads, delivered artifacts with signed links), vaults
//!   (secrets sealed with AES-256-GCM, [`seal`]), memory stores with entry
//!   versions, and the self-hosted work queue API;
//! - deployments with 5-field cron schedules in IANA time zones, manual
//!   and scheduled runs (each a session with `deployment_id`), fired once
//!   per due time across replicas by a claim in the database (`scheduler`);
//! - dreams: a hidden session whose agent has only memory and session-read
//!   tools consolidates a clone of a memory store;
//! - session threads (§6.9) and multiagent sessions (`multiagent`): the
//!   primary thread of every session; a coordinator agent's control tools
//!   (`create_agent`, `Agent`, `send_to_agent`, `list_agents`) create child
//!   threads that run roster agents with their own history in the same
//!   working directory and report back with `send_to_parent`; stored
//!   mailboxes, child events tagged with `session_thread_id`, thread event
//!   lists and streams, at most 25 threads per session, the session idle
//!   only when every thread stopped, cancel stopping them all. Child turns
//!   run in the server process that created them (not as work items), and
//!   a coordinator turn on an external worker gets no control tools;
//! - skills (§11: zip or multi-file uploads, versions, zip content) bound
//!   to agents: written to `.qoder/skills/<name>/` of the working directory,
//!   listed in the prompt and opened with the `Skill` tool; MCP toolsets
//!   (§5.8: Streamable HTTP `url` servers with vault bearer tokens, tools
//!   as `mcp__<server>__<tool>`, `agent.mcp_tool_use`/`_result`); session
//!   file resources (§6.8) copied to their `mount_path` under the working
//!   directory; memory-store session resources (§6.8, `read_write` or
//!   `read_only`), whose entries the agent reads and edits as files under
//!   `.qoder/awareness/` and whose edits are saved as entry versions when
//!   the turn ends (`session_memory`); an environment's `setup_script`,
//!   once per working directory before its first turn. These travel in the
//!   turn setup (`turn_extras`), so external workers get them too;
//! - session delete removes everything stored for the session (events,
//!   turn state, work items, pending actions, threads, resources) and its
//!   working directory on the server.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use ferrule_server::{Server, ServerConfig};
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let config = ServerConfig::from_env("/tmp/ferrule-data".into());
//! let server = Server::start(listener, config, None).await?;
//! println!("serving {}", server.base_url());
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Not served yet: GitHub repository session resources, `DeliverArtifacts`
//! on external workers.

mod agents;
mod app;
mod artifacts;
mod backend;
pub mod db;
mod deployment_runs;
mod deployments;
mod dream_run;
mod dream_tools;
mod dreams;
mod environments;
mod envvars;
mod error;
mod events;
mod fanout;
mod files;
mod idempotency;
pub mod ids;
mod input;
pub mod keys;
mod list;
mod listen;
mod live;
pub mod mapping;
mod memories;
mod memory_stores;
mod models;
mod multiagent;
mod pause;
mod resources;
mod resume;
mod runner;
mod runtime;
mod runtime_mcp;
mod schedule;
mod scheduler;
pub mod seal;
mod session_memory;
mod sessions;
mod setup_script;
mod skills;
mod store;
mod stream;
mod threads;
pub mod toolset;
mod turn;
mod turn_extras;
mod vaults;
mod work;
pub mod worker;
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
        let store = store::Store::new(pool, fanout::Fanout::for_url(&url))
            .await
            .map_err(|e| StartError::Setup(e.to_string()))?;
        let sealer = seal::Sealer::load(config.vault_key.as_deref(), &config.data_dir)
            .map_err(|e| StartError::Setup(e.to_string()))?;
        let state = AppState::new(store, sealer, config);
        environments::ensure_default(&state)
            .await
            .map_err(|e| StartError::Setup(e.message))?;
        listen::spawn(&state);
        turn::resume_all(&state)
            .await
            .map_err(|e| StartError::Setup(e.message))?;
        multiagent::resume_all(&state)
            .await
            .map_err(|e| StartError::Setup(e.message))?;
        worker::spawn_local(&state);
        scheduler::spawn(&state);
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
