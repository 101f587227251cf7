//! A session's event stream: the SSE framing, and a follower that
//! reconnects with `Last-Event-ID` when the connection drops, so every
//! event is seen once, in order.

use std::time::Duration;

use anyhow::{Result, anyhow};
use futures::StreamExt as _;
use futures::stream::BoxStream;
use serde_json::Value;

use super::client::Client;

/// How many reconnects in a row without an event before giving up.
const MAX_RECONNECTS: u32 = 8;

/// One dispatched SSE frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    /// The `id:` field, if any.
    pub(crate) id: Option<String>,
    /// The `event:` field, if any.
    pub(crate) event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub(crate) data: String,
}

/// Incremental SSE parsing: feed bytes, take complete frames. Comments
/// (`: heartbeat`) and frames without data are dropped.
#[derive(Debug, Default)]
pub(crate) struct Parser {
    pending: Vec<u8>,
    id: Option<String>,
    event: Option<String>,
    data: Option<String>,
}

impl Parser {
    /// Feeds `chunk`; returns the frames it completed.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Vec<Frame> {
        self.pending.extend_from_slice(chunk);
        let mut frames = Vec::new();
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let raw: Vec<u8> = self.pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&raw[..raw.len() - 1]);
            let line = line.strip_suffix('\r').unwrap_or(&line);
            if line.is_empty() {
                if let Some(data) = self.data.take() {
                    frames.push(Frame {
                        id: self.id.take(),
                        event: self.event.take(),
                        data,
                    });
                }
                self.id = None;
                self.event = None;
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "id" if !value.contains('\0') => self.id = Some(value.to_owned()),
                "event" => self.event = Some(value.to_owned()),
                "data" => match &mut self.data {
                    Some(data) => {
                        data.push('\n');
                        data.push_str(value);
                    }
                    None => self.data = Some(value.to_owned()),
                },
                _ => {}
            }
        }
        frames
    }
}

/// Follows a session's events from a cursor, reconnecting as needed.
pub(crate) struct Follower {
    client: Client,
    session: String,
    /// The last event handed out (the `Last-Event-ID` of a reconnect).
    last_id: Option<String>,
    body: Option<BoxStream<'static, reqwest::Result<Vec<u8>>>>,
    parser: Parser,
    ready: std::collections::VecDeque<Value>,
    failures: u32,
}

impl Follower {
    /// A follower of `session` that starts after `after` (or at the first event).
    pub(crate) fn new(client: Client, session: &str, after: Option<String>) -> Self {
        Self {
            client,
            session: session.to_owned(),
            last_id: after,
            body: None,
            parser: Parser::default(),
            ready: std::collections::VecDeque::new(),
            failures: 0,
        }
    }

