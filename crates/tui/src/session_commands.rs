//! Slash commands over the session's features (`qoder-docs/cli/command.md`):
//! `/tasks`, `/config`, `/skills`, `/effort`, `/context-window`, `/export`
//! and `/review`. The plain parts live here; the event loop runs what
//! needs the agent or waits (stopping a task, the context window).

use std::path::{Path, PathBuf};

use ferrule_model::Thinking;

use crate::session::Session;
use crate::state::{Cell, ToolStatus, tool_summary};

/// The prompt `/review` sends (a prompt command in the docs: "Review local
/// pending git changes"), the user's instructions appended.
pub(crate) const REVIEW_PROMPT: &str = "Review the pending changes in this git repository: \
run `git status` and `git diff HEAD` (and read the new, untracked files) to see them. Look for \
bugs, unhandled errors and edge cases, security problems, missing tests, and code that does not \
follow the conventions of the surrounding code. Report what you find grouped by file, most \
important first, with the line and a concrete fix for each point; say so plainly when the \
changes look right. Do not change any file.";

/// `/review [instructions]` as the prompt to send.
pub(crate) fn review_prompt(args: &str) -> String {
    if args.is_empty() {
        REVIEW_PROMPT.to_owned()
    } else {
        format!("{REVIEW_PROMPT}\n\nAlso: {args}")
    }
}

/// `/tasks`: what to do with the session's background Bash tasks
/// (cli-core.md §2.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TasksRequest {
    /// List them.
    List,
    /// Show one task's output.
    Show(String),
    /// Stop one.
    Stop(String),
}

/// Reads the arguments of `/tasks [ID | stop ID]`.
pub(crate) fn parse_tasks(args: &str) -> Result<TasksRequest, String> {
    let words: Vec<&str> = args.split_whitespace().collect();
    match words.as_slice() {
        [] => Ok(TasksRequest::List),
        ["stop" | "kill", id] => Ok(TasksRequest::Stop((*id).to_owned())),
        [id] if *id != "stop" && *id != "kill" => Ok(TasksRequest::Show((*id).to_owned())),
        _ => Err(format!(
            "/tasks {args}: usage: /tasks, /tasks <id> (its output) or /tasks stop <id>"
        )),
    }
}

/// `/tasks` and `/tasks <id>`: the text for the scrollback.
pub(crate) fn tasks_text(session: &Session, request: &TasksRequest) -> Result<String, String> {
    let background = &session.info.background;
    match request {
        TasksRequest::List | TasksRequest::Stop(_) => {
            let tasks = background.list();
            if tasks.is_empty() {
                return Ok(
                    "No background tasks in this session (Bash with run_in_background starts one)."
                        .into(),
                );
            }
            let mut text = String::from(
                "Background tasks — /tasks <id> shows the output, /tasks stop <id> stops one:\n",
            );
            for task in tasks {
                text.push_str(&format!(
                    "  {} · {} · {}\n",
                    task.task_id,
                    status_text(&task.status),
                    task.command.lines().next().unwrap_or("")
                ));
            }
            Ok(text.trim_end().to_owned())
        }
        TasksRequest::Show(id) => {
            let Some(task) = background.snapshot(id) else {
                return Err(format!(
                    "/tasks {id}: no background task with this id (/tasks lists them)."
                ));
            };
            let mut text = format!(
                "Task {} · {} · {}\n",
                task.task_id,
                status_text(&task.status),
                task.command
            );
            let output = |name: &str, body: &str| {
                if body.trim().is_empty() {
                    format!("{name}: (empty)\n")
                } else {
                    format!("{name}:\n{}\n", body.trim_end())
                }
            };
            text.push_str(&output("stdout", &task.stdout));
            text.push_str(&output("stderr", &task.stderr));
            Ok(text.trim_end().to_owned())
        }
    }
}

/// How a task's status reads in `/tasks`.
fn status_text(status: &ferrule_tools::TaskStatus) -> String {
    match status {
        ferrule_tools::TaskStatus::Running => "running".to_owned(),
        ferrule_tools::TaskStatus::Completed { exit_code } => format!("exited {exit_code}"),
        ferrule_tools::TaskStatus::Killed { exit_code } => format!("stopped ({exit_code})"),
        _ => "ended".to_owned(),
    }
}

