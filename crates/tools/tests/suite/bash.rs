//! Bash in the foreground, with real shells in temporary directories.

use std::path::Path;
use std::time::Duration;

use ferrule_tool::{Tool, ToolContext, ToolTarget};
use ferrule_tools::{BashTool, MAX_OUTPUT_CHARS};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

struct Shell {
    dir: tempfile::TempDir,
    ctx: ToolContext,
    tool: BashTool,
}

impl Shell {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ToolContext::builder(dir.path()).build().unwrap();
        Self {
            dir,
            ctx,
            tool: BashTool::default(),
        }
    }

    fn root(&self) -> &Path {
        self.ctx.cwd()
    }

    async fn run(&self, input: Value) -> (String, Value) {
        let out = Tool::call(&self.tool, input, &self.ctx).await.unwrap();
        (out.text_content(), out.structured)
    }
}

/// True once `pid` no longer runs (gone, or a zombie nobody reaped yet).
fn is_dead(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

async fn wait_until_dead(pid: u32) -> bool {
    for _ in 0..50 {
        if is_dead(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

fn read_pid(path: &Path) -> u32 {
    std::fs::read_to_string(path)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn stdout_stderr_and_a_nonzero_exit_code_are_a_result() {
    let shell = Shell::new();
    let (text, structured) = shell
        .run(json!({"command": "echo out; echo err >&2; exit 3"}))
        .await;
    assert_eq!(
        structured,
        json!({"stdout": "out\n", "stderr": "err\n", "exitCode": 3, "interrupted": false,
            "cwd": shell.root().display().to_string()})
    );
    assert_eq!(text, "out\nerr\nExit code 3");
}

#[tokio::test]
async fn grep_finding_nothing_is_reported_as_a_normal_outcome() {
    let shell = Shell::new();
    std::fs::write(shell.root().join("f.txt"), "alpha\n").unwrap();
    let (text, structured) = shell.run(json!({"command": "grep beta f.txt"})).await;
    assert_eq!(structured["exitCode"], json!(1));
    assert_eq!(
        text,
        "Exit code 1 (for grep this means no match or a difference, not a failure)"
    );
}

#[tokio::test]
async fn a_command_without_output_says_so() {
    let shell = Shell::new();
    let (text, _) = shell.run(json!({"command": "true"})).await;
    assert_eq!(text, "(no output)");
}

#[tokio::test]
async fn the_working_directory_persists_between_calls() {
    let shell = Shell::new();
    let (_, structured) = shell
        .run(json!({"command": "mkdir -p sub/deeper && cd sub/deeper"}))
        .await;
    let deeper = shell.root().join("sub/deeper").display().to_string();
    assert_eq!(
        structured["cwd"],
        json!(deeper),
        "the result names the new directory"
    );
    let (_, structured) = shell.run(json!({"command": "pwd -P"})).await;
    assert_eq!(structured["stdout"], json!(format!("{deeper}\n")));
}

#[tokio::test]
async fn the_directory_is_tracked_even_when_the_command_exits_early() {
    let shell = Shell::new();
    std::fs::create_dir(shell.root().join("sub")).unwrap();
    let (_, structured) = shell.run(json!({"command": "cd sub; exit 2"})).await;
    assert_eq!(structured["exitCode"], json!(2));
    let (_, structured) = shell.run(json!({"command": "pwd -P"})).await;
    assert_eq!(
        structured["stdout"],
        json!(format!("{}\n", shell.root().join("sub").display()))
    );
}

#[tokio::test]
async fn environment_variables_and_functions_do_not_persist() {
    let shell = Shell::new();
    shell
        .run(json!({"command": "export FERRULE_T=1; f() { echo f; }"}))
        .await;
    let (_, structured) = shell
        .run(json!({"command": "echo ${FERRULE_T:-unset}; type f >/dev/null 2>&1 || echo nofunc"}))
        .await;
    assert_eq!(structured["stdout"], json!("unset\nnofunc\n"));
}

#[tokio::test]
async fn cd_outside_the_allowed_directories_is_reset_with_a_note() {
    let shell = Shell::new();
    let (text, _) = shell.run(json!({"command": "cd /"})).await;
    assert_eq!(
        text,
        format!(
            "The command changed directory to /, which is outside the allowed directories; the \
             shell's directory was reset to {}.",
            shell.root().display()
        )
    );
    let (_, structured) = shell.run(json!({"command": "pwd -P"})).await;
    assert_eq!(
        structured["stdout"],
        json!(format!("{}\n", shell.root().display()))
    );
}

#[tokio::test]
async fn dir_path_runs_one_command_in_that_directory() {
    let shell = Shell::new();
    std::fs::create_dir(shell.root().join("pkg")).unwrap();
    let (_, structured) = shell
        .run(json!({"command": "pwd -P", "dir_path": "pkg"}))
        .await;
    assert_eq!(
        structured["stdout"],
        json!(format!("{}\n", shell.root().join("pkg").display()))
    );
    let (_, structured) = shell.run(json!({"command": "pwd -P"})).await;
    assert_eq!(
        structured["stdout"],
        json!(format!("{}\n", shell.root().display()))
    );
    let error = Tool::call(
        &shell.tool,
        json!({"command": "true", "dir_path": "/"}),
        &shell.ctx,
    )
    .await
    .unwrap_err();
    assert!(
        error.message().contains("outside the allowed directories"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_timeout_kills_the_command_and_its_background_children() {
    let shell = Shell::new();
    let (text, structured) = shell
        .run(json!({
            "command": "sleep 300 & echo $! > child.pid; sleep 300",
            "timeout": 700,
        }))
        .await;
    assert_eq!(structured["interrupted"], json!(true));
    assert!(text.contains("Command timed out after 700 ms"), "{text}");
    let child = read_pid(&shell.root().join("child.pid"));
    assert!(
        wait_until_dead(child).await,
        "sleep {child} survived the timeout"
    );
}

#[tokio::test]
async fn cancelling_the_call_kills_the_command_mid_run() {
    let shell = Shell::new();
    let cancel = CancellationToken::new();
    let ctx = shell.ctx.with_cancel_token(cancel.clone());
    let pid_file = shell.root().join("child.pid");
    let call = Tool::call(
        &shell.tool,
        json!({"command": "echo started; sleep 300 & echo $! > child.pid; sleep 300"}),
        &ctx,
    );
    let canceller = async {
        while !pid_file.exists() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        cancel.cancel();
    };
    let (out, ()) = tokio::join!(call, canceller);
    let out = out.unwrap().structured;
    // stderr may carry the shell's "Terminated" line for the killed sleep.
    // The shell ends by SIGTERM (143), or by the SIGKILL that follows the
    // grace period (137) when the signal lands while it is forking.
    assert_eq!(
        (&out["stdout"], &out["interrupted"]),
        (&json!("started\n"), &json!(true))
    );
    assert!(
        [json!(143), json!(137)].contains(&out["exitCode"]),
        "exit code {} is not a signal death",
        out["exitCode"]
    );
    assert!(wait_until_dead(read_pid(&pid_file)).await);
}

#[tokio::test]
async fn a_child_left_holding_the_output_is_killed_with_a_note() {
    let shell = Shell::new();
    let (text, structured) = shell
        .run(json!({"command": "echo ready; sleep 300 & echo $! > child.pid"}))
        .await;
    assert_eq!(structured["exitCode"], json!(0));
    assert_eq!(structured["interrupted"], json!(false));
    assert_eq!(
        text,
        "ready\nProcesses the command left running still held its output and were killed; use \
         run_in_background for servers and watchers."
    );
    assert!(wait_until_dead(read_pid(&shell.root().join("child.pid"))).await);
}

#[tokio::test]
async fn a_child_with_its_output_redirected_may_outlive_the_command() {
    let shell = Shell::new();
    let (text, _) = shell
        .run(json!({"command": "sleep 300 >/dev/null 2>&1 & echo $! > child.pid"}))
        .await;
    assert_eq!(text, "(no output)");
    let child = read_pid(&shell.root().join("child.pid"));
    assert!(!is_dead(child), "a detached child was killed");
    std::process::Command::new("kill")
        .arg(child.to_string())
        .status()
        .unwrap();
}

#[tokio::test]
async fn huge_output_keeps_both_ends_and_says_how_much_was_cut() {
    let shell = Shell::new();
    let (text, structured) = shell.run(json!({"command": "seq 1 300000"})).await;
    assert!(text.starts_with("1\n2\n3\n") && text.ends_with("299999\n300000"));
    assert!(text.chars().count() <= MAX_OUTPUT_CHARS + 100);
    let stdout = structured["stdout"].as_str().unwrap();
    assert!(stdout.starts_with("1\n2\n3\n"));
    assert!(stdout.ends_with("299999\n300000\n"));
    assert!(stdout.contains("of output elided"), "no marker");
    assert!(stdout.chars().count() <= MAX_OUTPUT_CHARS + 100);
}

#[tokio::test]
async fn large_output_on_both_streams_does_not_deadlock() {
    let shell = Shell::new();
    let (text, structured) = shell
        .run(json!({
            "command": "head -c 3000000 /dev/zero | tr '\\0' o; head -c 3000000 /dev/zero | tr '\\0' e >&2; echo done",
            "timeout": 60000,
        }))
        .await;
    assert_eq!(structured["interrupted"], json!(false));
    assert_eq!(structured["exitCode"], json!(0));
    assert!(structured["stdout"].as_str().unwrap().ends_with("odone\n"));
    assert!(structured["stderr"].as_str().unwrap().ends_with("eee"));
    // Both streams share the model's budget: half each.
    assert!(
        text.chars().count() <= MAX_OUTPUT_CHARS + 200,
        "{}",
        text.len()
    );
    assert!(text.starts_with("ooo") && text.ends_with("eee"));
    assert!(text.contains("odone\neee"));
}

#[tokio::test]
async fn a_timeout_above_the_maximum_is_clamped_with_a_note() {
    let shell = Shell::new();
    let (text, _) = shell
        .run(json!({"command": "echo hi", "timeout": 900000}))
        .await;
    assert_eq!(
        text,
        "hi\nThe timeout 900000 ms was lowered to the maximum, 600000 ms."
    );
}

#[tokio::test]
async fn bad_input_is_an_error_naming_the_field() {
    let shell = Shell::new();
    let zero = Tool::call(
        &shell.tool,
        json!({"command": "true", "timeout": 0}),
        &shell.ctx,
    )
    .await
    .unwrap_err();
    assert_eq!(
        zero.message(),
        "`timeout` must be a positive number of milliseconds"
    );
    let empty = Tool::call(&shell.tool, json!({"command": "  "}), &shell.ctx)
        .await
        .unwrap_err();
    assert_eq!(empty.message(), "`command` is empty; give a shell command");
    let negative = Tool::call(
        &shell.tool,
        json!({"command": "true", "timeout": -5}),
        &shell.ctx,
    )
    .await
    .unwrap_err();
    assert!(
        negative.message().contains("field `timeout`"),
        "{negative:?}"
    );
}

#[tokio::test]
async fn the_sdk_sandbox_flag_is_accepted_and_not_advertised() {
    let shell = Shell::new();
    let (text, _) = shell
        .run(json!({"command": "echo ok", "dangerouslyDisableSandbox": true}))
        .await;
    assert_eq!(text, "ok");
    let schema = Tool::input_schema(&shell.tool);
    assert_eq!(schema["properties"].get("dangerouslyDisableSandbox"), None);
}

#[tokio::test]
async fn the_permission_target_is_the_command_and_bash_is_not_read_only() {
    let shell = Shell::new();
    let targets = Tool::targets(&shell.tool, &json!({"command": "ls -la"}), &shell.ctx).unwrap();
    assert_eq!(
        targets,
        vec![ToolTarget::Command {
            command: "ls -la".to_owned()
        }]
    );
    assert!(!Tool::is_read_only(&shell.tool));
    drop(shell.dir);
}
