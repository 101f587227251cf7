//! One-line summaries of tool calls: the tool's name and its main argument.

use serde_json::Value;

/// The input field that says most about a call of `tool`.
fn main_key(tool: &str) -> Option<&'static str> {
    Some(match tool {
        "Bash" => "command",
        "Read" | "Write" | "Edit" | "MultiEdit" => "file_path",
        "NotebookEdit" => "notebook_path",
        "Glob" | "Grep" => "pattern",
        "LS" => "path",
        "WebFetch" => "url",
        "WebSearch" => "query",
        "Agent" | "Task" => "description",
        "TaskOutput" | "TaskStop" => "task_id",
        _ => return None,
    })
}

/// The call's main argument, shortened to one line of at most 80
/// characters; for unknown tools the first string field.
pub fn main_argument(tool: &str, input: &Value) -> Option<String> {
    let value = match main_key(tool) {
        Some(key) => input.get(key).and_then(Value::as_str),
        None => match tool {
            "TodoWrite" => {
                let count = input.get("todos").and_then(Value::as_array).map(Vec::len)?;
                return Some(format!("{count} todos"));
            }
            _ => input
                .as_object()
                .and_then(|map| map.values().find_map(Value::as_str)),
        },
    }?;
    let first_line = value.lines().next().unwrap_or("");
    let more = value.lines().nth(1).is_some();
    let mut out: String = first_line.chars().take(80).collect();
    if more || first_line.chars().count() > 80 {
        out.push('…');
    }
    Some(out)
}

/// `Name(main argument)`, or just the name.
pub fn tool_summary(tool: &str, input: &Value) -> String {
    match main_argument(tool, input) {
        Some(arg) => format!("{tool}({arg})"),
        None => tool.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn known_tools_show_their_main_argument() {
        assert_eq!(
            tool_summary("Bash", &json!({"command": "cargo test"})),
            "Bash(cargo test)"
        );
        assert_eq!(
            tool_summary("Read", &json!({"file_path": "/a/b.rs"})),
            "Read(/a/b.rs)"
        );
        assert_eq!(
            tool_summary("TodoWrite", &json!({"todos": [1, 2]})),
            "TodoWrite(2 todos)"
        );
        assert_eq!(
            tool_summary("mcp__x__y", &json!({"q": "hello"})),
            "mcp__x__y(hello)"
        );
        assert_eq!(tool_summary("Bash", &Value::Null), "Bash");
    }

    #[test]
    fn long_and_multi_line_arguments_are_cut() {
        let long = "x".repeat(100);
        let summary = tool_summary("Bash", &json!({"command": long}));
        assert_eq!(summary.chars().count(), "Bash()".len() + 81);
        assert_eq!(
            tool_summary("Bash", &json!({"command": "a\nb"})),
            "Bash(a…)"
        );
    }
}
