//! Prompts stream chunks and end with a stop reason; cancel stops Bash.

use std::time::Duration;

use agent_client_protocol::v1::schema::{
    CancelNotification, NewSessionRequest, PromptRequest, SessionUpdate, StopReason, ToolKind,
};
use serde_json::json;

use super::harness::{Recorder, Sandbox, in_memory, text_turn, tool_turn, with_client};

#[tokio::test]
async fn a_prompt_streams_thought_and_text_and_ends_with_end_turn() {
    let sandbox = Sandbox::new();
    let setup = sandbox.setup(json!([{"blocks": [
        {"type": "thinking", "thinking": "Let me think.", "signature": "sig"},
        {"type": "text", "text": "Hello from ferrule."}
    ]}]));
    let (transport, server) = in_memory(setup);
    let recorder = Recorder::default();
    let project = sandbox.project();
    let (init, stop, updates) = with_client(transport, recorder.clone(), async |cx, init| {
        let session = cx
            .send_request(NewSessionRequest::new(&project))
            .block_task()
            .await
            .unwrap();
        let modes = session.modes.clone().unwrap();
        assert_eq!(modes.current_mode_id.0.as_ref(), "default");
        let response = cx
            .send_request(PromptRequest::new(
                session.session_id.clone(),
                vec!["Say hello".into()],
            ))
            .block_task()
            .await
            .unwrap();
        (init, response.stop_reason, recorder.take_updates())
    })
    .await;
    assert!(init.agent_capabilities.load_session);
    assert!(init.auth_methods.is_empty());
    assert_eq!(init.agent_info.unwrap().name, "ferrule");
    assert_eq!(stop, StopReason::EndTurn);
    assert_eq!(Recorder::agent_text(&updates), "Hello from ferrule.");
    assert!(
        updates
            .iter()
            .any(|u| matches!(u, SessionUpdate::AgentThoughtChunk(_))),
        "{updates:?}"
    );
    let commands = updates
        .iter()
        .find_map(|u| match u {
            SessionUpdate::AvailableCommandsUpdate(list) => Some(list.available_commands.clone()),
            _ => None,
        })
        .expect("available commands announced");
    let names: Vec<&str> = commands.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["init", "memory", "about", "help"]);
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn slash_commands_answer_without_the_model() {
    let sandbox = Sandbox::new();
    // No model turns: the built-in commands must not call the model.
    let (transport, _server) = in_memory(sandbox.setup(json!([])));
    let recorder = Recorder::default();
    let project = sandbox.project();
    let text = with_client(transport, recorder.clone(), async |cx, _| {
        let session = cx
            .send_request(NewSessionRequest::new(&project))
            .block_task()
            .await
            .unwrap();
        for command in ["/about", "/help"] {
            let response = cx
                .send_request(PromptRequest::new(
                    session.session_id.clone(),
                    vec![command.into()],
                ))
                .block_task()
                .await
                .unwrap();
            assert_eq!(response.stop_reason, StopReason::EndTurn);
        }
        Recorder::agent_text(&recorder.take_updates())
    })
    .await;
    assert!(text.contains("ferrule"), "{text}");
    assert!(text.contains("/init"), "{text}");
}

#[tokio::test]
async fn cancel_mid_turn_returns_cancelled_and_kills_the_running_bash() {
    let sandbox = Sandbox::new();
    let pid_file = sandbox.dir.path().join("pid");
    let command = format!("echo $$ > {}; exec sleep 30", pid_file.display());
    let setup = sandbox.setup(json!([
        tool_turn(
            "call_1",
            "Bash",
            json!({"command": command, "description": "wait"})
        ),
        text_turn("not reached")
    ]));
    let (transport, _server) = in_memory(setup);
    let recorder = Recorder::default();
    recorder.answer(&[Some(ferrule_acp::ALLOW_ONCE)]);
    let project = sandbox.project();
    let (stop, updates) = with_client(transport, recorder.clone(), async |cx, _| {
        let session = cx
            .send_request(NewSessionRequest::new(&project))
            .block_task()
            .await
            .unwrap();
        let id = session.session_id.clone();
        let prompt = cx
            .send_request(PromptRequest::new(id.clone(), vec!["wait".into()]))
            .block_task();
        let cancel = async {
            while !pid_file.exists() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            cx.send_notification(CancelNotification::new(id.clone()))
                .unwrap();
        };
        let (response, ()) = futures::join!(prompt, cancel);
        (response.unwrap().stop_reason, recorder.take_updates())
    })
    .await;
    assert_eq!(stop, StopReason::Cancelled);
    let call = updates
        .iter()
        .find_map(|u| match u {
            SessionUpdate::ToolCall(call) => Some(call.clone()),
            _ => None,
        })
        .expect("a tool_call update");
    assert_eq!(call.kind, ToolKind::Execute);
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let alive = |pid: i32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|stat| !stat.contains(") Z "))
            .unwrap_or(false)
    };
    for _ in 0..100 {
        if !alive(pid) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!alive(pid), "sleep {pid} still runs after the cancel");
    assert!(
        !Recorder::agent_text(&updates).contains("not reached"),
        "{updates:?}"
    );
}

