//! Reading and writing single stream-json lines (`sdk-protocol.md` §2).

use serde_json::Value;

use crate::sdk::{ControlResponseEnvelope, StreamMessage};

/// A line that is not a valid stream message, with what could be recovered
/// from it, so the reader can still answer a broken control request (§5:
/// every control request gets exactly one response).
#[derive(Debug, thiserror::Error)]
#[error("invalid stream-json line{}: {source}", describe(.kind.as_deref(), .request_id.as_deref()))]
pub struct LineError {
    /// The line's top-level `type`, when it is a JSON object that has one.
    pub kind: Option<String>,
    /// The `request_id` of a broken `control_request`.
    pub request_id: Option<String>,
    /// What serde found wrong, with line and column.
    #[source]
    pub source: serde_json::Error,
}

fn describe(kind: Option<&str>, request_id: Option<&str>) -> String {
    match (kind, request_id) {
        (Some(kind), Some(id)) => format!(" (`{kind}` with request_id `{id}`)"),
        (Some(kind), None) => format!(" (`{kind}`)"),
        (None, _) => String::new(),
    }
}

impl LineError {
    fn new(line: &str, source: serde_json::Error) -> Self {
        let value: Option<Value> = serde_json::from_str(line).ok();
        let field = |name: &str| {
            value
                .as_ref()
                .and_then(|value| value.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let kind = field("type");
        let request_id = if kind.as_deref() == Some("control_request") {
            field("request_id")
        } else {
            None
        };
        Self {
            kind,
            request_id,
            source,
        }
    }

    /// The error response a broken control request should get, when its
    /// `request_id` could be read.
    pub fn error_response(&self) -> Option<ControlResponseEnvelope> {
        let request_id = self.request_id.as_ref()?;
        Some(ControlResponseEnvelope::error(
            request_id.clone(),
            format!("invalid control request: {}", self.source),
        ))
    }
}

impl StreamMessage {
    /// Parses one line; surrounding whitespace is ignored.
    pub fn from_line(line: &str) -> Result<Self, LineError> {
        let line = line.trim();
        serde_json::from_str(line).map_err(|source| LineError::new(line, source))
    }

    /// Writes the message as one compact JSON line without the newline, as
    /// the protocol wants it on the wire (§2). Fails only for values built
    /// by hand that JSON cannot hold (a payload that is not an object).
    pub fn to_line(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdk::ControlResponse;
    use pretty_assertions::assert_eq;

    #[test]
    fn broken_control_request_keeps_its_request_id_for_the_answer() {
        let err = StreamMessage::from_line(
            r#"{"type":"control_request","request_id":"r7","request":{"subtype":"can_use_tool"}}"#,
        )
        .unwrap_err();
        assert_eq!(err.kind.as_deref(), Some("control_request"));
        assert_eq!(err.request_id.as_deref(), Some("r7"));
        let answer = err.error_response().unwrap();
        assert_eq!(answer.request_id(), "r7");
        let ControlResponse::Error(error) = answer.response else {
            panic!("an error answer");
        };
        assert!(
            error.error.contains("missing field `tool_name`"),
            "{}",
            error.error
        );
    }

    #[test]
    fn line_that_is_not_json_has_no_kind() {
        let err = StreamMessage::from_line("hello").unwrap_err();
        assert!(err.error_response().is_none());
        assert_eq!((err.kind, err.request_id), (None, None));
    }
}
