//! How a ferrule tool call looks to an ACP client: its kind, a title, the
//! files it touches, diffs for edits, and the plan of a `TodoWrite`.

use std::path::{Path, PathBuf};

use agent_client_protocol::v1::schema::{
    ContentBlock, Diff, Plan, PlanEntry, PlanEntryPriority, PlanEntryStatus, TextContent,
    ToolCallContent, ToolCallLocation, ToolCallUpdateFields, ToolKind,
};
use serde_json::Value;

/// The ACP kind of a tool.
pub(crate) fn kind(tool: &str) -> ToolKind {
    match tool {
        "Read" | "NotebookRead" => ToolKind::Read,
        "Edit" | "MultiEdit" | "Write" | "NotebookEdit" => ToolKind::Edit,
        "Grep" | "Glob" | "LS" => ToolKind::Search,
        "Bash" | "BashOutput" | "KillShell" | "KillBash" => ToolKind::Execute,
        "WebFetch" | "WebSearch" => ToolKind::Fetch,
        "TodoWrite" | "Agent" | "Task" => ToolKind::Think,
        "ExitPlanMode" | "EnterPlanMode" => ToolKind::SwitchMode,
        _ => ToolKind::Other,
    }
}

fn field<'a>(input: &'a Value, name: &str) -> Option<&'a str> {
    input.get(name).and_then(Value::as_str)
}

/// A short title for the call, e.g. `Edit src/lib.rs` or `` `cargo test` ``.
pub(crate) fn title(tool: &str, input: &Value) -> String {
    let path = || field(input, "file_path").or_else(|| field(input, "notebook_path"));
    let described = match tool {
        "Read" | "NotebookRead" => path().map(|p| format!("Read {p}")),
        "Edit" | "MultiEdit" | "NotebookEdit" => path().map(|p| format!("Edit {p}")),
        "Write" => path().map(|p| format!("Write {p}")),
        "Bash" => field(input, "command").map(|c| format!("`{}`", c.trim())),
        "Grep" => field(input, "pattern").map(|p| format!("grep {p:?}")),
        "Glob" => field(input, "pattern").map(|p| format!("Find {p}")),
        "WebFetch" => field(input, "url").map(|u| format!("Fetch {u}")),
        "WebSearch" => field(input, "query").map(|q| format!("Search the web for {q:?}")),
        "TodoWrite" => Some("Update the plan".to_owned()),
        "Config" => match (field(input, "action"), field(input, "key")) {
            (Some("set"), Some(key)) => Some(format!("Set setting {key}")),
            (Some("get"), Some(key)) => Some(format!("Read setting {key}")),
            _ => Some("List settings".to_owned()),
        },
        "Agent" | "Task" => field(input, "description").map(str::to_owned),
        "ExitPlanMode" => Some("Ready to code".to_owned()),
        "EnterPlanMode" => Some("Plan first".to_owned()),
        _ => None,
    };
    described.unwrap_or_else(|| tool.to_owned())
}

/// The files the call reads or writes, absolute (relative paths are taken
/// from `cwd`), with the first line when the call names one.
pub(crate) fn locations(input: &Value, cwd: &Path) -> Vec<ToolCallLocation> {
    ["file_path", "notebook_path", "path"]
        .iter()
        .find_map(|name| field(input, name))
        .map(|path| {
            let path = absolute(path, cwd);
            let line = input
                .get("offset")
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok());
            vec![ToolCallLocation::new(path).line(line)]
        })
        .unwrap_or_default()
}

fn absolute(path: &str, cwd: &Path) -> PathBuf {
    let path = Path::new(path);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    }
}

