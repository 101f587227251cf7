//! The loop end to end with the scripted model.

use std::sync::Arc;

use ferrule_agent::{AgentBuilder, UserInput};
use ferrule_permissions::{Mode, Policy};
use ferrule_protocol::{AgentEvent, TurnOutcome};
use pretty_assertions::assert_eq;
use serde_json::json;

use super::support::{Collect, builtins, call, scripted, text};

fn assert_send<T: Send>(_: &T) {}

#[tokio::test]
async fn a_write_call_changes_the_file_and_the_model_gets_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let model = scripted(vec![
        vec![call(
            "c1",
            "Write",
            json!({"file_path": "hello.txt", "content": "hi\n"}),
        )],
        vec![text("Created hello.txt.")],
    ]);
    let policy = Policy::builder(dir.path(), dir.path())
        .mode(Mode::AcceptEdits)
        .build();
    let mut agent = AgentBuilder::new(model.clone(), builtins(), dir.path())
        .policy(policy)
        .build()
        .unwrap();
    let sink = Collect::default();
    let run = agent.run(UserInput::text("make hello.txt"), &sink);
    assert_send(&run);
    let result = run.await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    assert_eq!(result.summary.result.as_deref(), Some("Created hello.txt."));
    assert_eq!(result.summary.num_turns, 2);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("hello.txt")).unwrap(),
        "hi\n"
    );
    let results = sink.results();
    assert_eq!(results.len(), 1);
    assert!(!results[0].is_error(), "{results:?}");
    let events = sink.events();
    let started = events
        .iter()
        .filter(|e| matches!(e.event, AgentEvent::TurnStarted { .. }))
        .count();
    let finished = events
        .iter()
        .filter(|e| matches!(e.event, AgentEvent::TurnFinished { .. }))
        .count();
    assert_eq!((started, finished), (1, 1));
    assert_eq!(agent.messages().len(), 4);
    assert_eq!(model.remaining_turns(), 0);
    let _ = Arc::clone(&model);
}
