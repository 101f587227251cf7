//! Plugin manifests and what plugins contribute.

use ferrule_memory::{Scope, Workspace};
use pretty_assertions::assert_eq;
use serde_json::json;

use super::fixture::Fixture;

#[test]
fn a_plugin_contributes_commands_agents_skills_hooks_and_mcp_servers() {
    let f = Fixture::new(&[
        (
            "plug/.qoder-plugin/plugin.json",
            r#"{"name": "my-plugin", "version": "0.1.0", "keywords": ["x"]}"#,
        ),
        ("plug/commands/hello.md", "Hello from the plugin\n"),
        (
            "plug/agents/helper.md",
            "---\nname: helper\ndescription: helps\nhooks: {Stop: []}\n---\nHelp.\n",
        ),
        (
            "plug/skills/hello/SKILL.md",
            "---\nname: hello\ndescription: Greet the user.\n---\nGreet.\n",
        ),
        (
            "plug/hooks/hooks.json",
            r#"{"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "check.sh"}]}]}}"#,
        ),
        (
            "plug/.mcp.json",
            r#"{"mcpServers": {"docs": {"command": "docs-mcp"}}}"#,
        ),
        ("home/.qoder/commands/hello.md", "The user's hello wins\n"),
    ]);
    let ws = Workspace::load(&f.options("repo").with_plugin_dir(f.path("plug")));
    assert_eq!(ws.plugins.len(), 1);
    let plugin = &ws.plugins[0];
    assert_eq!(plugin.name, "my-plugin");
    assert_eq!(
        plugin.manifest.as_ref().and_then(|m| m.version.clone()),
        Some("0.1.0".into())
    );
    assert_eq!(
        plugin.hooks,
        Some(
            json!({"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "check.sh"}]}]})
        )
    );
    assert_eq!(
        plugin.mcp_servers,
        Some(json!({"docs": {"command": "docs-mcp"}}))
    );
    let skill = ws.skill("hello").expect("plugin skill");
    assert_eq!(
        (skill.scope, skill.plugin.as_deref()),
        (Scope::Plugin, Some("my-plugin"))
    );
    let helper = ws.subagent("helper").expect("plugin agent");
    assert_eq!(helper.meta.hooks, None);
    assert_eq!(ws.command("hello").expect("hello").scope, Scope::User);
    assert_eq!(ws.skipped, vec![]);
}

#[test]
fn a_plugin_without_manifest_is_named_after_its_folder_and_a_broken_one_is_skipped() {
    let f = Fixture::new(&[
        ("bare-plugin/commands/x.md", "x\n"),
        (
            "broken/.qoder-plugin/plugin.json",
            "{\n  \"name\": \"b\",\n  oops\n}",
        ),
        (
            "spaced/.qoder-plugin/plugin.json",
            r#"{"name": "has space"}"#,
        ),
    ]);
    let ws = Workspace::load(
        &f.options("repo")
            .with_plugin_dir(f.path("bare-plugin"))
            .with_plugin_dir(f.path("broken"))
            .with_plugin_dir(f.path("spaced"))
            .with_plugin_dir(f.path("missing")),
    );
    let names: Vec<&str> = ws.plugins.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["bare-plugin"]);
    let skipped: Vec<(String, Option<usize>)> = ws
        .skipped
        .iter()
        .map(|s| (f.rel(&s.path), s.line))
        .collect();
    assert_eq!(
        skipped,
        vec![
            ("broken/.qoder-plugin/plugin.json".into(), Some(3)),
            ("spaced/.qoder-plugin/plugin.json".into(), None),
            ("missing".into(), None),
        ]
    );
    assert_eq!(
        ws.command("x").expect("x").plugin.as_deref(),
        Some("bare-plugin")
    );
}
