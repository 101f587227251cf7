//! The HTTP half shared by the providers: send with retries, read the
//! event stream with a stall timeout, hand events to a provider decoder,
//! and stop when the stream is dropped or cancelled.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::SystemTime;

use futures::Stream;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_util::sync::CancellationToken;

use crate::error::ModelError;
use crate::event::{ModelEvent, ModelStream};
use crate::retry::{HttpOptions, parse_retry_after};
use crate::sse::{SseDecoder, SseEvent};

/// Where one request goes and how failures are named.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub(crate) provider: &'static str,
    pub(crate) url: String,
    pub(crate) model: String,
    pub(crate) key_variable: &'static str,
    pub(crate) headers: HeaderMap,
}

/// Whether a decoder wants more of the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    More,
    Done,
}

/// Turns the provider's SSE events into [`ModelEvent`]s.
pub(crate) trait Decoder: Send {
    /// One event of the body.
    fn on_event(&mut self, event: SseEvent, out: &mut Vec<ModelEvent>) -> Result<Flow, ModelError>;
    /// The body ended before the decoder said [`Flow::Done`].
    fn on_end(&mut self, out: &mut Vec<ModelEvent>) -> Result<(), ModelError>;
}

type Sender = UnboundedSender<Result<ModelEvent, ModelError>>;

/// A stream fed by a driver future that it polls itself: no task is
/// spawned, so dropping the stream drops the future, and with it the HTTP
/// response and its connection.
pub(crate) struct DriverStream {
    driver: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    events: UnboundedReceiver<Result<ModelEvent, ModelError>>,
}

impl DriverStream {
    /// Runs `drive` under `cancel`; its error (or the cancellation) becomes
    /// the last item of the stream.
    pub(crate) fn start<F, Fut>(cancel: CancellationToken, drive: F) -> ModelStream
    where
        F: FnOnce(Sender) -> Fut,
        Fut: Future<Output = Result<(), ModelError>> + Send + 'static,
    {
        let (sender, events) = unbounded_channel();
        let work = drive(sender.clone());
        let driver = async move {
            let outcome = tokio::select! {
                biased;
                () = cancel.cancelled() => Err(ModelError::Cancelled),
                outcome = work => outcome,
            };
            if let Err(error) = outcome {
                // The receiver may be gone already; nothing left to tell then.
                let _ = sender.send(Err(error));
            }
        };
        Box::pin(Self {
            driver: Some(Box::pin(driver)),
            events,
        })
    }
}

