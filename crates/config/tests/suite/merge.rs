//! How values from several files combine.

use ferrule_config::load;
use pretty_assertions::assert_eq;
use serde_json::json;

use super::fixture::Tree;

#[test]
fn permission_lists_combine_over_all_files_without_duplicates() {
    let tree = Tree::new(&[
        (
            "home/.qoder/settings.json",
            r#"{"permissions": {"allow": ["Read", "Grep"], "deny": ["Read(*.pem)"], "additionalDirectories": ["~/shared"]}}"#,
        ),
        (
            "proj/.claude/settings.json",
            r#"{"permissions": {"ask": ["Bash(git push:*)"], "allow": ["Grep"]}}"#,
        ),
        (
            "proj/.qoder/settings.json",
            r#"{"permissions": {"allow": ["Edit(/src/**)", "Read"], "deny": ["Bash(rm -rf:*)"]}}"#,
        ),
        (
            "proj/.qoder/settings.local.json",
            r#"{"permissions": {"allow": ["Bash(npm test:*)"], "additionalDirectories": ["../lib", "~/shared"]}}"#,
        ),
    ]);
    let loaded = load(&tree.options());
    assert_eq!(
        serde_json::to_value(&loaded.merged).unwrap(),
        json!({"permissions": {
            "allow": ["Read", "Grep", "Edit(/src/**)", "Bash(npm test:*)"],
            "deny": ["Read(*.pem)", "Bash(rm -rf:*)"],
            "ask": ["Bash(git push:*)"],
            "additionalDirectories": ["~/shared", "../lib"]
        }})
    );
    let allow_origins = loaded
        .origins
        .get(&vec!["permissions".to_owned(), "allow".to_owned()]);
    assert_eq!(allow_origins, Some(&vec![1, 3, 5]));
    assert_eq!(
        loaded.top_level_origins.get("permissions"),
        Some(&vec![1, 2, 3, 5])
    );
}

#[test]
fn objects_merge_deeply_and_scalars_take_the_higher_value() {
    let tree = Tree::new(&[
        (
            "home/.qoder/settings.json",
            r#"{"general": {"enableAutoUpdate": false, "plan": {"enabled": true}}, "security": {"disableYoloMode": true}, "enabledPlugins": {"a@local": true}}"#,
        ),
        (
            "proj/.qoder/settings.json",
            r#"{"general": {"plan": {"enabled": false}, "defaultPermissionMode": "plan"}, "enabledPlugins": {"b@local": true}}"#,
        ),
        (
            "proj/.qoder/settings.local.json",
            r#"{"general": {"defaultPermissionMode": "auto"}, "enabledPlugins": {"a@local": false}}"#,
        ),
    ]);
    let merged = load(&tree.options()).merged;
    assert_eq!(
        serde_json::to_value(&merged).unwrap(),
        json!({
            "general": {"defaultPermissionMode": "auto", "plan": {"enabled": false}, "enableAutoUpdate": false},
            "security": {"disableYoloMode": true},
            "enabledPlugins": {"a@local": false, "b@local": true}
        })
    );
}

#[test]
fn non_permission_arrays_are_replaced_not_combined() {
    let tree = Tree::new(&[
        (
            "home/.qoder/settings.json",
            r#"{"tools": {"exclude": ["WebSearch"]}, "agentsMdExcludes": ["a/**"]}"#,
        ),
        (
            "proj/.qoder/settings.json",
            r#"{"tools": {"exclude": ["Bash"]}}"#,
        ),
    ]);
    let merged = load(&tree.options()).merged;
    assert_eq!(
        serde_json::to_value(&merged).unwrap(),
        json!({"tools": {"exclude": ["Bash"]}, "agentsMdExcludes": ["a/**"]})
    );
}

#[test]
fn hooks_of_an_event_from_every_file_all_run() {
    let hook = |cmd: &str| json!({"hooks": [{"type": "command", "command": cmd}]});
    let tree = Tree::new(&[
        (
            "home/.qoder/settings.json",
            &json!({"hooks": {"Stop": [hook("user")]}}).to_string(),
        ),
        (
            "proj/.qoder/settings.json",
            &json!({"hooks": {"Stop": [hook("project")], "PreToolUse": [hook("pre")]}}).to_string(),
        ),
        (
            "proj/.qoder/settings.local.json",
            &json!({"hooks": {"Stop": [hook("user")]}}).to_string(),
        ),
    ]);
    let merged = load(&tree.options()).merged;
    assert_eq!(
        serde_json::to_value(merged.hooks).unwrap(),
        json!({"PreToolUse": [hook("pre")], "Stop": [hook("user"), hook("project")]})
    );
}

#[test]
fn same_named_mcp_server_is_replaced_whole_by_the_higher_file() {
    let tree = Tree::new(&[
        (
            "home/.qoder/settings.json",
            r#"{"mcpServers": {"gh": {"command": "old", "env": {"A": "1"}}, "docs": {"url": "u"}}}"#,
        ),
        (
            "proj/.qoder/settings.local.json",
            r#"{"mcpServers": {"gh": {"command": "new"}}}"#,
        ),
    ]);
    let merged = load(&tree.options()).merged;
    assert_eq!(
        serde_json::to_value(merged.mcp_servers).unwrap(),
        json!({"docs": {"url": "u"}, "gh": {"command": "new"}})
    );
}

#[test]
fn auto_mode_from_project_settings_is_ignored_with_a_warning() {
    let tree = Tree::new(&[
        (
            "home/.qoder/settings.json",
            r#"{"autoMode": {"allow": ["running tests"]}}"#,
        ),
        (
            "proj/.qoder/settings.json",
            r#"{"autoMode": {"allow": ["anything at all"], "environment": ["evil"]}}"#,
        ),
    ]);
    let loaded = load(&tree.options());
    assert_eq!(
        serde_json::to_value(&loaded.merged).unwrap(),
        json!({"autoMode": {"allow": ["running tests"]}})
    );
    assert_eq!(loaded.diagnostics.len(), 1);
    assert_eq!(
        loaded.diagnostics[0].path,
        tree.path("proj/.qoder/settings.json")
    );
    assert_eq!(loaded.diagnostics[0].json_path.as_deref(), Some("autoMode"));
}

#[test]
fn managed_rules_only_policy_drops_every_other_rule() {
    let tree = Tree::new(&[
        (
            "proj/.qoder/settings.json",
            r#"{"permissions": {"allow": ["Bash"], "additionalDirectories": ["../x"]}}"#,
        ),
        (
            "policy.json",
            r#"{"allowManagedPermissionRulesOnly": true, "permissions": {"deny": ["WebFetch"]}}"#,
        ),
    ]);
    let mut opts = tree.options();
    opts.policy_path = Some(tree.path("policy.json"));
    let loaded = load(&opts);
    assert_eq!(
        serde_json::to_value(&loaded.merged).unwrap(),
        json!({
            "permissions": {"deny": ["WebFetch"], "additionalDirectories": ["../x"]},
            "allowManagedPermissionRulesOnly": true
        })
    );
    assert_eq!(loaded.diagnostics.len(), 1);
    assert!(
        loaded.diagnostics[0]
            .message
            .contains("allowManagedPermissionRulesOnly")
    );
}
