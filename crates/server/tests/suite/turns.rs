//! The turn loop: the agent's events as session events, tools, permission
//! policies, custom tools, interrupts and model failures.

use std::time::Duration;

use ferrule_test_support::{Reply, openai};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::common::{Harness, types};

fn find<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

#[tokio::test]
async fn a_text_turn_follows_the_documented_flow() {
    let h = Harness::start().await;
    h.model.mount(openai::text_reply("Hello there."));
    let id = h.session(json!([])).await;
    // The seed quickstart's bare event with string content.
    let sent = h
        .ok(
            &format!("/sessions/{id}/events"),
            json!({"type": "user.message", "content": "Say hello"}),
        )
        .await;
    assert_eq!(
        sent["data"][0]["content"],
        json!([{"type": "text", "text": "Say hello"}])
    );
    let events = h.wait_for_stop(&id, "end_turn", 1).await;
    assert_eq!(
        types(&events),
        [
            "user.message",
            "session.status_running",
            "span.model_request_start",
            "agent.message",
            "span.model_request_end",
            "session.status_idle"
        ]
    );
    assert_eq!(
        events[3]["content"],
        json!([{"type": "text", "text": "Hello there."}])
    );
    assert_eq!(events[4]["model_request_start_id"], events[2]["id"]);
    assert_eq!(
        events[4]["usage"],
        json!({"input_tokens": 10, "output_tokens": 5})
    );
    assert_eq!(events[5]["status"], "idle");
    let (_, session) = h.get(&format!("/sessions/{id}")).await;
    assert_eq!(session["status"], "idle");
    // The model saw the agent's system prompt and no tools.
    let request = &h.model.requests()[0].body;
    assert!(request.to_string().contains("be brief"));
    assert!(
        request
            .get("tools")
            .is_none_or(|t| t.as_array().is_some_and(Vec::is_empty)),
        "{request}"
    );
}

