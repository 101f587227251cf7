//! Retries, timeouts, cancellation and dropped streams, over real HTTP.

use std::time::{Duration, Instant};

use anyhow::Result;
use ferrule_model::{
    CancellationToken, HttpOptions, Model, ModelError, ModelEvent, ModelRequest, OpenAiModel,
};
use ferrule_protocol::Message;
use ferrule_test_support::{FakeModelServer, Reply, openai};
use futures::StreamExt;
use pretty_assertions::assert_eq;

use super::support::{error_of, events_of, fast_options};

fn request() -> ModelRequest {
    ModelRequest::new(vec![Message::user("hi")])
}

fn model(base_url: &str, options: HttpOptions) -> Result<OpenAiModel> {
    Ok(OpenAiModel::new("m", base_url, Some("k".into()), options)?)
}

fn retries(events: &[ModelEvent]) -> Vec<(u32, u64, Option<u16>)> {
    events
        .iter()
        .filter_map(|event| match event {
            ModelEvent::Retry {
                attempt,
                delay_ms,
                status,
                ..
            } => Some((*attempt, *delay_ms, *status)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn rate_limit_is_retried_after_the_retry_after_wait() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(Reply::error(429, "Rate limit reached for requests").retry_after("1"));
    server.mount(openai::text_reply("finally"));
    let started = Instant::now();
    let events =
        events_of(model(&server.base_url(), fast_options())?.stream(request(), Default::default()))
            .await;
    let waited = started.elapsed();

    assert_eq!(retries(&events), vec![(1, 1000, Some(429))]);
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}");
    assert_eq!(server.requests().len(), 2);
    let ModelEvent::Retry { error, .. } = &events[0] else {
        panic!("the first event is the retry: {events:?}");
    };
    assert!(
        error.contains("HTTP 429: Rate limit reached for requests"),
        "{error}"
    );
    Ok(())
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    let soon = std::time::SystemTime::now() + Duration::from_secs(2);
    server.mount(Reply::error(503, "busy").retry_after(&httpdate::fmt_http_date(soon)));
    server.mount(openai::text_reply("ok"));
    let started = Instant::now();
    let events =
        events_of(model(&server.base_url(), fast_options())?.stream(request(), Default::default()))
            .await;
    let retry = retries(&events);
    assert_eq!(retry.len(), 1);
    // HTTP dates have whole seconds, and time passes between writing the
    // date and reading it: the wait is a little under 1 s to 2 s.
    assert!((500..=2000).contains(&retry[0].1), "{retry:?}");
    assert!(started.elapsed() >= Duration::from_millis(retry[0].1));
    Ok(())
}

#[tokio::test]
async fn server_errors_exhaust_the_retries_with_a_clear_error() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    for _ in 0..3 {
        server.mount(Reply::error(500, "upstream down"));
    }
    let (events, error) =
        error_of(model(&server.base_url(), fast_options())?.stream(request(), Default::default()))
            .await;
    assert_eq!(
        retries(&events)
            .iter()
            .map(|retry| retry.0)
            .collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(
        error.to_string(),
        format!(
            "openai: {} answered HTTP 500: upstream down (after 2 retries)",
            server.url()
        )
    );
    assert_eq!(server.requests().len(), 3);
    Ok(())
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported_with_the_url() -> Result<()> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?;
    drop(listener);
    let base = format!("http://{address}/v1");
    let (events, error) =
        error_of(model(&base, fast_options())?.stream(request(), Default::default())).await;
    assert_eq!(retries(&events).len(), 2);
    assert!(
        matches!(error, ModelError::Connection { retries: 2, .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.starts_with(&format!("openai: cannot reach {base}/chat/completions: ")),
        "{text}"
    );
    assert!(text.ends_with("(after 2 retries)"), "{text}");
    Ok(())
}

#[tokio::test]
async fn a_stalled_stream_is_ended_by_the_stall_timeout() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(Reply::sse(openai::text_frames("partial answer", 2)).stall());
    let options = fast_options();
    let started = Instant::now();
    let (events, error) =
        error_of(model(&server.base_url(), options.clone())?.stream(request(), Default::default()))
            .await;
    assert_eq!(events.len(), 3, "start and two deltas: {events:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "openai: the response stream from {} stalled: nothing received for 0.4s",
            server.url()
        )
    );
    assert!(started.elapsed() >= options.stall_timeout);
    assert_eq!(server.wait_for_hangups(1, Duration::from_secs(5)).await, 1);
    Ok(())
}

#[tokio::test]
async fn no_response_headers_in_time_is_a_timeout_and_retried() -> Result<()> {
    // A server that accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let options = HttpOptions {
        max_retries: 1,
        first_byte_timeout: Duration::from_millis(200),
        ..fast_options()
    };
    let base = format!("http://{address}/v1");
    let (events, error) =
        error_of(model(&base, options)?.stream(request(), Default::default())).await;
    hold.abort();
    assert_eq!(retries(&events).len(), 1);
    assert_eq!(
        error.to_string(),
        format!("openai: no response from {base}/chat/completions within 0.2s (after 1 retry)")
    );
    Ok(())
}

#[tokio::test]
async fn cancelling_mid_stream_ends_it_with_cancelled_and_hangs_up() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(Reply::sse(openai::text_frames("first words", 1)).stall());
    let cancel = CancellationToken::new();
    let model = model(
        &server.base_url(),
        HttpOptions {
            stall_timeout: Duration::from_secs(30),
            ..fast_options()
        },
    )?;
    let mut stream = model.stream(request(), cancel.clone());
    let mut seen = Vec::new();
    while let Some(item) = stream.next().await {
        let event = item?;
        let is_text = matches!(event, ModelEvent::TextDelta { .. });
        seen.push(event);
        if is_text {
            break;
        }
    }
    let started = Instant::now();
    cancel.cancel();
    let next = stream.next().await;
    assert!(matches!(next, Some(Err(ModelError::Cancelled))), "{next:?}");
    assert!(stream.next().await.is_none());
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(stream);
    assert_eq!(server.wait_for_hangups(1, Duration::from_secs(5)).await, 1);
    assert_eq!(seen.len(), 2);
    Ok(())
}

#[tokio::test]
async fn dropping_the_stream_stops_the_http_request() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(Reply::sse(openai::text_frames("some", 1)).stall());
    let model = model(
        &server.base_url(),
        HttpOptions {
            stall_timeout: Duration::from_secs(30),
            ..fast_options()
        },
    )?;
    let mut stream = model.stream(request(), Default::default());
    let first = stream.next().await;
    assert!(
        matches!(first, Some(Ok(ModelEvent::MessageStart { .. }))),
        "{first:?}"
    );
    drop(stream);
    assert_eq!(server.wait_for_hangups(1, Duration::from_secs(5)).await, 1);
    Ok(())
}
