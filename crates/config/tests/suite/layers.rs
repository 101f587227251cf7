//! Which files load, in which order, and who wins.

use std::collections::HashMap;

use ferrule_config::{CliArgs, LayerStatus, Scope, SettingSource, Settings, Trust, Vendor, load};
use pretty_assertions::assert_eq;

use super::fixture::Tree;

const ALL_FILES: [(&str, &str); 6] = [
    ("home/.claude/settings.json", r#"{"model": "claude-user"}"#),
    ("home/.qoder/settings.json", r#"{"model": "qoder-user"}"#),
    (
        "proj/.claude/settings.json",
        r#"{"model": "claude-project"}"#,
    ),
    ("proj/.qoder/settings.json", r#"{"model": "qoder-project"}"#),
    (
        "proj/.claude/settings.local.json",
        r#"{"model": "claude-local"}"#,
    ),
    (
        "proj/.qoder/settings.local.json",
        r#"{"model": "qoder-local"}"#,
    ),
];

fn model(s: &Settings) -> Option<&str> {
    s.model.as_deref()
}

#[test]
fn every_layer_loads_in_precedence_order() {
    let tree = Tree::new(&ALL_FILES);
    tree.write("proj/flag.json", r#"{"model": "flag"}"#);
    tree.write("policy.json", r#"{"model": "policy"}"#);
    let mut opts = tree.options();
    opts.settings_flag = Some("flag.json".to_owned());
    opts.cli_args = CliArgs {
        model: Some("cli".to_owned()),
        ..CliArgs::default()
    };
    opts.session = Some(Settings {
        model: Some("session".to_owned()),
        ..Settings::default()
    });
    opts.policy_path = Some(tree.path("policy.json"));
    let loaded = load(&opts);
    let order: Vec<(Scope, Vendor, LayerStatus, Option<&str>)> = loaded
        .layers
        .iter()
        .map(|l| (l.scope, l.vendor, l.status.clone(), model(&l.settings)))
        .collect();
    use LayerStatus::Loaded;
    assert_eq!(
        order,
        vec![
            (Scope::User, Vendor::Claude, Loaded, Some("claude-user")),
            (Scope::User, Vendor::Qoder, Loaded, Some("qoder-user")),
            (
                Scope::Project,
                Vendor::Claude,
                Loaded,
                Some("claude-project")
            ),
            (Scope::Project, Vendor::Qoder, Loaded, Some("qoder-project")),
            (Scope::Local, Vendor::Claude, Loaded, Some("claude-local")),
            (Scope::Local, Vendor::Qoder, Loaded, Some("qoder-local")),
            (Scope::Flag, Vendor::Qoder, Loaded, Some("flag")),
            (Scope::CliArg, Vendor::Qoder, Loaded, Some("cli")),
            (Scope::Session, Vendor::Qoder, Loaded, Some("session")),
            (Scope::Policy, Vendor::Qoder, Loaded, Some("policy")),
        ]
    );
    assert_eq!(model(&loaded.merged), Some("policy"));
    assert_eq!(loaded.top_level_origins.get("model"), Some(&vec![9]));
    assert_eq!(loaded.diagnostics, vec![]);
}

#[test]
fn each_file_layer_overrides_every_lower_one() {
    // Adding the files one by one, lowest first: the newest always wins.
    for n in 1..=ALL_FILES.len() {
        let tree = Tree::new(&ALL_FILES[..n]);
        let loaded = load(&tree.options());
        let want = ALL_FILES[n - 1].1.split('"').nth(3);
        assert_eq!(model(&loaded.merged), want, "with the first {n} files");
    }
}

#[test]
fn claude_file_ranks_below_qoder_file_of_the_same_level() {
    let tree = Tree::new(&[
        (
            "proj/.claude/settings.json",
            r#"{"model": "c", "env": {"ONLY_CLAUDE": "1", "BOTH": "c"}}"#,
        ),
        ("proj/.qoder/settings.json", r#"{"env": {"BOTH": "q"}}"#),
        ("home/.qoder/settings.json", r#"{"model": "user"}"#),
    ]);
    let merged = load(&tree.options()).merged;
    assert_eq!(
        merged.model.as_deref(),
        Some("c"),
        "claude project beats qoder user"
    );
    let env: Vec<(String, String)> = merged.env.unwrap().into_iter().collect();
    assert_eq!(
        env,
        vec![
            ("BOTH".into(), "q".into()),
            ("ONLY_CLAUDE".into(), "1".into())
        ]
    );
}

#[test]
fn missing_files_are_noted_without_diagnostics() {
    let tree = Tree::new(&[]);
    let loaded = load(&tree.options());
    assert!(
        loaded
            .layers
            .iter()
            .all(|l| l.status == LayerStatus::Missing)
    );
    assert_eq!(loaded.layers.len(), 6);
    assert_eq!(loaded.merged, Settings::default());
    assert_eq!(loaded.diagnostics, vec![]);
}

#[test]
fn user_dir_option_replaces_home_qoder() {
    let tree = Tree::new(&[
        ("home/.qoder/settings.json", r#"{"model": "home"}"#),
        ("elsewhere/settings.json", r#"{"model": "elsewhere"}"#),
    ]);
    let mut opts = tree.options();
    opts.user_dir = Some(tree.path("elsewhere"));
    let loaded = load(&opts);
    assert_eq!(loaded.merged.model.as_deref(), Some("elsewhere"));
    assert_eq!(
        loaded.layers[1].path,
        Some(tree.path("elsewhere/settings.json"))
    );
}

#[test]
fn inline_settings_flag_is_a_layer_above_local() {
    let tree = Tree::new(&[("proj/.qoder/settings.local.json", r#"{"model": "local"}"#)]);
    let mut opts = tree.options();
    opts.settings_flag =
        Some(r#"  {"model": "inline", "permissions": {"allow": ["Read"]}}"#.to_owned());
    let loaded = load(&opts);
    let flag = loaded.layers.last().unwrap();
    assert_eq!(
        (flag.scope, flag.path.as_deref()),
        (Scope::Flag, Some(std::path::Path::new("<--settings>")))
    );
    assert_eq!(loaded.merged.model.as_deref(), Some("inline"));
}

#[test]
fn setting_sources_limit_which_files_load() {
    let tree = Tree::new(&ALL_FILES);
    let mut opts = tree.options();
    opts.setting_sources = Some(vec![SettingSource::User]);
    let loaded = load(&opts);
    assert_eq!(loaded.merged.model.as_deref(), Some("qoder-user"));
    let skipped = loaded
        .layers
        .iter()
        .filter(|l| l.status == LayerStatus::Skipped("not in --setting-sources".to_owned()))
        .count();
    assert_eq!(skipped, 4);
    opts.setting_sources = Some(vec![]);
    assert_eq!(load(&opts).merged, Settings::default());
}

#[test]
fn untrusted_folder_skips_project_and_local_files() {
    let tree = Tree::new(&ALL_FILES);
    let mut opts = tree.options();
    opts.trust = Trust::Untrusted;
    let loaded = load(&opts);
    assert_eq!(loaded.merged.model.as_deref(), Some("qoder-user"));
    let statuses: Vec<&LayerStatus> = loaded.layers.iter().map(|l| &l.status).collect();
    let untrusted = LayerStatus::Skipped("the folder is not trusted".to_owned());
    assert_eq!(
        statuses,
        vec![
            &LayerStatus::Loaded,
            &LayerStatus::Loaded,
            &untrusted,
            &untrusted,
            &untrusted,
            &untrusted
        ]
    );
}

#[test]
fn cli_args_become_a_layer_of_rules_mode_and_dirs() {
    let tree = Tree::new(&[(
        "proj/.qoder/settings.json",
        r#"{"permissions": {"allow": ["Read"]}, "general": {"defaultPermissionMode": "default"}}"#,
    )]);
    let mut opts = tree.options();
    opts.cli_args = CliArgs {
        permission_mode: Some("acceptEdits".to_owned()),
        allowed_tools: ferrule_config::split_rule_list("Grep,Bash(git status)"),
        disallowed_tools: vec!["WebFetch".to_owned()],
        add_dirs: vec!["../shared".to_owned()],
        model: None,
    };
    let loaded = load(&opts);
    let p = loaded.merged.permissions.clone().unwrap();
    assert_eq!(p.allow, vec!["Read", "Grep", "Bash(git status)"]);
    assert_eq!(p.deny, vec!["WebFetch"]);
    assert_eq!(p.additional_directories, vec!["../shared"]);
    assert_eq!(loaded.merged.default_permission_mode(), Some("acceptEdits"));
    let cli = loaded
        .layers
        .iter()
        .find(|l| l.scope == Scope::CliArg)
        .unwrap();
    assert_eq!(
        cli.project_root.as_deref(),
        Some(tree.path("proj").as_path())
    );
}

#[test]
fn mcp_server_variables_expand_from_the_environment() {
    let tree = Tree::new(&[(
        "proj/.qoder/settings.local.json",
        r#"{"mcpServers": {
            "ok": {"command": "${BIN:-npx}", "args": ["--token", "${TOKEN}"], "headers": {"X": "${TOKEN}"}},
            "broken": {"url": "https://${HOST}/mcp"}
        }}"#,
    )]);
    let mut opts = tree.options();
    opts.env = Some(HashMap::from([("TOKEN".to_owned(), "t0k".to_owned())]));
    let loaded = load(&opts);
    let servers = loaded.merged.mcp_servers.unwrap();
    assert_eq!(
        serde_json::to_value(&servers).unwrap(),
        serde_json::json!({"ok": {"command": "npx", "args": ["--token", "t0k"], "headers": {"X": "t0k"}}})
    );
    assert_eq!(loaded.diagnostics.len(), 1);
    let d = &loaded.diagnostics[0];
    assert_eq!(d.path, tree.path("proj/.qoder/settings.local.json"));
    assert_eq!(d.json_path.as_deref(), Some("mcpServers.broken.url"));
    assert!(
        d.message.contains("`broken`") && d.message.contains("`HOST`"),
        "{}",
        d.message
    );
}

#[test]
fn layers_carry_their_rule_anchor() {
    let tree = Tree::new(&ALL_FILES);
    let loaded = load(&tree.options());
    let roots: Vec<Option<&std::path::Path>> = loaded
        .layers
        .iter()
        .map(|l| l.project_root.as_deref())
        .collect();
    let proj = tree.path("proj");
    let p = Some(proj.as_path());
    assert_eq!(roots, vec![None, None, p, p, p, p]);
}

#[test]
fn settings_flag_file_may_start_at_home() {
    let tree = Tree::new(&[("home/extra.json", r#"{"model": "from-home"}"#)]);
    let mut opts = tree.options();
    opts.settings_flag = Some("~/extra.json".to_owned());
    let loaded = load(&opts);
    assert_eq!(loaded.merged.model.as_deref(), Some("from-home"));
    assert_eq!(loaded.layers[6].path, Some(tree.path("home/extra.json")));
}
