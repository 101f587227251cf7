//! The tool pipeline's permission stages: rules, the asker, session
//! updates, hooks.

use std::sync::Arc;

use ferrule_agent::{AgentBuilder, AskAnswer, UserInput};
use ferrule_hooks::{Dispatcher, HookSource};
use ferrule_permissions::{AskKind, Behavior, Mode, RuleSource};
use ferrule_protocol::sdk::{
    PermissionBehavior, PermissionDestination, PermissionRuleValue, PermissionUpdate,
};
use ferrule_protocol::{AgentEvent, TurnOutcome};
use pretty_assertions::assert_eq;
use serde_json::json;

use super::support::{Collect, TestAsker, builtins, call, policy, scripted, text};

#[tokio::test]
async fn a_denied_call_does_not_run_and_is_in_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let model = scripted(vec![
        vec![call("c1", "Bash", json!({"command": "touch made.txt"}))],
        vec![text("It was refused.")],
    ]);
    let rules = policy(dir.path(), Mode::BypassPermissions, &[]).rules(
        Behavior::Deny,
        ["Bash(touch:*)"],
        RuleSource {
            path: None,
            root: dir.path().to_path_buf(),
        },
    );
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .policy_builder(rules)
        .build()
        .unwrap();
    let sink = Collect::default();
    let result = agent.run(UserInput::text("touch it"), &sink).await;
    assert_eq!(result.outcome, TurnOutcome::Completed);
    assert!(
        !dir.path().join("made.txt").exists(),
        "the denied command ran"
    );
    let denials = &result.summary.permission_denials;
    assert_eq!(denials.len(), 1);
    assert_eq!(denials[0].tool_use_id, "c1");
    assert_eq!(denials[0].decision_reason_type.as_deref(), Some("rule"));
    let results = sink.results();
    assert!(results[0].is_error());
    let kinds: Vec<&str> = sink
        .events()
        .iter()
        .filter_map(|e| match &e.event {
            AgentEvent::PermissionDenied { .. } => Some("denied"),
            AgentEvent::ToolResult { .. } => Some("result"),
            _ => None,
        })
        .collect();
    assert_eq!(kinds, ["denied", "result"]);
}

#[tokio::test]
async fn headless_ask_is_denied_with_the_rule_to_add() {
    let dir = tempfile::tempdir().unwrap();
    let model = scripted(vec![
        vec![call("c1", "Bash", json!({"command": "touch made.txt"}))],
        vec![text("ok")],
    ]);
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .build()
        .unwrap();
    let sink = Collect::default();
    let result = agent.run(UserInput::text("touch it"), &sink).await;
    assert!(!dir.path().join("made.txt").exists());
    let message = result.summary.permission_denials[0]
        .message
        .clone()
        .unwrap();
    assert!(
        message.contains(r#"add "Bash(touch made.txt)" to permissions.allow"#),
        "{message}"
    );
}

#[tokio::test]
async fn an_ask_answer_can_rewrite_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let model = scripted(vec![
        vec![call(
            "c1",
            "Write",
            json!({"file_path": "a.txt", "content": "model text"}),
        )],
        vec![text("done")],
    ]);
    let asker = TestAsker::new(|request| AskAnswer::Allow {
        updated_input: Some(
            json!({"file_path": request.input["file_path"], "content": "user text"}),
        ),
        updated_permissions: Vec::new(),
    });
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .asker(asker.clone())
        .build()
        .unwrap();
    let result = agent
        .run(UserInput::text("write"), &Collect::default())
        .await;
    assert_eq!(result.outcome, TurnOutcome::Completed);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
        "user text"
    );
    let seen = asker.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].tool_use_id, "c1");
    assert_eq!(seen[0].decision.ask_kind, Some(AskKind::NoRule));
    assert!(!seen[0].suggestions.is_empty());
}