#[tokio::test]
async fn an_allowed_bash_call_runs_in_the_session_directory() {
    let h = Harness::start().await;
    h.model.mount(openai::tool_calls_reply(
        &[(
            "call_1",
            "Bash",
            r#"{"command": "echo hi > out.txt && cat out.txt"}"#,
        )],
        2,
    ));
    h.model.mount(openai::text_reply("Done."));
    let id = h
        .session(json!([{"type": "agent_toolset_20260401", "enabled_tools": ["Bash", "Read"]}]))
        .await;
    h.say(&id, "write a file").await;
    let events = h.wait_for_stop(&id, "end_turn", 1).await;
    let uses = find(&events, "agent.tool_use");
    let results = find(&events, "agent.tool_result");
    assert_eq!((uses.len(), results.len()), (1, 1), "{:?}", types(&events));
    assert_eq!(uses[0]["name"], "Bash");
    assert_eq!(uses[0]["evaluated_permission"], "allow");
    assert_eq!(
        uses[0]["input"]["command"],
        "echo hi > out.txt && cat out.txt"
    );
    assert_eq!(results[0]["tool_use_id"], uses[0]["id"]);
    assert_eq!(results[0]["is_error"], false);
    assert!(
        results[0]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("hi"),
        "{}",
        results[0]
    );
    assert_eq!(find(&events, "span.model_request_start").len(), 2);
    let file = h
        .dir
        .path()
        .join("data/workspaces")
        .join(&id)
        .join("out.txt");
    assert_eq!(std::fs::read_to_string(file).unwrap().trim(), "hi");
    // Exactly the enabled tools were offered, under their canonical names.
    let offered: Vec<String> = h.model.requests()[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(offered, ["Read", "Bash"]);
}

#[tokio::test]
async fn always_ask_pauses_for_confirmation_allow_and_deny() {
    let h = Harness::start().await;
    let ask = json!([{"type": "agent_toolset_20260401", "enabled_tools": ["Bash"], "default_config": {"permission_policy": {"type": "always_ask"}}}]);
    let id = h.session(ask).await;
    h.model.mount(openai::tool_calls_reply(
        &[("call_1", "Bash", r#"{"command": "echo allowed"}"#)],
        1,
    ));
    h.model.mount(openai::text_reply("Ran it."));
    h.say(&id, "run it").await;
    let events = h.wait_for_stop(&id, "requires_action", 1).await;
    let tool_use = find(&events, "agent.tool_use")[0].clone();
    assert_eq!(tool_use["evaluated_permission"], "ask");
    assert_eq!(
        events.last().unwrap()["stop_reason"]["event_ids"],
        json!([tool_use["id"]])
    );
    assert!(find(&events, "agent.tool_result").is_empty());
    // Busy: another message is refused.
    let (status, body) = h
        .post(
            &format!("/sessions/{id}/events"),
            json!({"type": "user.message", "content": "hurry"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = h.post(&format!("/sessions/{id}/events"), json!({"type": "user.tool_confirmation", "tool_use_id": "evt_other", "result": "allow"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    h.ok(&format!("/sessions/{id}/events"), json!({"events": [{"type": "user.tool_confirmation", "tool_use_id": tool_use["id"], "result": "allow"}]})).await;
    let events = h.wait_for_stop(&id, "end_turn", 1).await;
    let tail: Vec<&str> = types(&events)
        .into_iter()
        .skip_while(|t| *t != "user.tool_confirmation")
        .collect();
    assert_eq!(
        tail[..3],
        [
            "user.tool_confirmation",
            "session.status_running",
            "agent.tool_result"
        ]
    );
    let result = find(&events, "agent.tool_result")[0];
    assert!(
        result["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("allowed")
    );

    // Deny: the tool does not run and the model reads the reason.
    h.model.mount(openai::tool_calls_reply(
        &[("call_2", "Bash", r#"{"command": "touch denied.txt"}"#)],
        1,
    ));
    h.model.mount(openai::text_reply("Understood."));
    h.say(&id, "try again").await;
    let events = h.wait_for_stop(&id, "requires_action", 2).await;
    let tool_use = find(&events, "agent.tool_use")
        .last()
        .unwrap()
        .to_owned()
        .clone();
    h.ok(&format!("/sessions/{id}/events"), json!({"type": "user.tool_confirmation", "tool_use_id": tool_use["id"], "result": "deny", "deny_message": "not today"})).await;
    let events = h.wait_for_stop(&id, "end_turn", 2).await;
    let denied = find(&events, "agent.tool_result")
        .last()
        .unwrap()
        .to_owned()
        .clone();
    assert_eq!(denied["tool_use_id"], tool_use["id"]);
    assert_eq!(denied["is_error"], true);
    assert!(
        denied["content"].to_string().contains("not today"),
        "{denied}"
    );
    assert!(
        !h.dir
            .path()
            .join("data/workspaces")
            .join(&id)
            .join("denied.txt")
            .exists()
    );
    assert!(
        h.model
            .requests()
            .last()
            .unwrap()
            .body
            .to_string()
            .contains("not today")
    );
}

#[tokio::test]
async fn always_deny_and_unexposed_tools_do_not_run() {
    let h = Harness::start().await;
    let tools = json!([{"type": "agent_toolset_20260401", "enabled_tools": ["Bash", "Read"], "configs": [{"name": "bash", "permission_policy": {"type": "always_deny"}}]}]);
    let id = h.session(tools).await;
    h.model.mount(openai::tool_calls_reply(
        &[("call_1", "Bash", r#"{"command": "touch x.txt"}"#)],
        1,
    ));
    h.model.mount(openai::text_reply("ok"));
    h.say(&id, "go").await;
    let events = h.wait_for_stop(&id, "end_turn", 1).await;
    assert_eq!(
        find(&events, "agent.tool_use")[0]["evaluated_permission"],
        "deny"
    );
    assert_eq!(find(&events, "agent.tool_result")[0]["is_error"], true);
    assert!(
        !h.dir
            .path()
            .join("data/workspaces")
            .join(&id)
            .join("x.txt")
            .exists()
    );
}

#[tokio::test]
async fn custom_tools_wait_for_the_client_result() {
    let h = Harness::start().await;
    let tools = json!([{"type": "custom", "name": "get_weather", "description": "Weather of a city", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]);
    let id = h.session(tools).await;
    h.model.mount(openai::tool_calls_reply(
        &[("call_w", "get_weather", r#"{"city": "Oslo"}"#)],
        1,
    ));
    h.model.mount(openai::text_reply("It is sunny."));
    h.say(&id, "weather?").await;
    let events = h.wait_for_stop(&id, "requires_action", 1).await;
    let custom = find(&events, "agent.custom_tool_use")[0].clone();
    assert_eq!(
        (custom["name"].as_str(), custom["input"].clone()),
        (Some("get_weather"), json!({"city": "Oslo"}))
    );
    assert_eq!(
        events.last().unwrap()["stop_reason"]["event_ids"],
        json!([custom["id"]])
    );
    h.ok(&format!("/sessions/{id}/events"), json!({"type": "user.custom_tool_result", "custom_tool_use_id": custom["id"], "content": [{"type": "text", "text": "sunny, 21C"}]})).await;
    let events = h.wait_for_stop(&id, "end_turn", 1).await;
    assert!(
        find(&events, "agent.tool_result").is_empty(),
        "custom results add no agent event"
    );
    assert_eq!(
        find(&events, "agent.message").last().unwrap()["content"][0]["text"],
        "It is sunny."
    );
    assert!(
        h.model
            .requests()
            .last()
            .unwrap()
            .body
            .to_string()
            .contains("sunny, 21C")
    );
    let offered = &h.model.requests()[0].body["tools"][0]["function"];
    assert_eq!(offered["name"], "get_weather");
}

#[tokio::test]
async fn cancel_interrupts_a_running_turn_and_the_session_stays_usable() {
    let h = Harness::start().await;
    h.model
        .mount(Reply::sse(openai::text_frames("never finished", 2)).stall());
    let id = h.session(json!([])).await;
    h.say(&id, "think forever").await;
    for _ in 0..200 {
        if h.events(&id)
            .await
            .iter()
            .any(|e| e["type"] == "span.model_request_start")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let started = std::time::Instant::now();
    let (status, body) = h.post(&format!("/sessions/{id}/cancel"), json!({})).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::ACCEPTED, Some("canceling")),
        "{:#?}",
        h.events(&id).await
    );
    let events = h.wait_for_stop(&id, "end_turn", 1).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        find(&events, "agent.message").is_empty(),
        "{:?}",
        types(&events)
    );
    h.model.mount(openai::text_reply("Back."));
    h.say(&id, "again").await;
    let events = h.wait_for_stop(&id, "end_turn", 2).await;
    assert_eq!(
        find(&events, "agent.message")[0]["content"][0]["text"],
        "Back."
    );
}

#[tokio::test]
async fn a_failing_model_ends_with_retries_exhausted() {
    let h = Harness::start().await;
    h.model
        .mount(Reply::error(400, "bad request from the fake"));
    let id = h.session(json!([])).await;
    h.say(&id, "hi").await;
    let events = h.wait_for_stop(&id, "retries_exhausted", 1).await;
    let error = find(&events, "session.error")[0];
    assert_eq!(error["error"]["retry_status"]["type"], "exhausted");
    assert!(
        error["error"]["message"].as_str().unwrap().contains("400"),
        "{error}"
    );
    h.model.take_violations();
}

#[tokio::test]
async fn a_turn_cut_by_shutdown_resumes_after_restart() {
    let mut h = Harness::start().await;
    h.model
        .mount(Reply::sse(openai::text_frames("cut off", 2)).stall());
    let id = h.session(json!([])).await;
    h.say(&id, "long task").await;
    for _ in 0..200 {
        if h.events(&id)
            .await
            .iter()
            .any(|e| e["type"] == "span.model_request_start")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    h.model
        .mount(openai::text_reply("Finished after the restart."));
    h.restart().await;
    let events = h.wait_for_stop(&id, "end_turn", 1).await;
    let kinds = types(&events);
    let rescheduled = kinds
        .iter()
        .position(|t| *t == "session.status_rescheduled")
        .unwrap();
    assert_eq!(kinds[rescheduled + 1], "session.status_running");
    assert_eq!(
        find(&events, "agent.message").last().unwrap()["content"][0]["text"],
        "Finished after the restart."
    );
    assert_eq!(find(&events, "user.message").len(), 1);
    // The resumed request carries the user message once.
    let last = h.model.requests().last().unwrap().body.to_string();
    assert_eq!(last.matches("long task").count(), 1, "{last}");
    let (_, session) = h.get(&format!("/sessions/{id}")).await;
    assert_eq!(session["status"], "idle");
}

#[tokio::test]
async fn incremental_streaming_initial_events_and_user_interrupt() {
    let h = Harness::start().await;
    h.model.mount(openai::text_reply("Streamed reply."));
    let agent = h.agent(json!([])).await;
    let env = h.default_env().await;
    let session = h
        .ok(
            "/sessions",
            json!({"agent": agent, "environment_id": env, "incremental_streaming_enabled": true,
                                "initial_events": [{"type": "user.message", "content": "start"}]}),
        )
        .await;
    assert_eq!(session["status"], "running");
    let id = session["id"].as_str().unwrap().to_owned();
    let events = h.wait_for_stop(&id, "end_turn", 1).await;
    let deltas: String = find(&events, "agent.content_block_delta")
        .iter()
        .filter_map(|e| e["delta"]["text"].as_str())
        .collect();
    assert_eq!(deltas, "Streamed reply.");
    let kinds = types(&events);
    let start = kinds
        .iter()
        .position(|t| *t == "agent.message_start")
        .unwrap();
    let stop = kinds
        .iter()
        .position(|t| *t == "agent.message_stop")
        .unwrap();
    let full = kinds.iter().position(|t| *t == "agent.message").unwrap();
    assert!(start < stop && stop < full);
    let (_, only) = h
        .get(&format!(
            "/sessions/{id}/events?types[]=agent.message_start"
        ))
        .await;
    assert_eq!(only["data"].as_array().unwrap().len(), 1);
    // user.interrupt stops a live turn like cancel.
    h.model
        .mount(Reply::sse(openai::text_frames("stalled", 2)).stall());
    h.say(&id, "stall").await;
    for _ in 0..200 {
        if find(&h.events(&id).await, "span.model_request_start").len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    h.ok(
        &format!("/sessions/{id}/events"),
        json!({"type": "user.interrupt"}),
    )
    .await;
    let events = h.wait_for_stop(&id, "end_turn", 2).await;
    assert_eq!(find(&events, "agent.message").len(), 1);
}

#[tokio::test]
async fn model_ids_resolve_through_aliases_then_the_default() {
    let mut h = Harness::start().await;
    let data = h.dir.path().join("data");
    std::fs::write(
        data.join("settings.json"),
        r#"{"modelAliases": {"fast": "openai/fake-fast"}}"#,
    )
    .unwrap();
    h.restart().await;
    let (_, models) = h.get("/models").await;
    assert!(
        models["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "fast" && m["source"] == "user")
    );
    for (model, expected) in [
        ("fast", "fake-fast"),
        ("ultimate", "fake-model"),
        ("openai/other", "other"),
    ] {
        h.model.mount(openai::text_reply("ok"));
        let agent = h.ok("/agents", json!({"name": "m", "model": model})).await;
        let env = h.default_env().await;
        let session = h
            .ok(
                "/sessions",
                json!({"agent": agent["id"], "environment_id": env}),
            )
            .await;
        let id = session["id"].as_str().unwrap();
        h.say(id, "hi").await;
        h.wait_for_stop(id, "end_turn", 1).await;
        assert_eq!(h.model.requests().last().unwrap().body["model"], expected);
    }
}

#[tokio::test]
async fn cancel_while_waiting_for_confirmation_ends_the_turn() {
    let h = Harness::start().await;
    let ask = json!([{"type": "agent_toolset_20260401", "enabled_tools": ["Bash"], "default_config": {"permission_policy": {"type": "always_ask"}}}]);
    let id = h.session(ask).await;
    h.model.mount(openai::tool_calls_reply(
        &[("call_1", "Bash", r#"{"command": "touch never.txt"}"#)],
        1,
    ));
    h.say(&id, "run it").await;
    let events = h.wait_for_stop(&id, "requires_action", 1).await;
    let tool_use = find(&events, "agent.tool_use")[0]["id"].clone();
    let (status, _) = h.post(&format!("/sessions/{id}/cancel"), json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    h.wait_for_stop(&id, "end_turn", 1).await;
    assert!(
        !h.dir
            .path()
            .join("data/workspaces")
            .join(&id)
            .join("never.txt")
            .exists()
    );
    // The pending action is gone; the session takes a new message.
    let (status, _) = h
        .post(
            &format!("/sessions/{id}/events"),
            json!({"type": "user.tool_confirmation", "tool_use_id": tool_use, "result": "allow"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    h.model.mount(openai::text_reply("Fresh start."));
    h.say(&id, "next").await;
    let events = h.wait_for_stop(&id, "end_turn", 2).await;
    assert_eq!(
        find(&events, "agent.message").last().unwrap()["content"][0]["text"],
        "Fresh start."
    );
}
