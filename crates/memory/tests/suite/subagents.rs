//! Subagent definitions and their precedence.

use ferrule_memory::{Kind, PermissionMode, Scope};
use pretty_assertions::assert_eq;

use super::fixture::Fixture;

fn agent(name: &str, extra: &str) -> String {
    format!("---\nname: {name}\ndescription: {name} agent\n{extra}---\nYou are {name}.\n")
}

#[test]
fn project_beats_user_and_plugin_beats_project() {
    let f = Fixture::new(&[]);
    f.write(&[
        (
            "home/.qoder/agents/reviewer.md",
            &agent("reviewer", "model: lite\n"),
        ),
        ("home/.qoder/agents/solo.md", &agent("solo", "")),
        (
            "repo/.qoder/agents/any-file-name.md",
            &agent("reviewer", "permissionMode: plan\n"),
        ),
        ("repo/.qoder/agents/shared.md", &agent("shared", "")),
        (
            "plug/agents/shared.md",
            &agent("shared", "permissionMode: dontAsk\nisolation: worktree\n"),
        ),
        ("repo/.qoder/agents/no-front.md", "just text\n"),
        (
            "repo/.qoder/agents/bad.md",
            "---\nname: bad\ndescription: d\nmaxTurns: 0\n---\n",
        ),
    ]);
    let ws = ferrule_memory::Workspace::load(&f.options("repo").with_plugin_dir(f.path("plug")));
    let got: Vec<(String, Scope, String)> = ws
        .subagents
        .iter()
        .map(|a| (a.name.clone(), a.scope, f.rel(&a.path)))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "reviewer".into(),
                Scope::Project,
                "repo/.qoder/agents/any-file-name.md".into()
            ),
            (
                "shared".into(),
                Scope::Plugin,
                "plug/agents/shared.md".into()
            ),
            (
                "solo".into(),
                Scope::User,
                "home/.qoder/agents/solo.md".into()
            ),
        ]
    );
    let reviewer = ws.subagent("reviewer").expect("reviewer");
    assert_eq!(reviewer.meta.permission_mode, Some(PermissionMode::Plan));
    assert_eq!(reviewer.prompt, "You are reviewer.\n");
    let shared = ws.subagent("shared").expect("shared");
    assert_eq!(
        (
            shared.meta.permission_mode,
            shared.meta.isolation.as_deref()
        ),
        (None, Some("worktree"))
    );
    assert_eq!(shared.plugin.as_deref(), Some("plug"));
    let shadowed: Vec<(String, String)> = ws
        .shadowed
        .iter()
        .filter(|s| s.kind == Kind::Subagent)
        .map(|s| (f.rel(&s.path), f.rel(&s.by)))
        .collect();
    assert_eq!(
        shadowed,
        vec![
            (
                "home/.qoder/agents/reviewer.md".into(),
                "repo/.qoder/agents/any-file-name.md".into()
            ),
            (
                "repo/.qoder/agents/shared.md".into(),
                "plug/agents/shared.md".into()
            ),
        ]
    );
    let skipped: Vec<(String, Option<usize>)> = ws
        .skipped
        .iter()
        .map(|s| (f.rel(&s.path), s.line))
        .collect();
    assert_eq!(
        skipped,
        vec![
            ("repo/.qoder/agents/bad.md".into(), Some(4)),
            ("repo/.qoder/agents/no-front.md".into(), Some(1))
        ]
    );
}

#[test]
fn agents_flag_json_ranks_above_every_file() {
    let f = Fixture::new(&[("repo/.qoder/agents/r.md", &agent("api-reviewer", ""))]);
    let json = r#"{
        "api-reviewer": {"description": "Review APIs", "prompt": "You are an API reviewer.", "tools": ["Read", "Grep"], "maxTurns": 6, "timeoutMins": 3},
        "no-desc": {"prompt": "x"},
        "bad": {"description": "d", "maxTurns": -1}
    }"#;
    let ws = ferrule_memory::Workspace::load(&f.options("repo").with_flag_agents(json));
    let reviewer = ws.subagent("api-reviewer").expect("flag agent");
    assert_eq!(
        (
            reviewer.scope,
            reviewer.prompt.as_str(),
            reviewer.meta.max_turns,
            reviewer.meta.timeout_mins
        ),
        (
            Scope::Flag,
            "You are an API reviewer.",
            Some(ferrule_memory::Positive(6)),
            None
        )
    );
    assert_eq!(ws.subagents.len(), 1);
    let reasons: Vec<String> = ws.skipped.iter().map(|s| s.reason.clone()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons[0].starts_with("--agents `no-desc`: `description` is required"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].starts_with("--agents `bad`: expected a positive integer"),
        "{reasons:?}"
    );
    let warnings: Vec<String> = ws.warnings.iter().map(|w| w.message.clone()).collect();
    assert_eq!(
        warnings,
        vec![
            "--agents `api-reviewer`: `timeoutMins` is not supported in --agents JSON and is ignored; use a Markdown definition"
        ]
    );
}
