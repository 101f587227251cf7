//! Parsing one settings document into [`Settings`] with precise diagnostics.

use std::path::Path;

use serde::Deserialize as _;
use serde_json::{Map, Value};

use crate::diagnostic::{Diagnostic, Severity};
use crate::position::{Segment, line_column, locate, render};
use crate::settings::Settings;

/// The outcome of parsing one settings document.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedSettings {
    /// The settings, or `None` when the document could not be used at all
    /// (invalid JSON, not an object, a typed key of the wrong type).
    pub settings: Option<Settings>,
    /// Errors (when `settings` is `None`) and warnings (unknown keys).
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses `text` as the settings file `path` (used only in diagnostics).
///
/// Invalid JSON is reported with serde_json's line and column; a value of
/// the wrong type under a known key is reported with its JSON path and the
/// position of the value; unknown keys are kept in the settings' `extra`
/// maps and reported as warnings with their path and position. An empty (or
/// all-whitespace) file is an empty settings object; a leading byte-order
/// mark is ignored.
pub fn parse_settings(text: &str, path: &Path) -> ParsedSettings {
    // Some Windows editors start UTF-8 files with a byte-order mark; it is
    // invisible to the user, so positions are counted without it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return ParsedSettings {
            settings: Some(Settings::default()),
            diagnostics: Vec::new(),
        };
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let d = Diagnostic::new(
                path,
                Severity::Error,
                format!("invalid JSON: {}", strip_position(&e)),
            )
            .at(e.line(), e.column());
            return failed(d);
        }
    };
    let Value::Object(object) = &value else {
        let d = Diagnostic::new(
            path,
            Severity::Error,
            format!(
                "expected a JSON object at the top level, found {}",
                kind(&value)
            ),
        );
        let d = position_of(text, &[]).map_or(d.clone(), |(l, c)| d.at(l, c));
        return failed(d);
    };
    match Settings::deserialize(&value) {
        Ok(settings) => {
            let mut diagnostics = Vec::new();
            for key_path in unknown_keys(&settings) {
                let mut d = Diagnostic::new(
                    path,
                    Severity::Warning,
                    "unknown key; kept but not used by this version",
                )
                .with_json_path(render(&key_path));
                if let Some(at) = locate(text, &key_path) {
                    let (l, c) = line_column(text, at.key.unwrap_or(at.value));
                    d = d.at(l, c);
                }
                diagnostics.push(d);
            }
            diagnostics.sort_by_key(|d| (d.line, d.column));
            ParsedSettings {
                settings: Some(settings),
                diagnostics,
            }
        }
        Err(e) => {
            let (bad_path, message) = narrow_type_error(object, e.to_string());
            let mut d =
                Diagnostic::new(path, Severity::Error, message).with_json_path(render(&bad_path));
            if let Some((l, c)) = position_of(text, &bad_path) {
                d = d.at(l, c);
            }
            failed(d)
        }
    }
}

/// The raw JSON object of a settings file that must be rewritten without
/// losing anything (import, edits): validated like [`parse_settings`], an
/// empty file is an empty object.
///
/// # Errors
/// The first error diagnostic of the file.
pub(crate) fn parse_object(text: &str, path: &Path) -> Result<Map<String, Value>, Diagnostic> {
    if let Some(d) = parse_settings(text, path)
        .diagnostics
        .into_iter()
        .find(|d| d.severity == Severity::Error)
    {
        return Err(d);
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) | Err(_) => Err(Diagnostic::new(
            path,
            Severity::Error,
            "expected a JSON object at the top level",
        )),
    }
}

fn failed(d: Diagnostic) -> ParsedSettings {
    ParsedSettings {
        settings: None,
        diagnostics: vec![d],
    }
}

fn position_of(text: &str, path: &[Segment]) -> Option<(usize, usize)> {
    locate(text, path).map(|at| line_column(text, at.value))
}

