//! The `Model` trait every provider implements.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::event::ModelStream;
use crate::request::ModelRequest;

/// A language model that streams its answer to a [`ModelRequest`].
///
/// Object safe: the agent holds an `Arc<dyn Model>`. Nothing happens until
/// the returned stream is polled; cancelling `cancel` ends it with
/// [`crate::ModelError::Cancelled`], and dropping it stops the request.
pub trait Model: Send + Sync {
    /// The full name, `provider/model` (e.g. `openai/gpt-4.1`).
    fn name(&self) -> &str;

    /// Starts one request and streams its events.
    fn stream(&self, request: ModelRequest, cancel: CancellationToken) -> ModelStream;
}

impl<M: Model + ?Sized> Model for Arc<M> {
    fn name(&self) -> &str {
        (**self).name()
    }

    fn stream(&self, request: ModelRequest, cancel: CancellationToken) -> ModelStream {
        (**self).stream(request, cancel)
    }
}
