//! Why a model request failed, said so that a user can act on it.

use std::path::PathBuf;
use std::time::Duration;

use ferrule_protocol::{AgentError, AgentErrorKind};
use thiserror::Error;

use crate::script::ScriptError;
use crate::sse::SseError;

/// A failed model request.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The provider needs an API key and none is configured.
    #[error("{provider}: no API key: set {variable} (needed for requests to {base_url})")]
    MissingApiKey {
        /// Provider name, e.g. `openai`.
        provider: &'static str,
        /// The environment variable to set.
        variable: &'static str,
        /// The server the key is for.
        base_url: String,
    },
    /// The server answered with an error status.
    #[error("{}", status_message(self))]
    Status {
        /// Provider name.
        provider: &'static str,
        /// The URL requested.
        url: String,
        /// HTTP status.
        status: u16,
        /// The model asked for.
        model: String,
        /// The error message from the body (or the body itself, shortened).
        message: String,
        /// The variable holding the API key, named in 401/403 messages.
        key_variable: &'static str,
        /// Retries made before giving up.
        retries: u32,
    },
    /// The server could not be reached or the connection broke.
    #[error("{provider}: cannot reach {url}: {message}{}", retried(*retries))]
    Connection {
        /// Provider name.
        provider: &'static str,
        /// The URL requested.
        url: String,
        /// What the HTTP client said.
        message: String,
        /// Retries made before giving up.
        retries: u32,
    },
    /// No response headers arrived in time.
    #[error(
        "{provider}: no response from {url} within {}{}",
        seconds(*after),
        retried(*retries)
    )]
    Timeout {
        /// Provider name.
        provider: &'static str,
        /// The URL requested.
        url: String,
        /// The timeout that expired.
        after: Duration,
        /// Retries made before giving up.
        retries: u32,
    },
    /// The response stream sent nothing for too long.
    #[error("{provider}: the response stream from {url} stalled: nothing received for {}", seconds(*after))]
    Stalled {
        /// Provider name.
        provider: &'static str,
        /// The URL requested.
        url: String,
        /// The stall timeout that expired.
        after: Duration,
    },
    /// The response body is not the stream the provider should send.
    #[error("{provider}: bad response stream from {url}: {message}")]
    Stream {
        /// Provider name.
        provider: &'static str,
        /// The URL requested.
        url: String,
        /// What was wrong and where (line number, offending text).
        message: String,
    },
    /// The provider reported an error inside the stream.
    #[error("{provider}: {url} reported `{kind}` mid-stream: {message}")]
    Provider {
        /// Provider name.
        provider: &'static str,
        /// The URL requested.
        url: String,
        /// The provider's error type, e.g. `overloaded_error`.
        kind: String,
        /// The provider's message.
        message: String,
    },
    /// The request was cancelled.
    #[error("model request cancelled")]
    Cancelled,
    /// A script of the scripted provider cannot be used.
    #[error(transparent)]
    Script(#[from] ScriptError),
    /// The scripted provider has no turn left for this request.
    #[error(
        "script {}: all {turns} turns were used; request {} has no scripted response",
        path.display(),
        turns + 1
    )]
    ScriptExhausted {
        /// The script file.
        path: PathBuf,
        /// Turns the script has.
        turns: usize,
    },
    /// The recorder could not write its script.
    #[error("cannot record model responses to {}: {message}", path.display())]
    Record {
        /// The script being written.
        path: PathBuf,
        /// What failed.
        message: String,
    },
}

impl ModelError {
    /// Whether the failure is worth another attempt: rate limits, server
    /// errors, connection failures and timeouts.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Status { status, .. } => is_retryable_status(*status),
            Self::Connection { .. } | Self::Timeout { .. } => true,
            Self::MissingApiKey { .. }
            | Self::Stalled { .. }
            | Self::Stream { .. }
            | Self::Provider { .. }
            | Self::Cancelled
            | Self::Script(_)
            | Self::ScriptExhausted { .. }
            | Self::Record { .. } => false,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            Self::MissingApiKey { .. }
            | Self::Connection { .. }
            | Self::Timeout { .. }
            | Self::Stalled { .. }
            | Self::Stream { .. }
            | Self::Provider { .. }
            | Self::Cancelled
            | Self::Script(_)
            | Self::ScriptExhausted { .. }
            | Self::Record { .. } => None,
        }
    }

    /// The error as the agent event stream reports it.
    pub fn to_agent_error(&self) -> AgentError {
        let kind = match self {
            Self::MissingApiKey { .. } => AgentErrorKind::Authentication,
            Self::Status { status, .. } => match status {
                401 | 403 => AgentErrorKind::Authentication,
                402 => AgentErrorKind::Billing,
                429 => AgentErrorKind::RateLimit,
                400..=499 => AgentErrorKind::InvalidRequest,
                _ => AgentErrorKind::Server,
            },
            Self::Connection { .. }
            | Self::Timeout { .. }
            | Self::Stalled { .. }
            | Self::Stream { .. }
            | Self::Provider { .. } => AgentErrorKind::Server,
            Self::Cancelled => AgentErrorKind::Interrupted,
            Self::Script(_) | Self::ScriptExhausted { .. } | Self::Record { .. } => {
                AgentErrorKind::Other
            }
        };
        AgentError {
            kind,
            message: self.to_string(),
            status: self.status(),
        }
    }

    pub(crate) fn stream(provider: &'static str, url: &str, error: &SseError) -> Self {
        Self::Stream {
            provider,
            url: url.to_owned(),
            message: error.to_string(),
        }
    }
}

/// 408, 409, 429 and every 5xx (Anthropic's 529 "overloaded" included).
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || (500..=599).contains(&status)
}

fn status_message(error: &ModelError) -> String {
    let ModelError::Status {
        provider,
        url,
        status,
        model,
        message,
        key_variable,
        retries,
    } = error
    else {
        return String::new();
    };
    let retried = retried(*retries);
    match status {
        401 | 403 => format!(
            "{provider}: {url} refused the API key (HTTP {status}): {message}; \
             check {key_variable} (or the base URL if the key is for another server){retried}"
        ),
        404 => format!(
            "{provider}: model `{model}` or endpoint not found at {url} (HTTP 404): {message}{retried}"
        ),
        _ => format!("{provider}: {url} answered HTTP {status}: {message}{retried}"),
    }
}

fn retried(retries: u32) -> String {
    match retries {
        0 => String::new(),
        1 => " (after 1 retry)".to_owned(),
        n => format!(" (after {n} retries)"),
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn unauthorized_names_url_and_variable() {
        let error = ModelError::Status {
            provider: "openai",
            url: "http://127.0.0.1:9/v1/chat/completions".into(),
            status: 401,
            model: "gpt-4.1".into(),
            message: "Incorrect API key provided".into(),
            key_variable: "OPENAI_API_KEY",
            retries: 0,
        };
        assert_eq!(
            error.to_string(),
            "openai: http://127.0.0.1:9/v1/chat/completions refused the API key (HTTP 401): \
             Incorrect API key provided; check OPENAI_API_KEY (or the base URL if the key is for another server)"
        );
        assert_eq!(error.to_agent_error().kind, AgentErrorKind::Authentication);
        assert!(!error.is_retryable());
    }

    #[test]
    fn retryable_statuses() {
        let retryable: Vec<u16> = [400, 401, 404, 408, 409, 429, 500, 503, 529]
            .into_iter()
            .filter(|status| is_retryable_status(*status))
            .collect();
        assert_eq!(retryable, vec![408, 409, 429, 500, 503, 529]);
    }
}
