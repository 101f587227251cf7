//! The session on a server, over HTTP: what `ferrule-server worker` uses.
//! It calls the worker-facing endpoints under the work item
//! (`…/environments/{id}/work/{wid}/session/*`, see [`crate::worker::api`])
//! with the API key and the delivery's `Work-Secret`.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{BackendError, Control, SessionBackend, TurnEnd, TurnSetup};
use crate::live::PendingKind;

/// A work item's session on a remote server.
#[derive(Debug, Clone)]
pub(crate) struct HttpBackend {
    /// The HTTP client.
    pub(crate) client: reqwest::Client,
    /// `…/api/v1/cloud/environments/{env}/work/{wid}/session`.
    pub(crate) base: String,
    /// Bearer key.
    pub(crate) api_key: String,
    /// The delivery's secret.
    pub(crate) secret: String,
}

/// Transport failures are retried this often (appends are idempotent:
/// events carry their IDs and the server skips the ones it has).
const ATTEMPTS: u32 = 4;

impl HttpBackend {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        timeout: Duration,
    ) -> Result<Value, BackendError> {
        let url = format!("{}/{path}", self.base);
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
            let mut request = self
                .client
                .request(method.clone(), &url)
                .bearer_auth(&self.api_key)
                .header("Work-Secret", &self.secret)
                .timeout(timeout);
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = match request.send().await {
                Ok(response) => response,
                Err(error) => {
                    last = format!("{url}: {error}");
                    continue;
                }
            };
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            if status.is_success() {
                return if text.is_empty() {
                    Ok(Value::Null)
                } else {
                    serde_json::from_str(&text)
                        .map_err(|e| BackendError::Other(format!("{url}: bad JSON: {e}")))
                };
            }
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
                .unwrap_or(text);
            return Err(match status {
                StatusCode::CONFLICT | StatusCode::NOT_FOUND | StatusCode::UNAUTHORIZED => {
                    BackendError::Lost(format!("{url}: {status}: {message}"))
                }
                _ if status.is_server_error() && attempt + 1 < ATTEMPTS => {
                    last = format!("{url}: {status}: {message}");
                    continue;
                }
                _ => BackendError::Other(format!("{url}: {status}: {message}")),
            });
        }
        Err(BackendError::Other(last))
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Value, BackendError> {
        self.call(
            reqwest::Method::POST,
            path,
            Some(body),
            Duration::from_secs(30),
        )
        .await
    }
}

fn decode<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, BackendError> {
    serde_json::from_value(value).map_err(|e| BackendError::Other(format!("bad reply: {e}")))
}

#[async_trait]
impl SessionBackend for HttpBackend {
    async fn begin(&self) -> Result<Option<TurnSetup>, BackendError> {
        let reply = self.post("begin", &json!({})).await?;
        if reply.is_null() {
            return Ok(None);
        }
        decode(reply).map(Some)
    }

    async fn append(&self, events: Vec<Value>, status: Option<&str>) -> Result<(), BackendError> {
        self.post("events", &json!({"events": events, "status": status}))
            .await?;
        Ok(())
    }

    async fn park(&self, event_id: &str, kind: PendingKind) -> Result<(), BackendError> {
        self.post("park", &json!({"event_id": event_id, "kind": kind}))
            .await?;
        Ok(())
    }

    async fn control(&self, wait: Duration) -> Result<Control, BackendError> {
        let block_ms = wait.as_millis().clamp(1, 999);
        let reply = self
            .call(
                reqwest::Method::GET,
                &format!("control?block_ms={block_ms}"),
                None,
                wait + Duration::from_secs(10),
            )
            .await?;
        decode(reply)
    }

    async fn finish(&self, end: TurnEnd) -> Result<(), BackendError> {
        let body = serde_json::to_value(&end).map_err(|e| BackendError::Other(e.to_string()))?;
        self.post("finish", &body).await?;
        Ok(())
    }

    async fn release(&self) -> Result<(), BackendError> {
        self.post("release", &json!({})).await?;
        Ok(())
    }
}
