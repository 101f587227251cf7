//! The session watcher on real files: ConfigChange applies a settings edit
//! (new hooks, new permission rules) unless a hook blocks it, and
//! FileChanged fires for SessionStart's `watchPaths` with its context
//! reaching the model. Real hook scripts, real notify watches; every wait
//! polls with a generous deadline.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ferrule_agent::{NullSink, UserInput};
use ferrule_hooks::HookEvent;
use ferrule_setup::{Host, SessionHooks, SetupOptions, prepare};
use serde_json::{Value, json};

const DEADLINE: Duration = Duration::from_secs(30);

struct Tree {
    _dir: tempfile::TempDir,
    base: PathBuf,
}

impl Tree {
    fn new(settings: &Value, script: &Value) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        for sub in ["proj/.qoder", "home", "user", "logs"] {
            std::fs::create_dir_all(base.join(sub)).unwrap();
        }
        std::fs::write(
            base.join("proj/.qoder/settings.json"),
            serde_json::to_string_pretty(settings).unwrap(),
        )
        .unwrap();
        std::fs::write(base.join("proj/script.json"), script.to_string()).unwrap();
        Self { _dir: dir, base }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.base.join(rel)
    }

    fn options(&self) -> SetupOptions {
        let env = BTreeMap::from([
            ("HOME".to_owned(), text(&self.path("home"))),
            ("FERRULE_HOME".to_owned(), text(&self.path("user"))),
            ("PATH".to_owned(), std::env::var("PATH").unwrap_or_default()),
        ]);
        let mut options = SetupOptions::new(Host::Print, self.path("proj"), env);
        options.model = Some("scripted/script.json".to_owned());
        options.policy_path = Some(self.path("no-policy.json"));
        options
    }
}

fn text(path: &Path) -> String {
    path.display().to_string()
}

/// A command hook appending its stdin as one line to `log`.
fn logging_hook(log: &Path, then: &str) -> Value {
    json!({"type": "command", "command": format!("cat >> '{}'; echo >> '{}'; {then}", text(log), text(log))})
}

fn log_lines(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn wait_idle(watch: &ferrule_setup::SessionWatch) {
    wait_for("the watcher to finish", || !watch.is_busy()).await;
}

#[tokio::test]
async fn a_settings_edit_fires_config_change_and_applies_unless_blocked() {
    let tree = Tree::new(
        &json!({}),
        &json!({"turns": [
            {"blocks": [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "echo from-bash"}}]},
            {"blocks": [{"type": "text", "text": "done"}]}
        ]}),
    );
    let log = tree.path("logs/config.jsonl");
    let block = tree.path("logs/block");
    let settings = json!({
        "permissions": {"allow": ["Bash(echo from-bash)"]},
        "hooks": {"ConfigChange": [{"matcher": "local_settings", "hooks": [
            logging_hook(&log, &format!("if [ -e '{}' ]; then echo 'config is frozen' >&2; exit 2; fi", text(&block)))
        ]}]}
    });
    std::fs::write(tree.path("proj/.qoder/settings.json"), settings.to_string()).unwrap();
    let prepared = prepare(tree.options()).unwrap();
    let (builder, info) = prepared.into_builder();
    let mut agent = builder.build().unwrap();
    let controls = agent.controls();
    assert!(!controls.hooks().unwrap().has_hooks(HookEvent::Stop));

    // An edit of the local settings: a deny rule and a Stop hook.
    let local = tree.path("proj/.qoder/settings.local.json");
    std::fs::write(
        &local,
        json!({
            "permissions": {"deny": ["Bash(echo from-bash)"]},
            "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "true"}]}]}
        })
        .to_string(),
    )
    .unwrap();
    wait_for("the reloaded hooks", || {
        controls.hooks().unwrap().has_hooks(HookEvent::Stop)
    })
    .await;
    let lines = log_lines(&log);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["hook_event_name"], "ConfigChange");
    assert_eq!(lines[0]["source"], "local_settings");
    assert_eq!(lines[0]["file_path"], text(&local));
    assert_eq!(lines[0]["session_id"], info.session_id);

    // The new deny rule holds for the next tool call.
    let result = agent.run(UserInput::text("run it"), &NullSink).await;
    assert_eq!(result.summary.result.as_deref(), Some("done"));
    let history = serde_json::to_string(agent.messages()).unwrap();
    assert!(!history.contains("from-bash\\n"), "Bash ran: {history}");
    assert!(history.contains("denied"), "{history}");

    // A blocked edit keeps the configuration.
    std::fs::write(&block, "").unwrap();
    std::fs::write(
        &local,
        json!({"hooks": {"UserPromptSubmit": [{"hooks": [{"type": "command", "command": "true"}]}]}})
            .to_string(),
    )
    .unwrap();
    wait_for("the second ConfigChange", || log_lines(&log).len() == 2).await;
    wait_idle(&info.watch).await;
    let hooks = controls.hooks().unwrap();
    assert!(hooks.has_hooks(HookEvent::Stop), "the old hooks stay");
    assert!(
        !hooks.has_hooks(HookEvent::UserPromptSubmit),
        "the blocked edit is not applied"
    );
}

