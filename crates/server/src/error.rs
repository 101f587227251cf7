//! The error envelope every failed request gets (`cloud-api.md` §2.10).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

tokio::task_local! {
    /// The request ID of the request being handled (set by the request-ID
    /// middleware, read when an error body is built).
    pub(crate) static REQUEST_ID: String;
}

/// A failed request: HTTP status, `error.type`, message and the field at
/// fault.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {kind}: {message}")]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// The `error.type` value, e.g. `invalid_request_error`.
    pub kind: &'static str,
    /// Readable message.
    pub message: String,
    /// The request field at fault, when there is one.
    pub param: Option<String>,
}

/// Result of a handler.
pub(crate) type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            message: message.into(),
            param: None,
        }
    }

    /// 400 `invalid_request_error`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
    }

    /// 400 `invalid_request_error` naming the field at fault.
    pub fn field(param: &str, message: impl Into<String>) -> Self {
        let mut error = Self::invalid(message);
        error.param = Some(param.to_owned());
        error
    }

    /// 400: `Field 'NAME' is required.`
    pub fn required(param: &str) -> Self {
        Self::field(param, format!("Field '{param}' is required."))
    }

    /// 401 with the documented message.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "Invalid API key or token.",
        )
    }

    /// 404: `<Kind> '<id>' was not found.`
    pub fn not_found(kind: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found_error",
            format!("{kind} '{id}' was not found."),
        )
    }

    /// 404 with a free message.
    pub fn not_found_message(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found_error", message)
    }

    /// 409 `conflict_error`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict_error", message)
    }

    /// 409 typed `invalid_request_error` (state conflicts, per the docs).
    pub fn state_conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "invalid_request_error", message)
    }

    /// 405 for a known path with the wrong method.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request_error",
            "Method not allowed for this path.",
        )
    }

    /// 500 `api_error`; the cause goes to the log, not to the client.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            "Internal server error.",
        )
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        Self::internal(format!("database: {error}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = REQUEST_ID
            .try_with(Clone::clone)
            .unwrap_or_else(|_| uuid::Uuid::new_v4().to_string());
        let mut error = json!({"type": self.kind, "message": self.message});
        if let Some(param) = self.param {
            error["param"] = json!(param);
        }
        let body = json!({"type": "error", "request_id": request_id, "error": error});
        (self.status, axum::Json(body)).into_response()
    }
}
