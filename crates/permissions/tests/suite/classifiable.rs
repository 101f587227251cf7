//! `auto` mode marks the denies a classifier may overturn, and only those
//! (reference §3.3 "Mode stage", A-4).

use ferrule_permissions::{AskKind, Behavior, Decision, Mode, Policy, Request, RuleSource};
use pretty_assertions::assert_eq;
use serde_json::json;

fn source() -> RuleSource {
    RuleSource {
        path: None,
        root: "/w/proj".into(),
    }
}

fn decide(mode: Mode, ask: &[&str], tool: &str, input: serde_json::Value) -> Decision {
    let policy = Policy::builder("/w/proj", "/home/u")
        .mode(mode)
        .rules(Behavior::Ask, ask.iter().copied(), source())
        .build();
    ferrule_permissions::decide(&policy, &Request::new(tool, input))
}

#[test]
fn an_unruled_command_in_auto_mode_is_denied_but_classifiable() {
    let decision = decide(
        Mode::Auto,
        &[],
        "Bash",
        json!({"command": "npm install left-pad"}),
    );
    assert_eq!(decision.behavior, Behavior::Deny);
    let classifiable = decision.classifiable.expect("a classifier may decide it");
    assert_eq!(classifiable.ask_kind, AskKind::NoRule);
    // An ask rule's verdict is classifiable too, and says which rule.
    let decision = decide(
        Mode::Auto,
        &["Bash(git push:*)"],
        "Bash",
        json!({"command": "git push origin main"}),
    );
    assert_eq!(decision.behavior, Behavior::Deny);
    assert_eq!(
        decision.classifiable.map(|c| c.ask_kind),
        Some(AskKind::Rule)
    );
}

#[test]
fn dangerous_commands_and_protected_paths_are_never_classifiable() {
    for command in ["rm -rf /", "echo x > /w/proj/.git/config"] {
        let decision = decide(Mode::Auto, &[], "Bash", json!({ "command": command }));
        assert_eq!(decision.behavior, Behavior::Deny, "{command}");
        assert_eq!(
            decision.classifiable, None,
            "{command}: {}",
            decision.reason
        );
    }
    // Behind an ask rule that matches first, the redirect still counts.
    let decision = decide(
        Mode::Auto,
        &["Bash(echo:*)"],
        "Bash",
        json!({"command": "echo 'alias ls=rm' >> /home/u/.bashrc"}),
    );
    assert_eq!(decision.behavior, Behavior::Deny);
    assert_eq!(decision.classifiable, None, "{}", decision.reason);
    let decision = decide(
        Mode::Auto,
        &[],
        "Write",
        json!({"file_path": "/w/proj/.git/hooks/pre-commit", "content": "x"}),
    );
    assert_eq!(decision.behavior, Behavior::Deny);
    assert_eq!(decision.classifiable, None, "{}", decision.reason);
}

#[test]
fn other_modes_never_mark_a_decision() {
    for mode in [Mode::Default, Mode::DontAsk, Mode::AcceptEdits, Mode::Plan] {
        let decision = decide(
            mode,
            &[],
            "Bash",
            json!({"command": "npm install left-pad"}),
        );
        assert_eq!(decision.classifiable, None, "{mode:?}");
    }
    // What auto mode allows or keeps asking is not marked either.
    let edit = decide(
        Mode::Auto,
        &[],
        "Write",
        json!({"file_path": "/w/proj/src/a.rs", "content": "x"}),
    );
    assert_eq!((edit.behavior, edit.classifiable), (Behavior::Allow, None));
    let question = decide(Mode::Auto, &[], "AskUserQuestion", json!({"questions": []}));
    assert_eq!(question.behavior, Behavior::Ask);
    assert_eq!(question.classifiable, None);
}
