//! `ferrule hooks test` against the real binary, with real hook scripts.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    /// A temp `home/` and `proj/` with `proj/.qoder/settings.json` holding
    /// `hooks`.
    fn new(hooks: Value) -> std::io::Result<Self> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("home/.qoder"))?;
        std::fs::create_dir_all(dir.path().join("proj/.qoder"))?;
        let p = Self { dir };
        p.write("proj/.qoder/settings.json", &json!({"hooks": hooks}))?;
        Ok(p)
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write(&self, rel: &str, value: &Value) -> std::io::Result<()> {
        std::fs::write(self.path(rel), value.to_string())
    }

    fn run(&self, args: &[&str]) -> std::io::Result<Output> {
        Command::new(env!("CARGO_BIN_EXE_ferrule"))
            .arg("hooks")
            .arg("test")
            .args(args)
            .current_dir(self.path("proj"))
            .env("HOME", self.path("home"))
            .env("FERRULE_POLICY_SETTINGS", self.path("policy.json"))
            .env_remove("FERRULE_HOME")
            .env_remove("RUST_BACKTRACE")
            .output()
    }

    fn json(&self, args: &[&str]) -> anyhow::Result<Value> {
        let mut all = args.to_vec();
        all.push("--json");
        let out = self.run(&all)?;
        anyhow::ensure!(
            out.status.success(),
            "exit {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        let mut v: Value = serde_json::from_slice(&out.stdout)?;
        redact(&mut v);
        Ok(v)
    }
}

/// Durations differ from run to run.
fn redact(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if o.contains_key("duration") {
                o.insert("duration".to_owned(), json!("<ms>"));
            }
            o.values_mut().for_each(redact);
        }
        Value::Array(a) => a.iter_mut().for_each(redact),
        _ => {}
    }
}

fn settings(p: &Project) -> String {
    p.path("proj/.qoder/settings.json").display().to_string()
}

fn dir(p: &Project) -> String {
    p.path("proj").display().to_string()
}

fn input(p: &Path, tool_input: Value) -> Value {
    json!({
        "session_id": "hooks-test",
        "transcript_path": "",
        "cwd": p.display().to_string(),
        "permission_mode": "default",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": tool_input,
        "tool_use_id": "toolu_test"
    })
}

#[test]
fn a_blocking_hook_and_a_garbage_hook_are_reported_with_the_merged_outcome() -> anyhow::Result<()> {
    let p = Project::new(json!({"PreToolUse": [{"matcher": "Bash", "hooks": [
        {"type": "command", "command": "cat > stdin.json; echo 'no rm' >&2; exit 2"},
        {"type": "command", "command": "echo '{\"decision\": nope'"}
    ]}]}))?;
    let got = p.json(&[
        "PreToolUse",
        "--tool",
        "Bash",
        "--input",
        r#"{"command": "rm -rf x"}"#,
    ])?;
    let source = |i: usize| {
        format!(
            "project settings {} hooks.PreToolUse[0].hooks[{i}]",
            settings(&p)
        )
    };
    let want = json!({
        "event": "PreToolUse",
        "directory": dir(&p),
        "trust": "trusted for this run (non-interactive)",
        "input": input(&p.path("proj"), json!({"command": "rm -rf x"})),
        "diagnostics": [],
        "skipped": [],
        "runs": [
            {
                "hook": "command cat > stdin.json; echo 'no rm' >&2; exit 2",
                "hook_type": "command",
                "source": source(0),
                "status": "exited", "detail": 2,
                "exit_code": 2,
                "stdout": "",
                "stderr": "no rm\n",
                "duration": "<ms>",
                "parsed": {"kind": "nothing"},
                "effect": "block", "message": "no rm"
            },
            {
                "hook": "command echo '{\"decision\": nope'",
                "hook_type": "command",
                "source": source(1),
                "status": "exited", "detail": 0,
                "exit_code": 0,
                "stdout": "{\"decision\": nope\n",
                "stderr": "",
                "duration": "<ms>",
                "parsed": {"kind": "invalid", "value": "invalid JSON at line 1 column 15: expected ident"},
                "effect": "error", "message": "invalid hook output: invalid JSON at line 1 column 15: expected ident"
            }
        ],
        "background": [],
        "outcome": {
            "blocked": ["no rm"],
            "permission_decision": "deny",
            "permission_decision_reason": "no rm",
            "errors": [{"hook": "command echo '{\"decision\": nope'", "message": "invalid hook output: invalid JSON at line 1 column 15: expected ident"}]
        }
    });
    assert_eq!(got, want);
    // The hook read exactly the input that was reported.
    let stdin: Value = serde_json::from_str(&std::fs::read_to_string(p.path("proj/stdin.json"))?)?;
    assert_eq!(stdin, want["input"]);
    Ok(())
}

