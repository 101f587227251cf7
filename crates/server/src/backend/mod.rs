//! Where a turn's session lives, seen from the turn loop: the server's own
//! database ([`DbBackend`], for the in-process workers and for the
//! worker-facing endpoints) or a server over HTTP ([`HttpBackend`], for
//! `ferrule-server worker`). The turn loop ([`crate::turn::run_turn`]) only
//! talks to a [`SessionBackend`], so one code path runs every turn.

mod db;
mod http;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use ferrule_protocol::Message;
use serde_json::Value;

pub(crate) use db::DbBackend;
pub(crate) use http::HttpBackend;

use crate::live::{PendingKind, Resolution};
use crate::turn::TurnInput;

/// Why a backend call failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BackendError {
    /// The work item is no longer this runner's (reclaimed, stopped, gone):
    /// the turn must stop without storing anything more.
    #[error("the work item was lost: {0}")]
    Lost(String),
    /// Anything else (database, transport).
    #[error("{0}")]
    Other(String),
}

impl From<crate::error::ApiError> for BackendError {
    fn from(error: crate::error::ApiError) -> Self {
        if error.status == axum::http::StatusCode::CONFLICT
            || error.status == axum::http::StatusCode::NOT_FOUND
        {
            Self::Lost(error.message)
        } else {
            Self::Other(error.message)
        }
    }
}

/// Everything a turn needs to run, read when it begins.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct TurnSetup {
    /// The session object (its agent snapshot, variables, flags).
    pub(crate) session: Value,
    /// The conversation before this turn.
    pub(crate) history: Vec<Message>,
    /// What the user sent.
    pub(crate) input: TurnInput,
    /// Environment variables from the session's vaults.
    pub(crate) secrets: BTreeMap<String, String>,
    /// Skills, MCP servers, files and the setup script of the turn.
    #[serde(default)]
    pub(crate) extras: crate::turn_extras::TurnExtras,
    /// For a resumed turn, the steps an earlier runner stored (§15.6).
    #[serde(default)]
    pub(crate) steps: crate::resume::Steps,
}

/// What arrived for a running turn since the last look.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Control {
    /// A cancel or `user.interrupt` was requested.
    pub(crate) cancel: bool,
    /// Answers to pending actions, by the event ID they answer.
    pub(crate) resolutions: Vec<(String, Resolution)>,
}

/// How a turn ended, for [`SessionBackend::finish`].
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct TurnEnd {
    /// The conversation after the turn (`None`: keep the one before).
    pub(crate) history: Option<Vec<Message>>,
    /// The closing events (`session.error`, `session.status_idle`).
    pub(crate) events: Vec<Value>,
    /// Seconds the turn ran.
    pub(crate) active_seconds: f64,
    /// What the agent changed in the session's memory stores.
    #[serde(default)]
    pub(crate) memory_changes: Vec<crate::session_memory::MemoryChange>,
}

/// The session store a turn runs against.
#[async_trait]
pub(crate) trait SessionBackend: Send + Sync {
    /// Starts (or resumes) the turn of the work item: stores
    /// `session.status_running` (after `session.status_rescheduled` when an
    /// earlier runner had started it) and returns what the turn needs;
    /// `None` when the item has no turn to run (cancelled, already done).
    async fn begin(&self) -> Result<Option<TurnSetup>, BackendError>;

    /// Stores events (each with its `id`), optionally setting the session
    /// status; they are committed before anyone streams them.
    async fn append(&self, events: Vec<Value>, status: Option<&str>) -> Result<(), BackendError>;

    /// Records that the turn waits for the client on `event_id` and stores
    /// the `requires_action` idle event.
    async fn park(&self, event_id: &str, kind: PendingKind) -> Result<(), BackendError>;

    /// Cancel requests and answers that arrived, waiting up to `wait` when
    /// there are none yet.
    async fn control(&self, wait: Duration) -> Result<Control, BackendError>;

    /// Ends the turn: stores the history and the closing events, clears the
    /// turn marker and completes the work item.
    async fn finish(&self, end: TurnEnd) -> Result<(), BackendError>;

    /// Gives the unfinished turn back (shutdown): it stays marked and its
    /// item can be claimed again at once.
    async fn release(&self) -> Result<(), BackendError>;

    /// The server's state when the session is in this process's database
    /// (for tools only the server can offer, such as `DeliverArtifacts`).
    fn local_state(&self) -> Option<crate::app::AppState> {
        None
    }
}
