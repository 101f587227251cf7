//! EnterWorktree / ExitWorktree and subagents with `isolation: worktree`,
//! in real git repositories, with real hook scripts; reads outside the
//! working directories.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use ferrule_agent::{AgentBuilder, AskAnswer, UserInput};
use ferrule_hooks::{Dispatcher, HookSource};
use ferrule_permissions::Mode;
use ferrule_protocol::{AgentEvent, TurnOutcome};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::support::{Collect, TestAsker, builtins, call, policy, scripted, text};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn repo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    git(&root, &["init", "-q", "-b", "main"]);
    std::fs::write(root.join("a.txt"), "one\n").unwrap();
    git(&root, &["add", "a.txt"]);
    git(&root, &["commit", "-q", "-m", "first"]);
    (dir, root)
}

/// Command hooks for each `(event, matcher)` appending their stdin to `log`.
fn recording(root: &Path, events: &[&str], log: &Path) -> Arc<Dispatcher> {
    let command = format!("cat >> '{0}'; echo >> '{0}'", log.display());
    let mut hooks = serde_json::Map::new();
    for event in events {
        hooks.insert(
            (*event).to_owned(),
            json!([{"hooks": [{"type": "command", "command": command}]}]),
        );
    }
    Arc::new(
        Dispatcher::builder(root)
            .hooks(&Value::Object(hooks), HookSource::session("test"))
            .build(),
    )
}

