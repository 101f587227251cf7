//! Command hooks with real shell scripts.

use std::time::Duration;

use anyhow::Result;
use ferrule_hooks::{Effect, HookEvent, HookInput, Parsed, PermissionDecision, RunStatus};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::support::{common, dispatcher, pre_tool_use, script};

#[tokio::test]
async fn exit_zero_json_output_allows_and_rewrites_the_input() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let cmd = script(
        dir.path(),
        "allow.sh",
        r#"cat >/dev/null
echo '{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"allow","permissionDecisionReason":"safe","updatedInput":{"command":"npm test --coverage"},"additionalContext":"added coverage"}}'"#,
    )?;
    let d = dispatcher(
        dir.path(),
        &json!({"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": cmd}]}]}),
    );
    let out = d
        .dispatch(&pre_tool_use(
            dir.path(),
            "Bash",
            json!({"command": "npm test"}),
        ))
        .await;
    assert_eq!(out.runs.len(), 1);
    assert_eq!(out.runs[0].exit_code, Some(0));
    assert!(matches!(out.runs[0].parsed, Parsed::Json(_)));
    assert_eq!(
        out.outcome.permission_decision,
        Some(PermissionDecision::Allow)
    );
    assert_eq!(
        out.outcome.permission_decision_reason.as_deref(),
        Some("safe")
    );
    assert_eq!(
        out.outcome.updated_input,
        Some(json!({"command": "npm test --coverage"}))
    );
    assert_eq!(
        out.outcome.additional_context,
        vec!["added coverage".to_owned()]
    );
    Ok(())
}

#[tokio::test]
async fn exit_two_blocks_the_call_with_stderr_as_the_reason() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let cmd = script(
        dir.path(),
        "block.sh",
        r#"input=$(cat)
case "$input" in *'rm -rf'*) echo "Dangerous command blocked" >&2; exit 2;; esac
exit 0"#,
    )?;
    let d = dispatcher(
        dir.path(),
        &json!({"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": cmd}]}]}),
    );
    let blocked = d
        .dispatch(&pre_tool_use(
            dir.path(),
            "Bash",
            json!({"command": "rm -rf /tmp/b"}),
        ))
        .await;
    assert_eq!(blocked.runs[0].exit_code, Some(2));
    assert_eq!(
        blocked.outcome.permission_decision,
        Some(PermissionDecision::Deny)
    );
    assert_eq!(
        blocked.outcome.block_reason().as_deref(),
        Some("Dangerous command blocked")
    );
    let fine = d
        .dispatch(&pre_tool_use(dir.path(), "Bash", json!({"command": "ls"})))
        .await;
    assert_eq!(fine.outcome.permission_decision, None);
    assert!(!fine.outcome.is_blocked());
    Ok(())
}

#[tokio::test]
async fn other_exit_codes_are_non_blocking_errors_and_stdout_is_ignored() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hooks = json!({"PreToolUse": [{"hooks": [{"type": "command",
        "command": "echo '{\"decision\":\"deny\"}'; echo broken >&2; exit 3"}]}]});
    let out = dispatcher(dir.path(), &hooks)
        .dispatch(&pre_tool_use(
            dir.path(),
            "Read",
            json!({"file_path": "/x"}),
        ))
        .await;
    assert_eq!(out.runs[0].status, RunStatus::Exited(3));
    assert_eq!(out.runs[0].stdout, "{\"decision\":\"deny\"}\n");
    assert_eq!(
        out.runs[0].effect,
        Effect::Error("exited with code 3: broken".to_owned())
    );
    assert!(!out.outcome.is_blocked());
    assert_eq!(out.outcome.permission_decision, None);
    assert_eq!(out.outcome.errors.len(), 1);
    Ok(())
}

#[tokio::test]
async fn the_payload_arrives_on_stdin_exactly() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let dump = dir.path().join("stdin.json");
    let hooks = json!({"PreToolUse": [{"hooks": [{"type": "command",
        "command": format!("cat > '{}'", dump.display())}]}]});
    let input = pre_tool_use(dir.path(), "Bash", json!({"command": "echo hi"}));
    dispatcher(dir.path(), &hooks).dispatch(&input).await;
    let got: Value = serde_json::from_str(&std::fs::read_to_string(&dump)?)?;
    assert_eq!(got, input.to_json());
    assert_eq!(
        got,
        json!({
            "session_id": "sess-1",
            "transcript_path": dir.path().join("transcript.jsonl").display().to_string(),
            "cwd": dir.path().display().to_string(),
            "permission_mode": "default",
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": {"command": "echo hi"},
            "tool_use_id": "toolu_01"
        })
    );
    Ok(())
}

