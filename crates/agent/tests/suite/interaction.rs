//! AskUserQuestion and the plan-mode tools: answered by the host's asker.

use ferrule_agent::{AgentBuilder, AskAnswer, UserInput};
use ferrule_permissions::{AskKind, Mode};
use ferrule_protocol::TurnOutcome;
use pretty_assertions::assert_eq;
use serde_json::json;

use super::support::{Collect, TestAsker, builtins, call, scripted, text};

#[tokio::test]
async fn ask_user_question_returns_the_answers_the_host_filled_in() {
    let dir = tempfile::tempdir().unwrap();
    let question = json!({"questions": [{"question": "Which color?", "header": "Color",
        "options": [{"label": "red", "description": "warm"}, {"label": "blue", "description": "cool"}],
        "multiSelect": false}]});
    let model = scripted(vec![
        vec![call("q1", "AskUserQuestion", question)],
        vec![text("Blue it is.")],
    ]);
    let asker = TestAsker::new(|request| {
        let mut input = request.input.clone();
        input["answers"] = json!({"Which color?": "blue"});
        AskAnswer::Allow {
            updated_input: Some(input),
            updated_permissions: Vec::new(),
        }
    });
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .policy_builder(super::support::policy(
            dir.path(),
            Mode::BypassPermissions,
            &[],
        ))
        .asker(asker.clone())
        .build()
        .unwrap();
    let sink = Collect::default();
    let result = agent.run(UserInput::text("paint"), &sink).await;
    assert_eq!(result.outcome, TurnOutcome::Completed);
    assert_eq!(
        asker.seen()[0].decision.ask_kind,
        Some(AskKind::Interaction)
    );
    let text = sink.results()[0].content.clone().unwrap().joined_text();
    assert!(text.contains("\"Which color?\"=\"blue\""), "{text}");
}

#[tokio::test]
async fn without_a_user_the_question_is_denied_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    let model = scripted(vec![
        vec![call(
            "q1",
            "AskUserQuestion",
            json!({"questions": [{"question": "Sure?", "header": "OK", "options": [], "multiSelect": false}]}),
        )],
        vec![text("Going ahead.")],
    ]);
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .build()
        .unwrap();
    let result = agent.run(UserInput::text("x"), &Collect::default()).await;
    let message = result.summary.permission_denials[0]
        .message
        .clone()
        .unwrap();
    assert!(message.contains("no user is present"), "{message}");
}

#[tokio::test]
async fn plan_mode_is_entered_and_left_through_the_asker() {
    let dir = tempfile::tempdir().unwrap();
    let model = scripted(vec![
        vec![call("p1", "EnterPlanMode", json!({}))],
        vec![call(
            "w1",
            "Write",
            json!({"file_path": "x.txt", "content": "x"}),
        )],
        vec![call(
            "p2",
            "ExitPlanMode",
            json!({"plan": "1. write x.txt"}),
        )],
        vec![call(
            "w2",
            "Write",
            json!({"file_path": "x.txt", "content": "x"}),
        )],
        vec![text("Done.")],
    ]);
    let asker = TestAsker::new(|_| AskAnswer::allow());
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .policy_builder(super::support::policy(dir.path(), Mode::AcceptEdits, &[]))
        .asker(asker.clone())
        .build()
        .unwrap();
    let controls = agent.controls();
    let sink = Collect::default();
    let result = agent.run(UserInput::text("plan then write"), &sink).await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    let results = sink.results();
    let errors: Vec<bool> = results
        .iter()
        .map(ferrule_protocol::ToolResultBlock::is_error)
        .collect();
    // The write in plan mode is refused, the one after the plan runs.
    assert_eq!(errors, [false, true, false, false]);
    assert_eq!(result.summary.permission_denials[0].tool_use_id, "w1");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("x.txt")).unwrap(),
        "x"
    );
    assert_eq!(controls.mode(), Mode::AcceptEdits);
    let asked: Vec<String> = asker.seen().iter().map(|r| r.tool_name.clone()).collect();
    assert_eq!(asked, ["EnterPlanMode", "ExitPlanMode"]);
}
