//! The NDJSON loop over in-memory pipes, with the scripted model.

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::driver::{Sandbox, Sdk, file, is_result};

fn text(t: &str) -> Value {
    json!({"blocks": [{"type": "text", "text": t}]})
}

fn tool(name: &str, input: Value) -> Value {
    json!({"blocks": [{"type": "tool_use", "id": "call_1", "name": name, "input": input}]})
}

#[tokio::test]
async fn initialize_then_a_turn_then_eof_exits_zero() {
    let sandbox = Sandbox::new();
    let mut sdk = Sdk::start(sandbox.options(json!([text("hello")])));
    let lines = sdk.initialize(json!({})).await;
    assert_eq!(lines.len(), 2, "{lines:#?}");
    let (init, answer) = (&lines[0], &lines[1]);
    assert_eq!(
        (init["type"].as_str(), init["subtype"].as_str()),
        (Some("system"), Some("init"))
    );
    assert_eq!(init["protocol_version"], "1.4.0");
    let session_id = init["session_id"].as_str().unwrap().to_owned();
    assert_eq!(answer["response"]["subtype"], "success");
    assert_eq!(answer["response"]["request_id"], "init");
    assert_eq!(answer["response"]["response"]["output_style"], "default");

    sdk.user("hi").await;
    let turn = sdk.until(is_result).await;
    let assistant = turn.iter().find(|l| l["type"] == "assistant").unwrap();
    assert_eq!(assistant["message"]["content"][0]["text"], "hello");
    assert_eq!(assistant["session_id"], session_id.as_str());
    let result = turn.last().unwrap();
    assert_eq!(result["subtype"], "success");
    assert_eq!(result["session_id"], session_id.as_str());
    assert_eq!(result["num_turns"], 1);
    let (code, rest) = sdk.finish().await;
    assert_eq!((code, rest), (0, vec![]));
}

#[tokio::test]
async fn broken_lines_get_answers_or_are_skipped_and_the_session_goes_on() {
    let sandbox = Sandbox::new();
    let mut sdk = Sdk::start(sandbox.options(json!([text("still here")])));
    sdk.send_raw("this is not json").await;
    sdk.send_raw(
        r#"{"type":"control_request","request_id":"bad","request":{"subtype":"can_use_tool"}}"#,
    )
    .await;
    let answer = sdk.next().await;
    assert_eq!(answer["response"]["subtype"], "error");
    assert_eq!(answer["response"]["request_id"], "bad");
    sdk.request("odd", json!({"subtype": "no_such_thing"}))
        .await;
    let answer = sdk.next().await;
    assert_eq!(
        answer["response"]["error"],
        "Unsupported control request subtype: no_such_thing"
    );
    sdk.initialize(json!({})).await;
    sdk.request("again", json!({"subtype": "initialize"})).await;
    let again = sdk.next().await;
    assert_eq!(again["response"]["error"], "Already initialized");
    sdk.user("hi").await;
    let turn = sdk.until(is_result).await;
    assert_eq!(turn.last().unwrap()["result"], "still here");
    assert_eq!(sdk.finish().await.0, 0);
}

#[tokio::test]
async fn user_message_before_initialize_is_refused() {
    let sandbox = Sandbox::new();
    let mut sdk = Sdk::start(sandbox.options(json!([text("x")])));
    sdk.user("too early").await;
    let result = sdk.next().await;
    assert_eq!(result["type"], "result");
    assert_eq!(result["is_error"], true);
    assert!(
        result["errors"][0]
            .as_str()
            .unwrap()
            .starts_with("initialize_required")
    );
    assert_eq!(sdk.finish().await.0, 1);
}

