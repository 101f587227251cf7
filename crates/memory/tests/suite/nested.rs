//! Subfolder memory loaded when the agent first touches a file there.

use std::path::Path;
use std::sync::Arc;

use ferrule_memory::{InjectReason, LoadReason, SessionMemory};
use pretty_assertions::assert_eq;

use super::fixture::Fixture;

#[test]
fn touching_a_file_loads_the_memory_of_its_folders_once() {
    let f = Fixture::new(&[
        ("repo/AGENTS.md", "root\n"),
        ("repo/packages/AGENTS.md", "packages\n"),
        ("repo/packages/app/AGENTS.md", "app @notes.md\n"),
        ("repo/packages/app/notes.md", "notes\n"),
        ("repo/packages/app/.qoder/rules/app.md", "app rule\n"),
        (
            "repo/packages/app/.qoder/rules/tsx.md",
            "---\npaths: src/*.tsx\n---\ntsx rule\n",
        ),
        ("repo/packages/app/src/main.tsx", "code\n"),
    ]);
    let ws = Arc::new(f.load("repo"));
    assert_eq!(ws.memory.len(), 1);
    let (mut session, _) = SessionMemory::start(ws);
    let nested = InjectReason::Memory(LoadReason::NestedTraversal);
    let got: Vec<(String, InjectReason)> = session
        .on_path_touched(&f.path("repo/packages/app/src/main.tsx"))
        .iter()
        .map(|i| (f.rel(&i.path), i.reason))
        .collect();
    assert_eq!(
        got,
        vec![
            ("repo/packages/AGENTS.md".into(), nested),
            ("repo/packages/app/AGENTS.md".into(), nested),
            (
                "repo/packages/app/notes.md".into(),
                InjectReason::Memory(LoadReason::Include)
            ),
            (
                "repo/packages/app/.qoder/rules/app.md".into(),
                InjectReason::AlwaysOnRule
            ),
            (
                "repo/packages/app/.qoder/rules/tsx.md".into(),
                InjectReason::PathGlobMatch
            ),
        ]
    );
    assert_eq!(
        session.on_path_touched(Path::new("packages/app/src/other.tsx")),
        vec![]
    );
}

#[test]
fn files_outside_the_project_load_nothing() {
    let f = Fixture::new(&[("repo/AGENTS.md", "root\n"), ("other/AGENTS.md", "other\n")]);
    let (mut session, _) = SessionMemory::start(Arc::new(f.load("repo")));
    assert_eq!(session.on_path_touched(&f.path("other/file.txt")), vec![]);
}

#[test]
fn a_manual_rule_of_a_touched_subfolder_can_be_named_in_a_prompt() {
    let f = Fixture::new(&[
        (
            "repo/app/.qoder/rules/deploy.md",
            "---\ntrigger: manual\n---\ndeploy steps\n",
        ),
        ("repo/app/main.rs", "fn main() {}\n"),
    ]);
    let (mut session, _) = SessionMemory::start(Arc::new(f.load("repo")));
    assert_eq!(session.on_prompt("run @deploy"), vec![]);
    assert_eq!(session.on_path_touched(Path::new("app/main.rs")), vec![]);
    let texts: Vec<String> = session
        .on_prompt("run @deploy now")
        .into_iter()
        .map(|i| i.text)
        .collect();
    assert_eq!(texts, vec!["deploy steps\n"]);
}