/// `/config`: the settings files in use and the merged settings.
pub(crate) fn config_text(session: &Session) -> String {
    let files = if session.facts.files.is_empty() {
        "  (none)\n".to_owned()
    } else {
        session
            .facts
            .files
            .iter()
            .map(|file| format!("  {file}\n"))
            .collect()
    };
    let merged = serde_json::to_string_pretty(session.settings_json())
        .unwrap_or_else(|error| format!("(cannot show the settings: {error})"));
    format!(
        "Settings files (lowest priority first):\n{files}Merged settings:\n{merged}\n\
         Edit the files to change them; /permissions, /allow and /deny change the rules, \
         /model, /effort and /context-window the model for this session."
    )
}

/// `/skills`: the skills this session knows.
pub(crate) fn skills_text(session: &Session) -> String {
    let skills = &session.workspace().skills;
    if skills.is_empty() {
        return "No skills are installed (~/.qoder/skills/<name>/SKILL.md or .qoder/skills/<name>/SKILL.md)."
            .to_owned();
    }
    let mut text =
        String::from("Skills — /<name> uses one, the model picks them by description:\n");
    for skill in skills {
        text.push_str(&format!(
            "  {} ({}) — {}\n",
            skill.name,
            crate::commands::scope_name(skill.scope),
            skill.description.lines().next().unwrap_or("")
        ));
    }
    text.trim_end().to_owned()
}

/// `/effort [level] [--session-only]`: the thinking to switch to, or
/// `None` to show the current one.
pub(crate) fn parse_effort(args: &str) -> Result<Option<Thinking>, String> {
    let words: Vec<&str> = args
        .split_whitespace()
        .filter(|w| *w != "--session-only")
        .collect();
    let level = match words.as_slice() {
        [] => return Ok(None),
        [level] => level.to_ascii_lowercase(),
        _ => return Err(format!("/effort {args}: give one level")),
    };
    if level == "auto" {
        return Ok(Some(Thinking::Disabled));
    }
    Thinking::from_effort(&level).map(Some).map_err(|_| {
        format!("/effort {level}: expected low, medium, high, xhigh, max, auto or off")
    })
}

/// How a thinking setting reads in `/effort`.
pub(crate) fn effort_text(thinking: Thinking) -> String {
    match (thinking, thinking.effort_level()) {
        (Thinking::Enabled { budget_tokens }, Some(level)) => {
            format!("{level} ({budget_tokens} thinking tokens)")
        }
        _ => "off (the model's default)".to_owned(),
    }
}

/// `/context-window 400K`, `1M` or `200000`, as `--context-window` reads it.
pub(crate) fn parse_window(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let (digits, scale) = match trimmed.char_indices().last() {
        Some((at, 'k' | 'K')) => (&trimmed[..at], 1_000),
        Some((at, 'm' | 'M')) => (&trimmed[..at], 1_000_000),
        _ => (trimmed, 1),
    };
    match digits.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(n.saturating_mul(scale)),
        _ => Err(format!(
            "/context-window {text}: expected a number of tokens such as 200000, 400K or 1M"
        )),
    }
}

/// The file `/export [filename]` writes: the name taken from the working
/// directory, or `conversation-<session id>.txt` there.
pub(crate) fn export_path(cwd: &Path, session_id: &str, args: &str) -> PathBuf {
    if args.is_empty() {
        cwd.join(format!("conversation-{session_id}.txt"))
    } else {
        cwd.join(args)
    }
}

