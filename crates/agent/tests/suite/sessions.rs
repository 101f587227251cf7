//! Transcripts and subagents.

use std::collections::BTreeSet;

use ferrule_agent::{AgentBuilder, UserInput};
use ferrule_permissions::Mode;
use ferrule_protocol::{AgentEvent, TurnOutcome};
use ferrule_session::{SessionOptions, SessionStore, load_transcript};
use ferrule_test_support::{FakeModelServer, openai};
use pretty_assertions::assert_eq;
use serde_json::json;

use super::support::{Collect, builtins, call, openai_model, policy, scripted, text};

#[tokio::test]
async fn the_transcript_is_written_as_the_run_goes_and_reloads() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let store = SessionStore::new(home.path());
    let session = store
        .open(project.path(), &SessionOptions::default())
        .unwrap();
    let path = session.transcript.path().to_path_buf();
    let server = FakeModelServer::openai().await.unwrap();
    server.mount(openai::tool_calls_reply(
        &[
            ("w1", "Write", r#"{"file_path": "a.txt", "content": "a"}"#),
            ("w2", "Write", r#"{"file_path": "b.txt", "content": "b"}"#),
        ],
        2,
    ));
    server.mount(openai::text_reply("Both written."));
    let mut agent = AgentBuilder::new(openai_model(&server), builtins(), project.path())
        .policy_builder(policy(project.path(), Mode::AcceptEdits, &[]))
        .transcript(session.transcript)
        .build()
        .unwrap();
    let session_id = agent.session_id().to_owned();
    let sink = Collect::default();
    let result = agent.run(UserInput::text("write both"), &sink).await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );

    let loaded = load_transcript(&path).unwrap();
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    assert_eq!(loaded.session_id(), Some(session_id.as_str()));
    let uuids: BTreeSet<String> = loaded
        .entries
        .iter()
        .filter_map(|e| e.entry.uuid.clone())
        .collect();
    assert!(uuids.contains(&result.user_message_uuid));
    for emitted in sink.events() {
        if matches!(
            emitted.event,
            AgentEvent::MessageComplete { .. } | AgentEvent::ToolResult { .. }
        ) {
            assert!(
                uuids.contains(&emitted.uuid),
                "{:?} not in the transcript",
                emitted.event
            );
        }
    }
    let conversation = loaded.conversation();
    // user, assistant (2 calls), one entry per result, final answer.
    assert_eq!(conversation.messages.len(), 5);

    // Resume: a new agent on the reloaded history talks to the server.
    server.mount(openai::text_reply("Resumed."));
    let mut resumed = AgentBuilder::new(openai_model(&server), builtins(), project.path())
        .history(conversation.messages)
        .build()
        .unwrap();
    let again = resumed
        .run(UserInput::text("and now?"), &Collect::default())
        .await;
    assert_eq!(again.outcome, TurnOutcome::Completed, "{:?}", again.summary);
    let last = server.requests().pop().unwrap().body;
    let roles: Vec<&str> = last["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        [
            "system",
            "user",
            "assistant",
            "tool",
            "tool",
            "assistant",
            "user"
        ]
    );
}

#[tokio::test]
async fn a_task_call_runs_a_subagent_whose_events_are_nested() {
    let dir = tempfile::tempdir().unwrap();
    // One scripted model answers the parent, then the child, then the parent.
    let model = scripted(vec![
        vec![call(
            "t1",
            "Task",
            json!({"description": "look around", "prompt": "List the files.", "subagent_type": "general-purpose"}),
        )],
        vec![call("c1", "Glob", json!({"pattern": "*"}))],
        vec![text("There is one file: seen.txt.")],
        vec![text("The subagent found seen.txt.")],
    ]);
    std::fs::write(dir.path().join("seen.txt"), "x").unwrap();
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .build()
        .unwrap();
    assert!(agent.tool_names().contains(&"Agent".to_owned()));
    let sink = Collect::default();
    let result = agent.run(UserInput::text("what is here?"), &sink).await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    assert_eq!(
        result.summary.result.as_deref(),
        Some("The subagent found seen.txt.")
    );
    let events = sink.events();
    let nested: Vec<&AgentEvent> = events
        .iter()
        .filter(|e| e.parent_tool_use_id.as_deref() == Some("t1"))
        .map(|e| &e.event)
        .collect();
    assert!(matches!(
        nested.first(),
        Some(AgentEvent::TurnStarted { .. })
    ));
    assert!(matches!(
        nested.last(),
        Some(AgentEvent::TurnFinished { .. })
    ));
    assert!(
        nested.iter().any(
            |e| matches!(e, AgentEvent::ToolResult { result, .. } if result.tool_use_id == "c1")
        )
    );
    let top_results: Vec<String> = events
        .iter()
        .filter(|e| e.parent_tool_use_id.is_none())
        .filter_map(|e| match &e.event {
            AgentEvent::ToolResult { result, .. } => {
                Some(result.content.clone().unwrap().joined_text())
            }
            _ => None,
        })
        .collect();
    assert_eq!(top_results, ["There is one file: seen.txt."]);
    // The child's work stays out of the parent's history.
    assert_eq!(agent.messages().len(), 4);
}

#[tokio::test]
async fn an_unknown_subagent_type_is_an_error_the_model_reads() {
    let dir = tempfile::tempdir().unwrap();
    let model = scripted(vec![
        vec![call(
            "t1",
            "Agent",
            json!({"description": "x", "prompt": "y", "agent": "nobody"}),
        )],
        vec![text("ok")],
    ]);
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .build()
        .unwrap();
    let sink = Collect::default();
    agent.run(UserInput::text("go"), &sink).await;
    let text = sink.results()[0].content.clone().unwrap().joined_text();
    assert!(text.contains("Unknown subagent_type `nobody`"), "{text}");
    assert!(text.contains("general-purpose"), "{text}");
}

#[tokio::test]
async fn a_subagent_writes_its_own_side_transcript() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let store = SessionStore::new(home.path());
    let session = store
        .open(project.path(), &SessionOptions::default())
        .unwrap();
    let main_path = session.transcript.path().to_path_buf();
    let model = scripted(vec![
        vec![call(
            "t1",
            "Agent",
            json!({"description": "d", "prompt": "count files"}),
        )],
        vec![text("none")],
        vec![text("the subagent found none")],
    ]);
    let mut agent = AgentBuilder::new(model, builtins(), project.path())
        .transcript(session.transcript)
        .build()
        .unwrap();
    let result = agent
        .run(UserInput::text("delegate"), &Collect::default())
        .await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    let side_dir = main_path.with_extension("").join("subagents");
    let files: Vec<_> = std::fs::read_dir(&side_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let side = load_transcript(&files[0]).unwrap();
    assert!(side.entries.iter().all(|e| e.entry.is_sidechain));
    let messages = side.conversation().messages;
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].content.joined_text(), "count files");
    // The main transcript holds the parent's conversation only.
    let main = load_transcript(&main_path).unwrap().conversation().messages;
    assert_eq!(main.len(), 4);
}