#[test]
fn text_output_shows_each_hook_and_the_outcome() -> anyhow::Result<()> {
    let p = Project::new(json!({"Stop": [{"hooks": [
        {"type": "command", "command": "echo '{\"decision\":\"block\",\"reason\":\"tests fail\"}'"}
    ]}]}))?;
    let out = p.run(&["Stop"])?;
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout)?;
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("  status:"))
        .collect();
    let input = format!(
        r#"input: {{"session_id":"hooks-test","transcript_path":"","cwd":"{d}","permission_mode":"default","hook_event_name":"Stop","stop_hook_active":false,"last_assistant_message":""}}"#,
        d = dir(&p)
    );
    let hook = r#"hook 1: command echo '{"decision":"block","reason":"tests fail"}'"#;
    let source = format!(
        "  source: project settings {} hooks.Stop[0].hooks[0]",
        settings(&p)
    );
    assert_eq!(
        lines,
        vec![
            "event: Stop",
            &format!(
                "directory: {} (trusted for this run (non-interactive))",
                dir(&p)
            ),
            &input,
            "",
            hook,
            &source,
            "  stdout:",
            r#"    | {"decision":"block","reason":"tests fail"}"#,
            "  stderr: (empty)",
            r#"  parsed: JSON {"decision":"block","reason":"tests fail"}"#,
            "  effect: success",
            "",
            "outcome:",
            r#"  blocked: ["tests fail"]"#,
        ]
    );
    assert!(text.contains("  status: exit code 0, "), "{text}");
    Ok(())
}

#[test]
fn untrusted_skips_project_hooks_but_runs_user_hooks() -> anyhow::Result<()> {
    let p = Project::new(
        json!({"Stop": [{"hooks": [{"type": "command", "command": "echo project"}]}]}),
    )?;
    p.write(
        "home/.qoder/settings.json",
        &json!({"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "echo user"}]}]}}),
    )?;
    let got = p.json(&["Stop", "--untrusted"])?;
    let stdout: Vec<&Value> = got["runs"]
        .as_array()
        .map(|r| r.iter().map(|r| &r["stdout"]).collect())
        .unwrap_or_default();
    assert_eq!(stdout, vec![&json!("user\n")]);
    assert_eq!(
        got["skipped"],
        json!([{"path": settings(&p), "reason": "the folder is not trusted"}])
    );
    assert_eq!(
        got["trust"],
        json!("not trusted: project and local hooks are skipped")
    );

    // Listing the folder in the user's trustDirectories trusts it even then.
    p.write(
        "home/.qoder/settings.json",
        &json!({"permissions": {"trustDirectories": [dir(&p)]}}),
    )?;
    let got = p.json(&["Stop", "--untrusted"])?;
    assert_eq!(got["runs"][0]["stdout"], json!("project\n"));
    Ok(())
}

#[test]
fn input_overrides_payload_fields_of_other_events_and_matchers_apply() -> anyhow::Result<()> {
    let p = Project::new(json!({"SessionStart": [
        {"matcher": "resume", "hooks": [{"type": "command", "command": "echo resumed"}]},
        {"matcher": "startup", "hooks": [{"type": "command", "command": "echo started"}]}
    ]}))?;
    let got = p.json(&["SessionStart", "--input", r#"{"source": "resume"}"#])?;
    assert_eq!(got["input"]["source"], json!("resume"));
    assert_eq!(got["runs"].as_array().map(Vec::len), Some(1));
    assert_eq!(got["outcome"]["additional_context"], json!(["resumed"]));
    Ok(())
}

#[test]
fn bad_arguments_are_clear_errors() -> anyhow::Result<()> {
    let p = Project::new(json!({}))?;
    let cases = [
        (vec!["PreToolUze"], "unknown hook event `PreToolUze`"),
        (
            vec!["Stop", "--input", "{oops"],
            "--input is not valid JSON",
        ),
        (
            vec!["Stop", "--input", "[1]"],
            "--input must be a JSON object",
        ),
        (
            vec!["PreCompact", "--input", r#"{"trigger": "sometimes"}"#],
            "--input: invalid PreCompact hook input at `trigger`",
        ),
    ];
    for (args, message) in cases {
        let out = p.run(&args)?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    Ok(())
}

#[test]
fn config_problems_are_printed_and_the_other_hooks_still_run() -> anyhow::Result<()> {
    let p = Project::new(json!({"Stop": [{"hooks": [
        {"type": "command", "command": 5},
        {"type": "command", "command": "echo ok"}
    ]}]}))?;
    let out = p.run(&["Stop"])?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim(),
        format!(
            "error: {}: hooks.Stop[0].hooks[0].command: invalid type: integer `5`, expected a string; hook ignored",
            settings(&p)
        )
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("    | ok"));
    Ok(())
}

#[test]
fn plugin_hooks_run_with_the_plugin_directories() -> anyhow::Result<()> {
    let p = Project::new(json!({}))?;
    std::fs::create_dir_all(p.path("plugin/hooks"))?;
    p.write(
        "plugin/hooks/hooks.json",
        &json!({"hooks": {"Stop": [{"hooks": [{"type": "command",
            "command": "printf '%s|%s' \"$QODER_PLUGIN_ROOT\" \"$QODER_PLUGIN_DATA\""}]}]}}),
    )?;
    let plugin = p.path("plugin").display().to_string();
    let got = p.json(&["Stop", "--plugin-dir", &plugin])?;
    let data = p
        .path("home/.qoder/plugins/data/plugin")
        .display()
        .to_string();
    assert_eq!(got["runs"][0]["stdout"], json!(format!("{plugin}|{data}")));
    assert_eq!(
        got["runs"][0]["source"],
        json!(format!(
            "plugin plugin {plugin}/hooks/hooks.json hooks.Stop[0].hooks[0]"
        ))
    );
    Ok(())
}
