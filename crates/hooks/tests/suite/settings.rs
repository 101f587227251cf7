//! Hooks from real settings files through ferrule-config: diagnostics with
//! file and JSON path, and folder trust.

use anyhow::Result;
use ferrule_config::{LoadOptions, load};
use ferrule_hooks::{Dispatcher, FolderTrust, HookEvent, HookInput, TrustStore};
use pretty_assertions::assert_eq;
use serde_json::json;

use super::support::common;

fn project(hooks: serde_json::Value) -> Result<(tempfile::TempDir, LoadOptions)> {
    let root = tempfile::tempdir()?;
    let project = root.path().join("proj");
    let user = root.path().join("user");
    std::fs::create_dir_all(project.join(".qoder"))?;
    std::fs::create_dir_all(&user)?;
    std::fs::write(
        project.join(".qoder/settings.json"),
        json!({"hooks": hooks}).to_string(),
    )?;
    let mut opts = LoadOptions::new(&project);
    opts.user_dir = Some(user);
    opts.home = Some(root.path().join("home"));
    Ok((root, opts))
}

#[tokio::test]
async fn project_hooks_run_in_a_trusted_folder_and_not_in_an_untrusted_one() -> Result<()> {
    let (root, opts) = project(
        json!({"Stop": [{"hooks": [{"type": "command", "command": "echo ran >> ran.txt"}]}]}),
    )?;
    let loaded = load(&opts);
    let input = HookInput::sample(HookEvent::Stop, common(&opts.cwd), None);
    let settings_path = opts.cwd.join(".qoder/settings.json");

    // Nothing trusts the folder: its hooks are skipped, and the skip says why.
    let store = TrustStore::from_settings(&loaded, opts.home.as_deref());
    assert!(!store.is_trusted(&opts.cwd));
    let untrusted = Dispatcher::builder(&opts.cwd)
        .settings(&loaded, FolderTrust::Untrusted)
        .build();
    assert!(!untrusted.has_hooks(HookEvent::Stop));
    assert_eq!(untrusted.dispatch(&input).await.runs.len(), 0);
    assert_eq!(untrusted.skipped()[0].path, settings_path);
    assert!(!opts.cwd.join("ran.txt").exists());

    // The user's `permissions.trustDirectories` trusts it.
    let user_settings = json!({"permissions": {"trustDirectories": [root.path().join("proj").display().to_string()]}});
    std::fs::write(
        opts.resolved_user_dir()
            .unwrap_or_default()
            .join("settings.json"),
        user_settings.to_string(),
    )?;
    let loaded = load(&opts);
    let store = TrustStore::from_settings(&loaded, opts.home.as_deref());
    assert!(store.is_trusted(&opts.cwd.join("sub/dir")));
    let trusted = Dispatcher::builder(&opts.cwd)
        .settings(&loaded, FolderTrust::Trusted)
        .build();
    assert_eq!(trusted.dispatch(&input).await.runs.len(), 1);
    assert_eq!(std::fs::read_to_string(opts.cwd.join("ran.txt"))?, "ran\n");
    Ok(())
}

#[test]
fn project_settings_cannot_trust_their_own_folder() -> Result<()> {
    let (_root, opts) = project(json!({}))?;
    let text = json!({"permissions": {"trustDirectories": [opts.cwd.display().to_string()]}});
    std::fs::write(opts.cwd.join(".qoder/settings.json"), text.to_string())?;
    let store = TrustStore::from_settings(&load(&opts), opts.home.as_deref());
    assert!(!store.is_trusted(&opts.cwd));
    Ok(())
}

#[test]
fn bad_hook_entries_name_the_file_and_json_path_and_the_rest_loads() -> Result<()> {
    let (_root, opts) = project(json!({
        "PreToolUse": [{"matcher": "Bash", "hooks": [
            {"type": "command", "command": "ok"},
            {"type": "http", "url": "ftp://x"},
            {"type": "command", "command": "x", "if": "Bash(git *"}
        ]}]
    }))?;
    let loaded = load(&opts);
    let d = Dispatcher::builder(&opts.cwd)
        .settings(&loaded, FolderTrust::Trusted)
        .build();
    let file = opts.cwd.join(".qoder/settings.json").display().to_string();
    let got: Vec<String> = d.diagnostics().iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        vec![
            format!(
                "error: {file}: hooks.PreToolUse[0].hooks[1].url: `ftp://x` is not an http:// or https:// URL; hook ignored"
            ),
            format!(
                "error: {file}: hooks.PreToolUse[0].hooks[2].if: `Bash(git *` has no closing `)` (write `Tool` or `Tool(glob)`); hook ignored"
            ),
        ]
    );
    let input = super::support::pre_tool_use(&opts.cwd, "Bash", json!({"command": "ls"}));
    assert_eq!(d.matching(&input).len(), 1);
    Ok(())
}

