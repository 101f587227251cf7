//! Worktrees in real git repositories in temporary directories, with real
//! hook scripts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use ferrule_hooks::{CommonFields, Dispatcher, HookSource};
use ferrule_worktree::{HookContext, WorktreeError, changes, create, remove};
use serde_json::{Value, json};

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

fn common(cwd: &Path) -> CommonFields {
    CommonFields {
        session_id: "s1".into(),
        transcript_path: "/t.jsonl".into(),
        cwd: cwd.display().to_string(),
        ..CommonFields::default()
    }
}

fn dispatcher(root: &Path, hooks: Value) -> Dispatcher {
    Dispatcher::builder(root)
        .hooks(&hooks, HookSource::session("test"))
        .build()
}

#[tokio::test]
async fn creates_on_its_branch_and_removes_clean_worktrees() {
    let (_dir, root) = repo();
    let sub = root.join("deep/er");
    std::fs::create_dir_all(&sub).unwrap();
    let wt = create(&sub, Some("feature-a"), None).await.unwrap();
    assert_eq!(wt.path, root.join(".qoder/worktrees/feature-a"));
    assert_eq!(wt.branch.as_deref(), Some("worktree-feature-a"));
    assert_eq!(wt.repo_root, root);
    assert!(!wt.from_hook);
    assert_eq!(
        git(&wt.path, &["branch", "--show-current"]),
        "worktree-feature-a"
    );
    assert_eq!(
        std::fs::read_to_string(wt.path.join("a.txt")).unwrap(),
        "one\n"
    );
    // The main checkout does not list the worktrees as untracked.
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
    // Asking again for the same name finds it.
    let again = create(&root, Some("feature-a"), None).await.unwrap();
    assert_eq!(again.path, wt.path);

    let removal = remove(&wt, false, None).await.unwrap();
    assert!(removal.removed_by_git);
    assert_eq!(
        removal.deleted_branch.as_deref(),
        Some("worktree-feature-a")
    );
    assert!(!wt.path.exists());
    assert_eq!(git(&root, &["branch", "--list", "worktree-feature-a"]), "");
}

#[tokio::test]
async fn generates_a_name_when_none_is_given() {
    let (_dir, root) = repo();
    let wt = create(&root, None, None).await.unwrap();
    assert!(!wt.name.is_empty());
    assert_eq!(wt.path, root.join(".qoder/worktrees").join(&wt.name));
    assert_eq!(wt.branch, Some(format!("worktree-{}", wt.name)));
}

#[tokio::test]
async fn refuses_to_lose_work_unless_told_to_discard_it() {
    let (_dir, root) = repo();
    let wt = create(&root, Some("w1"), None).await.unwrap();
    std::fs::write(wt.path.join("new.txt"), "x").unwrap();
    std::fs::write(wt.path.join("a.txt"), "changed\n").unwrap();
    let error = remove(&wt, false, None).await.unwrap_err();
    let WorktreeError::HasChanges(found) = &error else {
        panic!("{error}");
    };
    assert_eq!(found.uncommitted_files, vec!["a.txt", "new.txt"]);
    assert!(found.unmerged_commits.is_empty());
    assert!(
        error
            .to_string()
            .contains("2 uncommitted file(s): a.txt, new.txt")
    );

    git(&wt.path, &["add", "-A"]);
    git(&wt.path, &["commit", "-q", "-m", "work in the worktree"]);
    let found = changes(&wt).await.unwrap();
    assert!(found.uncommitted_files.is_empty());
    assert_eq!(found.unmerged_commits.len(), 1);
    assert!(found.unmerged_commits[0].ends_with(" work in the worktree"));
    assert!(matches!(
        remove(&wt, false, None).await,
        Err(WorktreeError::HasChanges(_))
    ));
    assert!(wt.path.exists());

    // Merged into main: nothing is lost any more.
    git(&root, &["merge", "-q", "--ff-only", "worktree-w1"]);
    assert!(changes(&wt).await.unwrap().is_empty());

    let wt2 = create(&root, Some("w2"), None).await.unwrap();
    std::fs::write(wt2.path.join("junk.txt"), "x").unwrap();
    let removal = remove(&wt2, true, None).await.unwrap();
    assert!(removal.removed_by_git);
    assert!(!wt2.path.exists());
}

#[tokio::test]
async fn outside_a_repository_and_bad_names_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let error = create(dir.path(), Some("x"), None).await.unwrap_err();
    assert!(
        error.to_string().contains("is not inside a git repository"),
        "{error}"
    );
    let (_dir, root) = repo();
    let error = create(&root, Some("../escape"), None).await.unwrap_err();
    assert!(
        error.to_string().contains("invalid worktree name"),
        "{error}"
    );
    std::fs::create_dir_all(root.join(".qoder/worktrees/taken")).unwrap();
    let error = create(&root, Some("taken"), None).await.unwrap_err();
    assert!(error.to_string().contains("is not a worktree"), "{error}");
}

