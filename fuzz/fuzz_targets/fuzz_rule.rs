//! Permission rule strings: never a panic, and every rule that parses
//! displays as a fixed point that parses back to the same rule.
//!
//! Properties:
//! - `parse(display(parse(s))) == parse(s)` and `display` is idempotent;
//! - the tool part of any text can be taken without panicking;
//! - compiling the text in each list of a policy never panics, and a text
//!   that does not parse is reported once per list with its index.

#![no_main]

use ferrule_permissions::{Behavior, Policy, RuleSource, parse_rule, tool_part};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = tool_part(text);
    let parsed = parse_rule(text);
    if let Ok(rule) = &parsed {
        let shown = rule.to_string();
        assert_eq!(
            parse_rule(&shown).as_ref(),
            Ok(rule),
            "{text:?} displayed as {shown:?}"
        );
        assert_eq!(parse_rule(&shown).map(|r| r.to_string()), Ok(shown.clone()));
    }
    let source = || RuleSource {
        path: Some("/w/proj/.qoder/settings.json".into()),
        root: "/w/proj".into(),
    };
    let policy = Policy::builder("/w/proj", "/home/u")
        .rules(Behavior::Allow, [text], source())
        .rules(Behavior::Ask, [text], source())
        .rules(Behavior::Deny, [text], source())
        .build();
    let diagnostics = policy.diagnostics();
    if parsed.is_err() {
        assert_eq!(diagnostics.len(), 3, "{text:?}: {diagnostics:?}");
        assert!(diagnostics.iter().all(|d| d.index == 0 && d.text == text));
    }
    assert!(diagnostics.len() <= 3);
});
