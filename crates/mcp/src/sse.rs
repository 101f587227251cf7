//! A client for the legacy HTTP+SSE transport (MCP 2024-11-05), which rmcp
//! 3 no longer ships: a `GET` opens an event stream whose first `endpoint`
//! event names the URL to `POST` messages to; the server's messages arrive
//! as `message` events on the stream.

use std::collections::BTreeMap;
use std::time::Duration;

use rmcp::RoleClient;
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use tokio::sync::{mpsc, oneshot};

/// Why the SSE connection failed.
#[derive(Debug, thiserror::Error)]
pub enum SseError {
    /// An HTTP request failed.
    #[error("{0}")]
    Http(String),
}

pub(crate) struct SseTransport {
    client: reqwest::Client,
    endpoint: url::Url,
    headers: reqwest::header::HeaderMap,
    incoming: mpsc::UnboundedReceiver<RxJsonRpcMessage<RoleClient>>,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for SseTransport {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Opens the event stream at `url` and waits for its `endpoint` event.
pub(crate) async fn connect(
    url: &str,
    headers: &BTreeMap<String, String>,
) -> Result<SseTransport, String> {
    let base = url::Url::parse(url).map_err(|e| format!("bad url `{url}`: {e}"))?;
    let mut map = reqwest::header::HeaderMap::new();
    for (name, value) in headers {
        let header = reqwest::header::HeaderName::try_from(name.as_str())
            .map_err(|e| format!("header `{name}`: {e}"))?;
        let value = reqwest::header::HeaderValue::from_str(value)
            .map_err(|e| format!("header `{name}`: {e}"))?;
        map.insert(header, value);
    }
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| format!("http client: {e}"))?;
    let mut response = client
        .get(base.clone())
        .headers(map.clone())
        .header(reqwest::header::ACCEPT, "text/event-stream")
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("GET {url}: HTTP {}", response.status()));
    }
    let (endpoint_tx, endpoint_rx) = oneshot::channel::<String>();
    let (message_tx, incoming) = mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        let mut endpoint_tx = Some(endpoint_tx);
        let mut buffer = String::new();
        let mut event = String::new();
        let mut data = String::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find('\n') {
                let line: String = buffer.drain(..=end).collect();
                let line = line.trim_end_matches(['\r', '\n']);
                if line.is_empty() {
                    let kind = if event.is_empty() {
                        "message"
                    } else {
                        event.as_str()
                    };
                    match kind {
                        "endpoint" => {
                            if let Some(tx) = endpoint_tx.take() {
                                let _ = tx.send(data.trim().to_owned());
                            }
                        }
                        "message" => match serde_json::from_str(&data) {
                            Ok(message) => {
                                if message_tx.send(message).is_err() {
                                    return;
                                }
                            }
                            Err(e) => {
                                tracing::debug!("skipping an SSE message that is not JSON-RPC: {e}")
                            }
                        },
                        _ => {}
                    }
                    event.clear();
                    data.clear();
                } else if let Some(value) = line.strip_prefix("event:") {
                    event = value.trim().to_owned();
                } else if let Some(value) = line.strip_prefix("data:") {
                    if !data.is_empty() {
                        data.push('\n');
                    }
                    data.push_str(value.strip_prefix(' ').unwrap_or(value));
                }
            }
        }
    });
    let endpoint = endpoint_rx
        .await
        .map_err(|_| format!("the SSE stream at {url} closed before naming its endpoint"))?;
    let endpoint = base
        .join(&endpoint)
        .map_err(|e| format!("bad endpoint `{endpoint}`: {e}"))?;
    Ok(SseTransport {
        client,
        endpoint,
        headers: map,
        incoming,
        reader,
    })
}

impl Transport<RoleClient> for SseTransport {
    type Error = SseError;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let request = self
            .client
            .post(self.endpoint.clone())
            .headers(self.headers.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(&item).unwrap_or_default());
        async move {
            let response = request
                .send()
                .await
                .map_err(|e| SseError::Http(e.to_string()))?;
            if response.status().is_success() {
                Ok(())
            } else {
                Err(SseError::Http(format!("POST: HTTP {}", response.status())))
            }
        }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleClient>> {
        self.incoming.recv().await
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.reader.abort();
        Ok(())
    }
}