/// The conversation as plain text: the user's prompts, the answers, and
/// each tool call with its result. Notes of the interface are left out.
pub(crate) fn export_text(cells: &[Cell]) -> String {
    let mut text = String::new();
    for cell in cells {
        match cell {
            Cell::User(prompt) => {
                for line in prompt.lines() {
                    text.push_str(&format!("> {line}\n"));
                }
            }
            Cell::Assistant(answer) => text.push_str(&format!("{}\n", answer.trim_end())),
            Cell::Tool(tool) => {
                let status = match tool.status {
                    ToolStatus::Failed => " (failed)",
                    ToolStatus::Interrupted => " (interrupted)",
                    ToolStatus::Denied => " (denied)",
                    ToolStatus::Streaming | ToolStatus::Running | ToolStatus::Done => "",
                };
                text.push_str(&format!(
                    "● {}{status}\n",
                    tool_summary(&tool.name, &tool.input)
                ));
                for line in tool.result.as_deref().unwrap_or("").lines() {
                    text.push_str(&format!("  ⎿ {line}\n"));
                }
            }
            Cell::Thinking(_) | Cell::Info(_) | Cell::Error(_) => continue,
        }
        text.push('\n');
    }
    text
}

/// Writes the export, creating missing folders.
pub(crate) fn write_export(path: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|error| format!("/export: cannot create {}: {error}", parent.display()))?;
    }
    std::fs::write(path, text)
        .map_err(|error| format!("/export: cannot write {}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ToolCell;
    use pretty_assertions::assert_eq;

    #[test]
    fn tasks_arguments() {
        assert_eq!(parse_tasks(""), Ok(TasksRequest::List));
        assert_eq!(parse_tasks("b1"), Ok(TasksRequest::Show("b1".into())));
        assert_eq!(parse_tasks("stop b1"), Ok(TasksRequest::Stop("b1".into())));
        assert!(parse_tasks("stop").is_err());
        assert!(parse_tasks("a b c").is_err());
    }

    #[test]
    fn effort_levels_match_the_command_line_bands() {
        assert_eq!(parse_effort(""), Ok(None));
        assert_eq!(
            parse_effort("High --session-only"),
            Ok(Some(Thinking::Enabled {
                budget_tokens: 16_384
            }))
        );
        assert_eq!(parse_effort("off"), Ok(Some(Thinking::Disabled)));
        assert_eq!(parse_effort("auto"), Ok(Some(Thinking::Disabled)));
        assert_eq!(
            parse_effort("extreme"),
            Err("/effort extreme: expected low, medium, high, xhigh, max, auto or off".into())
        );
        assert_eq!(
            effort_text(Thinking::Enabled {
                budget_tokens: 32_768
            }),
            "xhigh (32768 thinking tokens)"
        );
        assert_eq!(effort_text(Thinking::Disabled), "off (the model's default)");
    }

    #[test]
    fn window_sizes() {
        assert_eq!(parse_window("400K"), Ok(400_000));
        assert_eq!(parse_window("1m"), Ok(1_000_000));
        assert_eq!(parse_window("128000"), Ok(128_000));
        assert!(parse_window("0").is_err());
        assert!(parse_window("big").is_err());
    }

    #[test]
    fn review_appends_the_instructions() {
        assert_eq!(review_prompt(""), REVIEW_PROMPT);
        assert!(review_prompt("focus on security").ends_with("\n\nAlso: focus on security"));
    }

    #[test]
    fn export_keeps_the_conversation_and_drops_notes() {
        let cells = vec![
            Cell::Info("ferrule 0.2.0".into()),
            Cell::User("read a\nplease".into()),
            Cell::Tool(ToolCell {
                id: "t1".into(),
                name: "Read".into(),
                input: serde_json::json!({"file_path": "a.txt"}),
                status: ToolStatus::Done,
                result: Some("one\ntwo".into()),
                duration_ms: Some(3),
                child_calls: 0,
                last_child: None,
            }),
            Cell::Assistant("It says one, two.\n".into()),
            Cell::Error("oops".into()),
        ];
        assert_eq!(
            export_text(&cells),
            "> read a\n> please\n\n● Read(a.txt)\n  ⎿ one\n  ⎿ two\n\nIt says one, two.\n\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = export_path(dir.path(), "s-1", "");
        assert_eq!(path, dir.path().join("conversation-s-1.txt"));
        let nested = export_path(dir.path(), "s-1", "out/chat.txt");
        write_export(&nested, "x").unwrap();
        assert_eq!(std::fs::read_to_string(nested).unwrap(), "x");
    }
}