#[tokio::test]
async fn can_use_tool_round_trip_deny_reaches_the_model() {
    let sandbox = Sandbox::new();
    let target = sandbox.project().join("x.txt");
    let mut options = sandbox.options(json!([
        tool(
            "Write",
            json!({"file_path": target.display().to_string(), "content": "x"})
        ),
        text("ok")
    ]));
    options.permission_prompt_tool = Some("stdio".to_owned());
    let mut sdk = Sdk::start(options);
    sdk.initialize(json!({})).await;
    sdk.user("write").await;
    let lines = sdk.until(|l| l["type"] == "control_request").await;
    let ask = lines.last().unwrap();
    assert_eq!(ask["request"]["subtype"], "can_use_tool");
    assert_eq!(ask["request"]["tool_name"], "Write");
    assert_eq!(ask["request"]["tool_use_id"], "call_1");
    let id = ask["request_id"].as_str().unwrap().to_owned();
    sdk.send(
        json!({"type": "control_response", "response": {"subtype": "success",
        "request_id": id, "response": {"behavior": "deny", "message": "not now"}}}),
    )
    .await;
    let turn = sdk.until(is_result).await;
    let result_block = turn
        .iter()
        .find(|l| l["type"] == "user")
        .map(|l| l["message"]["content"][0].clone())
        .unwrap();
    assert_eq!(result_block["is_error"], true);
    assert!(result_block["content"].to_string().contains("not now"));
    let result = turn.last().unwrap();
    assert_eq!(result["permission_denials"][0]["tool_use_id"], "call_1");
    assert_eq!(file(&target), "");
    assert_eq!(sdk.finish().await.0, 0);
}

#[tokio::test]
async fn interrupt_while_asking_withdraws_the_request_and_ends_the_turn() {
    let sandbox = Sandbox::new();
    let mut options = sandbox.options(json!([
        tool("Bash", json!({"command": "touch never.txt"})),
        text("unreached"),
        text("next turn")
    ]));
    options.permission_prompt_tool = Some("stdio".to_owned());
    let mut sdk = Sdk::start(options);
    sdk.initialize(json!({})).await;
    sdk.user("run").await;
    let lines = sdk.until(|l| l["type"] == "control_request").await;
    let asked = lines.last().unwrap()["request_id"].clone();
    sdk.request("stop", json!({"subtype": "interrupt"})).await;
    let rest = sdk.until(is_result).await;
    let cancel = rest
        .iter()
        .find(|l| l["type"] == "control_cancel_request")
        .expect("the pending can_use_tool is withdrawn");
    assert_eq!(cancel["request_id"], asked);
    assert!(rest.iter().any(|l| l["type"] == "control_response"
        && l["response"]["request_id"] == "stop"
        && l["response"]["subtype"] == "success"));
    let result = rest.last().unwrap();
    assert_eq!(result["subtype"], "error_during_execution");
    assert!(!sandbox.project().join("never.txt").exists());
    sdk.user("again").await;
    let turn = sdk.until(is_result).await;
    assert_eq!(turn.last().unwrap()["is_error"], false);
    assert_eq!(sdk.finish().await.0, 0);
}

#[tokio::test]
async fn set_permission_mode_reports_status_and_rejects_unknown_modes() {
    let sandbox = Sandbox::new();
    let mut sdk = Sdk::start(sandbox.options(json!([text("x")])));
    sdk.initialize(json!({})).await;
    sdk.request(
        "m1",
        json!({"subtype": "set_permission_mode", "mode": "acceptEdits"}),
    )
    .await;
    let lines = sdk.until(|l| l["type"] == "control_response").await;
    assert_eq!(lines[0]["subtype"], "status");
    assert_eq!(lines[0]["permissionMode"], "acceptEdits");
    sdk.request(
        "m2",
        json!({"subtype": "set_permission_mode", "mode": "sideways"}),
    )
    .await;
    let answer = sdk.next().await;
    assert_eq!(
        answer["response"]["error"],
        "unknown permission_mode: sideways"
    );
    sdk.request("p", json!({"subtype": "get_plan_mode"})).await;
    assert_eq!(
        sdk.next().await["response"]["response"]["plan_mode"]["active"],
        false
    );
    sdk.request(
        "r",
        json!({"subtype": "rewind_files", "user_message_id": "u1"}),
    )
    .await;
    let rewind = sdk.next().await;
    assert_eq!(rewind["response"]["response"]["canRewind"], false);
    let why = rewind["response"]["response"]["error"].as_str().unwrap();
    assert!(why.contains("checkpointing is not enabled"), "{why}");
    sdk.request("c", json!({"subtype": "get_context_usage"}))
        .await;
    let usage = sdk.next().await;
    assert_eq!(usage["response"]["subtype"], "success", "{usage}");
    assert!(
        usage["response"]["response"]["contextWindow"].is_object(),
        "{usage}"
    );
    assert_eq!(sdk.finish().await.0, 0);
}

