//! MCP elicitation: a server asks the user for input in the middle of a
//! request (`elicitation/create`, form or url mode). The client advertises
//! the capability when the host gives the manager an [`Elicitor`], which
//! decides the answer (hooks, then the user).

use std::sync::Arc;

use async_trait::async_trait;
use rmcp::model::{ElicitRequestParams, ElicitResult, ElicitationAction};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// How the server wants the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElicitMode {
    /// Content matching a JSON Schema.
    Form,
    /// The user opens a URL; no content comes back.
    Url,
}

impl ElicitMode {
    /// `form` or `url`, as the protocol and the hook payload spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            ElicitMode::Form => "form",
            ElicitMode::Url => "url",
        }
    }
}

/// One elicitation request of a server.
#[derive(Debug, Clone)]
pub struct Elicitation {
    /// The server's configured name.
    pub server: String,
    /// What it asks.
    pub message: String,
    /// Form or url.
    pub mode: ElicitMode,
    /// The page to open (url mode).
    pub url: Option<String>,
    /// The elicitation's id: the server's (url mode), else the JSON-RPC
    /// request id.
    pub elicitation_id: String,
    /// The JSON Schema of the wanted content (form mode; `null` in url mode).
    pub requested_schema: Value,
    /// Fires when the server cancels the request or the connection closes.
    pub cancel: CancellationToken,
}

/// What the user (or a hook) answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElicitReplyAction {
    /// Accepted (with content in form mode).
    Accept,
    /// Declined.
    Decline,
    /// Cancelled.
    Cancel,
}

/// The answer sent back to the server.
#[derive(Debug, Clone, PartialEq)]
pub struct ElicitReply {
    /// Accept, decline or cancel.
    pub action: ElicitReplyAction,
    /// The content of an accept.
    pub content: Option<Value>,
}

impl ElicitReply {
    /// A decline without content.
    pub fn decline() -> Self {
        Self {
            action: ElicitReplyAction::Decline,
            content: None,
        }
    }
}

/// Decides the answer to a server's elicitation.
#[async_trait]
pub trait Elicitor: Send + Sync {
    /// Answers `request`; may wait for a person.
    async fn elicit(&self, request: Elicitation) -> ElicitReply;

    /// The server reported that the url-mode elicitation `elicitation_id`
    /// finished (`notifications/elicitation/complete`).
    async fn completed(&self, server: &str, elicitation_id: &str) {
        let _ = (server, elicitation_id);
    }
}

/// The method of the server's notification that a url elicitation ended.
pub(crate) const COMPLETE_METHOD: &str = "notifications/elicitation/complete";

/// Turns rmcp's request into an [`Elicitation`] of `server`; `None` for a
/// mode this client does not know.
pub(crate) fn request_of(
    server: &str,
    params: ElicitRequestParams,
    request_id: String,
    cancel: CancellationToken,
) -> Option<Elicitation> {
    Some(match params {
        ElicitRequestParams::UrlElicitationParams {
            message,
            url,
            elicitation_id,
            ..
        } => Elicitation {
            server: server.to_owned(),
            message,
            mode: ElicitMode::Url,
            url: Some(url),
            elicitation_id: if elicitation_id.is_empty() {
                request_id
            } else {
                elicitation_id
            },
            requested_schema: Value::Null,
            cancel,
        },
        ElicitRequestParams::FormElicitationParams {
            message,
            requested_schema,
            ..
        } => Elicitation {
            server: server.to_owned(),
            message,
            mode: ElicitMode::Form,
            url: None,
            elicitation_id: request_id,
            requested_schema: serde_json::to_value(&requested_schema).unwrap_or(Value::Null),
            cancel,
        },
        _ => return None,
    })
}

/// The reply as rmcp's result; content only goes with an accept.
pub(crate) fn result_of(reply: ElicitReply) -> ElicitResult {
    let action = match reply.action {
        ElicitReplyAction::Accept => ElicitationAction::Accept,
        ElicitReplyAction::Decline => ElicitationAction::Decline,
        ElicitReplyAction::Cancel => ElicitationAction::Cancel,
    };
    let result = ElicitResult::new(action);
    match (reply.action, reply.content) {
        (ElicitReplyAction::Accept, Some(content)) => result.with_content(content),
        _ => result,
    }
}

/// An optional shared elicitor.
pub(crate) type SharedElicitor = Option<Arc<dyn Elicitor>>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn url_requests_keep_the_server_id_and_forms_use_the_request_id() {
        let params: ElicitRequestParams = serde_json::from_value(json!({
            "mode": "url", "message": "Log in", "url": "https://x.invalid/a", "elicitationId": "e-1"
        }))
        .unwrap();
        let r = request_of("s", params, "7".into(), CancellationToken::new()).unwrap();
        assert_eq!(
            (r.mode, r.url.as_deref(), r.elicitation_id.as_str()),
            (ElicitMode::Url, Some("https://x.invalid/a"), "e-1")
        );
        let params: ElicitRequestParams = serde_json::from_value(json!({
            "message": "Name?",
            "requestedSchema": {"type": "object", "properties": {"name": {"type": "string"}}}
        }))
        .unwrap();
        let r = request_of("s", params, "7".into(), CancellationToken::new()).unwrap();
        assert_eq!((r.mode, r.elicitation_id.as_str()), (ElicitMode::Form, "7"));
        assert_eq!(r.requested_schema["properties"]["name"]["type"], "string");
    }

    #[test]
    fn content_only_goes_with_an_accept() {
        let declined = result_of(ElicitReply {
            action: ElicitReplyAction::Decline,
            content: Some(json!({"a": 1})),
        });
        assert_eq!(declined.content, None);
        let accepted = result_of(ElicitReply {
            action: ElicitReplyAction::Accept,
            content: Some(json!({"a": 1})),
        });
        assert_eq!(accepted.content, Some(json!({"a": 1})));
    }
}
