//! Canned replies: a status, headers and a body, streamed or not.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::{Flavor, Shared, error_body};

/// What the server answers one request with.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: ReplyBody,
    chunk_delay: Duration,
    stall: bool,
}

#[derive(Debug, Clone)]
enum ReplyBody {
    /// A JSON body.
    Json(Value),
    /// An error in the flavor's shape with this message.
    Error(String),
    /// A `text/event-stream` body written one frame per chunk.
    Sse(Vec<String>),
}

impl Reply {
    /// A 200 event stream: each frame is written as its own chunk, exactly
    /// as given (see the `openai` and `anthropic` modules for frames).
    pub fn sse(frames: Vec<String>) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            body: ReplyBody::Sse(frames),
            chunk_delay: Duration::ZERO,
            stall: false,
        }
    }

    /// An error status with the provider's error body carrying `message`.
    pub fn error(status: u16, message: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: ReplyBody::Error(message.to_owned()),
            chunk_delay: Duration::ZERO,
            stall: false,
        }
    }

    /// Any status with a JSON body.
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: ReplyBody::Json(body),
            chunk_delay: Duration::ZERO,
            stall: false,
        }
    }

    /// Adds a `Retry-After` header (seconds or an HTTP date).
    pub fn retry_after(self, value: &str) -> Self {
        self.header("retry-after", value)
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Waits this long before each frame of a stream.
    pub fn chunk_delay(mut self, delay: Duration) -> Self {
        self.chunk_delay = delay;
        self
    }

    /// After the frames, keeps the stream open without sending anything,
    /// until the client hangs up: a stalled server.
    pub fn stall(mut self) -> Self {
        self.stall = true;
        self
    }

    pub(super) fn into_response(self, shared: Arc<Shared>) -> Response {
        let flavor = shared.flavor;
        let body = match self.body {
            ReplyBody::Json(value) => Body::from(value.to_string()),
            ReplyBody::Error(message) => {
                Body::from(error_body(flavor, self.status, &message).to_string())
            }
            ReplyBody::Sse(frames) => stream_body(frames, self.chunk_delay, self.stall, shared),
        };
        let mut response = Response::new(body);
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        for (name, value) in self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                response.headers_mut().append(name, value);
            }
        }
        response
    }
}

fn stream_body(frames: Vec<String>, delay: Duration, stall: bool, shared: Arc<Shared>) -> Body {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Result<String, Infallible>>(1);
    tokio::spawn(async move {
        for frame in frames {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if sender.send(Ok(frame)).await.is_err() {
                shared.hung_up();
                return;
            }
        }
        if stall {
            // Hold the stream open until the client goes away.
            sender.closed().await;
            shared.hung_up();
        }
    });
    Body::from_stream(futures::stream::poll_fn(move |cx| receiver.poll_recv(cx)))
}

/// An immediate error response.
pub(super) fn error_response(flavor: Flavor, status: u16, message: &str) -> Response {
    let mut response = Response::new(Body::from(error_body(flavor, status, message).to_string()));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(value) = HeaderValue::from_str("application/json") {
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_TYPE, value);
    }
    response
}

/// Splits `text` into `pieces` parts whose lengths differ by at most one
/// character (fewer parts when the text has fewer characters). Joined,
/// they are `text`.
pub fn split_text(text: &str, pieces: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let pieces = pieces.clamp(1, chars.len().max(1));
    let (base, extra) = (chars.len() / pieces, chars.len() % pieces);
    let mut parts = Vec::with_capacity(pieces);
    let mut start = 0;
    for number in 0..pieces {
        let end = start + base + usize::from(number < extra);
        parts.push(chars[start..end].iter().collect());
        start = end;
    }
    parts
}
