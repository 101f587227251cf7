//! SessionStart and SessionEnd hooks around ACP sessions: `startup` for
//! `session/new`, `resume` for `session/load`, the start hooks' context in
//! the first model request, SessionEnd `other` when the client hangs up.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test; a failure should panic"
)]

use agent_client_protocol::v1::schema::{
    LoadSessionRequest, NewSessionRequest, PromptRequest, StopReason,
};
use ferrule_setup::{Host, SetupOptions};
use ferrule_test_support::{FakeModelServer, openai};
use serde_json::{Value, json};

use super::harness::{Recorder, Sandbox, in_memory, with_client};

fn setup(sandbox: &Sandbox, server: &FakeModelServer) -> SetupOptions {
    let mut env = sandbox.env();
    env.insert("OPENAI_BASE_URL".into(), server.base_url());
    env.insert("OPENAI_API_KEY".into(), "test-key".into());
    let mut setup = SetupOptions::new(Host::Sdk, sandbox.project(), env);
    setup.model = Some("openai/fake-gpt".into());
    setup
}

/// One JSON payload per line of `path`.
fn payloads(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[tokio::test]
async fn new_and_loaded_sessions_fire_session_start_and_session_end() {
    let sandbox = Sandbox::new();
    let server = FakeModelServer::openai().await.unwrap();
    server.mount(openai::text_reply("first"));
    server.mount(openai::text_reply("second"));
    let project = sandbox.project();
    let starts = sandbox.dir.path().join("starts.jsonl");
    let ends = sandbox.dir.path().join("ends.jsonl");
    let hooks = json!({"hooks": {
        "SessionStart": [{"hooks": [{"type": "command", "command": format!(
            "tr -d '\\n' >> '{0}'; echo >> '{0}'; echo 'the release train leaves at noon'",
            starts.display()
        )}]}],
        "SessionEnd": [{"hooks": [{"type": "command", "command": format!(
            "tr -d '\\n' >> '{0}'; echo >> '{0}'",
            ends.display()
        )}]}],
    }});
    std::fs::create_dir_all(project.join(".qoder")).unwrap();
    std::fs::write(project.join(".qoder/settings.json"), hooks.to_string()).unwrap();

    let (transport, first) = in_memory(setup(&sandbox, &server));
    let session_id = with_client(transport, Recorder::default(), async |cx, _| {
        let session = cx
            .send_request(NewSessionRequest::new(&project))
            .block_task()
            .await
            .unwrap();
        let response = cx
            .send_request(PromptRequest::new(
                session.session_id.clone(),
                vec!["hello".into()],
            ))
            .block_task()
            .await
            .unwrap();
        assert_eq!(response.stop_reason, StopReason::EndTurn);
        session.session_id
    })
    .await;
    first.await.unwrap().unwrap();
    let started = payloads(&starts);
    assert_eq!(started.len(), 1, "{started:?}");
    assert_eq!(started[0]["hook_event_name"], "SessionStart");
    assert_eq!(started[0]["source"], "startup");
    assert_eq!(started[0]["model"], "openai/fake-gpt");
    assert_eq!(started[0]["session_id"], session_id.0.as_ref());
    let sent = server.requests()[0].body["messages"].to_string();
    assert!(sent.contains("the release train leaves at noon"), "{sent}");
    assert!(sent.contains("hello"), "{sent}");
    // The server returned only after the session's SessionEnd ran.
    let ended = payloads(&ends);
    assert_eq!(ended.len(), 1, "{ended:?}");
    assert_eq!(ended[0]["hook_event_name"], "SessionEnd");
    assert_eq!(ended[0]["reason"], "other");
    assert_eq!(ended[0]["session_id"], session_id.0.as_ref());

    let (transport, second) = in_memory(setup(&sandbox, &server));
    with_client(transport, Recorder::default(), async |cx, _| {
        cx.send_request(LoadSessionRequest::new(session_id.clone(), &project))
            .block_task()
            .await
            .unwrap();
        let response = cx
            .send_request(PromptRequest::new(session_id.clone(), vec!["again".into()]))
            .block_task()
            .await
            .unwrap();
        assert_eq!(response.stop_reason, StopReason::EndTurn);
    })
    .await;
    second.await.unwrap().unwrap();
    let started = payloads(&starts);
    assert_eq!(started.len(), 2, "{started:?}");
    assert_eq!(started[1]["source"], "resume");
    assert_eq!(payloads(&ends).len(), 2);
}