#[tokio::test]
async fn a_worktree_create_hook_replaces_git_and_gets_every_field() {
    let (_dir, root) = repo();
    let elsewhere = tempfile::tempdir().unwrap();
    let made = elsewhere
        .path()
        .canonicalize()
        .unwrap()
        .join("made-by-hook");
    let log = root.join("create-input.json");
    let script = format!(
        "cat > {log}; mkdir -p {made}; echo '{{\"hookSpecificOutput\":{{\"hookEventName\":\"WorktreeCreate\",\"worktreePath\":\"{made}\"}}}}'",
        log = log.display(),
        made = made.display()
    );
    let hooks = dispatcher(
        &root,
        json!({"WorktreeCreate": [{"hooks": [{"type": "command", "command": script}]}]}),
    );
    let fields = common(&root);
    let ctx = HookContext {
        dispatcher: &hooks,
        common: &fields,
    };
    let wt = create(&root, Some("feature-x"), Some(ctx)).await.unwrap();
    assert_eq!(wt.path, made);
    assert!(wt.from_hook);
    assert_eq!(wt.branch, None);
    assert!(!root.join(".qoder/worktrees/feature-x").exists());
    let input: Value = serde_json::from_str(&std::fs::read_to_string(&log).unwrap()).unwrap();
    assert_eq!(input["hook_event_name"], "WorktreeCreate");
    assert_eq!(input["name"], "feature-x");
    assert_eq!(input["session_id"], "s1");
    assert_eq!(input["transcript_path"], "/t.jsonl");
    assert_eq!(input["cwd"], root.display().to_string());

    // A hook-made worktree is the hooks' to remove: git leaves it alone.
    let removal = remove(&wt, true, None).await.unwrap();
    assert!(!removal.removed_by_git);
    assert!(made.exists());
}

#[tokio::test]
async fn a_plain_stdout_path_works_and_a_failing_hook_fails_creation() {
    let (_dir, root) = repo();
    let made = root.join("plain-made");
    let hooks = dispatcher(
        &root,
        json!({"WorktreeCreate": [{"hooks": [{"type": "command",
            "command": format!("mkdir -p {0} && echo {0}", made.display())}]}]}),
    );
    let fields = common(&root);
    let ctx = HookContext {
        dispatcher: &hooks,
        common: &fields,
    };
    assert_eq!(
        create(&root, Some("p"), Some(ctx)).await.unwrap().path,
        made
    );

    for (command, expected) in [
        ("echo disk full >&2; exit 1", "disk full"),
        ("echo relative/path", "not absolute"),
        ("true", "no hook returned a worktree path"),
    ] {
        let hooks = dispatcher(
            &root,
            json!({"WorktreeCreate": [{"hooks": [{"type": "command", "command": command}]}]}),
        );
        let ctx = HookContext {
            dispatcher: &hooks,
            common: &fields,
        };
        let error = create(&root, Some("q"), Some(ctx)).await.unwrap_err();
        assert!(error.to_string().contains(expected), "{command}: {error}");
        assert!(!root.join(".qoder/worktrees/q").exists());
    }
}

#[tokio::test]
async fn worktree_remove_hooks_fire_with_every_field_before_git_removes() {
    let (_dir, root) = repo();
    let wt = create(&root, Some("gone"), None).await.unwrap();
    let log = root.join("remove-input.json");
    let seen = root.join("existed.txt");
    let script = format!(
        "cat > {log}; test -d {path} && echo yes > {seen}; echo cleanup note >&2; exit 1",
        log = log.display(),
        path = wt.path.display(),
        seen = seen.display()
    );
    let hooks = dispatcher(
        &root,
        json!({"WorktreeRemove": [{"hooks": [{"type": "command", "command": script}]}]}),
    );
    let fields = common(&root);
    let ctx = HookContext {
        dispatcher: &hooks,
        common: &fields,
    };
    let removal = remove(&wt, false, Some(ctx)).await.unwrap();
    assert!(removal.removed_by_git);
    assert!(!wt.path.exists());
    assert!(
        removal.messages.iter().any(|m| m.contains("cleanup note")),
        "{:?}",
        removal.messages
    );
    assert_eq!(std::fs::read_to_string(&seen).unwrap(), "yes\n");
    let input: Value = serde_json::from_str(&std::fs::read_to_string(&log).unwrap()).unwrap();
    assert_eq!(input["hook_event_name"], "WorktreeRemove");
    assert_eq!(input["worktree_path"], wt.path.display().to_string());
    assert_eq!(input["session_id"], "s1");
    assert_eq!(input["transcript_path"], "/t.jsonl");
    assert_eq!(input["cwd"], root.display().to_string());
}
