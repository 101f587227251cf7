//! StopFailure, Notification and CwdChanged hooks, seen by real command
//! hooks that record their stdin.

use std::path::Path;
use std::sync::Arc;

use ferrule_agent::{AgentBuilder, AskAnswer, UserInput};
use ferrule_hooks::{Dispatcher, HookSource};
use ferrule_permissions::Mode;
use ferrule_protocol::TurnOutcome;
use ferrule_test_support::{FakeModelServer, Reply};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::support::{Collect, TestAsker, builtins, call, openai_model, policy, scripted, text};

/// Hooks for `event` (with `matcher`) that append their stdin to `log`, one
/// JSON document a line.
fn recording(dir: &Path, event: &str, matcher: &str, log: &Path) -> Arc<Dispatcher> {
    let command = format!("cat >> '{}'; echo >> '{}'", log.display(), log.display());
    let hooks =
        json!({event: [{"matcher": matcher, "hooks": [{"type": "command", "command": command}]}]});
    Arc::new(
        Dispatcher::builder(dir)
            .hooks(&hooks, HookSource::session("test"))
            .build(),
    )
}

/// The recorded hook inputs (none when the hook never ran).
fn recorded(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[tokio::test]
async fn a_model_error_fires_stop_failure_with_its_type() {
    let server = FakeModelServer::openai().await.unwrap();
    server.mount(Reply::error(401, "bad key"));
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.jsonl");
    let mut agent = AgentBuilder::new(openai_model(&server), builtins(), dir.path())
        .hooks(recording(
            dir.path(),
            "StopFailure",
            "authentication_failed",
            &log,
        ))
        .build()
        .unwrap();
    let result = agent.run(UserInput::text("hi"), &Collect::default()).await;
    assert_eq!(result.outcome, TurnOutcome::Failed);
    let events = recorded(&log);
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event["hook_event_name"], "StopFailure");
    assert_eq!(event["error_type"], "authentication_failed");
    assert!(
        event["error"].as_str().unwrap().contains("bad key"),
        "{event}"
    );
    assert_eq!(event["error_details"], "HTTP status 401");
    assert_eq!(event["last_assistant_message"], "");
}

#[tokio::test]
async fn a_completed_run_fires_no_stop_failure() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.jsonl");
    let mut agent = AgentBuilder::new(scripted(vec![vec![text("done")]]), builtins(), dir.path())
        .hooks(recording(dir.path(), "StopFailure", "", &log))
        .build()
        .unwrap();
    let result = agent.run(UserInput::text("hi"), &Collect::default()).await;
    assert_eq!(result.outcome, TurnOutcome::Completed);
    assert!(recorded(&log).is_empty());
}

#[tokio::test]
async fn asking_for_permission_fires_a_permission_prompt_notification() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.jsonl");
    let model = scripted(vec![
        vec![call("b1", "Bash", json!({"command": "touch made"}))],
        vec![text("ok")],
    ]);
    let asker = TestAsker::new(|_| AskAnswer::Deny {
        message: "no".into(),
        interrupt: false,
    });
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .policy_builder(policy(dir.path(), Mode::Default, &[]))
        .asker(asker.clone())
        .hooks(recording(
            dir.path(),
            "Notification",
            "permission_prompt",
            &log,
        ))
        .build()
        .unwrap();
    agent.run(UserInput::text("go"), &Collect::default()).await;
    assert_eq!(asker.seen().len(), 1);
    let events = recorded(&log);
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event["hook_event_name"], "Notification");
    assert_eq!(event["notification_type"], "permission_prompt");
    assert_eq!(
        event["message"],
        "Agent is requesting permission to use Bash: touch made"
    );
    assert_eq!(event["title"], "Permission Required");
    assert_eq!(event["details"]["tool_use_id"], "b1");
}

