//! One hook's raw result and what it means for the event, by the exit-code
//! rules of cli-core.md §5.4: 0 = success (stdout parsed when it is JSON),
//! 2 = block with stderr as the reason, anything else = a non-blocking
//! error. A timeout or a crash is a non-blocking error too, except for
//! PreToolUse, where ferrule fails closed and asks (decision A-16).

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::event::{Blocking, HookEvent};
use crate::output::{HookOutput, OutputError, parse_output, parse_output_value};

/// How a hook's execution ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "detail", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RunStatus {
    /// The process exited with this code.
    Exited(i32),
    /// The process was killed by a signal (a crash).
    Signaled(i32),
    /// It did not finish in time; the process group was killed.
    TimedOut,
    /// It could not be started (bad program, no runner configured ...).
    Failed(String),
    /// An http hook got this status code.
    Http(u16),
    /// A prompt, agent or SDK callback answered.
    Answered,
}

/// What the hook's output was read as.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Parsed {
    /// Nothing to parse (empty output, or output that is ignored).
    Nothing,
    /// A valid JSON output.
    Json(Box<HookOutput>),
    /// JSON that was rejected; reported as a non-blocking error.
    Invalid(String),
    /// Plain text (injected as context by SessionStart/UserPromptSubmit).
    Text(String),
}

/// What one hook's result does to the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "effect", content = "message", rename_all = "snake_case")]
pub enum Effect {
    /// Success; the parsed output (if any) applies.
    Success,
    /// The event's action is blocked, with this reason.
    Block(String),
    /// PreToolUse only: the call needs approval (a failed hook fails closed).
    Ask(String),
    /// A non-blocking error, shown to the user; the flow continues.
    Error(String),
    /// The event ignores hook results (StopFailure, InstructionsLoaded).
    Ignored,
}

/// One hook's complete result: the raw facts and their meaning.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HookRun {
    /// `command ./x.sh`, `http http://...`.
    pub hook: String,
    /// `command`, `http`, `prompt`, `agent` or `callback`.
    pub hook_type: &'static str,
    /// Where the hook was configured (file and JSON path).
    pub source: String,
    /// How it ended (`"status"` and `"detail"` in JSON).
    #[serde(flatten)]
    pub status: RunStatus,
    /// The exit code of a command hook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Its stdout (the response body of an http hook; the answer of a
    /// prompt, agent or callback hook).
    pub stdout: String,
    /// Its stderr (or the error of a failed request).
    pub stderr: String,
    /// How long it ran.
    #[serde(serialize_with = "as_millis")]
    pub duration: Duration,
    /// How stdout was read.
    pub parsed: Parsed,
    /// What it does to the event (`"effect"` and `"message"` in JSON).
    #[serde(flatten)]
    pub effect: Effect,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0)
}

/// The facts a runner reports, before interpretation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResult {
    /// How it ended.
    pub status: RunStatus,
    /// Captured stdout / response body / answer.
    pub stdout: String,
    /// Captured stderr / error text.
    pub stderr: String,
}

