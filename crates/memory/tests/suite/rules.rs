//! Rule triggers and when each applies.

use std::path::Path;
use std::sync::Arc;

use ferrule_memory::{InjectReason, Kind, SessionMemory, Trigger, Workspace};
use pretty_assertions::assert_eq;

use super::fixture::Fixture;

fn tree() -> Fixture {
    Fixture::new(&[
        ("repo/.qoder/rules/always.md", "always body\n"),
        (
            "repo/.qoder/rules/explicit.md",
            "---\ntrigger: always_on\n---\nexplicit body\n",
        ),
        (
            "repo/.qoder/rules/release.md",
            "---\ntrigger: manual\n---\nrelease checklist\n",
        ),
        (
            "repo/.qoder/rules/legacy-off.md",
            "---\nalwaysApply: false\n---\nlegacy\n",
        ),
        (
            "repo/.qoder/rules/api.md",
            "---\ntrigger: model_decision\ndescription: Use when changing API handlers.\n---\napi body\n",
        ),
        (
            "repo/.qoder/rules/no-desc.md",
            "---\ntrigger: model_decision\n---\nnever offered\n",
        ),
        (
            "repo/.qoder/rules/tests/ts.md",
            "---\ntrigger: glob\nglob:\n  - src/api/**\n  - \"**/*.test.ts\"\n---\nts body\n",
        ),
        (
            "repo/.qoder/rules/root-md.md",
            "---\npaths: /*.md\n---\nroot markdown\n",
        ),
        (
            "repo/.qoder/rules/broken.md",
            "---\ntrigger: glob\nglob: [src/**\n---\nbroken\n",
        ),
        (
            "home/.qoder/rules/user-go.md",
            "---\npaths: ['**/*.go']\n---\ngo body\n",
        ),
    ])
}

fn names(rules: &[&ferrule_memory::Rule]) -> Vec<String> {
    rules.iter().map(|r| r.name.clone()).collect()
}

#[test]
fn every_trigger_is_recognised() {
    let f = tree();
    let ws = f.load("repo");
    let got: Vec<(String, Trigger)> = ws
        .rules
        .iter()
        .map(|r| (r.name.clone(), r.trigger))
        .collect();
    assert_eq!(
        got,
        vec![
            ("user-go".into(), Trigger::Glob),
            ("always".into(), Trigger::AlwaysOn),
            ("api".into(), Trigger::ModelDecision),
            ("explicit".into(), Trigger::AlwaysOn),
            ("legacy-off".into(), Trigger::Manual),
            ("no-desc".into(), Trigger::Manual),
            ("release".into(), Trigger::Manual),
            ("root-md".into(), Trigger::Glob),
            ("tests/ts".into(), Trigger::Glob),
        ]
    );
}

#[test]
fn broken_yaml_is_skipped_with_file_and_line_and_the_rest_load() {
    let f = tree();
    let ws = f.load("repo");
    let skipped: Vec<(Kind, String, Option<usize>)> = ws
        .skipped
        .iter()
        .map(|s| (s.kind, f.rel(&s.path), s.line))
        .collect();
    assert_eq!(
        skipped,
        vec![(Kind::Rule, "repo/.qoder/rules/broken.md".into(), Some(3))]
    );
    assert!(
        ws.skipped[0].reason.starts_with("invalid frontmatter: "),
        "{}",
        ws.skipped[0].reason
    );
    assert_eq!(ws.rules.len(), 9);
    let warned: Vec<String> = ws.warnings.iter().map(|w| f.rel(&w.path)).collect();
    assert_eq!(warned, vec!["repo/.qoder/rules/no-desc.md"]);
}

#[test]
fn glob_rules_apply_to_matching_paths_only() {
    let f = tree();
    let ws = f.load("repo");
    let check = |p: &str| names(&ws.rules_for_path(Path::new(p)));
    assert_eq!(check("src/api/v1/users.rs"), vec!["tests/ts"]);
    assert_eq!(
        check(&f.path("repo/web/button.test.ts").display().to_string()),
        vec!["tests/ts"]
    );
    assert_eq!(check("README.md"), vec!["root-md"]);
    assert_eq!(check("docs/README.md"), Vec::<String>::new());
    assert_eq!(check("cmd/main.go"), vec!["user-go"]);
    assert_eq!(check("/elsewhere/main.go"), Vec::<String>::new());
}

#[test]
fn prompt_rules_are_always_on_plus_named_ones() {
    let f = tree();
    let ws = f.load("repo");
    assert_eq!(
        names(&ws.rules_for_prompt("fix the bug")),
        vec!["always", "explicit"]
    );
    assert_eq!(
        names(&ws.rules_for_prompt("ship it with @release.")),
        vec!["always", "explicit", "release"]
    );
}

