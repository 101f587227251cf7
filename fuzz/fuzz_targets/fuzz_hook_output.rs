//! Arbitrary bytes as a hook's stdout, for an event chosen by the first
//! byte.
//!
//! Properties: parsing never panics; errors carry a message (and 1-based
//! positions for invalid JSON); an accepted output prints back with
//! `to_json` and re-parses, from the value and from the text, to the same
//! output; reading the text as an exit-0 result gives that output, and
//! merging it never panics and never blocks an event unless the output
//! asked for it.

#![no_main]

use ferrule_hooks::{
    Decision, Effect, HookEvent, HookRun, Outcome, OutputError, Parsed, PermissionDecision,
    RawResult, RunStatus, interpret, parse_output, parse_output_value,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let event = HookEvent::ALL[usize::from(first) % HookEvent::COUNT];
    let text = String::from_utf8_lossy(rest);
    let parsed = parse_output(event, &text);
    match &parsed {
        Err(e) => {
            assert!(!e.to_string().is_empty());
            if let OutputError::Json { line, column, .. } = e {
                assert!(*line >= 1 && *column >= 1, "{e}");
            }
        }
        Ok(out) => {
            let printed = out.to_json();
            assert_eq!(
                parse_output_value(event, &printed).as_ref(),
                Ok(out),
                "{printed}"
            );
            assert_eq!(parse_output(event, &printed.to_string()).as_ref(), Ok(out));
        }
    }

    let raw = RawResult {
        status: RunStatus::Exited(0),
        stdout: text.clone().into_owned(),
        stderr: String::new(),
    };
    let (how, effect) = interpret(event, &raw);
    if let (Ok(out), Parsed::Json(got)) = (&parsed, &how) {
        assert_eq!(out, got.as_ref());
    }
    let run = HookRun {
        hook: "command fuzz".to_owned(),
        hook_type: "command",
        source: String::new(),
        status: raw.status.clone(),
        exit_code: Some(0),
        stdout: raw.stdout.clone(),
        stderr: String::new(),
        duration: std::time::Duration::ZERO,
        parsed: how.clone(),
        effect: effect.clone(),
    };
    let outcome = Outcome::merge(event, &[run]);
    if outcome.is_blocked() {
        // Only an output that says deny/block can block on exit 0.
        let Parsed::Json(out) = &how else {
            panic!("blocked without a JSON output: {how:?}");
        };
        let top = matches!(out.decision, Some(Decision::Deny | Decision::Block));
        let specific = out
            .hook_specific_output
            .as_ref()
            .is_some_and(|s| s.permission_decision == Some(PermissionDecision::Deny));
        assert!(top || specific, "blocked by {out:?}");
    }
    assert!(matches!(
        effect,
        Effect::Success | Effect::Error(_) | Effect::Ignored
    ));
});
