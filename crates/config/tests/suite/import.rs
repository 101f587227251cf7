//! `import`: Claude Code files into Qoder files.

use ferrule_config::{ImportAction, ImportKind, ImportMode, ImportOptions, ImportScope, import};
use pretty_assertions::assert_eq;
use serde_json::json;

use super::fixture::Tree;

fn opts(tree: &Tree, scope: ImportScope, mode: ImportMode) -> ImportOptions {
    ImportOptions {
        cwd: tree.path("proj"),
        home: tree.path("home"),
        user_dir: tree.path("home/.qoder"),
        scope,
        mode,
    }
}

fn claude_project() -> Tree {
    Tree::new(&[
        ("proj/CLAUDE.md", "# Project memory\n"),
        (
            "proj/.claude/settings.json",
            r#"{"permissions": {"allow": ["Read", "Bash(npm test:*)"]}, "model": "opus", "env": {"A": "1"}}"#,
        ),
        (
            "proj/.claude/settings.local.json",
            r#"{"permissions": {"deny": ["WebFetch"]}}"#,
        ),
        ("proj/.claude/skills/pdf/SKILL.md", "---\nname: pdf\n---\n"),
        ("proj/.claude/skills/pdf/scripts/x.py", "print(1)\n"),
        (
            "proj/.claude/agents/reviewer.md",
            "---\nname: reviewer\n---\n",
        ),
        ("proj/.claude/commands/fix.md", "Fix $ARGUMENTS\n"),
    ])
}

fn action(tree: &Tree, from: &str, to: &str, kind: ImportKind) -> ImportAction {
    ImportAction {
        from: tree.path(from),
        to: tree.path(to),
        kind,
    }
}

fn all_creates(tree: &Tree) -> Vec<ImportAction> {
    vec![
        action(tree, "proj/CLAUDE.md", "proj/AGENTS.md", ImportKind::Create),
        action(
            tree,
            "proj/.claude/settings.json",
            "proj/.qoder/settings.json",
            ImportKind::Create,
        ),
        action(
            tree,
            "proj/.claude/settings.local.json",
            "proj/.qoder/settings.local.json",
            ImportKind::Create,
        ),
        action(
            tree,
            "proj/.claude/skills/pdf/SKILL.md",
            "proj/.qoder/skills/pdf/SKILL.md",
            ImportKind::Create,
        ),
        action(
            tree,
            "proj/.claude/skills/pdf/scripts/x.py",
            "proj/.qoder/skills/pdf/scripts/x.py",
            ImportKind::Create,
        ),
        action(
            tree,
            "proj/.claude/agents/reviewer.md",
            "proj/.qoder/agents/reviewer.md",
            ImportKind::Create,
        ),
        action(
            tree,
            "proj/.claude/commands/fix.md",
            "proj/.qoder/commands/fix.md",
            ImportKind::Create,
        ),
    ]
}

#[test]
fn dry_run_reports_every_file_and_writes_nothing() {
    let tree = claude_project();
    let actions = import(&opts(&tree, ImportScope::Project, ImportMode::DryRun)).unwrap();
    assert_eq!(actions, all_creates(&tree));
    assert!(!tree.exists("proj/AGENTS.md"));
    assert!(!tree.exists("proj/.qoder"));
}

#[test]
fn import_copies_memory_settings_and_definition_trees() {
    let tree = claude_project();
    let actions = import(&opts(&tree, ImportScope::Project, ImportMode::Write)).unwrap();
    assert_eq!(actions, all_creates(&tree));
    assert_eq!(tree.read("proj/AGENTS.md"), "# Project memory\n");
    assert_eq!(
        tree.read("proj/.qoder/skills/pdf/scripts/x.py"),
        "print(1)\n"
    );
    assert_eq!(tree.read("proj/.qoder/commands/fix.md"), "Fix $ARGUMENTS\n");
    assert_eq!(
        tree.read("proj/.qoder/settings.json"),
        tree.read("proj/.claude/settings.json")
    );
    // The imported files load as ordinary Qoder settings.
    let loaded = ferrule_config::load(&tree.options());
    assert_eq!(loaded.merged.model.as_deref(), Some("opus"));
}

#[test]
fn running_import_twice_reports_everything_as_present() {
    let tree = claude_project();
    import(&opts(&tree, ImportScope::Project, ImportMode::Write)).unwrap();
    let again = import(&opts(&tree, ImportScope::Project, ImportMode::Write)).unwrap();
    assert!(
        again.iter().all(|a| a.kind == ImportKind::AlreadyPresent),
        "{again:#?}"
    );
    assert_eq!(again.len(), 7);
}

