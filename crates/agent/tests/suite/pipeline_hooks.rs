//! Hooks and checkpoints around tool calls and prompts.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ferrule_agent::{AgentBuilder, AskAnswer, AskRequest, Asker, UserInput};
use ferrule_checkpoint::{CheckpointStore, RewindOptions};
use ferrule_hooks::{Dispatcher, HookSource};
use ferrule_permissions::Mode;
use ferrule_protocol::{AgentErrorKind, AgentEvent, TurnOutcome};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::support::{Collect, builtins, call, policy, scripted, text};

fn dispatcher(dir: &std::path::Path, hooks: Value) -> Arc<Dispatcher> {
    Arc::new(
        Dispatcher::builder(dir)
            .hooks(&hooks, HookSource::session("test"))
            .build(),
    )
}

#[tokio::test]
async fn a_user_prompt_submit_hook_can_block_the_prompt() {
    let dir = tempfile::tempdir().unwrap();
    let hooks = json!({"UserPromptSubmit": [{"hooks": [{"type": "command",
        "command": "grep -q secret && { echo 'no secrets in prompts' >&2; exit 2; } || exit 0"}]}]});
    let model = scripted(vec![vec![text("never asked")]]);
    let mut agent = AgentBuilder::new(model.clone(), builtins(), dir.path())
        .hooks(dispatcher(dir.path(), hooks))
        .build()
        .unwrap();
    let sink = Collect::default();
    let result = agent.run(UserInput::text("the secret is 42"), &sink).await;
    assert_eq!(result.outcome, TurnOutcome::Failed);
    assert!(
        result
            .summary
            .result
            .unwrap()
            .contains("no secrets in prompts")
    );
    assert_eq!(model.remaining_turns(), 1, "the model was not asked");
    assert!(agent.messages().is_empty());
    assert!(sink.events().iter().any(
        |e| matches!(&e.event, AgentEvent::Error { error } if error.kind == AgentErrorKind::Hook)
    ));
}

#[tokio::test]
async fn hook_context_reaches_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let hooks = json!({
        "UserPromptSubmit": [{"hooks": [{"type": "command", "command": "echo 'the build uses make'"}]}],
        "PostToolUse": [{"matcher": "Glob", "hooks": [{"type": "command",
            "command": "echo '{\"hookSpecificOutput\": {\"hookEventName\": \"PostToolUse\", \"additionalContext\": \"listing reviewed\", \"updatedToolOutput\": \"(listing hidden)\"}}'"}]}]
    });
    let model = scripted(vec![
        vec![call("l1", "Glob", json!({"pattern": "*"}))],
        vec![text("ok")],
    ]);
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .hooks(dispatcher(dir.path(), hooks))
        .build()
        .unwrap();
    let sink = Collect::default();
    let result = agent.run(UserInput::text("look"), &sink).await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    let history = serde_json::to_string(agent.messages()).unwrap();
    assert!(history.contains("the build uses make"), "{history}");
    assert!(history.contains("listing reviewed"), "{history}");
    let shown = sink.results()[0].content.clone().unwrap().joined_text();
    assert_eq!(shown, "(listing hidden)");
}

#[tokio::test]
async fn subagent_start_hooks_see_the_agent_type() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("started.json");
    let hooks = json!({"SubagentStart": [{"hooks": [{"type": "command",
        "command": format!("cat > {}", log.display())}]}]});
    let model = scripted(vec![
        vec![call(
            "t1",
            "Agent",
            json!({"description": "d", "prompt": "say hi"}),
        )],
        vec![text("hi")],
        vec![text("the child said hi")],
    ]);
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .hooks(dispatcher(dir.path(), hooks))
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
    let input: Value = serde_json::from_str(&std::fs::read_to_string(&log).unwrap()).unwrap();
    assert_eq!(input["hook_event_name"], "SubagentStart");
    assert_eq!(input["agent_type"], "general-purpose");
    assert_eq!(input["session_id"], agent.session_id());
}

#[tokio::test]
async fn writes_are_checkpointed_and_can_be_rewound() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "before\n").unwrap();
    let model = scripted(vec![
        vec![call("r1", "Read", json!({"file_path": "a.txt"}))],
        vec![call(
            "w1",
            "Write",
            json!({"file_path": "a.txt", "content": "after\n"}),
        )],
        vec![call("b1", "Bash", json!({"command": "echo made > b.txt"}))],
        vec![text("changed")],
    ]);
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .policy_builder(policy(dir.path(), Mode::BypassPermissions, &[]))
        .checkpoints(CheckpointStore::open(store_dir.path()).unwrap())
        .build()
        .unwrap();
    let result = agent
        .run(
            UserInput::text("change").with_uuid("u-1"),
            &Collect::default(),
        )
        .await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    assert_eq!(result.user_message_uuid, "u-1");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
        "after\n"
    );
    assert!(dir.path().join("b.txt").exists());
    let store = agent.checkpoints().unwrap();
    let report = store
        .lock()
        .unwrap()
        .rewind("u-1", RewindOptions::default());
    assert!(report.can_rewind, "{report:?}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
        "before\n"
    );
    assert!(
        !dir.path().join("b.txt").exists(),
        "the Bash-made file stays: {report:?}"
    );
}

/// An asker that never answers until cancelled.
struct Waiting;

#[async_trait]
impl Asker for Waiting {
    async fn ask(&self, request: AskRequest) -> AskAnswer {
        request.cancel.cancelled().await;
        AskAnswer::deny("cancelled")
    }
}

#[tokio::test]
async fn an_interrupt_while_asking_ends_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let model = scripted(vec![vec![call(
        "b1",
        "Bash",
        json!({"command": "touch x"}),
    )]]);
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .asker(Arc::new(Waiting))
        .build()
        .unwrap();
    let controls = agent.controls();
    let interrupter = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        controls.interrupt();
    });
    let sink = Collect::default();
    let result = agent.run(UserInput::text("x"), &sink).await;
    interrupter.await.unwrap();
    assert_eq!(result.outcome, TurnOutcome::Interrupted);
    assert!(!dir.path().join("x").exists());
    assert_eq!(
        sink.results()[0].content.clone().unwrap().joined_text(),
        "Interrupted by user"
    );
}

#[tokio::test]
async fn continue_false_from_a_hook_stops_the_agent() {
    let dir = tempfile::tempdir().unwrap();
    let hooks = json!({"PostToolUse": [{"matcher": "Glob", "hooks": [{"type": "command",
        "command": "echo '{\"continue\": false, \"stopReason\": \"enough searching\"}'"}]}]});
    let model = scripted(vec![
        vec![call("g1", "Glob", json!({"pattern": "*"}))],
        vec![text("never asked")],
    ]);
    let mut agent = AgentBuilder::new(model.clone(), builtins(), dir.path())
        .hooks(dispatcher(dir.path(), hooks))
        .build()
        .unwrap();
    let result = agent
        .run(UserInput::text("search"), &Collect::default())
        .await;
    assert_eq!(result.outcome, TurnOutcome::Completed);
    assert_eq!(result.summary.result.as_deref(), Some("enough searching"));
    assert_eq!(model.remaining_turns(), 1);
    // The call's result is in the history, so the next run can go on.
    assert_eq!(agent.messages().len(), 3);
}