    /// The id of the last event returned by [`Follower::next`].
    pub(crate) fn last_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    /// The next event. Errors only when the server refuses the stream or
    /// stays unreachable over several reconnects.
    pub(crate) async fn next(&mut self) -> Result<Value> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                if let Some(id) = event["id"].as_str() {
                    self.last_id = Some(id.to_owned());
                }
                self.failures = 0;
                return Ok(event);
            }
            let Some(body) = &mut self.body else {
                self.connect().await?;
                continue;
            };
            match body.next().await {
                Some(Ok(chunk)) => {
                    for frame in self.parser.push(&chunk) {
                        self.ready.push_back(event_of(frame)?);
                    }
                }
                Some(Err(err)) => {
                    tracing::info!("event stream dropped: {err}; reconnecting");
                    self.drop_connection();
                }
                None => {
                    tracing::info!("event stream ended; reconnecting");
                    self.drop_connection();
                }
            }
        }
    }

    fn drop_connection(&mut self) {
        self.body = None;
        // A half-received frame is sent again after Last-Event-ID.
        self.parser = Parser::default();
    }

    async fn connect(&mut self) -> Result<()> {
        loop {
            match self
                .client
                .stream(&self.session, self.last_id.as_deref())
                .await
            {
                Ok(response) => {
                    self.body = Some(
                        response
                            .bytes_stream()
                            .map(|chunk| chunk.map(|bytes| bytes.to_vec()))
                            .boxed(),
                    );
                    return Ok(());
                }
                // Refusals (401, 404, a bad Last-Event-ID) do not heal.
                Err(failure) if !failure.retryable || self.failures >= MAX_RECONNECTS => {
                    return Err(failure.error);
                }
                Err(failure) => {
                    let err = failure.error;
                    self.failures += 1;
                    let wait = Duration::from_millis(200 << self.failures.min(4));
                    tracing::info!("{err}; retrying in {wait:?}");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

fn event_of(frame: Frame) -> Result<Value> {
    let mut event: Value = serde_json::from_str(&frame.data)
        .map_err(|err| anyhow!("the event stream sent a frame that is not JSON: {err}"))?;
    if let Some(object) = event.as_object_mut() {
        if !object.contains_key("type")
            && let Some(kind) = frame.event
        {
            object.insert("type".to_owned(), Value::String(kind));
        }
        if !object.contains_key("id")
            && let Some(id) = frame.id
        {
            object.insert("id".to_owned(), Value::String(id));
        }
    }
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::{Frame, Parser};

    #[test]
    fn frames_split_anywhere_are_joined_and_comments_dropped() {
        let text = ": heartbeat\n\nid: evt_1\nevent: agent.message\ndata: {\"a\":\r\ndata: 1}\n\nid: evt_2\ndata: {}\n\n";
        let mut parser = Parser::default();
        let mut frames = Vec::new();
        for byte in text.as_bytes() {
            frames.extend(parser.push(std::slice::from_ref(byte)));
        }
        assert_eq!(
            frames,
            vec![
                Frame {
                    id: Some("evt_1".into()),
                    event: Some("agent.message".into()),
                    data: "{\"a\":\n1}".into(),
                },
                Frame {
                    id: Some("evt_2".into()),
                    event: None,
                    data: "{}".into(),
                },
            ]
        );
    }

    /// A stream that drops after each event: the follower reconnects with
    /// the last id and sees every event once.
    #[tokio::test]
    async fn a_dropped_stream_resumes_after_the_last_event() {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/api/v1/cloud", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let mut asked = Vec::new();
            for id in ["evt_1", "evt_2", "evt_3"] {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut request = vec![0; 4096];
                let n = socket.read(&mut request).await.unwrap();
                let request = String::from_utf8_lossy(&request[..n]).to_lowercase();
                asked.push(
                    request
                        .lines()
                        .find_map(|l| l.strip_prefix("last-event-id: "))
                        .map(|v| v.trim().to_owned()),
                );
                let frame = format!(
                    "id: {id}\nevent: agent.message\ndata: {{\"id\":\"{id}\",\"type\":\"agent.message\"}}\n\n: heart"
                );
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
                socket.write_all(head.as_bytes()).await.unwrap();
                socket.write_all(frame.as_bytes()).await.unwrap();
            }
            asked
        });
        let client = super::Client::new(&base, "k").unwrap();
        let mut follower = super::Follower::new(client, "sess_1", None);
        for id in ["evt_1", "evt_2", "evt_3"] {
            assert_eq!(follower.next().await.unwrap()["id"], id);
        }
        assert_eq!(follower.last_id(), Some("evt_3"));
        let asked = server.await.unwrap();
        assert_eq!(
            asked,
            vec![None, Some("evt_1".to_owned()), Some("evt_2".to_owned())]
        );
    }

    #[test]
    fn multibyte_text_split_across_chunks_survives() {
        let text = "data: \"héllo\"\n\n".as_bytes();
        let mut parser = Parser::default();
        assert!(parser.push(&text[..8]).is_empty());
        let frames = parser.push(&text[8..]);
        assert_eq!(frames[0].data, "\"héllo\"");
    }
}
