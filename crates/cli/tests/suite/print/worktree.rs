//! `ferrule --worktree` end to end, InstructionsLoaded at session start and
//! reads outside the working directories in print mode, against the fake
//! OpenAI server.

use std::path::Path;

use anyhow::{Context as _, Result};
use ferrule_test_support::{FakeModelServer, openai};
use serde_json::{Value, json};

use super::harness::{Project, openai_tool_results, run};

fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// A project that is a git repository with one commit.
fn repo(files: &[(&str, &str)]) -> Result<Project> {
    let project = Project::new(files)?;
    project.write("README.md", "demo\n")?;
    git(&project.dir(), &["init", "-q", "-b", "main"])?;
    git(&project.dir(), &["add", "README.md"])?;
    git(&project.dir(), &["commit", "-q", "-m", "first"])?;
    Ok(project)
}

fn lines(path: &Path) -> Result<Vec<Value>> {
    std::fs::read_to_string(path)
        .with_context(|| format!("reading {}", path.display()))?
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| Ok(serde_json::from_str(line)?))
        .collect()
}

#[tokio::test]
async fn the_session_runs_in_the_worktree_and_says_how_to_resume_it() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::tool_calls_reply(
        &[("call_1", "Bash", r#"{"command":"pwd > here.txt"}"#)],
        2,
    ));
    server.mount(openai::text_reply("Wrote it."));
    let project = repo(&[])?;
    let out = run(project.openai(
        &server.base_url(),
        &[
            "--worktree",
            "feature-a",
            "-p",
            "where am I",
            "--allowed-tools",
            "Bash(pwd > here.txt)",
            "-o",
            "json",
        ],
    ))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let worktree = project.path(".qoder/worktrees/feature-a");
    assert_eq!(
        std::fs::read_to_string(worktree.join("here.txt"))?.trim(),
        worktree.display().to_string()
    );
    assert!(!project.path("here.txt").exists());
    assert_eq!(
        git(&worktree, &["branch", "--show-current"])?,
        "worktree-feature-a"
    );
    let session = out.json()?["session_id"]
        .as_str()
        .context("no session_id")?
        .to_owned();
    assert!(
        out.stderr
            .contains(&format!("Worktree: {}", worktree.display())),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!(
            "cd {} && ferrule --resume {session}",
            worktree.display()
        )),
        "{}",
        out.stderr
    );

    // The printed command works: the session goes on in the worktree.
    server.mount(openai::text_reply("Still here."));
    let mut again = tokio::process::Command::new(env!("CARGO_BIN_EXE_ferrule"));
    again
        .args([
            "--model",
            "openai/fake-gpt",
            "-p",
            "and now",
            "--resume",
            &session,
        ])
        .current_dir(&worktree)
        .env("OPENAI_BASE_URL", server.base_url())
        .env("HOME", project.base.join("home"))
        .env("FERRULE_HOME", project.base.join("user"))
        .env(
            "FERRULE_POLICY_SETTINGS",
            project.base.join("no-policy.json"),
        )
        .env("SHELL", "/bin/sh")
        .env_remove("OPENAI_API_KEY")
        .env_remove("FERRULE_MODEL")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let resumed = run(again).await?;
    assert_eq!(resumed.code, Some(0), "{}", resumed.stderr);
    let sent = server
        .requests()
        .last()
        .context("no request")?
        .body
        .to_string();
    assert!(
        sent.contains("where am I"),
        "the resumed session has the history: {sent}"
    );
    Ok(())
}

#[tokio::test]
async fn a_worktree_create_hook_makes_the_worktree_and_gets_its_fields() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::text_reply("ok"));
    let project = repo(&[])?;
    let made = project.base.join("elsewhere/wt");
    let log = project.base.join("create.jsonl");
    let hooks = json!({"hooks": {"WorktreeCreate": [{"hooks": [{"type": "command", "command": format!(
        "cat >> '{log}'; echo >> '{log}'; mkdir -p '{made}'; echo '{{\"hookSpecificOutput\": {{\"hookEventName\": \"WorktreeCreate\", \"worktreePath\": \"{made}\"}}}}'",
        log = log.display(), made = made.display())}]}]}});
    project.write(".qoder/settings.json", &hooks.to_string())?;
    let out = run(project.openai(
        &server.base_url(),
        &["--worktree", "-p", "hi", "-o", "json"],
    ))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let events = lines(&log)?;
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event["hook_event_name"], "WorktreeCreate");
    assert!(
        !event["name"].as_str().unwrap_or_default().is_empty(),
        "{event}"
    );
    assert_eq!(event["cwd"], project.dir().display().to_string());
    assert_eq!(event["session_id"], out.json()?["session_id"]);
    assert!(event.get("transcript_path").is_some());
    assert!(
        out.stderr
            .contains(&format!("Worktree: {}", made.display())),
        "{}",
        out.stderr
    );
    assert!(
        !project.path(".qoder/worktrees").exists(),
        "git was not asked"
    );

    // A failing hook fails the run before the session starts.
    project.write(
        ".qoder/settings.json",
        &json!({"hooks": {"WorktreeCreate": [{"hooks": [{"type": "command",
            "command": "echo no space left >&2; exit 1"}]}]}})
        .to_string(),
    )?;
    let failed = run(project.openai(&server.base_url(), &["--worktree", "x", "-p", "hi"])).await?;
    assert_eq!(failed.code, Some(1));
    assert!(failed.stderr.contains("no space left"), "{}", failed.stderr);
    Ok(())
}