#[tokio::test]
async fn error_result_last_exits_one_and_partial_messages_stream() {
    let sandbox = Sandbox::new();
    let mut options = sandbox.options(json!([
        tool("Glob", json!({"pattern": "*"})),
        tool("Glob", json!({"pattern": "*"})),
    ]));
    options.setup.max_turns = Some(1);
    options.include_partial_messages = true;
    let mut sdk = Sdk::start(options);
    sdk.initialize(json!({})).await;
    sdk.user("loop").await;
    let turn = sdk.until(is_result).await;
    let kinds: Vec<&str> = turn
        .iter()
        .filter(|l| l["type"] == "stream_event")
        .map(|l| l["event"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"message_start"));
    assert!(kinds.contains(&"content_block_start"));
    assert_eq!(kinds.last(), Some(&"message_stop"));
    let result = turn.last().unwrap();
    assert_eq!(result["subtype"], "error_max_turns");
    assert_eq!(sdk.finish().await.0, 1);
}

#[tokio::test]
async fn priority_now_interrupts_the_running_turn_and_runs_next() {
    let sandbox = Sandbox::new();
    let mut options = sandbox.options(json!([
        tool("Bash", json!({"command": "touch never.txt"})),
        text("urgent answer")
    ]));
    options.permission_prompt_tool = Some("stdio".to_owned());
    let mut sdk = Sdk::start(options);
    sdk.initialize(json!({})).await;
    sdk.user("slow").await;
    sdk.until(|l| l["type"] == "control_request").await;
    sdk.send(
        json!({"type": "user", "session_id": "", "parent_tool_use_id": null,
                     "priority": "now", "uuid": "urgent-1",
                     "message": {"role": "user", "content": "urgent"}}),
    )
    .await;
    let first = sdk.until(is_result).await;
    assert!(first.iter().any(|l| l["type"] == "control_cancel_request"));
    assert_eq!(first.last().unwrap()["subtype"], "error_during_execution");
    let second = sdk.until(is_result).await;
    assert_eq!(second.last().unwrap()["result"], "urgent answer");
    assert_eq!(sdk.finish().await.0, 0);
}

#[tokio::test]
async fn sdk_mcp_handshake_runs_inside_initialize_and_a_cancel_withdraws_it() {
    let sandbox = Sandbox::new();
    let mut sdk = Sdk::start(sandbox.options(json!([text("x")])));
    sdk.request(
        "init",
        json!({"subtype": "initialize", "sdkMcpServers": ["calc"]}),
    )
    .await;
    let ask = sdk.next().await;
    assert_eq!(ask["request"]["subtype"], "mcp_message");
    assert_eq!(ask["request"]["server_name"], "calc");
    assert_eq!(ask["request"]["message"]["method"], "initialize");
    sdk.send(json!({"type": "control_cancel_request", "request_id": "init"}))
        .await;
    let withdrawn = sdk.next().await;
    assert_eq!(withdrawn["type"], "control_cancel_request");
    assert_eq!(withdrawn["request_id"], ask["request_id"]);
    let (code, rest) = sdk.finish().await;
    assert!(
        rest.iter().all(|l| l["type"] != "control_response"),
        "a cancelled request gets no answer: {rest:?}"
    );
    assert_eq!(code, 0);
}

#[tokio::test]
async fn should_query_false_starts_no_turn_and_joins_the_next_prompt() {
    let sandbox = Sandbox::new();
    let mut sdk = Sdk::start(sandbox.options(json!([text("both seen")])));
    sdk.initialize(json!({})).await;
    sdk.send(
        json!({"type": "user", "session_id": "", "parent_tool_use_id": null,
                     "shouldQuery": false,
                     "message": {"role": "user", "content": "background fact"}}),
    )
    .await;
    sdk.user("question").await;
    let turn = sdk.until(is_result).await;
    assert_eq!(turn.iter().filter(|l| is_result(l)).count(), 1);
    assert_eq!(turn.last().unwrap()["result"], "both seen");
    let (code, rest) = sdk.finish().await;
    assert_eq!((code, rest), (0, vec![]));
    let transcript = std::fs::read_dir(sandbox.dir.path().join("home/projects"))
        .unwrap()
        .flat_map(|dir| std::fs::read_dir(dir.unwrap().path()).unwrap())
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default())
        .collect::<String>();
    assert!(transcript.contains("background fact"), "{transcript}");
}
