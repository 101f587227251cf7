//! Permission requests: the client's choice is honoured, "always allow"
//! adds a session rule, and the mode decides what asks.

use agent_client_protocol::v1::schema::{
    NewSessionRequest, PermissionOptionKind, PromptRequest, SessionUpdate, SetSessionModeRequest,
    StopReason, ToolCallContent, ToolCallStatus, ToolKind,
};
use agent_client_protocol::{Agent, ErrorCode, v1::ConnectionTo};
use serde_json::json;

use super::harness::{Recorder, Sandbox, in_memory, text_turn, tool_turn, with_client};

fn write(id: &str, file: &str) -> serde_json::Value {
    tool_turn(id, "Write", json!({"file_path": file, "content": "hi\n"}))
}

#[allow(clippy::expect_used, reason = "test helper")]
async fn prompt(cx: &ConnectionTo<Agent>, session: &str, text: &str) -> StopReason {
    cx.send_request(PromptRequest::new(session.to_owned(), vec![text.into()]))
        .block_task()
        .await
        .expect("the prompt failed")
        .stop_reason
}

#[tokio::test]
async fn reject_allow_always_and_the_session_rule() {
    let sandbox = Sandbox::new();
    let setup = sandbox.setup(json!([
        write("call_1", "a.txt"),
        text_turn("refused"),
        write("call_2", "b.txt"),
        text_turn("written"),
        write("call_3", "c.txt"),
        text_turn("written again")
    ]));
    let (transport, _server) = in_memory(setup);
    let recorder = Recorder::default();
    recorder.answer(&[
        Some(ferrule_acp::REJECT_ONCE),
        Some(ferrule_acp::ALLOW_ALWAYS),
    ]);
    let project = sandbox.project();
    let updates = with_client(transport, recorder.clone(), async |cx, _| {
        let session = cx
            .send_request(NewSessionRequest::new(&project))
            .block_task()
            .await
            .unwrap();
        let id = session.session_id.0.to_string();
        assert_eq!(prompt(&cx, &id, "write a").await, StopReason::EndTurn);
        assert_eq!(prompt(&cx, &id, "write b").await, StopReason::EndTurn);
        assert_eq!(prompt(&cx, &id, "write c").await, StopReason::EndTurn);
        recorder.take_updates()
    })
    .await;
    let project = sandbox.project();
    assert!(!project.join("a.txt").exists(), "rejected write ran");
    assert_eq!(
        std::fs::read_to_string(project.join("b.txt")).unwrap(),
        "hi\n"
    );
    assert!(
        project.join("c.txt").exists(),
        "the session rule did not allow Write"
    );
    // Two asks: c.txt was allowed by the rule "always allow" added.
    let asks = recorder.permissions();
    assert_eq!(asks.len(), 2, "{asks:?}");
    let kinds: Vec<PermissionOptionKind> = asks[0].options.iter().map(|o| o.kind).collect();
    assert_eq!(
        kinds,
        [
            PermissionOptionKind::AllowOnce,
            PermissionOptionKind::AllowAlways,
            PermissionOptionKind::RejectOnce
        ]
    );
    let fields = &asks[0].tool_call.fields;
    assert_eq!(fields.kind, Some(ToolKind::Edit));
    assert!(
        matches!(fields.content.as_deref(), Some([ToolCallContent::Diff(diff)]) if diff.new_text == "hi\n"),
        "{fields:?}"
    );
    assert_eq!(
        fields.locations.as_ref().unwrap()[0].path,
        project.join("a.txt")
    );
    // The rejected call failed, the allowed ones completed.
    let statuses: Vec<(String, ToolCallStatus)> = updates
        .iter()
        .filter_map(|u| match u {
            SessionUpdate::ToolCallUpdate(update) => update
                .fields
                .status
                .filter(|s| matches!(s, ToolCallStatus::Completed | ToolCallStatus::Failed))
                .map(|s| (update.tool_call_id.0.to_string(), s)),
            _ => None,
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("call_1".to_owned(), ToolCallStatus::Failed),
            ("call_2".to_owned(), ToolCallStatus::Completed),
            ("call_3".to_owned(), ToolCallStatus::Completed)
        ]
    );
}

#[tokio::test]
async fn set_mode_changes_what_asks() {
    let sandbox = Sandbox::new();
    let setup = sandbox.setup(json!([
        write("call_1", "a.txt"),
        text_turn("done"),
        write("call_2", "b.txt"),
        text_turn("refused")
    ]));
    let (transport, _server) = in_memory(setup);
    let recorder = Recorder::default();
    recorder.answer(&[Some(ferrule_acp::REJECT_ONCE)]);
    let project = sandbox.project();
    with_client(transport, recorder.clone(), async |cx, _| {
        let session = cx
            .send_request(NewSessionRequest::new(&project))
            .block_task()
            .await
            .unwrap();
        let id = session.session_id.clone();
        let unknown = cx
            .send_request(SetSessionModeRequest::new(id.clone(), "yolo"))
            .block_task()
            .await
            .unwrap_err();
        assert_eq!(unknown.code, ErrorCode::INVALID_PARAMS);
        cx.send_request(SetSessionModeRequest::new(id.clone(), "bypassPermissions"))
            .block_task()
            .await
            .unwrap();
        assert_eq!(prompt(&cx, &id.0, "write a").await, StopReason::EndTurn);
        assert!(recorder.permissions().is_empty(), "bypass mode asked");
        cx.send_request(SetSessionModeRequest::new(id.clone(), "default"))
            .block_task()
            .await
            .unwrap();
        assert_eq!(prompt(&cx, &id.0, "write b").await, StopReason::EndTurn);
        assert_eq!(recorder.permissions().len(), 1);
    })
    .await;
    assert!(project.join("a.txt").exists());
    assert!(!project.join("b.txt").exists());
}

#[tokio::test]
async fn leaving_plan_mode_asks_the_client_and_reports_the_new_mode() {
    let sandbox = Sandbox::new();
    let setup = sandbox.setup(json!([
        tool_turn("call_1", "ExitPlanMode", json!({"plan": "1. write a.txt"})),
        text_turn("Leaving plan mode.")
    ]));
    let (transport, _server) = in_memory(setup);
    let recorder = Recorder::default();
    recorder.answer(&[Some(ferrule_acp::ALLOW_ONCE)]);
    let project = sandbox.project();
    let updates = with_client(transport, recorder.clone(), async |cx, _| {
        let session = cx
            .send_request(NewSessionRequest::new(&project))
            .block_task()
            .await
            .unwrap();
        let id = session.session_id.clone();
        cx.send_request(SetSessionModeRequest::new(id.clone(), "plan"))
            .block_task()
            .await
            .unwrap();
        assert_eq!(prompt(&cx, &id.0, "plan it").await, StopReason::EndTurn);
        recorder.take_updates()
    })
    .await;
    let asks = recorder.permissions();
    assert_eq!(asks.len(), 1);
    assert_eq!(asks[0].tool_call.fields.kind, Some(ToolKind::SwitchMode));
    let modes: Vec<String> = updates
        .iter()
        .filter_map(|u| match u {
            SessionUpdate::CurrentModeUpdate(update) => Some(update.current_mode_id.0.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(modes, ["default"], "{updates:?}");
}