#[tokio::test]
async fn settings_env_reaches_command_hooks() -> Result<()> {
    let (_root, opts) = project(
        json!({"Stop": [{"hooks": [{"type": "command", "command": "printf %s \"$TEAM_FLAG\""}]}]}),
    )?;
    let path = opts.cwd.join(".qoder/settings.json");
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    v["env"] = json!({"TEAM_FLAG": "on"});
    std::fs::write(&path, v.to_string())?;
    let loaded = load(&opts);
    let d = Dispatcher::builder(&opts.cwd)
        .settings(&loaded, FolderTrust::Trusted)
        .build();
    let out = d
        .dispatch(&HookInput::sample(HookEvent::Stop, common(&opts.cwd), None))
        .await;
    assert_eq!(out.runs[0].stdout, "on");
    Ok(())
}

#[tokio::test]
async fn a_subagents_stop_hooks_fire_as_subagent_stop() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let d = Dispatcher::builder(dir.path())
        .subagent_hooks(
            &json!({"Stop": [{"hooks": [{"type": "command", "command": "echo sub"}]}]}),
            "reviewer",
            dir.path().join("agents/reviewer.md"),
        )
        .build();
    assert!(!d.has_hooks(HookEvent::Stop));
    let input = HookInput::sample(
        HookEvent::SubagentStop,
        common(dir.path()),
        Some("reviewer"),
    );
    let out = d.dispatch(&input).await;
    assert_eq!(out.runs[0].stdout, "sub\n");
    assert!(
        out.runs[0].source.starts_with("subagent reviewer "),
        "{}",
        out.runs[0].source
    );
    Ok(())
}

#[tokio::test]
async fn plugin_hooks_get_the_plugin_directories() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hooks = json!({"Stop": [{"hooks": [{"type": "command", "command": "printf '%s %s' \"$QODER_PLUGIN_ROOT\" \"$QODER_PLUGIN_DATA\""}]}]});
    let d = Dispatcher::builder(dir.path())
        .hooks(
            &hooks,
            ferrule_hooks::HookSource::plugin(
                "lint",
                "/plugins/lint",
                "/data/lint",
                "/plugins/lint/hooks/hooks.json",
            ),
        )
        .build();
    let out = d
        .dispatch(&HookInput::sample(
            HookEvent::Stop,
            common(dir.path()),
            None,
        ))
        .await;
    assert_eq!(out.runs[0].stdout, "/plugins/lint /data/lint");
    Ok(())
}

#[tokio::test]
async fn a_policy_config_change_cannot_be_blocked() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hooks = json!({"ConfigChange": [{"hooks": [{"type": "command", "command": "echo no >&2; exit 2"}]}]});
    let d = super::support::dispatcher(dir.path(), &hooks);
    let mut input = HookInput::sample(HookEvent::ConfigChange, common(dir.path()), None);
    assert!(d.dispatch(&input).await.outcome.is_blocked());
    if let ferrule_hooks::EventPayload::ConfigChange(p) = &mut input.payload {
        p.source = ferrule_hooks::ConfigSource::PolicySettings;
    }
    let out = d.dispatch(&input).await;
    assert_eq!(out.runs.len(), 1);
    assert!(!out.outcome.is_blocked());
    Ok(())
}

#[test]
fn editing_or_creating_a_settings_file_makes_the_dispatcher_stale() -> Result<()> {
    let (_root, opts) =
        project(json!({"Stop": [{"hooks": [{"type": "command", "command": "a"}]}]}))?;
    let d = Dispatcher::builder(&opts.cwd)
        .settings(&load(&opts), FolderTrust::Trusted)
        .build();
    assert!(!d.is_stale());
    // A new local settings file (missing at load) is noticed.
    std::fs::write(opts.cwd.join(".qoder/settings.local.json"), "{}")?;
    assert!(d.is_stale());
    let d = Dispatcher::builder(&opts.cwd)
        .settings(&load(&opts), FolderTrust::Trusted)
        .build();
    assert!(!d.is_stale());
    // So is an edit that changes the size.
    std::fs::write(
        opts.cwd.join(".qoder/settings.json"),
        json!({"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "a longer command"}]}]}}).to_string(),
    )?;
    assert!(d.is_stale());
    Ok(())
}
