//! Live-turn resume (`cloud-api.md` §15.6): a turn cut after a tool call's
//! result was stored goes on from that step after a restart, re-issuing
//! only the model request whose response was lost; the tool does not run
//! again.

use std::time::Duration;

use ferrule_test_support::{Reply, openai};
use serde_json::{Value, json};

use super::common::{Harness, types};

#[tokio::test]
async fn a_turn_resumed_after_a_restart_does_not_rerun_a_stored_tool_call() {
    let mut h = Harness::start().await;
    h.model.mount(openai::tool_calls_reply(
        &[(
            "call_1",
            "Bash",
            r#"{"command": "echo ran >> log.txt && wc -l < log.txt"}"#,
        )],
        1,
    ));
    h.model
        .mount(Reply::sse(openai::text_frames("cut off", 2)).stall());
    let id = h.session(json!([{"type": "agent_toolset_20260401"}])).await;
    h.say(&id, "append a line").await;
    // Cut while the request after the tool result hangs.
    let mut starts = 0;
    for _ in 0..500 {
        starts = types(&h.events(&id).await)
            .iter()
            .filter(|t| **t == "span.model_request_start")
            .count();
        if starts == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(starts, 2, "the second model request never started");
    h.model.mount(openai::text_reply("Appended once."));
    h.restart().await;
    let events = h.wait_for_stop(&id, "end_turn", 1).await;
    let kinds = types(&events);
    assert!(kinds.contains(&"session.status_rescheduled"), "{kinds:?}");
    let log = h
        .dir
        .path()
        .join("data/workspaces")
        .join(&id)
        .join("log.txt");
    assert_eq!(std::fs::read_to_string(log).unwrap(), "ran\n");
    assert_eq!(
        kinds.iter().filter(|t| **t == "agent.tool_use").count(),
        1,
        "{kinds:?}"
    );
    let message = events
        .iter()
        .rfind(|e| e["type"] == "agent.message")
        .unwrap();
    assert_eq!(message["content"][0]["text"], "Appended once.");
    // The resumed request is the lost one: the user's message once, the
    // stored call and its stored result, then the model's turn.
    let requests = h.model.requests();
    assert_eq!(requests.len(), 3);
    let resumed = &requests[2].body;
    let messages = resumed["messages"].as_array().unwrap();
    let roles: Vec<&str> = messages.iter().filter_map(|m| m["role"].as_str()).collect();
    assert_eq!(
        roles[roles.len() - 3..],
        ["assistant", "tool", "user"],
        "{resumed}"
    );
    let body = resumed.to_string();
    assert_eq!(body.matches("append a line").count(), 1, "{body}");
    let call = &messages[roles.len() - 3]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "Bash");
    let result = &messages[roles.len() - 2];
    assert_eq!(result["tool_call_id"], call["id"]);
    assert_eq!(content_text(&result["content"]).trim(), "1");
    assert!(
        content_text(&messages[roles.len() - 1]["content"]).contains("resumed"),
        "{resumed}"
    );
    let (_, session) = h.get(&format!("/sessions/{id}")).await;
    assert_eq!(session["status"], "idle");
}

/// The text of an OpenAI message content (a string or text parts).
fn content_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}
