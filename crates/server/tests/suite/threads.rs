//! Session threads (§6.9): the primary thread of a single-agent session.

use std::time::Duration;

use ferrule_test_support::openai;
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::common::{Harness, KEY, types};

#[tokio::test]
async fn the_primary_thread_appears_with_the_first_turn() {
    let h = Harness::start().await;
    h.model.mount(openai::text_reply("Hi from the thread."));
    let session = h.session(json!([{"type": "agent_toolset_20260401"}])).await;
    let (status, empty) = h.get(&format!("/sessions/{session}/threads")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        empty,
        json!({"data": [], "first_id": null, "last_id": null, "has_more": false, "next_page": null})
    );

    h.say(&session, "hello").await;
    let events = h.wait_for_stop(&session, "end_turn", 1).await;
    let (status, list) = h.get(&format!("/sessions/{session}/threads?limit=5")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let threads = list["data"].as_array().unwrap();
    assert_eq!(threads.len(), 1);
    let thread = &threads[0];
    let tid = thread["id"].as_str().unwrap();
    assert!(tid.starts_with("sthr_") && tid.len() == 37, "{tid}");
    assert_eq!(thread["type"], "session_thread");
    assert_eq!(thread["session_id"], session);
    assert_eq!(thread["parent_thread_id"], Value::Null);
    assert_eq!(thread["status"], "idle");
    assert_eq!(thread["stats"], Value::Null);
    assert_eq!(thread["archived_at"], Value::Null);
    assert_eq!(thread["agent"]["type"], "agent");
    assert!(thread["agent"].get("multiagent").is_none());
    assert_eq!(list["first_id"], tid);
    assert_eq!(list["next_page"], Value::Null);
    let (_, after) = h
        .get(&format!("/sessions/{session}/threads?page={tid}"))
        .await;
    assert_eq!(after["data"], json!([]));
    let (status, _) = h
        .get(&format!("/sessions/{session}/threads?page=sthr_other"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, got) = h.get(&format!("/sessions/{session}/threads/{tid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&got, thread);

    // The primary thread's events are the session's.
    let (status, thread_events) = h
        .get(&format!(
            "/sessions/{session}/threads/{tid}/events?limit=100"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(thread_events["data"].as_array().unwrap(), &events);
    let (_, page) = h
        .get(&format!("/sessions/{session}/threads/{tid}/events?limit=1"))
        .await;
    assert_eq!(page["data"][0], events[0]);
    assert_eq!(page["has_more"], true);
    assert_eq!(page["next_page"], events[0]["id"]);

    // It is the coordinator: archiving is a state conflict.
    let (status, error) = h
        .post(
            &format!("/sessions/{session}/threads/{tid}/archive"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error["error"]["type"], "invalid_request_error");
    assert_eq!(error["error"]["message"], "Version or state conflict.");
}

#[tokio::test]
async fn unknown_sessions_and_threads_are_404() {
    let h = Harness::start().await;
    let (status, error) = h.get("/sessions/sess_missing/threads").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        error["error"]["message"],
        "Session 'sess_missing' was not found."
    );
    let session = h.session(json!([])).await;
    for path in ["", "/events", "/stream"] {
        let (status, error) = h
            .get(&format!("/sessions/{session}/threads/sthr_fake{path}"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {error}");
        assert_eq!(
            error["error"]["message"],
            "Session thread 'sthr_fake' was not found."
        );
    }
    let (status, _) = h
        .post(
            &format!("/sessions/{session}/threads/sthr_fake/archive"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = h.get(&format!("/sessions/{session}/threads?limit=0")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// Reads SSE frames until `until` returns true for the event types seen.
async fn read_stream(response: reqwest::Response, until: impl Fn(&[String]) -> bool) -> Vec<Value> {
    let mut body = response.bytes_stream();
    let mut buffer = String::new();
    let mut seen = Vec::new();
    let mut kinds = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !until(&kinds) {
        let chunk = tokio::time::timeout_at(deadline, body.next())
            .await
            .expect("the stream went quiet")
            .expect("the stream ended")
            .unwrap();
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            if let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data: ")) {
                let event: Value = serde_json::from_str(data).unwrap();
                kinds.push(event["type"].as_str().unwrap_or("").to_owned());
                seen.push(event);
            }
        }
    }
    seen
}

#[tokio::test]
async fn the_thread_stream_replays_and_resumes_like_the_session_stream() {
    let h = Harness::start().await;
    h.model.mount(openai::text_reply("First."));
    h.model.mount(openai::text_reply("Second."));
    let session = h.session(json!([])).await;
    h.say(&session, "one").await;
    let first = h.wait_for_stop(&session, "end_turn", 1).await;
    let tid = format!("sthr_{}", session.strip_prefix("sess_").unwrap());
    let url = h.url(&format!("/sessions/{session}/threads/{tid}/stream"));

    let response = h.client.get(&url).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let replay = read_stream(response, |kinds| kinds.len() >= first.len()).await;
    assert_eq!(replay, first);

    // Resume after the last event: only the second turn arrives.
    let last = first.last().unwrap()["id"].as_str().unwrap().to_owned();
    let response = h
        .client
        .get(&url)
        .bearer_auth(KEY)
        .header("Last-Event-ID", &last)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    h.say(&session, "two").await;
    let live = read_stream(response, |kinds| {
        kinds.last().is_some_and(|k| k == "session.status_idle")
    })
    .await;
    assert_eq!(live[0]["type"], "user.message", "{:?}", types(&live));
    assert!(live.iter().all(|e| e["id"] != last.as_str()));

    // A Last-Event-ID of another session is not part of this thread.
    let other = h.session(json!([])).await;
    h.model.mount(openai::text_reply("Other."));
    h.say(&other, "x").await;
    let foreign = h.wait_for_stop(&other, "end_turn", 1).await;
    let response = h
        .client
        .get(&url)
        .bearer_auth(KEY)
        .header("Last-Event-ID", foreign[0]["id"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