#[tokio::test]
async fn always_allow_applies_to_the_next_call() {
    let dir = tempfile::tempdir().unwrap();
    let model = scripted(vec![
        vec![call(
            "c1",
            "Bash",
            json!({"command": "echo one >> log.txt"}),
        )],
        vec![call(
            "c2",
            "Bash",
            json!({"command": "echo two >> log.txt"}),
        )],
        vec![text("done")],
    ]);
    let asker = TestAsker::new(|_| AskAnswer::Allow {
        updated_input: None,
        updated_permissions: vec![PermissionUpdate::AddRules {
            rules: vec![PermissionRuleValue {
                tool_name: "Bash".into(),
                rule_content: Some("echo:*".into()),
            }],
            behavior: PermissionBehavior::Allow,
            destination: PermissionDestination::Session,
        }],
    });
    for with_builder in [true, false] {
        let _ = std::fs::remove_file(dir.path().join("log.txt"));
        let model = if with_builder {
            model.clone()
        } else {
            scripted(vec![
                vec![call(
                    "c1",
                    "Bash",
                    json!({"command": "echo one >> log.txt"}),
                )],
                vec![call(
                    "c2",
                    "Bash",
                    json!({"command": "echo two >> log.txt"}),
                )],
                vec![text("done")],
            ])
        };
        let builder = AgentBuilder::new(model, builtins(), dir.path()).asker(asker.clone());
        let builder = if with_builder {
            builder.policy_builder(policy(dir.path(), Mode::Default, &[]))
        } else {
            builder.policy(policy(dir.path(), Mode::Default, &[]).build())
        };
        let mut agent = builder.build().unwrap();
        let result = agent.run(UserInput::text("log"), &Collect::default()).await;
        assert_eq!(
            result.outcome,
            TurnOutcome::Completed,
            "{:?}",
            result.summary
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("log.txt")).unwrap(),
            "one\ntwo\n"
        );
    }
    assert_eq!(
        asker.seen().len(),
        2,
        "one ask per agent, the second call ran on the rule"
    );
}

#[tokio::test]
async fn a_deny_with_interrupt_ends_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let model = scripted(vec![vec![call(
        "c1",
        "Bash",
        json!({"command": "touch x"}),
    )]]);
    let asker = TestAsker::new(|_| AskAnswer::Deny {
        message: "no".into(),
        interrupt: true,
    });
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .asker(asker)
        .build()
        .unwrap();
    let result = agent.run(UserInput::text("x"), &Collect::default()).await;
    assert_eq!(result.outcome, TurnOutcome::Interrupted);
    assert_eq!(result.summary.errors, vec!["Operation aborted".to_owned()]);
    assert_eq!(result.summary.permission_denials.len(), 1);
}

#[tokio::test]
async fn a_pre_tool_use_command_hook_denies_the_call() {
    let dir = tempfile::tempdir().unwrap();
    let hooks = json!({"PreToolUse": [{"matcher": "Bash", "hooks": [{
        "type": "command",
        "command": "grep -q 'rm -rf' && { echo 'no rm -rf here' >&2; exit 2; } || exit 0"
    }]}]});
    let dispatcher = Dispatcher::builder(dir.path())
        .hooks(&hooks, HookSource::session("test"))
        .build();
    std::fs::create_dir(dir.path().join("keep")).unwrap();
    let model = scripted(vec![
        vec![call("c1", "Bash", json!({"command": "rm -rf keep"}))],
        vec![text("blocked")],
    ]);
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .policy_builder(policy(dir.path(), Mode::BypassPermissions, &[]))
        .hooks(Arc::new(dispatcher))
        .build()
        .unwrap();
    let sink = Collect::default();
    let result = agent.run(UserInput::text("clean"), &sink).await;
    assert!(
        dir.path().join("keep").exists(),
        "the hook must stop rm -rf"
    );
    let denial = &result.summary.permission_denials[0];
    assert_eq!(denial.decision_reason_type.as_deref(), Some("hook"));
    let text = sink.results()[0].content.clone().unwrap().joined_text();
    assert!(text.contains("no rm -rf here"), "{text}");
}