#[tokio::test]
async fn worktree_outside_a_repository_is_a_clear_error() -> Result<()> {
    let project = Project::new(&[])?;
    let out = run(project.command(&["--worktree", "-p", "hi", "--model", "openai/x"])).await?;
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains("not inside a git repository"),
        "{}",
        out.stderr
    );
    Ok(())
}

#[tokio::test]
async fn instructions_loaded_fires_for_every_startup_file_with_every_field() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    server.mount(openai::text_reply("ok"));
    let project = repo(&[
        ("AGENTS.md", "Project rules.\n@docs/extra.md\n"),
        ("docs/extra.md", "Imported text.\n"),
        ("AGENTS.local.md", "Local notes.\n"),
        (".qoder/rules/style.md", "Use tabs.\n"),
    ])?;
    std::fs::write(project.base.join("user/AGENTS.md"), "User prefs.\n")?;
    let log = project.base.join("loaded.jsonl");
    let hooks = json!({"hooks": {"InstructionsLoaded": [{"hooks": [{"type": "command",
        "command": format!("cat >> '{0}'; echo >> '{0}'", log.display())}]}]}});
    project.write(".qoder/settings.json", &hooks.to_string())?;
    let out = run(project.openai(&server.base_url(), &["-p", "hi"])).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let events = lines(&log)?;
    let seen: Vec<(String, String, String)> = events
        .iter()
        .map(|e| {
            (
                e["file_path"].as_str().unwrap_or_default().to_owned(),
                e["memory_type"].as_str().unwrap_or_default().to_owned(),
                e["load_reason"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let path = |rel: &str| project.path(rel).display().to_string();
    let user = project.base.join("user/AGENTS.md").display().to_string();
    assert_eq!(
        seen,
        [
            (user, "user".to_owned(), "session_start".to_owned()),
            (
                path("AGENTS.md"),
                "project".to_owned(),
                "session_start".to_owned()
            ),
            (
                path("docs/extra.md"),
                "project".to_owned(),
                "include".to_owned()
            ),
            (
                path("AGENTS.local.md"),
                "local".to_owned(),
                "session_start".to_owned()
            ),
            (
                path(".qoder/rules/style.md"),
                "project".to_owned(),
                "session_start".to_owned()
            ),
        ]
    );
    for event in &events {
        assert_eq!(event["hook_event_name"], "InstructionsLoaded");
        for field in [
            "session_id",
            "transcript_path",
            "cwd",
            "globs",
            "trigger_file_path",
            "parent_file_path",
        ] {
            assert!(event.get(field).is_some(), "{field} missing in {event}");
        }
    }
    assert_eq!(events[2]["parent_file_path"], path("AGENTS.md"));
    assert_eq!(events[1]["parent_file_path"], Value::Null);
    Ok(())
}

#[tokio::test]
async fn print_mode_denies_a_read_outside_the_project_naming_the_rule() -> Result<()> {
    let server = FakeModelServer::openai().await?;
    let project = Project::new(&[])?;
    let outside = project.base.join("home/notes.txt");
    std::fs::write(&outside, "private\n")?;
    let arguments = json!({"file_path": outside.display().to_string()}).to_string();
    server.mount(openai::tool_calls_reply(
        &[("call_1", "Read", &arguments)],
        2,
    ));
    server.mount(openai::text_reply("Could not read it."));
    server.mount(openai::tool_calls_reply(
        &[("call_2", "Read", &arguments)],
        2,
    ));
    server.mount(openai::text_reply("Read it."));
    let out = run(project.openai(&server.base_url(), &["-p", "read it", "-o", "json"])).await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let told = openai_tool_results(&server.requests()[1].body);
    let rule = format!("Read(/{})", outside.display());
    assert!(
        told[0].contains(&format!("add \"{rule}\" to permissions.allow")),
        "{told:?}"
    );
    assert!(!told[0].contains("private"));
    let denials = &out.json()?["permission_denials"];
    assert_eq!(denials[0]["tool_name"], "Read", "{denials}");

    // The rule it names works.
    let allowed = run(project.openai(
        &server.base_url(),
        &["-p", "read it", "--allowed-tools", &rule],
    ))
    .await?;
    assert_eq!(allowed.code, Some(0), "{}", allowed.stderr);
    let told = openai_tool_results(&server.requests()[3].body);
    assert!(told[0].contains("private"), "{told:?}");
    Ok(())
}