#[tokio::test]
async fn the_documented_environment_variables_are_set() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let dump = dir.path().join("env.txt");
    let hooks = json!({"PreToolUse": [{"hooks": [{"type": "command",
    "env": {"FOO": "bar"},
    "command": format!(
        "printf '%s\\n' \"$QODER_PROJECT_DIR\" \"$QODER_SESSION_ID\" \"$QODER_TOOL_NAME\" \"$QODER_TOOL_INPUT_FILE_PATH\" \"$QODER_CWD\" \"$QODER_TRANSCRIPT_PATH\" \"$FOO\" \"$FROM_SETTINGS\" \"$PWD\" > '{}'",
        dump.display()
    )}]}]});
    let d = ferrule_hooks::Dispatcher::builder(dir.path())
        .hooks(&hooks, ferrule_hooks::HookSource::session("test"))
        .env([("FROM_SETTINGS".to_owned(), "yes".to_owned())])
        .build();
    d.dispatch(&pre_tool_use(
        dir.path(),
        "Edit",
        json!({"file_path": "/w/a.ts"}),
    ))
    .await;
    let project = std::fs::canonicalize(dir.path())?.display().to_string();
    let d = dir.path().display().to_string();
    let lines: Vec<String> = std::fs::read_to_string(&dump)?
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        lines,
        vec![
            d.clone(),
            "sess-1".to_owned(),
            "Edit".to_owned(),
            "/w/a.ts".to_owned(),
            d.clone(),
            format!("{d}/transcript.jsonl"),
            "bar".to_owned(),
            "yes".to_owned(),
            project,
        ]
    );
    Ok(())
}

fn alive(pid: i32) -> bool {
    // A killed process may linger as a zombie until reaped; count only
    // processes that are not zombies.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z'),
        Err(_) => false,
    }
}

#[tokio::test]
async fn a_hook_past_its_timeout_is_killed_with_its_children() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let pid_file = dir.path().join("child.pid");
    let hooks = json!({"PreToolUse": [{"hooks": [{"type": "command", "timeout": 1,
        "command": format!("sleep 300 & echo $! > '{}'; wait", pid_file.display())}]}]});
    // The dispatch must come back soon after the timeout (not when the
    // orphaned `sleep 300` would end).
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        dispatcher(dir.path(), &hooks).dispatch(&pre_tool_use(
            dir.path(),
            "Bash",
            json!({"command": "ls"}),
        )),
    )
    .await?;
    assert_eq!(out.runs[0].status, RunStatus::TimedOut);
    // PreToolUse fails closed: a hook that timed out asks (decision A-16).
    assert_eq!(
        out.outcome.permission_decision,
        Some(PermissionDecision::Ask)
    );
    let child: i32 = std::fs::read_to_string(&pid_file)?.trim().parse()?;
    let mut gone = false;
    for _ in 0..50 {
        if !alive(child) {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "the hook's child {child} survived the timeout");
    Ok(())
}

#[tokio::test]
async fn a_timeout_outside_pre_tool_use_is_a_non_blocking_error() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hooks =
        json!({"Stop": [{"hooks": [{"type": "command", "command": "sleep 30", "timeout": 0.5}]}]});
    let input = HookInput::sample(HookEvent::Stop, common(dir.path()), None);
    let out = dispatcher(dir.path(), &hooks).dispatch(&input).await;
    assert_eq!(out.runs[0].effect, Effect::Error("timed out".to_owned()));
    assert!(!out.outcome.is_blocked());
    Ok(())
}

#[tokio::test]
async fn garbage_output_is_reported_and_does_not_block() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hooks = json!({"PreToolUse": [{"hooks": [{"type": "command", "command": "echo '{\"decision\": deny!!'"}]}]});
    let out = dispatcher(dir.path(), &hooks)
        .dispatch(&pre_tool_use(dir.path(), "Bash", json!({"command": "ls"})))
        .await;
    let run = &out.runs[0];
    assert_eq!(run.exit_code, Some(0));
    assert!(
        matches!(&run.parsed, Parsed::Invalid(m) if m.starts_with("invalid JSON at line 1 column")),
        "{:?}",
        run.parsed
    );
    assert!(matches!(&run.effect, Effect::Error(_)));
    assert!(!out.outcome.is_blocked());
    assert_eq!(out.outcome.permission_decision, None);
    assert_eq!(out.outcome.errors.len(), 1);
    Ok(())
}