/// serde_json appends " at line L column C"; the diagnostic carries those
/// separately.
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rsplit_once(" at line ") {
        Some((msg, _)) => msg.to_owned(),
        None => s,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Finds the smallest part of the document that still fails to deserialize.
///
/// Every key of [`Settings`] is optional, so a document holding only one
/// member (at any depth, arrays cut down to the one element) is valid exactly
/// when that member is. Serde loses the path inside flattened structs, so we
/// narrow it down ourselves; this runs only when a file is already broken.
fn narrow_type_error(root: &Map<String, Value>, first_message: String) -> (Vec<Segment>, String) {
    let mut path: Vec<Segment> = Vec::new();
    let mut message = first_message;
    let mut node = Value::Object(root.clone());
    'descend: loop {
        let children: Vec<(Segment, Value)> = match &node {
            Value::Object(m) => m
                .iter()
                .map(|(k, v)| (Segment::Key(k.clone()), v.clone()))
                .collect(),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| (Segment::Index(i), v.clone()))
                .collect(),
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => break,
        };
        for (seg, child) in children {
            let mut probe_path = path.clone();
            probe_path.push(seg);
            let doc = wrap(&probe_path, child.clone());
            if let Err(e) = serde_json::from_value::<Settings>(doc) {
                message = e.to_string();
                path = probe_path;
                node = child;
                continue 'descend;
            }
        }
        break;
    }
    (path, message)
}

/// Builds the document that holds only `leaf` at `path`.
fn wrap(path: &[Segment], leaf: Value) -> Value {
    path.iter().rev().fold(leaf, |inner, seg| match seg {
        Segment::Key(k) => {
            let mut m = Map::new();
            m.insert(k.clone(), inner);
            Value::Object(m)
        }
        Segment::Index(_) => Value::Array(vec![inner]),
    })
}

/// Paths of every key kept in an `extra` map.
pub(crate) fn unknown_keys(s: &Settings) -> Vec<Vec<Segment>> {
    let mut out = Vec::new();
    let root: Vec<Segment> = Vec::new();
    push_extra(&mut out, &root, &s.extra);
    let at = |name: &str| vec![Segment::Key(name.to_owned())];
    if let Some(p) = &s.permissions {
        push_extra(&mut out, &at("permissions"), &p.extra);
    }
    if let Some(g) = &s.general {
        let base = at("general");
        push_extra(&mut out, &base, &g.extra);
        if let Some(plan) = &g.plan {
            push_extra(&mut out, &join(&base, "plan"), &plan.extra);
        }
        if let Some(fc) = &g.file_checkpointing {
            push_extra(&mut out, &join(&base, "fileCheckpointing"), &fc.extra);
        }
    }
    if let Some(x) = &s.security {
        push_extra(&mut out, &at("security"), &x.extra);
    }
    if let Some(x) = &s.auto_mode {
        push_extra(&mut out, &at("autoMode"), &x.extra);
    }
    if let Some(hooks) = &s.hooks {
        for (event, groups) in hooks {
            let event_path = join(&at("hooks"), event);
            for (i, g) in groups.iter().enumerate() {
                let mut p = event_path.clone();
                p.push(Segment::Index(i));
                push_extra(&mut out, &p, &g.extra);
            }
        }
    }
    if let Some(a) = &s.agents {
        let base = at("agents");
        push_extra(&mut out, &base, &a.extra);
        for (name, o) in a.overrides.iter().flatten() {
            push_extra(&mut out, &join(&join(&base, "overrides"), name), &o.extra);
        }
    }
    if let Some(x) = &s.context {
        push_extra(&mut out, &at("context"), &x.extra);
    }
    if let Some(x) = &s.tools {
        push_extra(&mut out, &at("tools"), &x.extra);
    }
    if let Some(x) = &s.remote {
        push_extra(&mut out, &at("remote"), &x.extra);
    }
    if let Some(x) = &s.security_scan {
        push_extra(&mut out, &at("securityScan"), &x.extra);
    }
    out
}

fn join(base: &[Segment], key: &str) -> Vec<Segment> {
    let mut p = base.to_vec();
    p.push(Segment::Key(key.to_owned()));
    p
}