#[tokio::test]
async fn todo_write_sends_the_plan() {
    let sandbox = Sandbox::new();
    let setup = sandbox.setup(json!([
        tool_turn("call_1", "TodoWrite", json!({"todos": [
            {"content": "Read the code", "status": "completed", "activeForm": "Reading the code"},
            {"content": "Fix the bug", "status": "in_progress", "activeForm": "Fixing the bug"}
        ]})),
        text_turn("Planned.")
    ]));
    let (transport, _server) = in_memory(setup);
    let recorder = Recorder::default();
    let project = sandbox.project();
    let updates = with_client(transport, recorder.clone(), async |cx, _| {
        let session = cx
            .send_request(NewSessionRequest::new(&project))
            .block_task()
            .await
            .unwrap();
        cx.send_request(PromptRequest::new(session.session_id, vec!["plan".into()]))
            .block_task()
            .await
            .unwrap();
        recorder.take_updates()
    })
    .await;
    let plan = updates
        .iter()
        .find_map(|u| match u {
            SessionUpdate::Plan(plan) => Some(plan.clone()),
            _ => None,
        })
        .expect("a plan update");
    let entries: Vec<&str> = plan.entries.iter().map(|e| e.content.as_str()).collect();
    assert_eq!(entries, ["Read the code", "Fix the bug"]);
    assert_eq!(Recorder::agent_text(&updates), "Planned.");
}

#[tokio::test]
async fn custom_commands_expand_before_the_model_sees_them() {
    use ferrule_test_support::{FakeModelServer, openai};

    let sandbox = Sandbox::new();
    let commands = sandbox.project().join(".qoder/commands");
    std::fs::create_dir_all(&commands).unwrap();
    std::fs::write(
        commands.join("review.md"),
        "---\ndescription: Review a file\n---\nReview @$ARGUMENTS carefully.\n",
    )
    .unwrap();
    std::fs::write(sandbox.project().join("main.rs"), "fn main() { todo() }\n").unwrap();
    let server = FakeModelServer::openai().await.unwrap();
    server.mount(openai::text_reply("Looks fine."));
    let mut setup = sandbox.setup(json!([]));
    setup.model = Some("openai/fake-gpt".into());
    setup
        .env
        .insert("OPENAI_BASE_URL".into(), server.base_url());
    setup.env.insert("OPENAI_API_KEY".into(), "test-key".into());
    let (transport, _agent) = in_memory(setup);
    let recorder = Recorder::default();
    let project = sandbox.project();
    let (commands, text) = with_client(transport, recorder.clone(), async |cx, _| {
        let session = cx
            .send_request(NewSessionRequest::new(&project))
            .block_task()
            .await
            .unwrap();
        cx.send_request(PromptRequest::new(
            session.session_id,
            vec!["/review main.rs".into()],
        ))
        .block_task()
        .await
        .unwrap();
        let updates = recorder.take_updates();
        let commands: Vec<String> = updates
            .iter()
            .find_map(|u| match u {
                SessionUpdate::AvailableCommandsUpdate(list) => Some(
                    list.available_commands
                        .iter()
                        .map(|c| c.name.clone())
                        .collect(),
                ),
                _ => None,
            })
            .unwrap_or_default();
        (commands, Recorder::agent_text(&updates))
    })
    .await;
    assert!(commands.contains(&"review".to_owned()), "{commands:?}");
    assert_eq!(text, "Looks fine.");
    let sent = server.requests()[0].body["messages"].to_string();
    assert!(sent.contains("Review "), "{sent}");
    assert!(sent.contains("fn main() { todo() }"), "{sent}");
}

