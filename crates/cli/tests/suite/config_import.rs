//! `ferrule config import`.

use pretty_assertions::assert_eq;

use super::config_fixture::{Env, stdout};

fn claude_project() -> Env {
    Env::new(&[
        ("proj/CLAUDE.md", "memory\n"),
        (
            "proj/.claude/settings.json",
            r#"{"permissions": {"allow": ["Read"]}}"#,
        ),
        ("proj/.claude/commands/fix.md", "Fix it\n"),
    ])
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let env = claude_project();
    let out = env.run(&["config", "import", "--dry-run"], None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        format!(
            "dry run: nothing is written\n\
             create    {} -> {}\n\
             create    {} -> {}\n\
             create    {} -> {}\n",
            env.p("proj/CLAUDE.md"),
            env.p("proj/AGENTS.md"),
            env.p("proj/.claude/settings.json"),
            env.p("proj/.qoder/settings.json"),
            env.p("proj/.claude/commands/fix.md"),
            env.p("proj/.qoder/commands/fix.md"),
        )
    );
    assert!(!env.path("proj/AGENTS.md").exists());
    assert!(!env.path("proj/.qoder").exists());
}

#[test]
fn import_merges_settings_and_reports_conflicts_with_exit_1() {
    let env = claude_project();
    env.write("proj/AGENTS.md", "my own memory\n");
    env.write(
        "proj/.qoder/settings.json",
        r#"{"permissions": {"allow": ["Grep"]}, "model": "m"}"#,
    );
    let out = env.run(&["config", "import"], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        format!(
            "conflict  {} -> {}: the target exists with different content; not overwritten\n\
             merge     {} -> {} (added: permissions.allow[\"Read\"])\n\
             create    {} -> {}\n",
            env.p("proj/CLAUDE.md"),
            env.p("proj/AGENTS.md"),
            env.p("proj/.claude/settings.json"),
            env.p("proj/.qoder/settings.json"),
            env.p("proj/.claude/commands/fix.md"),
            env.p("proj/.qoder/commands/fix.md"),
        )
    );
    assert_eq!(
        std::fs::read_to_string(env.path("proj/AGENTS.md")).unwrap(),
        "my own memory\n"
    );
    let merged: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(env.path("proj/.qoder/settings.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        merged,
        serde_json::json!({"permissions": {"allow": ["Grep", "Read"]}, "model": "m"})
    );
}

#[test]
fn user_import_writes_into_ferrule_home() {
    let env = Env::new(&[("home/.claude/settings.json", r#"{"model": "x"}"#)]);
    let out = env.run(&["config", "import", "--user"], Some("fhome"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(env.path("fhome/settings.json")).unwrap(),
        r#"{"model": "x"}"#
    );
    let again = env.run(&["config", "import", "--user"], Some("fhome"));
    assert_eq!(
        stdout(&again),
        format!(
            "present   {} -> {} (already imported)\n",
            env.p("home/.claude/settings.json"),
            env.p("fhome/settings.json")
        )
    );
}

#[test]
fn nothing_to_import_says_so() {
    let env = Env::new(&[]);
    let out = env.run(&["config", "import"], None);
    assert_eq!(
        (out.status.code(), stdout(&out)),
        (Some(0), "no Claude Code files found\n".to_owned())
    );
}
