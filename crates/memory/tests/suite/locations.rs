//! Where memory files are found and the order they load in.

use std::sync::Arc;

use ferrule_memory::{
    ClaudeFiles, InjectReason, LoadReason, Origin, Scope, SessionMemory, StartupItem, Trust,
    Workspace,
};
use pretty_assertions::assert_eq;

use super::fixture::Fixture;

fn tree() -> Fixture {
    Fixture::new(&[
        ("AGENTS.md", "outside the repository\n"),
        ("home/.qoder/AGENTS.md", "user\n"),
        ("home/.claude/CLAUDE.md", "claude user\n"),
        ("home/.qoder/rules/user.md", "user rule\n"),
        ("repo/AGENTS.md", "root\n"),
        ("repo/CLAUDE.md", "claude root\n"),
        ("repo/AGENTS.local.md", "root local\n"),
        ("repo/.qoder/rules/style.md", "root rule\n"),
        ("repo/.claude/rules/claude.md", "claude rule\n"),
        ("repo/packages/AGENTS.md", "packages\n"),
        ("repo/packages/app/AGENTS.md", "app\n"),
        ("repo/packages/app/.qoder/rules/app.md", "app rule\n"),
        ("repo/packages/app/src/AGENTS.md", "below cwd\n"),
    ])
}

fn startup(f: &Fixture, ws: &Workspace) -> Vec<(String, String)> {
    ws.startup
        .iter()
        .map(|item| match *item {
            StartupItem::Memory(i) => ("memory".to_string(), f.rel(&ws.memory[i].path)),
            StartupItem::Rule(i) => ("rule".to_string(), f.rel(&ws.rules[i].path)),
        })
        .collect()
}

#[test]
fn memory_loads_user_first_then_root_to_cwd_and_stops_at_the_repository() {
    let f = tree();
    let ws = f.load("repo/packages/app");
    let expected: Vec<(String, String)> = [
        ("memory", "home/.qoder/AGENTS.md"),
        ("memory", "home/.claude/CLAUDE.md"),
        ("rule", "home/.qoder/rules/user.md"),
        ("memory", "repo/AGENTS.md"),
        ("memory", "repo/CLAUDE.md"),
        ("memory", "repo/AGENTS.local.md"),
        ("rule", "repo/.qoder/rules/style.md"),
        ("rule", "repo/.claude/rules/claude.md"),
        ("memory", "repo/packages/AGENTS.md"),
        ("memory", "repo/packages/app/AGENTS.md"),
        ("rule", "repo/packages/app/.qoder/rules/app.md"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(startup(&f, &ws), expected);
    assert_eq!(ws.root, f.path("repo"));
}

#[test]
fn scopes_and_origins_are_recorded() {
    let f = tree();
    let ws = f.load("repo");
    let got: Vec<(String, Scope, Origin, LoadReason)> = ws
        .memory
        .iter()
        .map(|m| (f.rel(&m.path), m.scope, m.origin, m.reason))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "home/.qoder/AGENTS.md".into(),
                Scope::User,
                Origin::Qoder,
                LoadReason::SessionStart
            ),
            (
                "home/.claude/CLAUDE.md".into(),
                Scope::User,
                Origin::Claude,
                LoadReason::SessionStart
            ),
            (
                "repo/AGENTS.md".into(),
                Scope::Project,
                Origin::Qoder,
                LoadReason::SessionStart
            ),
            (
                "repo/CLAUDE.md".into(),
                Scope::Project,
                Origin::Claude,
                LoadReason::SessionStart
            ),
            (
                "repo/AGENTS.local.md".into(),
                Scope::Local,
                Origin::Qoder,
                LoadReason::SessionStart
            ),
        ]
    );
}

#[test]
fn ferrule_home_replaces_the_user_directory() {
    let f = tree();
    f.write(&[("alt-home/AGENTS.md", "alternative user\n")]);
    let ws = Workspace::load(&f.options("repo").with_user_dir(f.path("alt-home")));
    assert_eq!(f.rel(&ws.memory[0].path), "alt-home/AGENTS.md");
    assert!(
        ws.memory
            .iter()
            .all(|m| !m.path.starts_with(f.path("home/.qoder")))
    );
}