#[tokio::test]
async fn exec_form_passes_arguments_literally_and_substitutes_placeholders() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hooks = json!({"Stop": [{"hooks": [{"type": "command", "command": "/usr/bin/printf",
        "args": ["%s|%s|%s", "a b", "$HOME", "${QODER_PROJECT_DIR}/x"]}]}]});
    let input = HookInput::sample(HookEvent::Stop, common(dir.path()), None);
    let out = dispatcher(dir.path(), &hooks).dispatch(&input).await;
    assert_eq!(
        out.runs[0].stdout,
        format!("a b|$HOME|{}/x", dir.path().display())
    );
    Ok(())
}

#[tokio::test]
async fn a_missing_program_is_a_reported_failure() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hooks = json!({"Stop": [{"hooks": [{"type": "command", "command": "/nonexistent/hook", "args": []}]}]});
    let input = HookInput::sample(HookEvent::Stop, common(dir.path()), None);
    let out = dispatcher(dir.path(), &hooks).dispatch(&input).await;
    assert!(matches!(&out.runs[0].status, RunStatus::Failed(m) if m.contains("/nonexistent/hook")));
    assert!(!out.outcome.is_blocked());
    Ok(())
}

#[tokio::test]
async fn matching_hooks_run_in_parallel() -> Result<()> {
    let dir = tempfile::tempdir()?;
    // Each hook waits for the other's marker: they can only both succeed
    // when they run at the same time.
    let wait_for = |mine: &str, other: &str| {
        format!(
            "touch {mine}; i=0; while [ ! -f {other} ]; do i=$((i+1)); [ $i -gt 100 ] && exit 1; sleep 0.05; done; exit 0"
        )
    };
    let hooks = json!({"Stop": [
        {"hooks": [{"type": "command", "command": wait_for("a", "b")}]},
        {"hooks": [{"type": "command", "command": wait_for("b", "a")}]}
    ]});
    let input = HookInput::sample(HookEvent::Stop, common(dir.path()), None);
    let out = dispatcher(dir.path(), &hooks).dispatch(&input).await;
    let codes: Vec<Option<i32>> = out.runs.iter().map(|r| r.exit_code).collect();
    assert_eq!(codes, vec![Some(0), Some(0)]);
    Ok(())
}

#[tokio::test]
async fn a_sequential_group_runs_in_order() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hooks = json!({"Stop": [{"sequential": true, "hooks": [
        {"type": "command", "command": "sleep 0.3; echo first >> order"},
        {"type": "command", "command": "echo second >> order"}
    ]}]});
    let input = HookInput::sample(HookEvent::Stop, common(dir.path()), None);
    dispatcher(dir.path(), &hooks).dispatch(&input).await;
    assert_eq!(
        std::fs::read_to_string(dir.path().join("order"))?,
        "first\nsecond\n"
    );
    Ok(())
}

#[tokio::test]
async fn identical_hooks_from_different_sources_run_once() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hooks = json!({"Stop": [{"hooks": [{"type": "command", "command": "echo ran >> count"}]}]});
    let d = ferrule_hooks::Dispatcher::builder(dir.path())
        .hooks(
            &hooks,
            ferrule_hooks::HookSource::settings("user", false, "/u/settings.json"),
        )
        .hooks(
            &hooks,
            ferrule_hooks::HookSource::settings("project", true, "/p/settings.json"),
        )
        .build();
    let input = HookInput::sample(HookEvent::Stop, common(dir.path()), None);
    let out = d.dispatch(&input).await;
    assert_eq!(out.runs.len(), 1);
    assert_eq!(std::fs::read_to_string(dir.path().join("count"))?, "ran\n");
    Ok(())
}

#[tokio::test]
async fn a_once_hook_runs_only_after_its_first_success() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hooks = json!({"Stop": [{"hooks": [{"type": "command", "command": "echo ran >> count", "once": true}]}]});
    let d = dispatcher(dir.path(), &hooks);
    let input = HookInput::sample(HookEvent::Stop, common(dir.path()), None);
    d.dispatch(&input).await;
    let second = d.dispatch(&input).await;
    assert_eq!(second.runs.len(), 0);
    assert_eq!(std::fs::read_to_string(dir.path().join("count"))?, "ran\n");
    Ok(())
}