/// Diffs for an edit, before it runs: `Edit` and `MultiEdit` show each
/// replaced text, `Write` the new file.
pub(crate) fn diffs(tool: &str, input: &Value, cwd: &Path) -> Vec<ToolCallContent> {
    let Some(path) = field(input, "file_path").map(|p| absolute(p, cwd)) else {
        return Vec::new();
    };
    let diff = |old: Option<&str>, new: &str| {
        ToolCallContent::Diff(Diff::new(path.clone(), new).old_text(old.map(str::to_owned)))
    };
    match tool {
        "Edit" => match field(input, "new_string") {
            Some(new) => vec![diff(field(input, "old_string"), new)],
            None => Vec::new(),
        },
        "MultiEdit" => input
            .get("edits")
            .and_then(Value::as_array)
            .map(|edits| {
                edits
                    .iter()
                    .filter_map(|edit| {
                        field(edit, "new_string").map(|new| diff(field(edit, "old_string"), new))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        "Write" => match field(input, "content") {
            Some(content) => vec![diff(None, content)],
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Everything known about a call once its input is complete.
pub(crate) fn call_fields(tool: &str, input: &Value, cwd: &Path) -> ToolCallUpdateFields {
    let mut fields = ToolCallUpdateFields::new()
        .kind(kind(tool))
        .title(title(tool, input))
        .locations(locations(input, cwd))
        .raw_input(input.clone());
    let diffs = diffs(tool, input, cwd);
    if !diffs.is_empty() {
        fields = fields.content(diffs);
    }
    fields
}

/// Text as tool call content.
pub(crate) fn text_content(text: impl Into<String>) -> ToolCallContent {
    ToolCallContent::from(ContentBlock::Text(TextContent::new(text)))
}

/// The plan a `TodoWrite` call sets (cancelled tasks are left out), or
/// `None` when the input is not a task list.
pub(crate) fn plan(input: &Value) -> Option<Plan> {
    let todos = input.get("todos")?.as_array()?;
    let entries = todos
        .iter()
        .filter_map(|todo| {
            let content = field(todo, "content")?;
            let status = match field(todo, "status")? {
                "pending" => PlanEntryStatus::Pending,
                "in_progress" => PlanEntryStatus::InProgress,
                "completed" => PlanEntryStatus::Completed,
                _ => return None,
            };
            let priority = match field(todo, "priority") {
                Some("high") => PlanEntryPriority::High,
                Some("low") => PlanEntryPriority::Low,
                _ => PlanEntryPriority::Medium,
            };
            Some(PlanEntry::new(content, priority, status))
        })
        .collect();
    Some(Plan::new(entries))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn edits_show_a_diff_and_the_file() {
        let cwd = Path::new("/p");
        let input = json!({"file_path": "src/a.rs", "old_string": "x", "new_string": "y"});
        let fields = call_fields("Edit", &input, cwd);
        assert_eq!(fields.kind, Some(ToolKind::Edit));
        assert_eq!(fields.title.as_deref(), Some("Edit src/a.rs"));
        let locations = fields.locations.unwrap();
        assert_eq!(locations[0].path, Path::new("/p/src/a.rs"));
        let content = fields.content.unwrap();
        let ToolCallContent::Diff(diff) = &content[0] else {
            panic!("a diff expected: {content:?}");
        };
        assert_eq!(diff.old_text.as_deref(), Some("x"));
        assert_eq!(diff.new_text, "y");
    }

    #[test]
    fn todos_become_plan_entries() {
        let plan = plan(&json!({"todos": [
            {"content": "a", "status": "completed"},
            {"content": "b", "status": "in_progress", "priority": "high"},
            {"content": "c", "status": "cancelled"}
        ]}))
        .unwrap();
        assert_eq!(plan.entries.len(), 2);
        assert_eq!(plan.entries[1].status, PlanEntryStatus::InProgress);
        assert_eq!(plan.entries[1].priority, PlanEntryPriority::High);
        assert!(super::plan(&json!({"x": 1})).is_none());
    }

    #[test]
    fn commands_are_executed_and_titled_by_their_text() {
        assert_eq!(kind("Bash"), ToolKind::Execute);
        assert_eq!(title("Bash", &json!({"command": " ls -la "})), "`ls -la`");
        assert_eq!(title("mcp__x__y", &json!({})), "mcp__x__y");
        assert_eq!(
            title(
                "Config",
                &json!({"action": "set", "key": "model", "value": "m"})
            ),
            "Set setting model"
        );
        assert_eq!(title("Config", &json!({"action": "list"})), "List settings");
    }
}
