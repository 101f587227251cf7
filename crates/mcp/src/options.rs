//! A manager's timeouts and limits, and how requests to a server fail.

use std::time::Duration;

use crate::channel::SdkConnector;
use crate::output::DEFAULT_MAX_RESULT_CHARS;

/// Timeouts and limits of a manager.
#[derive(Clone)]
pub struct ManagerOptions {
    /// How long a server has to answer `initialize` and list its tools
    /// (`MCP_TIMEOUT`, default 30 s). Also bounds resource and prompt
    /// requests.
    pub startup_timeout: Duration,
    /// Tool-call timeout when the server's config sets none
    /// (`MCP_TOOL_TIMEOUT`; default: none).
    pub tool_timeout: Option<Duration>,
    /// Cap on a tool result's text in characters (default 50 000; a tool's
    /// `_meta["anthropic/maxResultSizeChars"]` raises it for that tool).
    pub max_result_chars: usize,
    /// How to reach `type: sdk` servers; without it they fail.
    pub sdk: Option<SdkConnector>,
    /// Who answers servers' elicitations; with one the client advertises
    /// the `elicitation` capability, without one every request is declined.
    pub elicitor: Option<std::sync::Arc<dyn crate::Elicitor>>,
}

impl Default for ManagerOptions {
    fn default() -> Self {
        Self {
            startup_timeout: Duration::from_secs(30),
            tool_timeout: None,
            max_result_chars: DEFAULT_MAX_RESULT_CHARS,
            sdk: None,
            elicitor: None,
        }
    }
}

impl std::fmt::Debug for ManagerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagerOptions")
            .field("startup_timeout", &self.startup_timeout)
            .field("tool_timeout", &self.tool_timeout)
            .field("max_result_chars", &self.max_result_chars)
            .field("sdk", &self.sdk.is_some())
            .field("elicitor", &self.elicitor.is_some())
            .finish()
    }
}

impl ManagerOptions {
    /// Defaults, with `MCP_TIMEOUT` and `MCP_TOOL_TIMEOUT` (milliseconds)
    /// read through `lookup` (the process environment, or the settings'
    /// `env` on top of it). Unparsable values are ignored with a warning.
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Self {
        let millis = |name: &str| {
            let raw = lookup(name)?;
            match raw.trim().parse::<u64>() {
                Ok(ms) if ms > 0 => Some(Duration::from_millis(ms)),
                _ => {
                    tracing::warn!(
                        "{name}={raw:?} is not a positive number of milliseconds; ignored"
                    );
                    None
                }
            }
        };
        let mut options = Self::default();
        if let Some(t) = millis("MCP_TIMEOUT") {
            options.startup_timeout = t;
        }
        options.tool_timeout = millis("MCP_TOOL_TIMEOUT");
        options
    }

    /// [`ManagerOptions::from_lookup`] over the process environment.
    pub fn from_env() -> Self {
        Self::from_lookup(&|name| std::env::var(name).ok())
    }
}

/// Why a request to an MCP server failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum McpClientError {
    /// No server of that name is configured.
    #[error("no MCP server named `{0}` is configured")]
    UnknownServer(String),
    /// The server is disabled, failed to start, or died and could not be
    /// restarted.
    #[error("MCP server `{server}` is not available: {reason}")]
    Unavailable {
        /// The server.
        server: String,
        /// Why.
        reason: String,
    },
    /// The server answered with a JSON-RPC error.
    #[error("MCP server `{server}` answered {what} with error {code}: {message}")]
    Rejected {
        /// The server.
        server: String,
        /// The request, e.g. `tools/call get_weather`.
        what: String,
        /// JSON-RPC error code.
        code: i32,
        /// Its message.
        message: String,
    },
    /// The connection broke or timed out during the request; the server is
    /// restarted on its next use.
    #[error(
        "MCP server `{server}` failed during {what}: {reason}; it will be restarted on the next call"
    )]
    Broken {
        /// The server.
        server: String,
        /// The request.
        what: String,
        /// What happened.
        reason: String,
    },
    /// The call was cancelled.
    #[error("the MCP request was cancelled")]
    Cancelled,
}
