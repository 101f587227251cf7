//! Arbitrary bytes as a settings file.
//!
//! Properties: parsing never panics; every diagnostic carries the file's
//! path and 1-based positions; an error diagnostic appears exactly when no
//! settings come out; settings that come out print and re-parse to the same
//! settings without diagnostics of a new kind; unknown keys keep the value
//! they had in the input.

#![no_main]

use std::path::Path;

use ferrule_config::{Severity, Settings, parse_settings};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let path = Path::new("/fuzz/.qoder/settings.json");
    let parsed = parse_settings(&text, path);
    for d in &parsed.diagnostics {
        assert_eq!(d.path, path, "diagnostic without the file path: {d:?}");
        assert!(d.line.is_none_or(|l| l >= 1) && d.column.is_none_or(|c| c >= 1));
        assert!(!d.message.is_empty());
    }
    let errors = parsed.diagnostics.iter().any(|d| d.severity == Severity::Error);
    assert_eq!(errors, parsed.settings.is_none(), "{:?}", parsed.diagnostics);
    let Some(settings) = parsed.settings else {
        return;
    };

    // Unknown top-level keys keep their input value.
    if let Ok(Value::Object(input)) = serde_json::from_str::<Value>(&text) {
        for (key, value) in &settings.extra {
            assert_eq!(input.get(key), Some(value), "unknown key `{key}` changed");
        }
    }

    // Print and re-parse: the same settings, still no errors.
    let printed = serde_json::to_string(&settings).expect("settings always serialize");
    let again = parse_settings(&printed, path);
    assert!(
        again.diagnostics.iter().all(|d| d.severity == Severity::Warning),
        "re-parse failed: {:?}\n{printed}",
        again.diagnostics
    );
    let again: Settings = again.settings.expect("no error means settings");
    assert_eq!(again, settings, "round trip changed the settings:\n{printed}");
});