#[tokio::test]
async fn unknown_tools_and_bad_arguments_are_errors_the_model_reads() {
    let dir = tempfile::tempdir().unwrap();
    let model = scripted(vec![
        vec![
            call("c1", "Nope", json!({})),
            call("c2", "Read", json!({"wrong": 1})),
        ],
        vec![text("ok")],
    ]);
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .build()
        .unwrap();
    let sink = Collect::default();
    let result = agent.run(UserInput::text("x"), &sink).await;
    assert_eq!(result.outcome, TurnOutcome::Completed);
    let results = sink.results();
    assert!(
        results
            .iter()
            .all(ferrule_protocol::ToolResultBlock::is_error)
    );
    let first = results[0].content.clone().unwrap().joined_text();
    assert!(first.contains("No such tool: `Nope`"), "{first}");
    let second = results[1].content.clone().unwrap().joined_text();
    assert!(second.contains("Invalid input for Read"), "{second}");
}

#[tokio::test]
async fn a_permission_request_hook_approves_in_print_mode_and_a_pre_tool_use_hook_rewrites() {
    let dir = tempfile::tempdir().unwrap();
    let hooks = json!({
        "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command",
            "command": "echo '{\"hookSpecificOutput\": {\"hookEventName\": \"PreToolUse\", \"updatedInput\": {\"command\": \"echo rewritten > out.txt\"}}}'"}]}],
        "PermissionRequest": [{"matcher": "Bash", "hooks": [{"type": "command",
            "command": "echo '{\"hookSpecificOutput\": {\"hookEventName\": \"PermissionRequest\", \"decision\": {\"behavior\": \"allow\"}}}'"}]}]
    });
    let dispatcher = Dispatcher::builder(dir.path())
        .hooks(&hooks, HookSource::session("test"))
        .build();
    let model = scripted(vec![
        vec![call(
            "c1",
            "Bash",
            json!({"command": "echo original > out.txt"}),
        )],
        vec![text("done")],
    ]);
    // No asker: print mode would deny, but the PermissionRequest hook allows.
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .hooks(Arc::new(dispatcher))
        .build()
        .unwrap();
    let result = agent.run(UserInput::text("x"), &Collect::default()).await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    assert!(result.summary.permission_denials.is_empty());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.txt")).unwrap(),
        "rewritten\n"
    );
}

#[tokio::test]
async fn a_pre_tool_use_ask_verdict_reaches_the_asker_even_when_the_mode_allows() {
    let dir = tempfile::tempdir().unwrap();
    let hooks = json!({"PreToolUse": [{"matcher": "Write", "hooks": [{"type": "command",
        "command": "echo '{\"hookSpecificOutput\": {\"hookEventName\": \"PreToolUse\", \"permissionDecision\": \"ask\", \"permissionDecisionReason\": \"check writes\"}}'"}]}]});
    let dispatcher = Dispatcher::builder(dir.path())
        .hooks(&hooks, HookSource::session("test"))
        .build();
    let model = scripted(vec![
        vec![call(
            "w1",
            "Write",
            json!({"file_path": "a.txt", "content": "a"}),
        )],
        vec![text("done")],
    ]);
    let asker = TestAsker::new(|_| AskAnswer::deny("not now"));
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .policy_builder(policy(dir.path(), Mode::AcceptEdits, &[]))
        .hooks(Arc::new(dispatcher))
        .asker(asker.clone())
        .build()
        .unwrap();
    let result = agent.run(UserInput::text("x"), &Collect::default()).await;
    assert!(!dir.path().join("a.txt").exists());
    assert_eq!(asker.seen()[0].decision.ask_kind, Some(AskKind::Hook));
    assert_eq!(
        result.summary.permission_denials[0].message.as_deref(),
        Some("not now")
    );
}

/// The built-in tools and a Skill tool over the project skill `name` of
/// `project`, written with `skill_md` as its SKILL.md.
pub(crate) fn with_skill(
    project: &std::path::Path,
    name: &str,
    skill_md: &str,
) -> ferrule_tool::ToolRegistry {
    let skill_dir = project.join(".qoder/skills").join(name);
    std::fs::create_dir_all(&skill_dir).unwrap();
    std::fs::write(skill_dir.join("SKILL.md"), skill_md).unwrap();
    let skills = ferrule_memory::Workspace::load(
        &ferrule_memory::LoadOptions::new(project).with_home(project.join("home")),
    )
    .skills;
    let mut tools = builtins();
    tools
        .register(ferrule_tools::SkillTool::new(
            skills,
            ferrule_memory::SkillVars::default(),
        ))
        .unwrap();
    tools
}

