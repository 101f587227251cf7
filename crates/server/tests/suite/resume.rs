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

/// Waits a moment after a restart, so the resumed runner has begun (and
/// would have asked the model, had it not kept waiting).
async fn settle(h: &Harness, id: &str, before: usize) -> Vec<Value> {
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let events = h.events(id).await;
    assert_eq!(events.len(), before, "{:?}", types(&events));
    events
}

#[tokio::test]
async fn a_turn_waiting_on_a_confirmation_keeps_waiting_across_a_restart() {
    let mut h = Harness::start().await;
    h.model.mount(openai::tool_calls_reply(
        &[("call_1", "Bash", r#"{"command": "echo ran >> log.txt"}"#)],
        1,
    ));
    h.model.mount(openai::text_reply("Confirmed and done."));
    let id = h
        .session(
            json!([{"type": "agent_toolset_20260401", "enabled_tools": ["Bash"],
                          "default_config": {"permission_policy": {"type": "always_ask"}}}]),
        )
        .await;
    h.say(&id, "log it").await;
    let parked = h.wait_for_stop(&id, "requires_action", 1).await;
    assert_eq!(h.model.requests().len(), 1);
    h.restart().await;
    let events = settle(&h, &id, parked.len()).await;
    assert_eq!(
        h.model.requests().len(),
        1,
        "a model request after the restart"
    );
    let (_, session) = h.get(&format!("/sessions/{id}")).await;
    assert_eq!(session["status"], "idle");
    assert_eq!(
        events.last().unwrap()["stop_reason"]["type"],
        "requires_action"
    );
    let tool_use = events
        .iter()
        .find(|e| e["type"] == "agent.tool_use")
        .unwrap()["id"]
        .clone();
    h.ok(
        &format!("/sessions/{id}/events"),
        json!({"type": "user.tool_confirmation", "tool_use_id": tool_use, "result": "allow"}),
    )
    .await;
    let events = h.wait_for_stop(&id, "end_turn", 1).await;
    let kinds = types(&events);
    assert!(!kinds.contains(&"session.status_rescheduled"), "{kinds:?}");
    for once in [
        "agent.tool_use",
        "agent.tool_result",
        "user.tool_confirmation",
    ] {
        assert_eq!(kinds.iter().filter(|t| **t == once).count(), 1, "{kinds:?}");
    }
    let parks = events
        .iter()
        .filter(|e| e["stop_reason"]["type"] == "requires_action")
        .count();
    assert_eq!(parks, 1, "{kinds:?}");
    let result = events
        .iter()
        .find(|e| e["type"] == "agent.tool_result")
        .unwrap();
    assert_eq!(result["tool_use_id"], tool_use);
    let log = h
        .dir
        .path()
        .join("data/workspaces")
        .join(&id)
        .join("log.txt");
    assert_eq!(std::fs::read_to_string(log).unwrap(), "ran\n");
    let requests = h.model.requests();
    assert_eq!(requests.len(), 2);
    let body = requests[1].body.to_string();
    assert_eq!(body.matches("log it").count(), 1, "{body}");
    assert!(!body.contains("resumed"), "{body}");
    let message = events
        .iter()
        .rfind(|e| e["type"] == "agent.message")
        .unwrap();
    assert_eq!(message["content"][0]["text"], "Confirmed and done.");
}

#[tokio::test]
async fn a_turn_waiting_on_a_custom_tool_result_keeps_waiting_across_a_restart() {
    let mut h = Harness::start().await;
    let tools = json!([{"type": "custom", "name": "get_weather", "description": "Weather of a city",
                        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]);
    h.model.mount(openai::tool_calls_reply(
        &[("call_w", "get_weather", r#"{"city": "Oslo"}"#)],
        1,
    ));
    h.model.mount(openai::text_reply("It is sunny in Oslo."));
    let id = h.session(tools).await;
    h.say(&id, "weather?").await;
    let parked = h.wait_for_stop(&id, "requires_action", 1).await;
    h.restart().await;
    let events = settle(&h, &id, parked.len()).await;
    assert_eq!(
        h.model.requests().len(),
        1,
        "a model request after the restart"
    );
    let custom = events
        .iter()
        .find(|e| e["type"] == "agent.custom_tool_use")
        .unwrap()["id"]
        .clone();
    h.ok(
        &format!("/sessions/{id}/events"),
        json!({"type": "user.custom_tool_result", "custom_tool_use_id": custom,
               "content": [{"type": "text", "text": "sunny, 21C"}]}),
    )
    .await;
    let events = h.wait_for_stop(&id, "end_turn", 1).await;
    let kinds = types(&events);
    assert!(!kinds.contains(&"session.status_rescheduled"), "{kinds:?}");
    assert_eq!(
        kinds
            .iter()
            .filter(|t| **t == "agent.custom_tool_use")
            .count(),
        1,
        "{kinds:?}"
    );
    let requests = h.model.requests();
    assert_eq!(requests.len(), 2);
    let body = requests[1].body.to_string();
    assert!(body.contains("sunny, 21C"), "{body}");
    let message = events
        .iter()
        .rfind(|e| e["type"] == "agent.message")
        .unwrap();
    assert_eq!(message["content"][0]["text"], "It is sunny in Oslo.");
}