#[test]
fn model_decision_rules_are_offered_by_description() {
    let f = tree();
    let ws = f.load("repo");
    let offered: Vec<(String, Option<String>)> = ws
        .offered_rules()
        .iter()
        .map(|r| (f.rel(&r.path), r.description.clone()))
        .collect();
    assert_eq!(
        offered,
        vec![(
            "repo/.qoder/rules/api.md".into(),
            Some("Use when changing API handlers.".into())
        )]
    );
}

#[test]
fn a_session_injects_each_glob_rule_once_and_named_rules_on_prompt() {
    let f = tree();
    let (mut session, _) = SessionMemory::start(Arc::new(f.load("repo")));
    let first: Vec<(String, InjectReason)> = session
        .on_path_touched(Path::new("src/api/a.rs"))
        .iter()
        .map(|i| (f.rel(&i.path), i.reason))
        .collect();
    assert_eq!(
        first,
        vec![(
            "repo/.qoder/rules/tests/ts.md".into(),
            InjectReason::PathGlobMatch
        )]
    );
    assert_eq!(session.on_path_touched(Path::new("src/api/b.rs")), vec![]);
    let named: Vec<String> = session
        .on_prompt("please @release")
        .iter()
        .map(|i| i.text.clone())
        .collect();
    assert_eq!(named, vec!["release checklist\n"]);
    assert_eq!(session.on_prompt("please @release"), vec![]);
}

#[test]
fn active_rules_are_capped_with_a_notice() {
    let big = "x".repeat(70);
    let f = Fixture::new(&[
        ("repo/.qoder/rules/a.md", big.as_str()),
        ("repo/.qoder/rules/b.md", big.as_str()),
    ]);
    let mut options = f.options("repo");
    options.rules_char_cap = 100;
    let (_, startup) = SessionMemory::start(Arc::new(Workspace::load(&options)));
    let got: Vec<(usize, bool)> = startup
        .iter()
        .map(|i| {
            (
                i.text.chars().take_while(|c| *c == 'x').count(),
                i.truncated,
            )
        })
        .collect();
    assert_eq!(got, vec![(70, false), (30, true)]);
    assert!(startup[1].text.contains("limited to 100 characters"));
}

#[test]
fn an_edited_rule_is_injected_again_on_refresh() {
    let f = Fixture::new(&[("repo/.qoder/rules/style.md", "version one\n")]);
    let (mut session, startup) = SessionMemory::start(Arc::new(f.load("repo")));
    assert_eq!(startup.len(), 1);
    assert_eq!(session.refresh(), vec![]);
    f.write(&[("repo/.qoder/rules/style.md", "version two\n")]);
    let updated: Vec<(InjectReason, String)> = session
        .refresh()
        .into_iter()
        .map(|i| (i.reason, i.text))
        .collect();
    assert_eq!(
        updated,
        vec![(InjectReason::Updated, "version two\n".to_string())]
    );
    assert_eq!(session.refresh(), vec![]);
    f.write(&[("repo/.qoder/rules/style.md", "---\nbad: [\n---\n")]);
    assert_eq!(session.refresh(), vec![]);
    let skipped: Vec<(String, Option<usize>)> = session
        .skipped
        .iter()
        .map(|s| (f.rel(&s.path), s.line))
        .collect();
    assert_eq!(
        skipped,
        vec![("repo/.qoder/rules/style.md".into(), Some(2))]
    );
}

#[test]
fn a_symlink_loop_in_rules_and_commands_is_reported_not_followed() {
    let f = Fixture::new(&[
        ("repo/.qoder/rules/a/r.md", "rule\n"),
        ("repo/.qoder/commands/c/x.md", "command\n"),
    ]);
    std::os::unix::fs::symlink(
        f.path("repo/.qoder/rules"),
        f.path("repo/.qoder/rules/a/loop"),
    )
    .expect("symlink");
    std::os::unix::fs::symlink(
        f.path("repo/.qoder/commands"),
        f.path("repo/.qoder/commands/c/loop"),
    )
    .expect("symlink");
    let ws = f.load("repo");
    assert_eq!(ws.rules.len(), 1);
    assert_eq!(ws.commands.len(), 1);
    let skipped: Vec<(Kind, String)> = ws
        .skipped
        .iter()
        .map(|s| (s.kind, f.rel(&s.path)))
        .collect();
    assert_eq!(
        skipped,
        vec![
            (Kind::Rule, "repo/.qoder/rules/a/loop".into()),
            (Kind::Command, "repo/.qoder/commands/c/loop".into()),
        ]
    );
}
