//! `auto` mode's classifier: what would have asked goes to it, its verdict
//! stands, and it fails closed.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use ferrule_agent::{
    AgentBuilder, AutoModeGuidance, Classifier, ClassifyError, ClassifyRequest, ClassifyVerdict,
    ModelClassifier, UserInput,
};
use ferrule_model::Model;
use ferrule_permissions::Mode;
use ferrule_protocol::TurnOutcome;
use pretty_assertions::assert_eq;
use serde_json::json;

use super::support::{Collect, builtins, call, policy, scripted, text};

/// Answers every call with a fixed verdict and keeps the requests.
#[derive(Default)]
struct Recording {
    allow: bool,
    seen: Mutex<Vec<ClassifyRequest>>,
}

#[async_trait]
impl Classifier for Recording {
    async fn classify(&self, request: ClassifyRequest) -> Result<ClassifyVerdict, ClassifyError> {
        self.seen.lock().unwrap().push(request);
        let reason = "decided by the test".to_owned();
        Ok(if self.allow {
            ClassifyVerdict::Allow { reason }
        } else {
            ClassifyVerdict::Deny { reason }
        })
    }
}

fn bash(command: &str) -> Vec<Vec<ferrule_protocol::ContentBlock>> {
    vec![
        vec![call("c1", "Bash", json!({ "command": command }))],
        vec![text("done")],
    ]
}

#[tokio::test]
async fn a_model_classifier_approves_a_command_and_it_runs() {
    let dir = tempfile::tempdir().unwrap();
    let judge = scripted(vec![vec![text(
        "```json\n{\"decision\": \"allow\", \"reason\": \"writes a file the user asked for\"}\n```",
    )]]);
    let classifier =
        ModelClassifier::new(Arc::clone(&judge) as Arc<dyn Model>).guidance(AutoModeGuidance {
            allow: vec!["creating files in the project".into()],
            ..AutoModeGuidance::default()
        });
    let mut agent = AgentBuilder::new(
        scripted(bash("echo made > made.txt")),
        builtins(),
        dir.path(),
    )
    .policy_builder(policy(dir.path(), Mode::Auto, &[]))
    .classifier(Arc::new(classifier))
    .build()
    .unwrap();
    let sink = Collect::default();
    let result = agent.run(UserInput::text("make made.txt"), &sink).await;
    assert_eq!(result.outcome, TurnOutcome::Completed);
    assert_eq!(judge.remaining_turns(), 0, "the classifier was not asked");
    assert!(result.summary.permission_denials.is_empty());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("made.txt")).unwrap(),
        "made\n"
    );
}

#[tokio::test]
async fn a_classifier_refusal_is_a_denial_the_model_reads() {
    let dir = tempfile::tempdir().unwrap();
    let judge = Arc::new(Recording::default());
    let mut agent = AgentBuilder::new(
        scripted(bash("echo made > made.txt")),
        builtins(),
        dir.path(),
    )
    .policy_builder(policy(dir.path(), Mode::Auto, &[]))
    .classifier(Arc::clone(&judge) as Arc<dyn Classifier>)
    .build()
    .unwrap();
    let sink = Collect::default();
    let result = agent
        .run(UserInput::text("please make made.txt"), &sink)
        .await;
    assert!(!dir.path().join("made.txt").exists(), "a refused call ran");
    let seen = judge.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].tool_name, "Bash");
    assert_eq!(seen[0].input["command"], "echo made > made.txt");
    assert_eq!(
        seen[0].user_request.as_deref(),
        Some("please make made.txt")
    );
    let denial = &result.summary.permission_denials[0];
    assert_eq!(denial.decision_reason_type.as_deref(), Some("classifier"));
    let results = sink.results();
    assert!(results[0].is_error());
    let message = denial.message.clone().unwrap();
    assert!(
        message.contains("auto mode classifier") && message.contains("decided by the test"),
        "{message}"
    );
}

