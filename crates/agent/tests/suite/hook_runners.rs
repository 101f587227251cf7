//! Prompt and agent hooks through a dispatcher, answered by the model.

use std::sync::Arc;

use ferrule_agent::hook_runners::{ModelPromptRunner, SubagentRunner};
use ferrule_agent::{AgentBuilder, UserInput};
use ferrule_hooks::{CommonFields, Dispatcher, EventPayload, HookEvent, HookInput, HookSource};
use ferrule_model::Model;
use ferrule_permissions::Mode;
use ferrule_protocol::TurnOutcome;
use pretty_assertions::assert_eq;
use serde_json::json;

use super::support::{Collect, builtins, call, policy, scripted, text};

fn pre_tool_use(command: &str) -> HookInput {
    let mut input = HookInput::sample(HookEvent::PreToolUse, CommonFields::default(), Some("Bash"));
    if let EventPayload::PreToolUse(p) = &mut input.payload {
        p.call.tool_input = json!({ "command": command });
    }
    input
}

#[tokio::test]
async fn a_prompt_hook_blocks_with_the_models_reason() {
    let dir = tempfile::tempdir().unwrap();
    let model: Arc<dyn Model> = scripted(vec![vec![text(
        r#"{"ok": false, "reason": "deleting files needs a review"}"#,
    )]]);
    let hooks = json!({"PreToolUse": [{"matcher": "Bash", "hooks": [
        {"type": "prompt", "prompt": "Refuse commands that delete files."}
    ]}]});
    let dispatcher = Dispatcher::builder(dir.path())
        .hooks(&hooks, HookSource::session("test"))
        .prompt_runner(Arc::new(ModelPromptRunner::new(model)))
        .build();
    let dispatch = dispatcher.dispatch(&pre_tool_use("rm -rf src")).await;
    assert_eq!(
        dispatch.outcome.block_reason().as_deref(),
        Some("deleting files needs a review")
    );
}

#[tokio::test]
async fn an_agent_hook_uses_tools_and_reports_through_structured_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("POLICY.md"), "rm is fine here").unwrap();
    let model: Arc<dyn Model> = scripted(vec![
        vec![call("r1", "Read", json!({"file_path": "POLICY.md"}))],
        vec![call(
            "v1",
            "StructuredOutput",
            json!({"ok": false, "reason": "POLICY.md allows rm only in CI"}),
        )],
        vec![text("Reported.")],
    ]);
    let hooks = json!({"PreToolUse": [{"matcher": "Bash", "hooks": [
        {"type": "agent", "prompt": "Check POLICY.md about $ARGUMENTS", "tools": ["Read"]}
    ]}]});
    let dispatcher = Dispatcher::builder(dir.path())
        .hooks(&hooks, HookSource::session("test"))
        .agent_runner(Arc::new(SubagentRunner::new(model, builtins(), dir.path())))
        .build();
    let dispatch = dispatcher.dispatch(&pre_tool_use("rm -rf build")).await;
    assert!(
        dispatch.outcome.errors.is_empty(),
        "{:?}",
        dispatch.outcome.errors
    );
    assert_eq!(
        dispatch.outcome.block_reason().as_deref(),
        Some("POLICY.md allows rm only in CI")
    );
}

#[tokio::test]
async fn an_agent_hook_without_a_verdict_is_a_hook_error() {
    let dir = tempfile::tempdir().unwrap();
    let model: Arc<dyn Model> = scripted(vec![vec![text("I forgot to report.")]]);
    let hooks = json!({"PreToolUse": [{"matcher": "Bash", "hooks": [
        {"type": "agent", "prompt": "Check $ARGUMENTS"}
    ]}]});
    let dispatcher = Dispatcher::builder(dir.path())
        .hooks(&hooks, HookSource::session("test"))
        .agent_runner(Arc::new(SubagentRunner::new(model, builtins(), dir.path())))
        .build();
    let dispatch = dispatcher.dispatch(&pre_tool_use("ls")).await;
    let errors = format!("{:?}", dispatch.outcome);
    assert!(errors.contains("StructuredOutput"), "{errors}");
}

#[tokio::test]
async fn a_stop_prompt_hook_keeps_the_agent_going_once() {
    let dir = tempfile::tempdir().unwrap();
    // The hook's model blocks the first stop and lets the second pass.
    let hook_model: Arc<dyn Model> = scripted(vec![
        vec![text(r#"{"ok": false, "reason": "also say goodbye"}"#)],
        vec![text(r#"{"ok": true}"#)],
    ]);
    let hooks = json!({"Stop": [{"hooks": [{"type": "prompt", "prompt": "Did it say goodbye?"}]}]});
    let dispatcher = Dispatcher::builder(dir.path())
        .hooks(&hooks, HookSource::session("test"))
        .prompt_runner(Arc::new(ModelPromptRunner::new(hook_model)))
        .build();
    let model = scripted(vec![vec![text("Hello.")], vec![text("Goodbye.")]]);
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .policy_builder(policy(dir.path(), Mode::Default, &[]))
        .hooks(Arc::new(dispatcher))
        .build()
        .unwrap();
    let result = agent
        .run(UserInput::text("greet"), &Collect::default())
        .await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    assert_eq!(result.summary.result.as_deref(), Some("Goodbye."));
    assert_eq!(result.summary.num_turns, 2);
    let feedback = agent.messages()[2].content.joined_text();
    assert!(feedback.contains("also say goodbye"), "{feedback}");
}
