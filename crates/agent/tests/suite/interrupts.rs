//! Interrupts mid-stream and mid-tool, turn limits: the run ends cleanly,
//! the history stays consistent, the next run works.

use std::time::Duration;

use ferrule_agent::{AgentBuilder, Emitted, UserInput};
use ferrule_permissions::Mode;
use ferrule_protocol::{AgentEvent, ContentBlock, Message, MessageContent, Role, TurnOutcome};
use ferrule_test_support::{FakeModelServer, Reply, openai};
use ferrule_tool::ToolRegistry;
use pretty_assertions::assert_eq;
use serde_json::json;
use tokio::sync::mpsc;

use super::support::{Collect, builtins, call, openai_model, policy, scripted, text};

/// Every tool_use of the history is answered by the next message.
fn assert_consistent(messages: &[Message]) {
    for (at, message) in messages.iter().enumerate() {
        let MessageContent::Blocks(blocks) = &message.content else {
            continue;
        };
        for block in blocks {
            if let ContentBlock::ToolUse(call) = block {
                let next = messages.get(at + 1).expect("a reply to the tool call");
                assert_eq!(next.role, Role::User);
                let answered =
                    next.content.clone().into_blocks().iter().any(
                        |b| matches!(b, ContentBlock::ToolResult(r) if r.tool_use_id == call.id),
                    );
                assert!(answered, "call {} has no result", call.id);
            }
        }
    }
}

#[tokio::test]
async fn an_interrupt_mid_stream_ends_the_run_and_the_next_run_works() {
    let server = FakeModelServer::openai().await.unwrap();
    let mut frames = openai::text_frames("one two three four five six seven eight", 8);
    frames.push(openai::finish("stop"));
    frames.push(openai::done());
    server.mount(Reply::sse(frames).chunk_delay(Duration::from_millis(100)));
    let dir = tempfile::tempdir().unwrap();
    let mut agent = AgentBuilder::new(openai_model(&server), ToolRegistry::new(), dir.path())
        .build()
        .unwrap();
    let controls = agent.controls();
    let (tx, mut rx) = mpsc::unbounded_channel::<Emitted>();
    let watcher = tokio::spawn(async move {
        let mut events = Vec::new();
        while let Some(emitted) = rx.recv().await {
            if matches!(emitted.event, AgentEvent::TextDelta { .. }) {
                controls.interrupt();
            }
            events.push(emitted.event);
        }
        events
    });
    let result = agent.run(UserInput::text("count"), &tx).await;
    drop(tx);
    let events = watcher.await.unwrap();
    assert_eq!(result.outcome, TurnOutcome::Interrupted);
    assert_eq!(result.summary.errors, vec!["Operation aborted".to_owned()]);
    assert!(matches!(
        events.last(),
        Some(AgentEvent::TurnFinished { .. })
    ));
    assert_consistent(agent.messages());
    assert_eq!(server.wait_for_hangups(1, Duration::from_secs(2)).await, 1);

    server.mount(openai::text_reply("Back again."));
    let again = agent
        .run(UserInput::text("go on"), &Collect::default())
        .await;
    assert_eq!(again.outcome, TurnOutcome::Completed, "{:?}", again.summary);
    assert_eq!(again.summary.result.as_deref(), Some("Back again."));
    assert!(server.violations().is_empty());
}

#[tokio::test]
async fn an_interrupt_mid_bash_kills_the_command_and_keeps_the_history_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let model = scripted(vec![
        vec![call(
            "b1",
            "Bash",
            json!({"command": "sleep 30 & echo $! > pid.txt; wait"}),
        )],
        vec![text("Recovered.")],
    ]);
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .policy_builder(policy(dir.path(), Mode::BypassPermissions, &[]))
        .build()
        .unwrap();
    let controls = agent.controls();
    let pid_file = dir.path().join("pid.txt");
    let watch = pid_file.clone();
    let interrupter = tokio::spawn(async move {
        for _ in 0..200 {
            if std::fs::read_to_string(&watch).is_ok_and(|t| !t.trim().is_empty()) {
                controls.interrupt();
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    });
    let sink = Collect::default();
    let result = agent.run(UserInput::text("wait"), &sink).await;
    assert!(interrupter.await.unwrap(), "the command never started");
    assert_eq!(result.outcome, TurnOutcome::Interrupted);
    let pid = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .to_owned();
    let proc_dir = std::path::PathBuf::from(format!("/proc/{pid}"));
    let mut gone = false;
    for _ in 0..100 {
        let state = std::fs::read_to_string(proc_dir.join("stat")).unwrap_or_default();
        if state.is_empty() || state.contains(") Z") {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(gone, "sleep {pid} outlived the interrupt");
    let results = sink.results();
    assert_eq!(results.len(), 1);
    assert!(results[0].is_error());
    assert_eq!(
        results[0].content.clone().unwrap().joined_text(),
        "Interrupted by user"
    );
    assert_consistent(agent.messages());
    let again = agent
        .run(UserInput::text("go on"), &Collect::default())
        .await;
    assert_eq!(again.outcome, TurnOutcome::Completed, "{:?}", again.summary);
}

#[tokio::test]
async fn max_turns_stops_after_the_limit_with_the_documented_error() {
    let dir = tempfile::tempdir().unwrap();
    let model = scripted(vec![
        vec![call("r1", "Glob", json!({"pattern": "*"}))],
        vec![call("r2", "Glob", json!({"pattern": "*"}))],
    ]);
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .max_turns(Some(1))
        .build()
        .unwrap();
    let result = agent
        .run(UserInput::text("look"), &Collect::default())
        .await;
    assert_eq!(result.outcome, TurnOutcome::MaxTurns);
    assert_eq!(result.summary.num_turns, 1);
    assert_eq!(
        result.summary.errors,
        vec!["Reached maximum number of turns (1)".to_owned()]
    );
    assert_consistent(agent.messages());
}
