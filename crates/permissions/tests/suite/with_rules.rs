//! `Policy::with_rules`: rules added to a built policy (a custom command's
//! `allowed-tools`) behave as if the builder had them, and the policy's
//! own deny and ask rules, mode and directories stay.

use std::path::PathBuf;

use ferrule_permissions::{Behavior, Mode, Policy, Request, RuleSource, decide};
use pretty_assertions::assert_eq;
use serde_json::json;

fn source(path: Option<&str>) -> RuleSource {
    RuleSource {
        path: path.map(PathBuf::from),
        root: "/w/proj".into(),
    }
}

fn bash(policy: &Policy, command: &str) -> Behavior {
    decide(policy, &Request::new("Bash", json!({"command": command}))).behavior
}

#[test]
fn added_allow_rules_allow_and_the_policys_own_rules_keep_precedence() {
    let policy = Policy::builder("/w/proj", "/home/u")
        .additional_dir("/w/other")
        .rules(Behavior::Deny, ["Bash(git push:*)"], source(None))
        .rules(Behavior::Ask, ["Bash(git commit:*)"], source(None))
        .build();
    assert_eq!(bash(&policy, "git add a.rs"), Behavior::Ask);

    let command = policy.with_rules(
        Behavior::Allow,
        ["Bash(git add:*)", "Bash(git push:*)", "Bash(git commit:*)"],
        source(Some("/w/proj/.qoder/commands/ship.md")),
    );
    assert_eq!(bash(&command, "git add a.rs"), Behavior::Allow);
    assert_eq!(bash(&command, "git push origin main"), Behavior::Deny);
    assert_eq!(bash(&command, "git commit -m x"), Behavior::Ask);
    assert_eq!(bash(&command, "rm -rf build"), Behavior::Ask);
    assert_eq!(command.mode(), Mode::Default);
    assert_eq!(command.working_dirs(), policy.working_dirs());
    // The original is unchanged.
    assert_eq!(bash(&policy, "git add a.rs"), Behavior::Ask);
}

#[test]
fn a_malformed_added_rule_is_a_diagnostic_naming_its_file() {
    let policy = Policy::builder("/w/proj", "/home/u")
        .mode(Mode::Plan)
        .build();
    let command = policy.with_rules(
        Behavior::Allow,
        ["Bash(unclosed"],
        source(Some("/w/proj/.qoder/commands/bad.md")),
    );
    assert_eq!(command.mode(), Mode::Plan);
    let [diagnostic] = command.diagnostics() else {
        panic!("one diagnostic: {:?}", command.diagnostics());
    };
    assert_eq!(diagnostic.text, "Bash(unclosed");
    assert_eq!(
        diagnostic.source.as_deref(),
        Some(std::path::Path::new("/w/proj/.qoder/commands/bad.md"))
    );
    assert_eq!(bash(&command, "ls"), bash(&policy, "ls"));
}