#[tokio::test]
async fn session_start_watch_paths_fire_file_changed_with_context_for_the_model() {
    let tree = Tree::new(
        &json!({}),
        &json!({"turns": [
            {"blocks": [{"type": "text", "text": "noted"}]}
        ]}),
    );
    let log = tree.path("logs/files.jsonl");
    let watched = tree.path("proj/notes/todo.txt");
    let start_output = json!({"hookSpecificOutput": {"hookEventName": "SessionStart", "watchPaths": [text(&watched)]}});
    let changed_output = "{\"hookSpecificOutput\": {\"hookEventName\": \"FileChanged\", \"additionalContext\": \"todo.txt was touched\"}}";
    let settings = json!({"hooks": {
        "SessionStart": [{"hooks": [{"type": "command", "command": format!("echo '{start_output}'")}]}],
        "FileChanged": [
            {"matcher": "todo.txt", "hooks": [logging_hook(&log, &format!("echo '{changed_output}'"))]},
            {"matcher": "other.txt", "hooks": [{"type": "command", "command": "echo never >&2; exit 1"}]}
        ]
    }});
    std::fs::write(tree.path("proj/.qoder/settings.json"), settings.to_string()).unwrap();
    let prepared = prepare(tree.options()).unwrap();
    let hooks = std::sync::Arc::clone(&prepared.hooks);
    let (builder, info) = prepared.into_builder();
    let session = SessionHooks::new(hooks, &info);
    let mut agent = builder.build().unwrap();
    assert!(session.start().await.is_empty());

    // The folder does not exist yet: the file and its folder are created.
    std::fs::create_dir_all(watched.parent().unwrap()).unwrap();
    std::fs::write(&watched, "one").unwrap();
    wait_for("FileChanged add", || !log_lines(&log).is_empty()).await;
    wait_idle(&info.watch).await;
    let lines = log_lines(&log);
    assert_eq!(lines[0]["hook_event_name"], "FileChanged");
    assert_eq!(lines[0]["file_path"], text(&watched));
    assert_eq!(lines[0]["event"], "add");

    let result = agent.run(UserInput::text("anything new?"), &NullSink).await;
    assert_eq!(result.summary.result.as_deref(), Some("noted"));
    let history = serde_json::to_string(agent.messages()).unwrap();
    assert!(history.contains("todo.txt was touched"), "{history}");

    std::fs::write(&watched, "two, longer").unwrap();
    wait_for("FileChanged change", || log_lines(&log).len() >= 2).await;
    assert_eq!(log_lines(&log)[1]["event"], "change");
    std::fs::remove_file(&watched).unwrap();
    wait_for("FileChanged unlink", || log_lines(&log).len() >= 3).await;
    assert_eq!(log_lines(&log)[2]["event"], "unlink");
}

#[tokio::test]
async fn policy_changes_apply_even_when_blocked_and_agents_refresh() {
    let tree = Tree::new(&json!({}), &json!({"turns": []}));
    let log = tree.path("logs/config.jsonl");
    let settings = json!({"hooks": {"ConfigChange": [{"hooks": [
        logging_hook(&log, "echo 'no changes today' >&2; exit 2")
    ]}]}});
    std::fs::write(tree.path("proj/.qoder/settings.json"), settings.to_string()).unwrap();
    let prepared = prepare(tree.options()).unwrap();
    let (builder, info) = prepared.into_builder();
    let agent = builder.build().unwrap();
    let controls = agent.controls();

    // The policy file does not exist at start; creating it is a change.
    let policy = tree.path("no-policy.json");
    std::fs::write(
        &policy,
        json!({"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "true"}]}]}})
            .to_string(),
    )
    .unwrap();
    wait_for("the policy's hooks", || {
        controls.hooks().unwrap().has_hooks(HookEvent::Stop)
    })
    .await;
    let seen = log_lines(&log);
    assert_eq!(seen[0]["source"], "policy_settings");
    assert_eq!(seen[0]["file_path"], text(&policy));

    // A new subagent definition: ConfigChange `agents`, blocked here.
    let agent_file = tree.path("proj/.qoder/agents/reviewer.md");
    std::fs::create_dir_all(agent_file.parent().unwrap()).unwrap();
    std::fs::write(
        &agent_file,
        "---\nname: reviewer\ndescription: Reviews code\n---\nReview the change.\n",
    )
    .unwrap();
    wait_for("ConfigChange agents", || {
        log_lines(&log).iter().any(|l| l["source"] == "agents")
    })
    .await;
    wait_idle(&info.watch).await;
    let seen = log_lines(&log);
    let agents = seen.iter().find(|l| l["source"] == "agents").unwrap();
    assert_eq!(agents["file_path"], text(&agent_file));
    assert!(
        info.watch
            .workspace()
            .subagents
            .iter()
            .all(|a| a.name != "reviewer"),
        "a blocked change does not load the new agent"
    );
}

#[tokio::test]
async fn a_new_subagent_definition_reloads_the_workspace() {
    let tree = Tree::new(&json!({}), &json!({"turns": []}));
    let log = tree.path("logs/config.jsonl");
    let settings = json!({"hooks": {"ConfigChange": [{"matcher": "skills|agents", "hooks": [logging_hook(&log, "true")]}]}});
    std::fs::write(tree.path("proj/.qoder/settings.json"), settings.to_string()).unwrap();
    let prepared = prepare(tree.options()).unwrap();
    let (builder, info) = prepared.into_builder();
    let _agent = builder.build().unwrap();
    let agent_file = tree.path("proj/.qoder/agents/tester.md");
    std::fs::create_dir_all(agent_file.parent().unwrap()).unwrap();
    std::fs::write(
        &agent_file,
        "---\nname: tester\ndescription: Writes tests\n---\nWrite tests.\n",
    )
    .unwrap();
    wait_for("the reloaded subagents", || {
        info.watch
            .workspace()
            .subagents
            .iter()
            .any(|a| a.name == "tester")
    })
    .await;
    assert_eq!(log_lines(&log)[0]["source"], "agents");
}