#[tokio::test]
async fn if_conditions_filter_by_the_primary_argument() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hooks = json!({"PreToolUse": [{"matcher": "Bash", "hooks": [
        {"type": "command", "command": "echo git >&2; exit 2", "if": "Bash(git *)"}
    ]}]});
    let d = dispatcher(dir.path(), &hooks);
    let git = d
        .dispatch(&pre_tool_use(
            dir.path(),
            "Bash",
            json!({"command": "cd x && git push"}),
        ))
        .await;
    assert_eq!(git.outcome.block_reason().as_deref(), Some("git"));
    let ls = d
        .dispatch(&pre_tool_use(dir.path(), "Bash", json!({"command": "ls"})))
        .await;
    assert_eq!(ls.runs.len(), 0);
    Ok(())
}

#[tokio::test]
async fn matchers_select_the_groups_that_run() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hooks = json!({"PreToolUse": [
        {"matcher": "Bash", "hooks": [{"type": "command", "command": "echo bash"}]},
        {"matcher": "Write|Edit", "hooks": [{"type": "command", "command": "echo write-or-edit"}]},
        {"matcher": "mcp__.*", "hooks": [{"type": "command", "command": "echo mcp"}]},
        {"hooks": [{"type": "command", "command": "echo all"}]}
    ]});
    let d = dispatcher(dir.path(), &hooks);
    let mut seen = Vec::new();
    for tool in ["Bash", "BashOutput", "Edit", "mcp__gh__list"] {
        let out = d.dispatch(&pre_tool_use(dir.path(), tool, json!({}))).await;
        let lines: Vec<String> = out
            .runs
            .iter()
            .map(|r| r.stdout.trim().to_owned())
            .collect();
        seen.push((tool, lines));
    }
    assert_eq!(
        seen,
        vec![
            ("Bash", vec!["bash".to_owned(), "all".to_owned()]),
            ("BashOutput", vec!["all".to_owned()]),
            ("Edit", vec!["write-or-edit".to_owned(), "all".to_owned()]),
            ("mcp__gh__list", vec!["mcp".to_owned(), "all".to_owned()]),
        ]
    );
    Ok(())
}

#[tokio::test]
async fn plain_stdout_of_user_prompt_submit_becomes_context() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hooks = json!({"UserPromptSubmit": [{"hooks": [{"type": "command", "command": "echo 'Follow .editorconfig'"}]}]});
    let input = HookInput::sample(HookEvent::UserPromptSubmit, common(dir.path()), None);
    let out = dispatcher(dir.path(), &hooks).dispatch(&input).await;
    assert_eq!(
        out.outcome.additional_context,
        vec!["Follow .editorconfig".to_owned()]
    );
    Ok(())
}

#[tokio::test]
async fn background_hooks_report_later_and_rewake_on_exit_two() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hooks = json!({"PostToolUse": [{"hooks": [
        {"type": "command", "command": "echo done", "async": true},
        {"type": "command", "command": "echo 'lint failed' >&2; exit 2", "asyncRewake": true, "rewakeMessage": "Lint"}
    ]}]});
    let mut input = HookInput::sample(HookEvent::PostToolUse, common(dir.path()), Some("Write"));
    if let ferrule_hooks::EventPayload::PostToolUse(p) = &mut input.payload {
        p.tool_response = json!({"success": true});
    }
    let d = dispatcher(dir.path(), &hooks);
    let out = d.dispatch(&input).await;
    assert_eq!((out.runs.len(), out.backgrounded), (0, 2));
    let mut done = d.join_background().await;
    done.sort_by(|a, b| a.run.hook.cmp(&b.run.hook));
    let summary: Vec<(String, Option<String>)> = done
        .iter()
        .map(|b| (b.run.stdout.trim().to_owned(), b.rewake.clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (String::new(), Some("Lint:\nlint failed".to_owned())),
            ("done".to_owned(), None),
        ]
    );
    Ok(())
}

#[tokio::test]
async fn an_event_without_hooks_runs_nothing() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let d = dispatcher(
        dir.path(),
        &json!({"Stop": [{"hooks": [{"type": "command", "command": "exit 2"}]}]}),
    );
    let out = d
        .dispatch(&pre_tool_use(dir.path(), "Bash", json!({})))
        .await;
    assert_eq!(out, ferrule_hooks::Dispatch::default());
    Ok(())
}