#[tokio::test]
async fn a_waiting_question_fires_an_idle_prompt_notification() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.jsonl");
    let question = json!({"questions": [{"question": "Which color?", "header": "Color",
        "options": [{"label": "red", "description": ""}, {"label": "blue", "description": ""}],
        "multiSelect": false}]});
    let model = scripted(vec![
        vec![call("q1", "AskUserQuestion", question)],
        vec![text("Blue.")],
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
        .policy_builder(policy(dir.path(), Mode::BypassPermissions, &[]))
        .asker(asker)
        .hooks(recording(dir.path(), "Notification", "", &log))
        .build()
        .unwrap();
    let result = agent
        .run(UserInput::text("paint"), &Collect::default())
        .await;
    assert_eq!(result.outcome, TurnOutcome::Completed);
    let events = recorded(&log);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["notification_type"], "idle_prompt");
    assert_eq!(
        events[0]["message"],
        "Agent is waiting for your answer: Which color?"
    );
}

#[tokio::test]
async fn a_bash_cd_fires_cwd_changed_once_with_both_directories() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let log = root.join("events.jsonl");
    let model = scripted(vec![
        vec![call(
            "b1",
            "Bash",
            json!({"command": "mkdir -p sub && cd sub"}),
        )],
        vec![call("b2", "Bash", json!({"command": "pwd"}))],
        vec![text("ok")],
    ]);
    let hooks = json!({"CwdChanged": [{"hooks": [{"type": "command", "command": format!(
        "cat >> '{0}'; echo >> '{0}'; echo '{{\"hookSpecificOutput\": {{\"hookEventName\": \"CwdChanged\", \"additionalContext\": \"now in sub\"}}}}'",
        log.display())}]}]});
    let mut agent = AgentBuilder::new(model, builtins(), &root)
        .policy_builder(policy(&root, Mode::BypassPermissions, &[]))
        .hooks(Arc::new(
            Dispatcher::builder(&root)
                .hooks(&hooks, HookSource::session("test"))
                .build(),
        ))
        .build()
        .unwrap();
    let result = agent.run(UserInput::text("go"), &Collect::default()).await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    let events = recorded(&log);
    assert_eq!(events.len(), 1, "the second call stayed in sub: {events:?}");
    assert_eq!(events[0]["hook_event_name"], "CwdChanged");
    assert_eq!(events[0]["old_cwd"], root.display().to_string());
    assert_eq!(events[0]["new_cwd"], root.join("sub").display().to_string());
    let history = serde_json::to_string(agent.messages()).unwrap();
    assert!(history.contains("now in sub"), "{history}");
}

#[tokio::test]
async fn reading_in_a_subfolder_injects_its_memory_and_fires_instructions_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::create_dir_all(root.join("pkg")).unwrap();
    std::fs::write(root.join("pkg/AGENTS.md"), "pkg uses tabs\n").unwrap();
    std::fs::write(root.join("pkg/lib.txt"), "code\n").unwrap();
    let options = ferrule_memory::LoadOptions::new(&root).with_home(root.join("home"));
    let workspace = Arc::new(ferrule_memory::Workspace::load(&options));
    let (memory, _) = ferrule_memory::SessionMemory::start(workspace);
    let log = root.join("events.jsonl");
    let file = root.join("pkg/lib.txt").display().to_string();
    let model = scripted(vec![
        vec![call("r1", "Read", json!({"file_path": file}))],
        vec![call("r2", "Read", json!({"file_path": file}))],
        vec![text("ok")],
    ]);
    let mut agent = AgentBuilder::new(model, builtins(), &root)
        .policy_builder(policy(&root, Mode::BypassPermissions, &[]))
        .session_memory(memory)
        .hooks(recording(
            &root,
            "InstructionsLoaded",
            "nested_traversal",
            &log,
        ))
        .build()
        .unwrap();
    let result = agent
        .run(UserInput::text("read"), &Collect::default())
        .await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    let events = recorded(&log);
    assert_eq!(events.len(), 1, "loaded once: {events:?}");
    assert_eq!(events[0]["hook_event_name"], "InstructionsLoaded");
    assert_eq!(
        events[0]["file_path"],
        root.join("pkg/AGENTS.md").display().to_string()
    );
    assert_eq!(events[0]["memory_type"], "project");
    assert_eq!(events[0]["load_reason"], "nested_traversal");
    assert_eq!(events[0]["trigger_file_path"], file);
    let history = serde_json::to_string(agent.messages()).unwrap();
    assert_eq!(history.matches("pkg uses tabs").count(), 1, "{history}");
}