#[test]
fn settings_merge_into_an_existing_qoder_file_without_losing_keys() {
    let tree = claude_project();
    tree.write(
        "proj/.qoder/settings.json",
        r#"{"permissions": {"allow": ["Read", "Grep"]}, "model": "qoder-model", "general": {"enableAutoUpdate": false}}"#,
    );
    let actions = import(&opts(&tree, ImportScope::Project, ImportMode::Write)).unwrap();
    assert_eq!(
        actions[1],
        action(
            &tree,
            "proj/.claude/settings.json",
            "proj/.qoder/settings.json",
            ImportKind::Merge {
                added: vec![
                    "permissions.allow[\"Bash(npm test:*)\"]".to_owned(),
                    "env".to_owned()
                ],
                kept: vec!["model".to_owned()],
            }
        )
    );
    let merged: serde_json::Value =
        serde_json::from_str(&tree.read("proj/.qoder/settings.json")).unwrap();
    assert_eq!(
        merged,
        json!({
            "permissions": {"allow": ["Read", "Grep", "Bash(npm test:*)"]},
            "model": "qoder-model",
            "general": {"enableAutoUpdate": false},
            "env": {"A": "1"}
        })
    );
}

#[test]
fn different_existing_file_is_a_conflict_and_left_alone() {
    let tree = claude_project();
    tree.write("proj/AGENTS.md", "# Mine\n");
    tree.write("proj/.qoder/agents/reviewer.md", "different\n");
    let actions = import(&opts(&tree, ImportScope::Project, ImportMode::Write)).unwrap();
    let conflict = ImportKind::Conflict {
        reason: "the target exists with different content; not overwritten".to_owned(),
    };
    assert_eq!(
        actions[0],
        action(&tree, "proj/CLAUDE.md", "proj/AGENTS.md", conflict.clone())
    );
    assert_eq!(
        actions[5],
        action(
            &tree,
            "proj/.claude/agents/reviewer.md",
            "proj/.qoder/agents/reviewer.md",
            conflict
        )
    );
    assert_eq!(tree.read("proj/AGENTS.md"), "# Mine\n");
    assert_eq!(tree.read("proj/.qoder/agents/reviewer.md"), "different\n");
    assert_eq!(tree.read("proj/.qoder/commands/fix.md"), "Fix $ARGUMENTS\n");
}

#[test]
fn broken_settings_on_either_side_is_a_conflict_naming_the_position() {
    let tree = claude_project();
    tree.write("proj/.qoder/settings.local.json", "{\"permissions\": [}");
    let actions = import(&opts(&tree, ImportScope::Project, ImportMode::Write)).unwrap();
    let ImportKind::Conflict { reason } = &actions[2].kind else {
        panic!("expected a conflict, got {:?}", actions[2]);
    };
    let path = tree.path("proj/.qoder/settings.local.json");
    assert!(
        reason.contains(&format!("{}:1:18", path.display())),
        "{reason}"
    );
    assert_eq!(
        tree.read("proj/.qoder/settings.local.json"),
        "{\"permissions\": [}"
    );
}

#[test]
fn user_scope_imports_home_claude_into_the_user_dir() {
    let tree = Tree::new(&[
        ("home/.claude/CLAUDE.md", "user memory\n"),
        ("home/.claude/settings.json", r#"{"model": "m"}"#),
        ("home/.claude/commands/a.md", "A\n"),
        ("proj/CLAUDE.md", "project memory\n"),
    ]);
    let actions = import(&opts(&tree, ImportScope::User, ImportMode::Write)).unwrap();
    assert_eq!(
        actions,
        vec![
            action(
                &tree,
                "home/.claude/CLAUDE.md",
                "home/.qoder/AGENTS.md",
                ImportKind::Create
            ),
            action(
                &tree,
                "home/.claude/settings.json",
                "home/.qoder/settings.json",
                ImportKind::Create
            ),
            action(
                &tree,
                "home/.claude/commands/a.md",
                "home/.qoder/commands/a.md",
                ImportKind::Create
            ),
        ]
    );
    assert_eq!(tree.read("home/.qoder/AGENTS.md"), "user memory\n");
    assert!(!tree.exists("proj/AGENTS.md"));
}

#[test]
fn nothing_to_import_is_an_empty_report() {
    let tree = Tree::new(&[]);
    let actions = import(&opts(&tree, ImportScope::Project, ImportMode::Write)).unwrap();
    assert_eq!(actions, vec![]);
    assert!(
        tree.root()
            .join("proj")
            .read_dir()
            .unwrap()
            .next()
            .is_none()
    );
}