#[test]
fn claude_files_can_be_ignored() {
    let f = tree();
    let ws = Workspace::load(&f.options("repo").with_claude(ClaudeFiles::Ignore));
    assert!(ws.memory.iter().all(|m| m.origin == Origin::Qoder));
    assert!(ws.rules.iter().all(|r| r.origin == Origin::Qoder));
}

#[test]
fn untrusted_folder_loads_only_user_memory() {
    let f = tree();
    let ws = Workspace::load(&f.options("repo").with_trust(Trust::Untrusted));
    assert!(ws.memory.iter().all(|m| m.scope == Scope::User));
    assert!(!ws.trusted);
}

#[test]
fn context_file_name_and_excludes_come_from_options() {
    let f = tree();
    f.write(&[("repo/GUIDE.md", "guide\n")]);
    let options = f
        .options("repo")
        .with_claude(ClaudeFiles::Ignore)
        .with_context_file_names(vec!["GUIDE.md".into(), "AGENTS.md".into()])
        .with_excludes(vec!["**/repo/AGENTS.md".into()]);
    let ws = Workspace::load(&options);
    let got: Vec<String> = ws.memory.iter().map(|m| f.rel(&m.path)).collect();
    assert_eq!(
        got,
        vec![
            "home/.qoder/AGENTS.md",
            "repo/GUIDE.md",
            "repo/AGENTS.local.md"
        ]
    );
    let skipped: Vec<(String, String)> = ws
        .skipped
        .iter()
        .map(|s| (f.rel(&s.path), s.reason.clone()))
        .collect();
    assert_eq!(
        skipped,
        vec![(
            "repo/AGENTS.md".to_string(),
            "excluded by agentsMdExcludes pattern `**/repo/AGENTS.md`".to_string()
        )]
    );
}

#[test]
fn session_start_hands_out_the_startup_context_in_order() {
    let f = tree();
    let ws = Arc::new(f.load("repo"));
    let (_session, startup) = SessionMemory::start(ws);
    let got: Vec<(String, InjectReason, String)> = startup
        .iter()
        .map(|i| (f.rel(&i.path), i.reason, i.text.clone()))
        .collect();
    let memory = InjectReason::Memory(LoadReason::SessionStart);
    assert_eq!(
        got,
        vec![
            ("home/.qoder/AGENTS.md".into(), memory, "user\n".into()),
            (
                "home/.claude/CLAUDE.md".into(),
                memory,
                "claude user\n".into()
            ),
            (
                "home/.qoder/rules/user.md".into(),
                InjectReason::AlwaysOnRule,
                "user rule\n".into()
            ),
            ("repo/AGENTS.md".into(), memory, "root\n".into()),
            ("repo/CLAUDE.md".into(), memory, "claude root\n".into()),
            ("repo/AGENTS.local.md".into(), memory, "root local\n".into()),
            (
                "repo/.qoder/rules/style.md".into(),
                InjectReason::AlwaysOnRule,
                "root rule\n".into()
            ),
            (
                "repo/.claude/rules/claude.md".into(),
                InjectReason::AlwaysOnRule,
                "claude rule\n".into()
            ),
        ]
    );
}

#[test]
fn without_a_repository_only_the_cwd_is_searched() {
    let f = Fixture::new(&[
        ("plain/AGENTS.md", "plain\n"),
        ("plain/sub/AGENTS.md", "sub\n"),
    ]);
    let ws = f.load("plain/sub");
    let got: Vec<String> = ws.memory.iter().map(|m| f.rel(&m.path)).collect();
    assert_eq!(got, vec!["plain/sub/AGENTS.md"]);
}

#[test]
fn starting_in_the_home_folder_loads_the_user_folder_once() {
    let f = Fixture::new(&[
        ("home/.qoder/rules/r.md", "rule\n"),
        (
            "home/.qoder/skills/s/SKILL.md",
            "---\nname: s\ndescription: d\n---\n",
        ),
        ("home/.qoder/commands/c.md", "c\n"),
    ]);
    let ws = f.load("home");
    let rules: Vec<(String, Scope)> = ws.rules.iter().map(|r| (f.rel(&r.path), r.scope)).collect();
    assert_eq!(
        rules,
        vec![("home/.qoder/rules/r.md".to_string(), Scope::User)]
    );
    assert_eq!(ws.skills.len(), 1);
    assert_eq!(ws.commands.len(), 1);
    assert_eq!(ws.shadowed, vec![]);
}
