//! The merge behaviour table: one folder per case under `tests/fixtures/merge/`
//! with `home/` and `proj/` trees and `expected.json`
//! (`{"merged": …, "diagnostics": [{"file", "line"?, "column"?, "json_path"?,
//! "severity", "message"}]}`, files relative to the case folder).

#![allow(
    clippy::unwrap_used,
    reason = "a fixture that cannot be read should fail the test at once"
)]

use std::path::Path;

use ferrule_config::{LoadOptions, load};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

fn run_case(case: &Path) -> (Value, Value) {
    let mut opts = LoadOptions::new(case.join("proj"));
    opts.home = Some(case.join("home"));
    opts.user_dir = Some(case.join("home/.qoder"));
    opts.env = Some(Default::default());
    let loaded = load(&opts);
    let diagnostics: Vec<Value> = loaded
        .diagnostics
        .iter()
        .map(|d| {
            let mut v = json!({
                "file": d.path.strip_prefix(case).unwrap_or(&d.path),
                "severity": d.severity,
                "message": d.message,
            });
            if let Some(line) = d.line {
                v["line"] = json!(line);
            }
            if let Some(column) = d.column {
                v["column"] = json!(column);
            }
            if let Some(p) = &d.json_path {
                v["json_path"] = json!(p);
            }
            v
        })
        .collect();
    let got = json!({"merged": loaded.merged, "diagnostics": diagnostics});
    let want: Value =
        serde_json::from_str(&std::fs::read_to_string(case.join("expected.json")).unwrap())
            .unwrap_or_else(|e| panic!("{}: bad expected.json: {e}", case.display()));
    (got, want)
}

#[test]
fn every_merge_fixture_gives_its_expected_result() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/merge");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 10,
        "fixtures missing under {}",
        root.display()
    );
    for case in cases {
        let (got, want) = run_case(&case);
        assert_eq!(got, want, "case {}", case.display());
    }
}
