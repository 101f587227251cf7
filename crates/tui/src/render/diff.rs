//! Line diffs of file edits, from the Edit, MultiEdit and Write inputs.

use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use serde_json::Value;
use similar::{ChangeTag, TextDiff};

const REMOVED: Style = Style::new().fg(Color::Red);
const ADDED: Style = Style::new().fg(Color::Green);
const CONTEXT: Style = Style::new().fg(Color::DarkGray);

/// The diff lines a file tool's `input` stands for, or nothing for other
/// tools. Write shows its whole content as added lines.
pub(crate) fn edit_diff(tool: &str, input: &Value) -> Vec<Line<'static>> {
    let text = |key: &str| input.get(key).and_then(Value::as_str).unwrap_or("");
    match tool {
        "Edit" => diff_lines(text("old_string"), text("new_string")),
        "MultiEdit" => {
            let mut out = Vec::new();
            for edit in input
                .get("edits")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let field = |key: &str| edit.get(key).and_then(Value::as_str).unwrap_or("");
                if !out.is_empty() {
                    out.push(Line::from(Span::styled("  ⋯", CONTEXT)));
                }
                out.extend(diff_lines(field("old_string"), field("new_string")));
            }
            out
        }
        "Write" => text("content")
            .lines()
            .map(|line| Line::from(Span::styled(format!("+ {line}"), ADDED)))
            .collect(),
        _ => Vec::new(),
    }
}

/// `-`/`+` lines of the change from `old` to `new`, with unchanged lines
/// in between dimmed.
pub(crate) fn diff_lines(old: &str, new: &str) -> Vec<Line<'static>> {
    let diff = TextDiff::from_lines(old, new);
    diff.iter_all_changes()
        .map(|change| {
            let text = change
                .value()
                .trim_end_matches(['\n', '\r'])
                .replace('\t', "    ");
            let (sign, style) = match change.tag() {
                ChangeTag::Delete => ('-', REMOVED),
                ChangeTag::Insert => ('+', ADDED),
                ChangeTag::Equal => (' ', CONTEXT),
            };
            Line::from(Span::styled(format!("{sign} {text}"), style))
        })
        .collect()
}

/// Count of added and removed lines, for the one-line summary.
pub(crate) fn counts(lines: &[Line<'_>]) -> (usize, usize) {
    let mut added = 0;
    let mut removed = 0;
    for line in lines {
        match line.spans.first().map(|s| s.style) {
            Some(style) if style == ADDED => added += 1,
            Some(style) if style == REMOVED => removed += 1,
            _ => {}
        }
    }
    (added, removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plain(lines: &[Line<'_>]) -> String {
        lines
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn edit_shows_removed_and_added_lines() {
        let input = json!({
            "file_path": "src/lib.rs",
            "old_string": "fn a() {\n    1\n}\n",
            "new_string": "fn a() {\n    2\n}\n",
        });
        let lines = edit_diff("Edit", &input);
        insta::assert_snapshot!(plain(&lines));
        assert_eq!(counts(&lines), (1, 1));
        assert_eq!(lines[1].spans[0].style, REMOVED);
    }

    #[test]
    fn write_is_all_added() {
        let lines = edit_diff("Write", &json!({"file_path": "a", "content": "x\ny\n"}));
        assert_eq!(plain(&lines), "+ x\n+ y");
        assert_eq!(counts(&lines), (2, 0));
    }

    #[test]
    fn other_tools_have_no_diff() {
        assert!(edit_diff("Bash", &json!({"command": "ls"})).is_empty());
    }
}
