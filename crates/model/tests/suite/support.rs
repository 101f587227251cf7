//! Helpers: fast HTTP options and draining a stream.

use std::time::Duration;

use ferrule_model::{HttpOptions, ModelError, ModelEvent, ModelStream};
use futures::StreamExt;

/// Short waits so retry and timeout tests run in well under a second each.
pub(crate) fn fast_options() -> HttpOptions {
    HttpOptions {
        max_retries: 2,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
        max_retry_after: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        first_byte_timeout: Duration::from_secs(5),
        stall_timeout: Duration::from_millis(400),
    }
}

/// Every event until the end, and the error that ended it, if any.
pub(crate) async fn drain(mut stream: ModelStream) -> (Vec<ModelEvent>, Option<ModelError>) {
    let mut events = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(event) => events.push(event),
            Err(error) => {
                assert!(
                    stream.next().await.is_none(),
                    "the stream must end after an error"
                );
                return (events, Some(error));
            }
        }
    }
    (events, None)
}

/// The events of a stream that must succeed.
pub(crate) async fn events_of(stream: ModelStream) -> Vec<ModelEvent> {
    let (events, error) = drain(stream).await;
    if let Some(error) = error {
        panic!("unexpected error: {error}\nafter events: {events:#?}");
    }
    events
}

/// The error of a stream that must fail.
pub(crate) async fn error_of(stream: ModelStream) -> (Vec<ModelEvent>, ModelError) {
    let (events, error) = drain(stream).await;
    match error {
        Some(error) => (events, error),
        None => panic!("expected an error, got events: {events:#?}"),
    }
}

/// The completed message of a list of events.
pub(crate) fn completed(events: &[ModelEvent]) -> ferrule_protocol::AssistantMessage {
    match events.last() {
        Some(ModelEvent::Completed { message }) => (**message).clone(),
        other => panic!("the last event is not `completed`: {other:?}"),
    }
}
