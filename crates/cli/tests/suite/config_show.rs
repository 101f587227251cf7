//! `ferrule config show`.

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::config_fixture::{Env, stdout};

fn layer(index: usize, scope: &str, vendor: &str, path: &str, status: &str) -> Value {
    json!({"layer": index, "scope": scope, "vendor": vendor, "path": path, "status": status, "diagnostics": []})
}

#[test]
fn show_json_lists_every_layer_the_merge_and_key_origins() {
    let env = Env::new(&[
        (
            "home/.qoder/settings.json",
            r#"{"model": "user", "permissions": {"allow": ["Read"]}}"#,
        ),
        (
            "proj/.claude/settings.json",
            r#"{"permissions": {"allow": ["Grep"]}}"#,
        ),
        ("proj/.qoder/settings.local.json", r#"{"model": "local"}"#),
    ]);
    let out = env.run(&["config", "show", "--json"], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let mut user = layer(
        1,
        "user",
        "qoder",
        &env.p("home/.qoder/settings.json"),
        "loaded",
    );
    user["settings"] = json!({"model": "user", "permissions": {"allow": ["Read"]}});
    let mut claude = layer(
        2,
        "project",
        "claude",
        &env.p("proj/.claude/settings.json"),
        "loaded",
    );
    claude["settings"] = json!({"permissions": {"allow": ["Grep"]}});
    let mut local = layer(
        5,
        "local",
        "qoder",
        &env.p("proj/.qoder/settings.local.json"),
        "loaded",
    );
    local["settings"] = json!({"model": "local"});
    let origin = |i: usize| {
        got["layers"][i].as_object().map(|l| {
        json!({"layer": l["layer"], "scope": l["scope"], "vendor": l["vendor"], "path": l["path"]})
    })
    };
    assert_eq!(
        got,
        json!({
            "layers": [
                layer(0, "user", "claude", &env.p("home/.claude/settings.json"), "missing"),
                user,
                claude,
                layer(3, "project", "qoder", &env.p("proj/.qoder/settings.json"), "missing"),
                layer(4, "local", "claude", &env.p("proj/.claude/settings.local.json"), "missing"),
                local,
                layer(6, "policy", "qoder", &env.p("policy.json"), "missing"),
            ],
            "merged": {"model": "local", "permissions": {"allow": ["Read", "Grep"]}},
            "origins": {"model": [origin(5)], "permissions": [origin(1), origin(2)]},
            "key_origins": {"model": [5], "permissions.allow": [1, 2]},
            "diagnostics": [],
        })
    );
}

#[test]
fn show_text_names_the_broken_file_position_and_exits_1() {
    let env = Env::new(&[
        ("home/.qoder/settings.json", r#"{"model": "user"}"#),
        (
            "proj/.qoder/settings.json",
            "{\n  \"permissions\": {\"allow\": \"Read\"}\n}",
        ),
    ]);
    let out = env.run(&["config", "show"], None);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let project = env.p("proj/.qoder/settings.json");
    let want_layer = format!("[3] project (qoder) {project}  -- failed");
    let want_diag = format!(
        "error: {project}:2:28: permissions.allow: invalid type: string \"Read\", expected a sequence"
    );
    assert!(text.contains(&want_layer), "{text}");
    assert!(text.contains(&want_diag), "{text}");
    let user = env.p("home/.qoder/settings.json");
    assert!(
        text.contains(&format!("  model: [1] user (qoder) {user}")),
        "{text}"
    );
}

#[test]
fn show_text_lists_nested_origins_by_layer_number() {
    let env = Env::new(&[
        (
            "home/.qoder/settings.json",
            r#"{"general": {"enableAutoUpdate": false}}"#,
        ),
        (
            "proj/.qoder/settings.json",
            r#"{"general": {"plan": {"enabled": false}}, "permissions": {"deny": ["Bash"]}}"#,
        ),
        (
            "proj/.qoder/settings.local.json",
            r#"{"permissions": {"deny": ["WebFetch"]}}"#,
        ),
    ]);
    let out = env.run(&["config", "show"], None);
    let text = stdout(&out);
    let tail = text
        .split("Where each nested value comes from (layer numbers):\n")
        .nth(1);
    assert_eq!(
        tail,
        Some(
            "  general.enableAutoUpdate: [1]\n  general.plan.enabled: [3]\n  permissions.deny: [3], [5]\n"
        ),
        "{text}"
    );
}

#[test]
fn ferrule_home_replaces_the_user_directory() {
    let env = Env::new(&[
        ("home/.qoder/settings.json", r#"{"model": "home-qoder"}"#),
        ("fhome/settings.json", r#"{"model": "ferrule-home"}"#),
    ]);
    let out = env.run(&["config", "show", "--json"], Some("fhome"));
    let got: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(got["merged"], json!({"model": "ferrule-home"}));
    assert_eq!(
        got["layers"][1]["path"],
        json!(env.p("fhome/settings.json"))
    );
}

#[test]
fn cwd_flag_inline_settings_and_sources_shape_the_layers() {
    let env = Env::new(&[
        ("home/.qoder/settings.json", r#"{"model": "user"}"#),
        (
            "other/.qoder/settings.json",
            r#"{"model": "other", "env": {"A": "1"}}"#,
        ),
    ]);
    let other = env.p("other");
    let out = env.run(
        &[
            "config",
            "show",
            "--json",
            "--cwd",
            &other,
            "--setting-sources",
            "project",
            "--settings",
            r#"{"env": {"B": "2"}}"#,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let got: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        got["merged"],
        json!({"model": "other", "env": {"A": "1", "B": "2"}})
    );
    assert_eq!(got["layers"][1]["status"], json!("skipped"));
    assert_eq!(
        got["layers"][1]["reason"],
        json!("not in --setting-sources")
    );
    assert_eq!(got["layers"][6]["path"], json!("<--settings>"));
}

#[test]
fn unknown_setting_source_is_a_usage_error() {
    let env = Env::new(&[]);
    let out = env.run(&["config", "show", "--setting-sources", "user,team"], None);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown setting source `team`"), "{err}");
}

#[test]
fn unknown_keys_are_warnings_and_do_not_fail() {
    let env = Env::new(&[("proj/.qoder/settings.json", "{\"colour\": \"red\"}")]);
    let out = env.run(&["config", "show"], None);
    assert_eq!(out.status.code(), Some(0));
    let want = format!(
        "warning: {}:1:2: colour: unknown key; kept but not used by this version",
        env.p("proj/.qoder/settings.json")
    );
    assert!(stdout(&out).contains(&want), "{}", stdout(&out));
}

#[test]
fn command_line_flags_show_as_their_own_layer() {
    let env = Env::new(&[(
        "proj/.qoder/settings.json",
        r#"{"permissions": {"allow": ["Read"]}}"#,
    )]);
    let out = env.run(
        &[
            "config",
            "show",
            "--json",
            "--allowed-tools",
            "Grep,Bash(git log --format=%h,%s)",
            "--allowed-tools",
            "Glob",
            "--disallowed-tools",
            "WebFetch",
            "--permission-mode",
            "acceptEdits",
            "--add-dir",
            "../shared",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let got: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let cli = &got["layers"][6];
    assert_eq!(
        (&cli["scope"], &cli["path"]),
        (&json!("cli_arg"), &Value::Null)
    );
    assert_eq!(
        got["merged"],
        json!({
            "permissions": {
                "allow": ["Read", "Grep", "Bash(git log --format=%h,%s)", "Glob"],
                "deny": ["WebFetch"],
                "additionalDirectories": ["../shared"]
            },
            "general": {"defaultPermissionMode": "acceptEdits"}
        })
    );
    assert_eq!(got["key_origins"]["permissions.allow"], json!([3, 6]));
}

#[test]
fn a_missing_project_directory_is_an_error_naming_it() {
    let env = Env::new(&[]);
    let missing = env.p("nowhere");
    let out = env.run(&["config", "show", "--cwd", &missing], None);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("--cwd {missing}: not a directory")),
        "{err}"
    );
}

#[test]
fn an_empty_ferrule_home_counts_as_unset() {
    let env = Env::new(&[("home/.qoder/settings.json", r#"{"model": "home-qoder"}"#)]);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ferrule"));
    let out = cmd
        .args(["config", "show", "--json"])
        .current_dir(env.path("proj"))
        .env("HOME", env.path("home"))
        .env("FERRULE_HOME", "")
        .env("FERRULE_POLICY_SETTINGS", env.path("policy.json"))
        .output()
        .unwrap();
    let got: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(got["merged"], json!({"model": "home-qoder"}));
}
