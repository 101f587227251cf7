//! The SSE stream: replay, `Last-Event-ID` resume, heartbeats, errors.

use std::time::Duration;

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::common::{Harness, KEY};

/// One SSE item: an event frame or a comment.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Event {
        id: String,
        event: String,
        data: Value,
    },
    Comment(String),
}

struct Sse {
    body: std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<Vec<u8>>> + Send>>,
    buffer: String,
}

impl Sse {
    async fn open(h: &Harness, session: &str, last: Option<&str>) -> reqwest::Response {
        let mut request = h
            .client
            .get(h.url(&format!("/sessions/{session}/events/stream")))
            .bearer_auth(KEY);
        if let Some(last) = last {
            request = request.header("Last-Event-ID", last);
        }
        request.send().await.unwrap()
    }

    fn new(response: reqwest::Response) -> Self {
        Self {
            body: Box::pin(
                response
                    .bytes_stream()
                    .map(|chunk| chunk.map(|b| b.to_vec())),
            ),
            buffer: String::new(),
        }
    }

    async fn next(&mut self) -> Item {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (String::new(), String::new(), String::new());
                for line in frame.lines() {
                    if let Some(comment) = line.strip_prefix(':') {
                        return Item::Comment(comment.trim().to_owned());
                    }
                    let (field, value) = line.split_once(':').unwrap_or((line, ""));
                    let value = value.strip_prefix(' ').unwrap_or(value);
                    match field {
                        "id" => id = value.to_owned(),
                        "event" => event = value.to_owned(),
                        "data" => data.push_str(value),
                        _ => {}
                    }
                }
                return Item::Event {
                    id,
                    event,
                    data: serde_json::from_str(&data).unwrap(),
                };
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.body.next())
                .await
                .expect("stream went quiet")
                .expect("stream ended")
                .unwrap();
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Event frames until one of type `until`, skipping comments.
    async fn events_until(&mut self, until: &str) -> Vec<(String, String, Value)> {
        let mut out = Vec::new();
        loop {
            if let Item::Event { id, event, data } = self.next().await {
                let done = event == until;
                out.push((id, event, data));
                if done {
                    return out;
                }
            }
        }
    }
}

#[tokio::test]
async fn replay_then_live_then_resume_without_loss_or_duplicates() {
    let h = Harness::start().await;
    let id = h.session(json!([])).await;
    h.model
        .mount(ferrule_test_support::openai::text_reply("One."));
    h.say(&id, "first").await;
    h.wait_for_stop(&id, "end_turn", 1).await;
    // Opened after the turn: replays from the first event.
    let response = Sse::open(&h, &id, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut sse = Sse::new(response);
    let first = sse.events_until("session.status_idle").await;
    assert_eq!(first[0].1, "user.message");
    for (frame_id, event, data) in &first {
        assert_eq!(
            (data["id"].as_str(), data["type"].as_str()),
            (Some(frame_id.as_str()), Some(event.as_str()))
        );
        assert!(data["processed_at"].is_string());
    }
    // Live: the next turn arrives on the same connection.
    h.model
        .mount(ferrule_test_support::openai::text_reply("Two."));
    h.say(&id, "second").await;
    let second = sse.events_until("session.status_idle").await;
    assert_eq!(second[0].1, "user.message");
    // Drop mid-session, reconnect from an event in the middle.
    drop(sse);
    let cut = &first[2].0;
    let mut resumed = Sse::new(Sse::open(&h, &id, Some(cut)).await);
    let mut replayed = resumed.events_until("session.status_idle").await;
    replayed.extend(resumed.events_until("session.status_idle").await);
    let expected: Vec<String> = first
        .iter()
        .chain(&second)
        .skip(3)
        .map(|(i, _, _)| i.clone())
        .collect();
    let got: Vec<String> = replayed.iter().map(|(i, _, _)| i.clone()).collect();
    assert_eq!(got, expected);
    // The list endpoint has the same IDs in the same order.
    let listed: Vec<String> = h
        .events(&id)
        .await
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    let streamed: Vec<String> = first
        .iter()
        .chain(&second)
        .map(|(i, _, _)| i.clone())
        .collect();
    assert_eq!(listed, streamed);
}

#[tokio::test]
async fn heartbeats_bad_cursor_unknown_session_and_auth() {
    let h = Harness::start().await;
    let id = h.session(json!([])).await;
    let mut sse = Sse::new(Sse::open(&h, &id, None).await);
    assert_eq!(sse.next().await, Item::Comment("heartbeat".to_owned()));
    let response = Sse::open(&h, &id, Some("evt_not_here")).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let response = Sse::open(&h, "sess_missing", None).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = h
        .client
        .get(h.url(&format!("/sessions/{id}/events/stream")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // Accept: text/event-stream on the list path serves the stream.
    let response = h
        .client
        .get(h.url(&format!("/sessions/{id}/events")))
        .bearer_auth(KEY)
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
}

#[tokio::test]
async fn deleting_a_session_ends_its_stream() {
    let h = Harness::start().await;
    let id = h.session(json!([])).await;
    let mut sse = Sse::new(Sse::open(&h, &id, None).await);
    h.delete(&format!("/sessions/{id}")).await;
    let events = sse.events_until("session.deleted").await;
    assert_eq!(events.last().unwrap().1, "session.deleted");
    let rest = tokio::time::timeout(Duration::from_secs(5), sse.body.next())
        .await
        .unwrap();
    assert!(rest.is_none(), "the stream closes after session.deleted");
}

/// Bounded load on loopback: N sessions at once, each streamed over SSE
/// while its turn runs. Every event must arrive exactly once and in the
/// stored order; throughput and latency (processed_at → received) are
/// printed, not asserted.
#[tokio::test]
async fn concurrent_sessions_deliver_every_event_exactly_once() {
    const N: usize = 32;
    let h = std::sync::Arc::new(Harness::start().await);
    for _ in 0..N {
        h.model
            .mount(ferrule_test_support::openai::text_reply("Load reply."));
    }
    let mut ids = Vec::new();
    for _ in 0..N {
        ids.push(h.session(json!([])).await);
    }
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for id in ids {
        let h = h.clone();
        tasks.push(tokio::spawn(async move {
            let mut sse = Sse::new(Sse::open(&h, &id, None).await);
            h.say(&id, "go").await;
            let mut latencies = Vec::new();
            let mut seen = Vec::new();
            loop {
                let Item::Event {
                    id: event_id,
                    event,
                    data,
                } = sse.next().await
                else {
                    continue;
                };
                let received = jiff::Timestamp::now();
                let processed: jiff::Timestamp =
                    data["processed_at"].as_str().unwrap().parse().unwrap();
                latencies.push((received - processed).get_microseconds());
                seen.push(event_id);
                if event == "session.status_idle" {
                    break;
                }
            }
            let stored: Vec<String> = h
                .events(&id)
                .await
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(seen, stored, "stream and log differ for {id}");
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let pick = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize] as f64 / 1000.0;
    eprintln!(
        "load: {N} sessions in {:.0} ms ({:.1} sessions/s), {} events, latency p50 {:.2} ms p99 {:.2} ms",
        elapsed.as_secs_f64() * 1000.0,
        N as f64 / elapsed.as_secs_f64(),
        latencies.len(),
        pick(0.5),
        pick(0.99)
    );
    assert_eq!(latencies.len(), N * 6);
}