/// A prompt or agent hook's answer: `{ok, reason}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, Serialize)]
pub struct Verdict {
    /// `true` allows, `false` blocks.
    pub ok: bool,
    /// Why (shown to the agent on a block).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Reads a command (or http) hook's result for `event`.
pub fn interpret(event: HookEvent, raw: &RawResult) -> (Parsed, Effect) {
    let blocking = event.blocking();
    match &raw.status {
        RunStatus::Exited(0) => success_output(event, &raw.stdout, Source::Process),
        RunStatus::Http(code) if (200..300).contains(code) => {
            success_output(event, &raw.stdout, Source::Http)
        }
        RunStatus::Exited(2) => (Parsed::Nothing, exit_two(event, &raw.stderr)),
        RunStatus::Exited(code) => {
            let message = with_detail(&format!("exited with code {code}"), &raw.stderr);
            (Parsed::Nothing, failure(blocking, message))
        }
        RunStatus::Http(code) => {
            let message = with_detail(&format!("HTTP status {code}"), &raw.stdout);
            (Parsed::Nothing, failure(blocking, message))
        }
        RunStatus::Signaled(signal) => {
            let message = with_detail(&format!("killed by signal {signal}"), &raw.stderr);
            (Parsed::Nothing, crash(event, message))
        }
        RunStatus::TimedOut => (Parsed::Nothing, crash(event, "timed out".to_owned())),
        RunStatus::Failed(why) => (Parsed::Nothing, crash(event, why.clone())),
        RunStatus::Answered => success_output(event, &raw.stdout, Source::Process),
    }
}

/// Reads a prompt or agent hook's verdict for `event`.
pub fn interpret_verdict(event: HookEvent, verdict: &Verdict) -> Effect {
    if event.blocking() == Blocking::Ignored {
        return Effect::Ignored;
    }
    if verdict.ok {
        return Effect::Success;
    }
    let reason = verdict
        .reason
        .clone()
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(|| "blocked by a hook".to_owned());
    match event.blocking() {
        Blocking::Blocks | Blocking::AnyFailureBlocks => Effect::Block(reason),
        Blocking::NoEffect | Blocking::Ignored => Effect::Error(reason),
    }
}

/// Reads an SDK callback's answer for `event`.
pub fn interpret_value(event: HookEvent, value: &Value) -> (Parsed, Effect) {
    if event.blocking() == Blocking::Ignored {
        return (Parsed::Nothing, Effect::Ignored);
    }
    match parse_output_value(event, value) {
        Ok(out) => (Parsed::Json(Box::new(out)), Effect::Success),
        Err(e) => invalid(e),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Process,
    Http,
}

fn success_output(event: HookEvent, stdout: &str, source: Source) -> (Parsed, Effect) {
    if event.blocking() == Blocking::Ignored {
        return (Parsed::Nothing, Effect::Ignored);
    }
    let text = stdout.trim();
    if text.is_empty() {
        return (Parsed::Nothing, Effect::Success);
    }
    // "JSON if it is JSON": text that opens like a JSON object or array is
    // held to JSON; an http response body always is.
    if text.starts_with('{') || text.starts_with('[') || source == Source::Http {
        return match parse_output(event, text) {
            Ok(out) => (Parsed::Json(Box::new(out)), Effect::Success),
            Err(e) => invalid(e),
        };
    }
    (Parsed::Text(text.to_owned()), Effect::Success)
}

fn invalid(e: OutputError) -> (Parsed, Effect) {
    let message = format!("invalid hook output: {e}");
    (Parsed::Invalid(e.to_string()), Effect::Error(message))
}

fn exit_two(event: HookEvent, stderr: &str) -> Effect {
    let reason = stderr.trim();
    let reason = if reason.is_empty() {
        "blocked by a hook (exit code 2)".to_owned()
    } else {
        reason.to_owned()
    };
    match event.blocking() {
        Blocking::Blocks | Blocking::AnyFailureBlocks => Effect::Block(reason),
        Blocking::NoEffect => Effect::Error(with_detail("exited with code 2", stderr)),
        Blocking::Ignored => Effect::Ignored,
    }
}

fn failure(blocking: Blocking, message: String) -> Effect {
    match blocking {
        Blocking::AnyFailureBlocks => Effect::Block(message),
        Blocking::Ignored => Effect::Ignored,
        Blocking::Blocks | Blocking::NoEffect => Effect::Error(message),
    }
}

/// A timeout, a crash or a start failure: PreToolUse fails closed.
fn crash(event: HookEvent, message: String) -> Effect {
    if event == HookEvent::PreToolUse {
        return Effect::Ask(format!(
            "a PreToolUse hook failed ({message}); asking instead"
        ));
    }
    failure(event.blocking(), message)
}

fn with_detail(what: &str, detail: &str) -> String {
    let detail = detail.trim();
    if detail.is_empty() {
        what.to_owned()
    } else {
        format!("{what}: {detail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn raw(status: RunStatus, stdout: &str, stderr: &str) -> RawResult {
        RawResult {
            status,
            stdout: stdout.to_owned(),
            stderr: stderr.to_owned(),
        }
    }

    #[test]
    fn exit_two_blocks_with_stderr_for_blocking_events() {
        let r = raw(RunStatus::Exited(2), "ignored", " no rm \n");
        assert_eq!(
            interpret(HookEvent::PreToolUse, &r),
            (Parsed::Nothing, Effect::Block("no rm".to_owned()))
        );
    }

    #[test]
    fn exit_two_is_only_an_error_where_the_event_cannot_block() {
        let r = raw(RunStatus::Exited(2), "", "x");
        assert_eq!(
            interpret(HookEvent::PostToolUse, &r).1,
            Effect::Error("exited with code 2: x".to_owned())
        );
    }

    #[test]
    fn other_exit_codes_are_non_blocking_and_ignore_stdout() {
        let r = raw(RunStatus::Exited(1), r#"{"decision":"deny"}"#, "oops");
        assert_eq!(
            interpret(HookEvent::PreToolUse, &r),
            (
                Parsed::Nothing,
                Effect::Error("exited with code 1: oops".to_owned())
            )
        );
    }

    #[test]
    fn garbage_json_is_a_reported_non_blocking_error() {
        let r = raw(RunStatus::Exited(0), "{not json", "");
        let (parsed, effect) = interpret(HookEvent::PreToolUse, &r);
        assert!(matches!(parsed, Parsed::Invalid(_)));
        assert!(
            matches!(effect, Effect::Error(m) if m.starts_with("invalid hook output: invalid JSON"))
        );
    }

    #[test]
    fn plain_text_is_kept_as_text() {
        let r = raw(RunStatus::Exited(0), "hello\n", "");
        assert_eq!(
            interpret(HookEvent::SessionStart, &r),
            (Parsed::Text("hello".to_owned()), Effect::Success)
        );
    }

    #[test]
    fn a_timed_out_pre_tool_use_hook_asks_and_others_continue() {
        let r = raw(RunStatus::TimedOut, "", "");
        assert!(matches!(
            interpret(HookEvent::PreToolUse, &r).1,
            Effect::Ask(_)
        ));
        assert_eq!(
            interpret(HookEvent::Stop, &r).1,
            Effect::Error("timed out".to_owned())
        );
    }

    #[test]
    fn any_failure_fails_worktree_creation() {
        let r = raw(RunStatus::Exited(1), "", "no space");
        assert_eq!(
            interpret(HookEvent::WorktreeCreate, &r).1,
            Effect::Block("exited with code 1: no space".to_owned())
        );
    }

    #[test]
    fn notification_only_events_ignore_results() {
        let r = raw(RunStatus::Exited(2), "", "x");
        assert_eq!(interpret(HookEvent::StopFailure, &r).1, Effect::Ignored);
        let r = raw(RunStatus::Exited(0), "{bad", "");
        assert_eq!(
            interpret(HookEvent::InstructionsLoaded, &r),
            (Parsed::Nothing, Effect::Ignored)
        );
    }

    #[test]
    fn a_negative_verdict_blocks() {
        let v = Verdict {
            ok: false,
            reason: Some("unsafe".to_owned()),
        };
        assert_eq!(
            interpret_verdict(HookEvent::PreToolUse, &v),
            Effect::Block("unsafe".to_owned())
        );
    }
}