#[tokio::test]
async fn a_loaded_skill_allows_its_allowed_tools_for_the_session() {
    for with_builder in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        let tools = with_skill(
            dir.path(),
            "stamp",
            "---\nname: stamp\ndescription: Stamp files\nallowed-tools: Bash(touch:*), Read\n---\nTouch the stamp.\n",
        );
        let model = scripted(vec![
            // Before the skill is loaded the command would ask (and so be
            // refused here, with no one to ask).
            vec![call("c0", "Bash", json!({"command": "touch early.txt"}))],
            vec![call("s1", "Skill", json!({"skill": "stamp"}))],
            vec![
                call("c1", "Bash", json!({"command": "touch made.txt"})),
                call("c2", "Bash", json!({"command": "mkdir other"})),
            ],
            vec![text("ok")],
        ]);
        let mut builder = AgentBuilder::new(model, tools, dir.path());
        if with_builder {
            builder = builder.policy_builder(policy(dir.path(), Mode::Default, &[]));
        }
        let mut agent = builder.build().unwrap();
        let sink = Collect::default();
        let result = agent.run(UserInput::text("stamp it"), &sink).await;
        assert!(!dir.path().join("early.txt").exists());
        assert!(dir.path().join("made.txt").exists(), "{:?}", sink.results());
        assert!(
            !dir.path().join("other").exists(),
            "a tool the skill does not name was allowed"
        );
        let denied: Vec<&str> = result
            .summary
            .permission_denials
            .iter()
            .map(|d| d.tool_use_id.as_str())
            .collect();
        assert_eq!(denied, ["c0", "c2"]);
    }
}

#[tokio::test]
async fn a_loaded_skills_model_runs_the_rest_of_the_turn() {
    for (model_line, resolves) in [("model: fast\n", true), ("model: nosuch\n", false)] {
        let dir = tempfile::tempdir().unwrap();
        let tools = with_skill(
            dir.path(),
            "quick",
            &format!(
                "---\nname: quick\ndescription: Quick answers\n{model_line}---\nAnswer fast.\n"
            ),
        );
        let session = scripted(vec![
            vec![call("s1", "Skill", json!({"skill": "quick"}))],
            vec![text("answered by the session's model")],
        ]);
        let fast = scripted(vec![vec![text("answered by the skill's model")]]);
        let resolve_to = Arc::clone(&fast);
        let resolver: ferrule_agent::hook_runners::ModelResolver = Arc::new(move |name: &str| {
            (name == "fast").then(|| Arc::clone(&resolve_to) as Arc<dyn ferrule_model::Model>)
        });
        let mut agent = AgentBuilder::new(session.clone(), tools, dir.path())
            .model_resolver(resolver)
            .build()
            .unwrap();
        let sink = Collect::default();
        let result = agent.run(UserInput::text("quick question"), &sink).await;
        assert_eq!(
            result.outcome,
            TurnOutcome::Completed,
            "{:?}",
            result.summary
        );
        if resolves {
            assert_eq!((session.remaining_turns(), fast.remaining_turns()), (1, 0));
            assert_eq!(
                result.summary.result.as_deref(),
                Some("answered by the skill's model")
            );
        } else {
            assert_eq!((session.remaining_turns(), fast.remaining_turns()), (0, 1));
            assert_eq!(
                result.summary.result.as_deref(),
                Some("answered by the session's model")
            );
        }
        // The next turn is the session's model again.
        if resolves {
            let next = agent.run(UserInput::text("and now?"), &sink).await;
            assert_eq!(
                next.summary.result.as_deref(),
                Some("answered by the session's model")
            );
            assert_eq!(session.remaining_turns(), 0);
        }
    }
}