impl Stream for DriverStream {
    type Item = Result<ModelEvent, ModelError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Poll::Ready(Some(item)) = self.events.poll_recv(cx) {
            return Poll::Ready(Some(item));
        }
        if let Some(driver) = self.driver.as_mut()
            && driver.as_mut().poll(cx).is_ready()
        {
            self.driver = None;
        }
        match self.events.poll_recv(cx) {
            Poll::Ready(item) => Poll::Ready(item),
            Poll::Pending if self.driver.is_none() => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Sends `body` to `endpoint` and streams the decoded response.
pub(crate) fn stream_request(
    client: reqwest::Client,
    endpoint: Endpoint,
    body: Vec<u8>,
    options: HttpOptions,
    mut decoder: Box<dyn Decoder>,
    cancel: CancellationToken,
) -> ModelStream {
    DriverStream::start(cancel, move |sender| async move {
        let response = send_with_retries(&client, &endpoint, &body, &options, &sender).await?;
        read_stream(response, &endpoint, &options, decoder.as_mut(), &sender).await
    })
}

async fn send_with_retries(
    client: &reqwest::Client,
    endpoint: &Endpoint,
    body: &[u8],
    options: &HttpOptions,
    sender: &Sender,
) -> Result<reqwest::Response, ModelError> {
    let mut attempt = 0;
    loop {
        let (error, retry_after) = match send_once(client, endpoint, body, options).await {
            Ok(response) => return Ok(response),
            Err(failure) => failure,
        };
        if !error.is_retryable() || attempt >= options.max_retries {
            return Err(with_retries(error, attempt));
        }
        attempt += 1;
        let delay = options.delay(attempt, retry_after);
        tracing::warn!(
            provider = endpoint.provider,
            url = %endpoint.url,
            attempt,
            max_retries = options.max_retries,
            delay_ms = delay.as_millis(),
            error = %error,
            "model request failed; retrying"
        );
        let retry = ModelEvent::Retry {
            attempt,
            max_retries: options.max_retries,
            delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            error: error.to_string(),
            status: error.status(),
        };
        // A closed receiver means nobody listens; the driver is dropped soon.
        let _ = sender.send(Ok(retry));
        tokio::time::sleep(delay).await;
    }
}

/// One attempt. On failure also returns the server's `Retry-After`.
async fn send_once(
    client: &reqwest::Client,
    endpoint: &Endpoint,
    body: &[u8],
    options: &HttpOptions,
) -> Result<reqwest::Response, (ModelError, Option<std::time::Duration>)> {
    let request = client
        .post(&endpoint.url)
        .headers(endpoint.headers.clone())
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .body(body.to_vec())
        .send();
    let response = match tokio::time::timeout(options.first_byte_timeout, request).await {
        Err(_) => {
            let error = ModelError::Timeout {
                provider: endpoint.provider,
                url: endpoint.url.clone(),
                after: options.first_byte_timeout,
                retries: 0,
            };
            return Err((error, None));
        }
        Ok(Err(error)) => return Err((connection_error(endpoint, &error), None)),
        Ok(Ok(response)) => response,
    };
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| parse_retry_after(value, SystemTime::now()));
    let text = match tokio::time::timeout(options.stall_timeout, response.text()).await {
        Ok(Ok(text)) => text,
        Ok(Err(error)) => format!("(body unreadable: {})", error_chain(&error)),
        Err(_) => "(body not received in time)".to_owned(),
    };
    let error = ModelError::Status {
        provider: endpoint.provider,
        url: endpoint.url.clone(),
        status: status.as_u16(),
        model: endpoint.model.clone(),
        message: body_message(&text),
        key_variable: endpoint.key_variable,
        retries: 0,
    };
    Err((error, retry_after))
}

async fn read_stream(
    mut response: reqwest::Response,
    endpoint: &Endpoint,
    options: &HttpOptions,
    decoder: &mut dyn Decoder,
    sender: &Sender,
) -> Result<(), ModelError> {
    let mut sse = SseDecoder::new();
    let mut out = Vec::new();
    loop {
        let chunk = match tokio::time::timeout(options.stall_timeout, response.chunk()).await {
            Err(_) => {
                return Err(ModelError::Stalled {
                    provider: endpoint.provider,
                    url: endpoint.url.clone(),
                    after: options.stall_timeout,
                });
            }
            Ok(Err(error)) => return Err(connection_error(endpoint, &error)),
            Ok(Ok(None)) => break,
            Ok(Ok(Some(chunk))) => chunk,
        };
        let events = sse
            .push(&chunk)
            .map_err(|error| ModelError::stream(endpoint.provider, &endpoint.url, &error))?;
        for event in events {
            let flow = decoder.on_event(event, &mut out)?;
            for event in out.drain(..) {
                let _ = sender.send(Ok(event));
            }
            if flow == Flow::Done {
                return Ok(());
            }
        }
    }
    let last = sse
        .finish()
        .map_err(|error| ModelError::stream(endpoint.provider, &endpoint.url, &error))?;
    if let Some(event) = last
        && decoder.on_event(event, &mut out)? == Flow::Done
    {
        for event in out.drain(..) {
            let _ = sender.send(Ok(event));
        }
        return Ok(());
    }
    decoder.on_end(&mut out)?;
    for event in out.drain(..) {
        let _ = sender.send(Ok(event));
    }
    Ok(())
}

fn with_retries(error: ModelError, attempts: u32) -> ModelError {
    match error {
        ModelError::Status {
            provider,
            url,
            status,
            model,
            message,
            key_variable,
            retries: _,
        } => ModelError::Status {
            provider,
            url,
            status,
            model,
            message,
            key_variable,
            retries: attempts,
        },
        ModelError::Connection {
            provider,
            url,
            message,
            retries: _,
        } => ModelError::Connection {
            provider,
            url,
            message,
            retries: attempts,
        },
        ModelError::Timeout {
            provider,
            url,
            after,
            retries: _,
        } => ModelError::Timeout {
            provider,
            url,
            after,
            retries: attempts,
        },
        other => other,
    }
}

fn connection_error(endpoint: &Endpoint, error: &reqwest::Error) -> ModelError {
    ModelError::Connection {
        provider: endpoint.provider,
        url: endpoint.url.clone(),
        message: error_chain(error),
        retries: 0,
    }
}

/// The HTTP client a provider sends its requests with: one per model, with
/// the configured connect timeout.
pub(crate) fn http_client(
    provider: &'static str,
    base_url: &str,
    options: &HttpOptions,
) -> Result<reqwest::Client, ModelError> {
    reqwest::Client::builder()
        .connect_timeout(options.connect_timeout)
        .build()
        .map_err(|error| ModelError::Connection {
            provider,
            url: base_url.to_owned(),
            message: format!("cannot build the HTTP client: {}", error_chain(&error)),
            retries: 0,
        })
}

/// The error and its sources, joined: reqwest's own message alone rarely
/// says what went wrong ("error sending request").
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The human part of an error body: `error.message` (OpenAI and Anthropic),
/// a top-level `message` or string `error` (Ollama, vLLM), else the body
/// itself, shortened.
pub(crate) fn body_message(body: &str) -> String {
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(body) {
        let found = value
            .pointer("/error/message")
            .or_else(|| value.get("message"))
            .or_else(|| value.get("error").filter(|error| error.is_string()))
            .or_else(|| value.get("detail"))
            .and_then(serde_json::Value::as_str);
        if let Some(message) = found {
            return message.to_owned();
        }
    }
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return "(empty body)".to_owned();
    }
    let mut short: String = trimmed.chars().take(500).collect();
    if short.len() < trimmed.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn body_message_reads_the_usual_error_shapes() {
        let messages: Vec<String> = [
            r#"{"error":{"message":"Rate limit reached","type":"requests"}}"#,
            r#"{"type":"error","error":{"type":"not_found_error","message":"model: x"}}"#,
            r#"{"error":"model 'llama9' not found"}"#,
            r#"{"detail":"Not Found"}"#,
            "<html>502 Bad Gateway</html>",
            "  ",
        ]
        .into_iter()
        .map(body_message)
        .collect();
        assert_eq!(
            messages,
            vec![
                "Rate limit reached",
                "model: x",
                "model 'llama9' not found",
                "Not Found",
                "<html>502 Bad Gateway</html>",
                "(empty body)",
            ]
        );
    }
}
