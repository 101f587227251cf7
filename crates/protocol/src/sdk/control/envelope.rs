//! The three control envelopes: request, response, cancel (§5).

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::sdk::control::request::ControlRequest;

/// A `control_request` line: `{"type":"control_request","request_id",…,"request":{…}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ControlRequestEnvelope {
    /// Id the response must echo; any unique string.
    pub request_id: String,
    /// What is asked.
    pub request: ControlRequest,
    /// Session id (TypeScript SDK, optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ControlRequestEnvelope {
    /// A request with `request_id`.
    pub fn new(request_id: impl Into<String>, request: ControlRequest) -> Self {
        Self {
            request_id: request_id.into(),
            request,
            session_id: None,
            extra: Map::new(),
        }
    }
}

/// A `control_response` line: `{"type":"control_response","response":{…}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ControlResponseEnvelope {
    /// The answer.
    pub response: ControlResponse,
    /// Session id (TypeScript SDK, optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ControlResponseEnvelope {
    /// A success answer to `request_id` carrying `payload`, which must
    /// serialize to a JSON object.
    pub fn success(
        request_id: impl Into<String>,
        payload: &impl Serialize,
    ) -> Result<Self, serde_json::Error> {
        let response = match serde_json::to_value(payload)? {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            other => {
                return Err(serde::ser::Error::custom(format!(
                    "a control response payload must be a JSON object, not {other}"
                )));
            }
        };
        Ok(Self::from(ControlResponse::Success(ControlSuccess {
            request_id: request_id.into(),
            response,
            extra: Map::new(),
        })))
    }

    /// An error answer to `request_id` with a message users will see.
    pub fn error(request_id: impl Into<String>, error: impl Into<String>) -> Self {
        Self::from(ControlResponse::Error(ControlError::new(request_id, error)))
    }

    /// Id of the request this answers.
    pub fn request_id(&self) -> &str {
        match &self.response {
            ControlResponse::Success(success) => &success.request_id,
            ControlResponse::Error(error) => &error.request_id,
        }
    }
}

impl From<ControlResponse> for ControlResponseEnvelope {
    fn from(response: ControlResponse) -> Self {
        Self {
            response,
            session_id: None,
            extra: Map::new(),
        }
    }
}

/// The inner answer, tagged by `subtype`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "subtype", rename_all = "snake_case")]
pub enum ControlResponse {
    /// The request was handled.
    Success(ControlSuccess),
    /// The request failed or is not supported.
    Error(ControlError),
}

/// A success answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ControlSuccess {
    /// Id of the request this answers.
    pub request_id: String,
    /// The payload; its shape depends on the request kind. `{}` when there
    /// is nothing to say (written as `{}` when it was absent).
    #[serde(default)]
    pub response: Map<String, Value>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ControlSuccess {
    /// The payload as the typed response `T` of the request kind.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_value(Value::Object(self.response.clone()))
    }
}

/// An error answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ControlError {
    /// Id of the request this answers.
    pub request_id: String,
    /// What went wrong, shown to users.
    pub error: String,
    /// Machine-readable code, e.g. `job_token_unavailable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Whether trying again may help (TypeScript SDK).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retryable: Option<bool>,
    /// Structured detail (TypeScript SDK).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
    /// Permission requests still open (TypeScript SDK).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_permission_requests: Option<Value>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ControlError {
    /// An error answer with just a message.
    pub fn new(request_id: impl Into<String>, error: impl Into<String>) -> Self {
        Self {
            request_id: request_id.into(),
            error: error.into(),
            code: None,
            retryable: None,
            details: None,
            pending_permission_requests: None,
            extra: Map::new(),
        }
    }
}

/// A `control_cancel_request` line: drop the pending request; no response follows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ControlCancelRequest {
    /// Id of the request to cancel.
    pub request_id: String,
    /// Session id (TypeScript SDK, optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
