//! ferrule-hooks: the cost of a dispatch that runs nothing (it sits on every
//! tool call), of one real command hook beside spawning the same shell
//! directly, and of parsing a hook's output beside a bare JSON parse. Run
//! with `cargo bench -p ferrule-benches --bench hooks`; figures are recorded
//! in README.md ("Hooks").

use std::future::Future;
use std::pin::pin;
use std::process::{Command, Stdio};
use std::task::{Context, Poll, Waker};

use divan::Bencher;
use ferrule_hooks::{
    CommonFields, Dispatch, Dispatcher, EventPayload, HookEvent, HookInput, HookSource,
    parse_output,
};
use serde_json::json;

fn main() {
    divan::main();
}

/// PreToolUse hooks for 20 other tools (exact names, `a|b` lists and
/// regexes), a Bash group whose `if` never matches, and Stop hooks.
fn busy_config() -> serde_json::Value {
    let mut groups: Vec<serde_json::Value> = (0..10)
        .map(|i| json!({"matcher": format!("Tool{i}"), "hooks": [{"type": "command", "command": format!("echo {i}")}]}))
        .collect();
    groups.extend((0..5).map(|i| json!({"matcher": format!("Write{i}|Edit{i}"), "hooks": [{"type": "command", "command": "x"}]})));
    groups.extend((0..5).map(|i| json!({"matcher": format!("mcp__server{i}__.*"), "hooks": [{"type": "command", "command": "y"}]})));
    groups.push(json!({"matcher": "Bash", "hooks": [{"type": "command", "command": "z", "if": "Bash(git push *)"}]}));
    json!({"PreToolUse": groups, "Stop": [{"hooks": [{"type": "command", "command": "true"}]}]})
}

fn input(tool: &str, tool_input: serde_json::Value) -> HookInput {
    let common = CommonFields {
        session_id: "s".to_owned(),
        transcript_path: "/t.jsonl".to_owned(),
        cwd: "/w".to_owned(),
        permission_mode: Some("default".to_owned()),
        agent_id: None,
        agent_type: None,
    };
    let mut i = HookInput::sample(HookEvent::PreToolUse, common, Some(tool));
    if let EventPayload::PreToolUse(p) = &mut i.payload {
        p.call.tool_input = tool_input;
    }
    i
}

/// Polls a dispatch once: one that runs nothing is ready at once, so this
/// measures the dispatch itself, without any executor.
fn poll_once(d: &Dispatcher, input: &HookInput) -> Option<Dispatch> {
    let mut fut = pin!(d.dispatch(input));
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    }
}

#[divan::bench]
fn dispatch_event_without_hooks(bencher: Bencher<'_, '_>) {
    let d = Dispatcher::builder("/w")
        .hooks(
            &json!({"Stop": [{"hooks": [{"type": "command", "command": "true"}]}]}),
            HookSource::session("bench"),
        )
        .build();
    let i = input("Read", json!({"file_path": "/w/a.rs"}));
    bencher.bench(|| poll_once(&d, divan::black_box(&i)));
}

#[divan::bench]
fn dispatch_21_groups_none_matching(bencher: Bencher<'_, '_>) {
    let d = Dispatcher::builder("/w")
        .hooks(&busy_config(), HookSource::session("bench"))
        .build();
    let i = input("Read", json!({"file_path": "/w/a.rs"}));
    bencher.bench(|| poll_once(&d, divan::black_box(&i)));
}

#[divan::bench]
fn dispatch_bash_if_condition_not_matching(bencher: Bencher<'_, '_>) {
    let d = Dispatcher::builder("/w")
        .hooks(&busy_config(), HookSource::session("bench"))
        .build();
    let i = input("Bash", json!({"command": "cargo test"}));
    bencher.bench(|| poll_once(&d, divan::black_box(&i)));
}

#[divan::bench]
fn dispatch_bash_if_condition_compound_command(bencher: Bencher<'_, '_>) {
    let d = Dispatcher::builder("/w")
        .hooks(&busy_config(), HookSource::session("bench"))
        .build();
    let i = input(
        "Bash",
        json!({"command": "cd crates && cargo test -p x | tail"}),
    );
    bencher.bench(|| poll_once(&d, divan::black_box(&i)));
}

#[divan::bench(sample_count = 30, sample_size = 1)]
fn one_command_hook(bencher: Bencher<'_, '_>) {
    let dir = std::env::temp_dir();
    let d = Dispatcher::builder(&dir)
        .hooks(
            &json!({"PreToolUse": [{"hooks": [{"type": "command", "command": "cat > /dev/null"}]}]}),
            HookSource::session("bench"),
        )
        .build();
    let i = input("Bash", json!({"command": "ls"}));
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    bencher.bench(|| runtime.block_on(d.dispatch(divan::black_box(&i))));
}

#[divan::bench(sample_count = 30, sample_size = 1)]
fn spawn_same_shell_baseline(bencher: Bencher<'_, '_>) {
    use std::io::Write as _;
    let payload = input("Bash", json!({"command": "ls"}))
        .to_json()
        .to_string();
    bencher.bench(|| {
        let mut child = Command::new("bash")
            .args(["-c", "cat > /dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .ok()?;
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(payload.as_bytes());
        }
        child.wait_with_output().ok()
    });
}

const OUTPUT: &str = r#"{"continue":true,"systemMessage":"checked","hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"allow","permissionDecisionReason":"safe read","updatedInput":{"command":"npm test --coverage"},"additionalContext":"coverage on"}}"#;

#[divan::bench]
fn parse_hook_output(bencher: Bencher<'_, '_>) {
    bencher.bench(|| parse_output(HookEvent::PreToolUse, divan::black_box(OUTPUT)));
}

#[divan::bench]
fn parse_untyped_json_baseline(bencher: Bencher<'_, '_>) {
    bencher.bench(|| serde_json::from_str::<serde_json::Value>(divan::black_box(OUTPUT)));
}