fn recorded(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The structured output of each tool result, in order.
fn structured(sink: &Collect) -> Vec<Value> {
    sink.events()
        .into_iter()
        .filter_map(|e| match e.event {
            AgentEvent::ToolResult { structured, .. } => Some(structured.unwrap_or(Value::Null)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn enter_and_exit_worktree_move_the_session_and_fire_their_hooks() {
    let (_dir, root) = repo();
    let log = root.join(".git/events.jsonl");
    let wt = root.join(".qoder/worktrees/feat");
    let model = scripted(vec![
        vec![call("e1", "EnterWorktree", json!({"name": "feat"}))],
        vec![call("b1", "Bash", json!({"command": "pwd > where.txt"}))],
        vec![call("x1", "ExitWorktree", json!({"action": "remove"}))],
        vec![call(
            "x2",
            "ExitWorktree",
            json!({"action": "remove", "discard_changes": true}),
        )],
        vec![call("b2", "Bash", json!({"command": "pwd"}))],
        vec![text("done")],
    ]);
    let sink = Collect::default();
    let mut agent = AgentBuilder::new(model, builtins(), &root)
        .policy_builder(policy(&root, Mode::BypassPermissions, &[]))
        .hooks(recording(&root, &["CwdChanged", "WorktreeRemove"], &log))
        .build()
        .unwrap();
    let result = agent.run(UserInput::text("go"), &sink).await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );

    let out = structured(&sink);
    assert_eq!(
        out[0],
        json!({"worktree_path": wt.display().to_string(), "branch_name": "worktree-feat", "success": true})
    );
    assert_eq!(out[2]["success"], false);
    assert_eq!(out[2]["uncommitted_files"], json!(["where.txt"]));
    assert_eq!(out[2]["unmerged_commits"], json!([]));
    assert!(out[2]["error"].as_str().unwrap().contains("uncommitted"));
    assert_eq!(out[3], json!({"success": true}));
    assert!(!wt.exists(), "removed");
    assert!(
        !root.join("where.txt").exists(),
        "the command ran in the worktree"
    );
    assert_eq!(
        out[4]["cwd"],
        root.display().to_string(),
        "back in the repository"
    );

    let events = recorded(&log);
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["hook_event_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["CwdChanged", "WorktreeRemove", "CwdChanged"],
        "{events:?}"
    );
    assert_eq!(events[0]["old_cwd"], root.display().to_string());
    assert_eq!(events[0]["new_cwd"], wt.display().to_string());
    assert_eq!(events[1]["worktree_path"], wt.display().to_string());
    assert_eq!(events[1]["session_id"], agent.session_id());
    assert_eq!(events[1]["cwd"], wt.display().to_string());
    assert_eq!(events[2]["old_cwd"], wt.display().to_string());
    assert_eq!(events[2]["new_cwd"], root.display().to_string());
}

#[tokio::test]
async fn a_worktree_create_hook_makes_the_worktree_the_tool_enters() {
    let (_dir, root) = repo();
    let elsewhere = tempfile::tempdir().unwrap();
    let made = elsewhere.path().canonicalize().unwrap().join("wt");
    let log = root.join(".git/create.jsonl");
    let command = format!(
        "cat >> '{log}'; echo >> '{log}'; mkdir -p '{made}'; echo '{made}'",
        log = log.display(),
        made = made.display()
    );
    let hooks = json!({"WorktreeCreate": [{"hooks": [{"type": "command", "command": command}]}]});
    let model = scripted(vec![
        vec![call("e1", "EnterWorktree", json!({}))],
        vec![call(
            "w1",
            "Write",
            json!({"file_path": "note.txt", "content": "hi"}),
        )],
        vec![call("x1", "ExitWorktree", json!({"action": "keep"}))],
        vec![text("done")],
    ]);
    let sink = Collect::default();
    let mut agent = AgentBuilder::new(model, builtins(), &root)
        .policy_builder(policy(&root, Mode::BypassPermissions, &[]))
        .hooks(Arc::new(
            Dispatcher::builder(&root)
                .hooks(&hooks, HookSource::session("test"))
                .build(),
        ))
        .build()
        .unwrap();
    let result = agent.run(UserInput::text("go"), &sink).await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    let out = structured(&sink);
    assert_eq!(out[0]["worktree_path"], made.display().to_string());
    assert_eq!(out[0]["success"], true);
    assert_eq!(
        std::fs::read_to_string(made.join("note.txt")).unwrap(),
        "hi"
    );
    assert_eq!(out[2], json!({"success": true}));
    assert!(made.exists(), "kept");
    let events = recorded(&log);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["hook_event_name"], "WorktreeCreate");
    let name = events[0]["name"].as_str().unwrap();
    assert!(!name.is_empty());
    assert_eq!(events[0]["session_id"], agent.session_id());
    assert_eq!(events[0]["cwd"], root.display().to_string());
    assert!(events[0].get("transcript_path").is_some());
}

#[tokio::test]
async fn exit_without_a_worktree_and_enter_outside_a_repository_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let model = scripted(vec![
        vec![call("x1", "ExitWorktree", json!({"action": "keep"}))],
        vec![call("e1", "EnterWorktree", json!({"name": "a"}))],
        vec![text("done")],
    ]);
    let sink = Collect::default();
    let mut agent = AgentBuilder::new(model, builtins(), dir.path())
        .build()
        .unwrap();
    agent.run(UserInput::text("go"), &sink).await;
    let out = structured(&sink);
    assert_eq!(out[0]["success"], false);
    assert!(
        out[0]["error"]
            .as_str()
            .unwrap()
            .contains("not in a worktree")
    );
    assert_eq!(out[1]["success"], false);
    assert!(
        out[1]["error"]
            .as_str()
            .unwrap()
            .contains("not inside a git repository"),
        "{}",
        out[1]
    );
}

fn isolated_subagent(root: &Path) -> ferrule_memory::Subagent {
    ferrule_memory::Subagent {
        name: "builder".into(),
        description: "Builds things".into(),
        path: root.join("builder.md"),
        scope: ferrule_memory::Scope::Project,
        origin: ferrule_memory::Origin::Qoder,
        plugin: None,
        meta: ferrule_memory::SubagentMeta {
            isolation: Some("worktree".into()),
            ..Default::default()
        },
        prompt: "You build.".into(),
    }
}

#[tokio::test]
async fn an_isolated_subagent_works_in_its_own_worktree_and_reports_it() {
    let (_dir, root) = repo();
    let log = root.join(".git/events.jsonl");
    let model = scripted(vec![
        vec![call(
            "a1",
            "Agent",
            json!({"description": "d", "prompt": "make it", "subagent_type": "builder"}),
        )],
        vec![call("b1", "Bash", json!({"command": "pwd > made.txt"}))],
        vec![text("made")],
        vec![call(
            "a2",
            "Agent",
            json!({"description": "d", "prompt": "look", "subagent_type": "builder"}),
        )],
        vec![text("looked")],
        vec![call("b2", "Bash", json!({"command": "pwd"}))],
        vec![text("parent done")],
    ]);
    let sink = Collect::default();
    let mut agent = AgentBuilder::new(model, builtins(), &root)
        .policy_builder(policy(&root, Mode::BypassPermissions, &[]))
        .subagents(vec![isolated_subagent(&root)])
        .hooks(recording(&root, &["WorktreeRemove"], &log))
        .build()
        .unwrap();
    let result = agent.run(UserInput::text("go"), &sink).await;
    assert_eq!(
        result.outcome,
        TurnOutcome::Completed,
        "{:?}",
        result.summary
    );
    let agent_results: Vec<Value> = structured(&sink)
        .into_iter()
        .filter(|s| s.get("agent").is_some())
        .collect();
    assert_eq!(agent_results.len(), 2, "{agent_results:?}");
    let first = &agent_results[0];
    let path = PathBuf::from(first["worktree_path"].as_str().unwrap());
    assert!(path.starts_with(root.join(".qoder/worktrees")), "{first}");
    assert_eq!(first["worktree_removed"], false);
    assert!(
        first["worktree_branch"]
            .as_str()
            .unwrap()
            .starts_with("worktree-agent-")
    );
    assert_eq!(
        std::fs::read_to_string(path.join("made.txt"))
            .unwrap()
            .trim(),
        path.display().to_string()
    );
    assert!(!root.join("made.txt").exists());
    let text_results = sink.results();
    let first_text = serde_json::to_string(&text_results).unwrap();
    assert!(
        first_text.contains(&path.display().to_string()),
        "{first_text}"
    );

    // The second run changed nothing: its worktree is gone again.
    let second = &agent_results[1];
    assert_eq!(second["worktree_removed"], true);
    let second_path = second["worktree_path"].as_str().unwrap();
    assert!(!Path::new(second_path).exists());
    let removed = recorded(&log);
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert_eq!(removed[0]["worktree_path"], second_path);
    assert_eq!(removed[0]["agent_type"], "builder");
    assert!(removed[0]["agent_id"].as_str().is_some());

    let last = structured(&sink).last().cloned().unwrap();
    assert_eq!(last["cwd"], root.display().to_string(), "the parent stayed");
}

#[tokio::test]
async fn a_read_outside_the_working_directories_asks_and_runs_when_allowed() {
    let work = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let outside = other.path().canonicalize().unwrap().join("notes.txt");
    std::fs::write(&outside, "outside text\n").unwrap();
    let file = outside.display().to_string();
    let model = scripted(vec![
        vec![call("r1", "Read", json!({"file_path": file}))],
        vec![call(
            "g1",
            "Grep",
            json!({"pattern": "outside", "path": other.path()}),
        )],
        vec![text("done")],
    ]);
    let asker = TestAsker::new(|request| {
        if request.tool_name == "Read" {
            AskAnswer::allow()
        } else {
            AskAnswer::deny("no")
        }
    });
    let sink = Collect::default();
    let mut agent = AgentBuilder::new(model, builtins(), work.path())
        .asker(asker.clone())
        .build()
        .unwrap();
    agent.run(UserInput::text("go"), &sink).await;
    let seen = asker.seen();
    assert_eq!(seen.len(), 2);
    assert!(
        seen[0]
            .decision
            .reason
            .contains("outside the working directories")
    );
    let results = sink.results();
    assert_eq!(results[0].is_error, Some(false));
    assert!(
        serde_json::to_string(&results[0])
            .unwrap()
            .contains("outside text")
    );
    assert_eq!(results[1].is_error, Some(true));
}

#[tokio::test]
async fn print_mode_denies_an_outside_read_naming_the_rule_and_a_symlink_out_asks_too() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().canonicalize().unwrap();
    let other = tempfile::tempdir().unwrap();
    let target = other.path().canonicalize().unwrap();
    std::fs::write(target.join("secret.txt"), "s3cret\n").unwrap();
    std::os::unix::fs::symlink(&target, root.join("link")).unwrap();
    let file = target.join("secret.txt").display().to_string();
    let model = scripted(vec![
        vec![call("r1", "Read", json!({"file_path": file}))],
        vec![call("r2", "Read", json!({"file_path": "link/secret.txt"}))],
        vec![text("done")],
    ]);
    let sink = Collect::default();
    let mut agent = AgentBuilder::new(model, builtins(), &root).build().unwrap();
    agent.run(UserInput::text("go"), &sink).await;
    let results = sink.results();
    let first = serde_json::to_string(&results[0]).unwrap();
    assert_eq!(results[0].is_error, Some(true));
    assert!(first.contains(&format!("Read(/{file})")), "{first}");
    assert!(first.contains("permissions.allow"), "{first}");
    let second = serde_json::to_string(&results[1]).unwrap();
    assert_eq!(results[1].is_error, Some(true));
    assert!(!second.contains("s3cret"), "{second}");
    assert!(second.contains("was denied"), "{second}");
}