fn push_extra(out: &mut Vec<Vec<Segment>>, base: &[Segment], extra: &Map<String, Value>) {
    out.extend(extra.keys().map(|k| join(base, k)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    const P: &str = "/proj/.qoder/settings.json";

    fn diag(text: &str) -> Vec<Diagnostic> {
        parse_settings(text, Path::new(P)).diagnostics
    }

    #[test]
    fn syntax_error_names_line_and_column() {
        let text = "{\n  \"model\": \"auto\",\n  \"env\": {\"A\": 1,}\n}";
        assert_eq!(
            diag(text),
            vec![Diagnostic::new(P, Severity::Error, "invalid JSON: trailing comma").at(3, 18)]
        );
    }

    #[test]
    fn type_error_names_json_path_and_value_position() {
        let text = "{\n  \"permissions\": {\n    \"allow\": [\"Read\", 7]\n  }\n}";
        let parsed = parse_settings(text, Path::new(P));
        assert_eq!(parsed.settings, None);
        assert_eq!(
            parsed.diagnostics,
            vec![
                Diagnostic::new(
                    P,
                    Severity::Error,
                    "invalid type: integer `7`, expected a string"
                )
                .at(3, 23)
                .with_json_path("permissions.allow[1]")
            ]
        );
    }

    #[test]
    fn top_level_array_is_rejected() {
        assert_eq!(
            diag("  [1]"),
            vec![
                Diagnostic::new(
                    P,
                    Severity::Error,
                    "expected a JSON object at the top level, found an array"
                )
                .at(1, 3)
            ]
        );
    }

    #[test]
    fn unknown_keys_are_kept_and_warned_with_position() {
        let text = "{\"model\": \"m\",\n \"fancy\": true,\n \"general\": {\"plan\": {\"x\": 1}}}";
        let parsed = parse_settings(text, Path::new(P));
        let settings = parsed.settings.unwrap();
        assert_eq!(settings.extra.get("fancy"), Some(&Value::Bool(true)));
        let warn = |path: &str, l, c| {
            Diagnostic::new(
                P,
                Severity::Warning,
                "unknown key; kept but not used by this version",
            )
            .at(l, c)
            .with_json_path(path)
        };
        assert_eq!(
            parsed.diagnostics,
            vec![warn("fancy", 2, 2), warn("general.plan.x", 3, 23)]
        );
    }

    #[test]
    fn unknown_numbers_survive_print_and_reparse() {
        // Found by fuzz_settings: without serde_json's float_roundtrip a long
        // mantissa parses to a neighbour of the value that prints back.
        let text = format!(r#"{{"n": 3333{}3333333233333333333e3}}"#, "9".repeat(90));
        let first = parse_settings(&text, Path::new(P)).settings.unwrap();
        let printed = serde_json::to_string(&first).unwrap();
        let second = parse_settings(&printed, Path::new(P)).settings.unwrap();
        assert_eq!(first, second);
    }

    #[test]
    fn byte_order_mark_is_ignored_and_not_counted() {
        let parsed = parse_settings("\u{feff}{\"model\": 1}", Path::new(P));
        assert_eq!(parsed.diagnostics[0].column, Some(11));
        let ok = parse_settings("\u{feff}{\"model\": \"m\"}", Path::new(P));
        assert_eq!(ok.settings.unwrap().model.as_deref(), Some("m"));
    }

    #[test]
    fn empty_file_is_empty_settings() {
        assert_eq!(
            parse_settings(" \n", Path::new(P)),
            ParsedSettings {
                settings: Some(Settings::default()),
                diagnostics: vec![]
            }
        );
    }

    #[test]
    fn wrong_type_for_a_section_points_at_the_section() {
        let d = diag(r#"{"hooks": {"Stop": [{"hooks": "echo"}]}}"#);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].json_path.as_deref(), Some("hooks.Stop[0].hooks"));
        assert_eq!((d[0].line, d[0].column), (Some(1), Some(31)));
    }
}