#[tokio::test]
async fn an_unreadable_verdict_or_a_failed_model_call_denies() {
    for answer in ["Sure, go ahead!", "{\"decision\": \"perhaps\"}"] {
        let dir = tempfile::tempdir().unwrap();
        let judge = scripted(vec![vec![text(answer)]]);
        let mut agent = AgentBuilder::new(
            scripted(bash("echo made > made.txt")),
            builtins(),
            dir.path(),
        )
        .policy_builder(policy(dir.path(), Mode::Auto, &[]))
        .classifier(Arc::new(ModelClassifier::new(judge)))
        .build()
        .unwrap();
        let result = agent.run(UserInput::text("go"), &Collect::default()).await;
        assert!(!dir.path().join("made.txt").exists(), "{answer}");
        let message = result.summary.permission_denials[0]
            .message
            .clone()
            .unwrap();
        assert!(message.contains("could not get a verdict"), "{message}");
    }
    // A script with no turn left: the model call itself fails.
    let dir = tempfile::tempdir().unwrap();
    let mut agent = AgentBuilder::new(
        scripted(bash("echo made > made.txt")),
        builtins(),
        dir.path(),
    )
    .policy_builder(policy(dir.path(), Mode::Auto, &[]))
    .classifier(Arc::new(ModelClassifier::new(scripted(Vec::new()))))
    .build()
    .unwrap();
    let result = agent.run(UserInput::text("go"), &Collect::default()).await;
    assert_eq!(result.outcome, TurnOutcome::Completed);
    assert!(!dir.path().join("made.txt").exists());
    let message = result.summary.permission_denials[0]
        .message
        .clone()
        .unwrap();
    assert!(message.contains("could not get a verdict"), "{message}");
}

#[tokio::test]
async fn dangerous_commands_and_other_modes_never_reach_the_classifier() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/keep.txt"), "x").unwrap();
    let judge = Arc::new(Recording {
        allow: true,
        ..Recording::default()
    });
    let mut agent = AgentBuilder::new(scripted(bash("rm -rf sub")), builtins(), dir.path())
        .policy_builder(policy(dir.path(), Mode::Auto, &[]))
        .classifier(Arc::clone(&judge) as Arc<dyn Classifier>)
        .build()
        .unwrap();
    let result = agent
        .run(UserInput::text("clean up"), &Collect::default())
        .await;
    assert!(dir.path().join("sub/keep.txt").exists(), "rm -rf ran");
    assert_eq!(result.summary.permission_denials.len(), 1);
    assert!(judge.seen.lock().unwrap().is_empty());

    // dont_ask denies what would ask without asking anyone.
    let mut agent = AgentBuilder::new(
        scripted(bash("echo made > made.txt")),
        builtins(),
        dir.path(),
    )
    .policy_builder(policy(dir.path(), Mode::DontAsk, &[]))
    .classifier(Arc::clone(&judge) as Arc<dyn Classifier>)
    .build()
    .unwrap();
    let result = agent.run(UserInput::text("go"), &Collect::default()).await;
    assert!(!dir.path().join("made.txt").exists());
    assert_eq!(
        result.summary.permission_denials[0]
            .decision_reason_type
            .as_deref(),
        Some("mode")
    );
    assert!(judge.seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_permission_denied_hook_can_tell_the_model_to_retry() {
    for retry in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let answer = if retry {
            r#"{"hookSpecificOutput":{"hookEventName":"PermissionDenied","retry":true}}"#
        } else {
            "{}"
        };
        let hooks = json!({"PermissionDenied": [{"matcher": "Bash", "hooks": [{"type": "command",
            "command": format!("cat > seen.json; echo '{answer}'")}]}]});
        let dispatcher = Arc::new(
            ferrule_hooks::Dispatcher::builder(dir.path())
                .hooks(&hooks, ferrule_hooks::HookSource::session("test"))
                .build(),
        );
        let mut agent = AgentBuilder::new(
            scripted(bash("echo made > made.txt")),
            builtins(),
            dir.path(),
        )
        .policy_builder(policy(dir.path(), Mode::Auto, &[]))
        .classifier(Arc::new(Recording::default()))
        .hooks(dispatcher)
        .build()
        .unwrap();
        let sink = Collect::default();
        agent.run(UserInput::text("make made.txt"), &sink).await;
        assert!(!dir.path().join("made.txt").exists(), "a refused call ran");
        let seen: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("seen.json")).unwrap()).unwrap();
        assert_eq!(seen["hook_event_name"], "PermissionDenied");
        assert_eq!(seen["tool_use_id"], "c1");
        let shown = sink.results()[0].content.clone().unwrap().joined_text();
        assert!(shown.contains("auto mode classifier"), "{shown}");
        assert_eq!(
            shown.contains("you may make this tool call again"),
            retry,
            "{shown}"
        );
    }
}