#[tokio::test]
async fn a_failing_model_answers_the_prompt_with_an_error_and_the_session_goes_on() {
    use ferrule_test_support::{FakeModelServer, Reply, openai};

    let sandbox = Sandbox::new();
    let server = FakeModelServer::openai().await.unwrap();
    server.mount(Reply::error(400, "model not available"));
    server.mount(openai::text_reply("Back again."));
    let mut setup = sandbox.setup(json!([]));
    setup.model = Some("openai/fake-gpt".into());
    setup.max_model_request_retries = Some(0);
    setup
        .env
        .insert("OPENAI_BASE_URL".into(), server.base_url());
    setup.env.insert("OPENAI_API_KEY".into(), "test-key".into());
    let (transport, _agent) = in_memory(setup);
    let recorder = Recorder::default();
    let project = sandbox.project();
    with_client(transport, recorder.clone(), async |cx, _| {
        let session = cx
            .send_request(NewSessionRequest::new(&project))
            .block_task()
            .await
            .unwrap();
        let error = cx
            .send_request(PromptRequest::new(
                session.session_id.clone(),
                vec!["hi".into()],
            ))
            .block_task()
            .await
            .unwrap_err();
        assert!(error.message.contains("model not available"), "{error:?}");
        let again = cx
            .send_request(PromptRequest::new(session.session_id, vec!["hi".into()]))
            .block_task()
            .await
            .unwrap();
        assert_eq!(again.stop_reason, StopReason::EndTurn);
        assert_eq!(
            Recorder::agent_text(&recorder.take_updates()),
            "Back again."
        );
    })
    .await;
}

#[tokio::test]
async fn cancel_while_a_permission_request_is_pending_ends_the_turn() {
    use super::harness::HOLD;

    let sandbox = Sandbox::new();
    let setup = sandbox.setup(json!([
        tool_turn(
            "call_1",
            "Write",
            json!({"file_path": "a.txt", "content": "x"})
        ),
        text_turn("not reached")
    ]));
    let (transport, _server) = in_memory(setup);
    let recorder = Recorder::default();
    recorder.answer(&[Some(HOLD)]);
    let project = sandbox.project();
    let stop = with_client(transport, recorder.clone(), async |cx, _| {
        let session = cx
            .send_request(NewSessionRequest::new(&project))
            .block_task()
            .await
            .unwrap();
        let id = session.session_id.clone();
        let prompt = cx
            .send_request(PromptRequest::new(id.clone(), vec!["write".into()]))
            .block_task();
        let cancel = async {
            while recorder.permissions().is_empty() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            cx.send_notification(CancelNotification::new(id.clone()))
                .unwrap();
        };
        let (response, ()) = futures::join!(prompt, cancel);
        response.unwrap().stop_reason
    })
    .await;
    assert_eq!(stop, StopReason::Cancelled);
    assert!(!sandbox.project().join("a.txt").exists());
}

#[tokio::test]
async fn a_commands_allowed_tools_need_no_permission_requests() {
    let sandbox = Sandbox::new();
    let commands = sandbox.project().join(".qoder/commands");
    std::fs::create_dir_all(&commands).unwrap();
    std::fs::write(
        commands.join("stamp.md"),
        "---\ndescription: Stamp\nallowed-tools: Bash(touch:*)\n---\n\
         Stamped: !`touch by-command`\n",
    )
    .unwrap();
    let setup = sandbox.setup(json!([
        tool_turn("call_1", "Bash", json!({"command": "touch by-model"})),
        text_turn("Stamped.")
    ]));
    let (transport, _agent) = in_memory(setup);
    let recorder = Recorder::default();
    let project = sandbox.project();
    let text = with_client(transport, recorder.clone(), async |cx, _| {
        let session = cx
            .send_request(NewSessionRequest::new(&project))
            .block_task()
            .await
            .unwrap();
        cx.send_request(PromptRequest::new(
            session.session_id,
            vec!["/stamp".into()],
        ))
        .block_task()
        .await
        .unwrap();
        Recorder::agent_text(&recorder.take_updates())
    })
    .await;
    assert_eq!(text, "Stamped.");
    assert!(project.join("by-command").exists(), "the shell part ran");
    assert!(project.join("by-model").exists(), "the model's call ran");
    assert!(
        recorder.permissions().is_empty(),
        "{:?}",
        recorder.permissions()
    );
}
