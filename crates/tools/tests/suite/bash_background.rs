//! Background shells: Bash `run_in_background`, TaskOutput, TaskStop, exit
//! notices, and cleanup when the session ends.

use std::time::Duration;

use ferrule_tool::{Tool, ToolContext};
use ferrule_tools::{
    BackgroundTasks, BashTool, TaskExit, TaskOutputTool, TaskStatus, TaskStopTool,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

struct Session {
    _dir: tempfile::TempDir,
    ctx: ToolContext,
    bash: BashTool,
    output: TaskOutputTool,
    stop: TaskStopTool,
}

impl Session {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ToolContext::builder(dir.path()).build().unwrap();
        let tasks = BackgroundTasks::new();
        Self {
            _dir: dir,
            ctx,
            bash: BashTool::new(tasks.clone()),
            output: TaskOutputTool::new(tasks.clone()),
            stop: TaskStopTool::new(tasks),
        }
    }

    async fn start(&self, command: &str) -> String {
        let out = Tool::call(
            &self.bash,
            json!({"command": command, "run_in_background": true}),
            &self.ctx,
        )
        .await
        .unwrap();
        out.structured["backgroundTaskId"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn output(&self, input: Value) -> Value {
        Tool::call(&self.output, input, &self.ctx)
            .await
            .unwrap()
            .structured
    }

    async fn stop(&self, task_id: &str) -> Value {
        Tool::call(&self.stop, json!({"task_id": task_id}), &self.ctx)
            .await
            .unwrap()
            .structured
    }
}

fn is_dead(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

async fn wait_for_file(path: &std::path::Path) -> String {
    for _ in 0..100 {
        if let Ok(text) = std::fs::read_to_string(path)
            && text.ends_with('\n')
        {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{} never appeared", path.display());
}

#[tokio::test]
async fn a_background_task_runs_is_read_and_is_stopped() {
    let session = Session::new();
    let id = session
        .start("echo started; echo warn >&2; sleep 300 & echo $! > child.pid; wait")
        .await;
    assert_eq!(id, "bash_1");
    let pid_file = session.ctx.cwd().join("child.pid");
    let child: u32 = wait_for_file(&pid_file).await.trim().parse().unwrap();
    // The pid file can appear before the readers took the first lines.
    let mut running = Value::Null;
    for _ in 0..100 {
        running = session.output(json!({"task_id": id, "block": false})).await;
        if running["stdout"] == json!("started\n") && running["stderr"] == json!("warn\n") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        running,
        json!({
            "task_id": "bash_1",
            "command": "echo started; echo warn >&2; sleep 300 & echo $! > child.pid; wait",
            "status": "running",
            "exitCode": null,
            "stdout": "started\n",
            "stderr": "warn\n",
        })
    );
    assert_eq!(
        session.stop(&id).await,
        json!({"success": true, "task_id": "bash_1"})
    );
    let stopped = session.output(json!({"task_id": id})).await;
    assert_eq!(stopped["status"], json!("killed"));
    assert_eq!(stopped["exitCode"], json!(143));
    for _ in 0..50 {
        if is_dead(child) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(is_dead(child), "the task's child {child} survived TaskStop");
    assert_eq!(
        session.stop(&id).await,
        json!({
            "success": false,
            "task_id": "bash_1",
            "error": "background task `bash_1` is not running (it exited with code 143)",
        })
    );
}

#[tokio::test]
async fn an_exiting_task_sends_a_notice_and_blocking_output_waits_for_it() {
    let session = Session::new();
    let id = session.start("sleep 0.3; echo hi; exit 4").await;
    let finished = session
        .output(json!({"task_id": id, "block": true, "timeout": 20000}))
        .await;
    assert_eq!(finished["status"], json!("completed"));
    assert_eq!(finished["exitCode"], json!(4));
    assert_eq!(finished["stdout"], json!("hi\n"));
    let notice = tokio::time::timeout(Duration::from_secs(10), session.bash.tasks().next_exit())
        .await
        .unwrap();
    assert_eq!(
        notice,
        Some(TaskExit {
            task_id: id.clone(),
            command: "sleep 0.3; echo hi; exit 4".to_owned(),
            status: TaskStatus::Completed { exit_code: 4 },
        })
    );
    assert_eq!(session.bash.tasks().try_next_exit(), None);
    assert_eq!(session.bash.tasks().list().len(), 1);
}

#[tokio::test]
async fn a_blocking_read_returns_after_its_timeout_while_the_task_runs() {
    let session = Session::new();
    let id = session.start("sleep 300").await;
    let running = session.output(json!({"task_id": id, "timeout": 200})).await;
    assert_eq!(running["status"], json!("running"));
    session.stop(&id).await;
}

#[tokio::test]
async fn unknown_task_ids_are_errors_naming_the_id() {
    let session = Session::new();
    let error = Tool::call(&session.output, json!({"task_id": "bash_9"}), &session.ctx)
        .await
        .unwrap_err();
    assert!(
        error
            .message()
            .starts_with("no background task with id `bash_9`"),
        "{error:?}"
    );
    assert_eq!(
        session.stop("bash_9").await,
        json!({"success": false, "task_id": "bash_9", "error": "no background task with id `bash_9`"})
    );
}

#[tokio::test]
async fn ending_the_session_kills_every_background_task() {
    let session = Session::new();
    session
        .start("sleep 300 & echo $! > child.pid; sleep 300")
        .await;
    let pid_file = session.ctx.cwd().join("child.pid");
    let child: u32 = wait_for_file(&pid_file).await.trim().parse().unwrap();
    assert!(!is_dead(child));
    let Session {
        _dir,
        bash,
        output,
        stop,
        ..
    } = session;
    drop((bash, output, stop));
    for _ in 0..50 {
        if is_dead(child) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        is_dead(child),
        "background child {child} outlived the session"
    );
}
