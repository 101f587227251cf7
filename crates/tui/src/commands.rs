//! Slash commands: the built-in ones and the workspace's custom commands.
//!
//! Only commands whose feature is wired are listed. The prompts of the
//! connected MCP servers are commands too (`/mcp__<server>__<prompt>`).

use ferrule_config::{RuleList, SettingsEdit, edit_settings_file};
use ferrule_memory::Slash;
use ferrule_protocol::sdk::{PermissionBehavior, PermissionDestination, PermissionUpdate};
use ferrule_session::SessionStore;
use ferrule_setup::SetupOptions;

use crate::always::rule_value;
use crate::session::Session;
use crate::session_commands::{
    TasksRequest, config_text, effort_text, export_path, export_text, parse_effort, parse_tasks,
    parse_window, review_prompt, skills_text, tasks_text, write_export,
};
use crate::state::{App, Cell};

/// The built-in slash commands (without `/`) with their descriptions.
pub const BUILT_INS: &[(&str, &str)] = &[
    ("help", "Show commands and keys"),
    ("clear", "Start a new conversation (clears the context)"),
    ("model", "Show the model, or switch: /model <name>"),
    ("permissions", "Show the mode and the permission rules"),
    (
        "allow",
        "Allow a rule: /allow <rule> (saved to .qoder/settings.local.json)",
    ),
    (
        "deny",
        "Deny a rule: /deny <rule> (saved to .qoder/settings.local.json)",
    ),
    (
        "compact",
        "Summarize the conversation to free context: /compact [instructions]",
    ),
    (
        "pin",
        "Keep through compactions: /pin <file>, or /pin for the last answer",
    ),
    (
        "unpin",
        "Stop keeping: /unpin <file>, or /unpin for the last answer",
    ),
    ("memory", "Show the memory files in use"),
    ("init", "Ask the model to write AGENTS.md for this project"),
    (
        "resume",
        "List earlier sessions, or resume one: /resume <number|id>",
    ),
    (
        "rewind",
        "Put the files back as they were before a prompt: /rewind [number]",
    ),
    ("agents", "List the subagents"),
    (
        "mcp",
        "List the MCP servers: /mcp [reload | approve|reject NAME | enable|disable NAME [--session]]",
    ),
    ("hooks", "List the configured hooks"),
    ("cost", "Tokens and cost of this session"),
    ("usage", "Tokens and cost of this session"),
    (
        "status",
        "Version, model, session, working directory, settings",
    ),
    (
        "tasks",
        "Background Bash tasks: /tasks, /tasks <id> (output), /tasks stop <id>",
    ),
    ("config", "Show the settings files and the merged settings"),
    ("skills", "List the skills"),
    (
        "effort",
        "Show or set the reasoning effort: /effort [low|medium|high|xhigh|max|off]",
    ),
    (
        "context-window",
        "Show the context use, or set the window: /context-window [400K|1M|tokens]",
    ),
    (
        "export",
        "Write the conversation to a text file: /export [filename]",
    ),
    (
        "review",
        "Review the pending git changes: /review [instructions]",
    ),
    ("exit", "Leave ferrule"),
    ("quit", "Leave ferrule"),
];

/// The prompt `/init` sends.
pub(crate) const INIT_PROMPT: &str = "Please analyse this codebase and create an AGENTS.md file \
in the project root (or improve the existing one). It is read at the start of every session \
by coding agents working in this repository. Include: the commands to build, lint and test \
(and to run a single test); the high-level architecture and how the main parts fit together, \
the part that takes reading several files to understand; and the conventions a newcomer must \
follow. Keep it short and specific to this project: no generic advice, no obvious \
instructions, no invented facts. If there are README files or rules for other agents \
(CLAUDE.md, .cursorrules, .github/copilot-instructions.md), take over what matters from them.";

/// A custom command's prompt, before its shell and file parts run.
#[derive(Debug)]
pub(crate) struct CommandPrompt {
    /// The prompt with its arguments substituted.
    pub(crate) template: String,
    /// The command's `allowed-tools`: allowed for its shell parts, then
    /// for the rest of the session.
    pub(crate) allowed_tools: Vec<String>,
    /// The command's file, named by diagnostics of those rules.
    pub(crate) path: std::path::PathBuf,
}

/// What the event loop does after a command.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Nothing more: the command wrote its output to the scrollback.
    Done,
    /// Send this text to the model as the user's message.
    Prompt(String),
    /// Expand a custom command's shell and file parts, then send it.
    Expand(CommandPrompt),
    /// Replace the session (`/clear`, `/resume`).
    NewSession(Box<SetupOptions>),
    /// Rebuild the session on the same conversation (`/mcp reload`,
    /// approvals, switches), then show the note.
    Reload(Box<SetupOptions>, String),
    /// Switch the model by name.
    Model(String),
    /// Rewind files (`/rewind` and its arguments).
    Rewind(String),
    /// Compact the conversation, with these instructions (may be empty).
    Compact(String),
    /// Pin a file, or the last assistant message when empty.
    Pin(String),
    /// Unpin a file, or the last assistant message when empty.
    Unpin(String),
    /// Run an MCP prompt: the command name (without `/`) and its arguments.
    McpPrompt(String, String),
    /// Stop the background task with this id.
    StopTask(String),
    /// Show the context use (empty) or set the window to these tokens.
    ContextWindow(Option<u64>),
    /// Leave.
    Exit,
}

/// Every command name with its description, built-ins first, for
/// completion and `/help`.
pub(crate) fn command_list(session: &Session) -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = BUILT_INS
        .iter()
        .map(|(name, description)| ((*name).to_owned(), (*description).to_owned()))
        .collect();
    for command in &session.workspace().commands {
        if list.iter().any(|(name, _)| *name == command.name) {
            continue;
        }
        let description = command.meta.description.clone().unwrap_or_default();
        list.push((
            command.name.clone(),
            format!("{description} ({})", scope_name(command.scope)),
        ));
    }
    if let Some(manager) = &session.info.mcp {
        for prompt in manager.prompts() {
            let description = prompt.description.unwrap_or_default();
            list.push((prompt.command, format!("{description} (MCP)")));
        }
    }
    list
}

/// Runs `/name args`.
pub(crate) fn run_command(app: &mut App, session: &Session, line: &str) -> Outcome {
    let line = line.trim_start_matches('/');
    let (name, args) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let args = args.trim();
    let info = |app: &mut App, text: String| app.transcript.push(Cell::Info(text));
    match name {
        "help" => info(app, help(session)),
        "clear" => {
            let mut options = session.options.clone();
            options.session = ferrule_session::SessionOptions {
                persistence: options.session.persistence,
                ..Default::default()
            };
            return Outcome::NewSession(Box::new(options));
        }
        "model" if args.is_empty() => info(
            app,
            format!(
                "Model: {}\nSwitch with /model <name> (e.g. openai/gpt-4.1).",
                app.model
            ),
        ),
        "model" => return Outcome::Model(args.to_owned()),
        "permissions" => info(app, permissions(app, session)),
        "allow" | "deny" => {
            if let Some(text) = persist_rule(session, name, args) {
                info(app, text);
            } else {
                app.transcript.push(Cell::Error(format!(
                    "Usage: /{name} <rule>, e.g. /{name} Bash(npm test:*)"
                )));
            }
        }
        "memory" => info(app, memory(session)),
        "init" => return Outcome::Prompt(INIT_PROMPT.to_owned()),
        "resume" => return resume(app, session, args),
        "rewind" => return Outcome::Rewind(args.to_owned()),
        "compact" => return Outcome::Compact(args.to_owned()),
        "pin" => return Outcome::Pin(args.to_owned()),
        "unpin" => return Outcome::Unpin(args.to_owned()),
        "agents" => info(app, agents(session)),
        "mcp" => return crate::mcp_commands::run(app, session, args),
        "hooks" => info(
            app,
            if session.facts.hooks.is_empty() {
                "No hooks are configured.".to_owned()
            } else {
                format!("Hooks:\n{}", session.facts.hooks.join("\n"))
            },
        ),
        "cost" | "usage" => {
            let totals = &app.totals;
            info(
                app,
                format!(
                    "Session usage: {} input tokens, {} output tokens over {} model requests in {} turns; cost ${:.4}",
                    totals.input_tokens,
                    totals.output_tokens,
                    totals.requests,
                    totals.turns,
                    totals.cost_usd
                ),
            );
        }
        "status" => info(app, status(app, session)),
        "tasks" => match parse_tasks(args) {
            Ok(TasksRequest::Stop(id)) => return Outcome::StopTask(id),
            Ok(request) => match tasks_text(session, &request) {
                Ok(text) => info(app, text),
                Err(text) => app.transcript.push(Cell::Error(text)),
            },
            Err(text) => app.transcript.push(Cell::Error(text)),
        },
        "config" => info(app, config_text(session)),
        "skills" => info(app, skills_text(session)),
        "effort" => match parse_effort(args) {
            Ok(Some(thinking)) => {
                session.controls.set_thinking(thinking);
                info(
                    app,
                    format!(
                        "Reasoning effort: {} for this session, from the next request on.",
                        effort_text(thinking)
                    ),
                );
            }
            Ok(None) => info(
                app,
                format!(
                    "Reasoning effort: {}. Set it with /effort low|medium|high|xhigh|max|off.",
                    effort_text(session.controls.thinking())
                ),
            ),
            Err(text) => app.transcript.push(Cell::Error(text)),
        },
        "context-window" if args.is_empty() => return Outcome::ContextWindow(None),
        "context-window" => match parse_window(args) {
            Ok(tokens) => return Outcome::ContextWindow(Some(tokens)),
            Err(text) => app.transcript.push(Cell::Error(text)),
        },
        "export" => {
            let path = export_path(session.cwd(), &session.info.session_id, args);
            match write_export(&path, &export_text(app.transcript.cells())) {
                Ok(()) => info(
                    app,
                    format!("Exported the conversation to {}", path.display()),
                ),
                Err(text) => app.transcript.push(Cell::Error(text)),
            }
        }
        "review" => return Outcome::Prompt(review_prompt(args)),
        "exit" | "quit" => return Outcome::Exit,
        _ => return custom(app, session, name, args),
    }
    Outcome::Done
}

fn custom(app: &mut App, session: &Session, name: &str, args: &str) -> Outcome {
    if let Some(manager) = &session.info.mcp
        && manager.prompts().iter().any(|p| p.command == name)
    {
        return Outcome::McpPrompt(name.to_owned(), args.to_owned());
    }
    match session.workspace().slash(&format!("/{name}")) {
        Some(Slash::Command(command)) => match command.render(args) {
            Ok(template) => Outcome::Expand(CommandPrompt {
                template,
                allowed_tools: command.meta.allowed_tools.0.clone(),
                path: command.path.clone(),
            }),
            Err(error) => {
                app.transcript
                    .push(Cell::Error(format!("/{name}: {error}")));
                Outcome::Done
            }
        },
        Some(Slash::Skill(skill)) => Outcome::Prompt(format!(
            "Use the skill \"{}\" for this request.{}",
            skill.name,
            if args.is_empty() {
                String::new()
            } else {
                format!("\n\n{args}")
            }
        )),
        None => {
            app.transcript.push(Cell::Error(format!(
                "Unknown command: /{name}. Type /help for the list."
            )));
            Outcome::Done
        }
    }
}

fn help(session: &Session) -> String {
    let mut text = String::from("Commands:\n");
    for (name, description) in command_list(session) {
        text.push_str(&format!("  /{name:<14} {description}\n"));
    }
    text.push_str(
        "\nKeys: Enter send · \\+Enter or Shift+Enter new line · ↑/↓ history · Tab complete · \
         @ file reference · ! run a shell command\n\
         Esc interrupt · Ctrl-C interrupt (twice: exit) · Shift+Tab cycle modes · Ctrl-Y bypass mode · \
         Ctrl-O expand tool results · PgUp/PgDn scroll · Ctrl-D exit",
    );
    text
}

fn permissions(app: &App, session: &Session) -> String {
    let facts = &session.facts;
    let list = |rules: &[String]| {
        if rules.is_empty() {
            "(none)".to_owned()
        } else {
            rules.join(", ")
        }
    };
    format!(
        "Mode: {}\nAllow: {}\nAsk: {}\nDeny: {}\nAdditional directories: {}\n\
         Rules added in this session are not listed. Add rules with /allow and /deny.",
        app.mode.as_str(),
        list(&facts.allow),
        list(&facts.ask),
        list(&facts.deny),
        list(&facts.directories)
    )
}

fn persist_rule(session: &Session, list: &str, rule: &str) -> Option<String> {
    if rule.is_empty() {
        return None;
    }
    let (list_kind, behavior) = if list == "allow" {
        (RuleList::Allow, PermissionBehavior::Allow)
    } else {
        (RuleList::Deny, PermissionBehavior::Deny)
    };
    let file = ferrule_config::local_settings_file(session.cwd());
    let written = edit_settings_file(
        &file,
        &[SettingsEdit::AddRules(list_kind, vec![rule.to_owned()])],
    );
    session
        .controls
        .apply_permission_updates(&[PermissionUpdate::AddRules {
            rules: vec![rule_value(rule)],
            behavior,
            destination: PermissionDestination::Session,
        }]);
    Some(match written {
        Ok(_) => format!("Added {rule} to permissions.{list} in {}", file.display()),
        Err(error) => format!("{rule} applies to this session, but saving it failed: {error}"),
    })
}

fn memory(session: &Session) -> String {
    let workspace = session.workspace();
    let mut text = String::from("Memory files in use:\n");
    if workspace.memory.is_empty() {
        text.push_str("  (none) — /init writes AGENTS.md for this project\n");
    }
    for file in &workspace.memory {
        text.push_str(&format!(
            "  {:<8} {}\n",
            scope_name(file.scope),
            file.path.display()
        ));
    }
    text.push_str(&format!(
        "Rules: {}. Edit the files to change what ferrule remembers; project memory is AGENTS.md, \
         personal project memory AGENTS.local.md.",
        workspace.rules.len()
    ));
    text
}

fn agents(session: &Session) -> String {
    let subagents = &session.workspace().subagents;
    if subagents.is_empty() {
        return "No subagents are defined (.qoder/agents/*.md or ~/.qoder/agents/*.md).".to_owned();
    }
    let mut text = String::from("Subagents:\n");
    for agent in subagents {
        text.push_str(&format!(
            "  {} ({}) — {}\n",
            agent.name,
            scope_name(agent.scope),
            agent.description.lines().next().unwrap_or("")
        ));
    }
    text.trim_end().to_owned()
}

fn status(app: &App, session: &Session) -> String {
    let info = &session.info;
    let transcript = info
        .transcript_path
        .as_ref()
        .map_or_else(|| "(not saved)".to_owned(), |p| p.display().to_string());
    format!(
        "ferrule {}\nWorking directory: {}\nModel: {}\nPermission mode: {}\nSession: {}\n\
         Transcript: {}\nTools: {}\nSettings files: {}",
        env!("CARGO_PKG_VERSION"),
        info.cwd.display(),
        app.model,
        app.mode.as_str(),
        info.session_id,
        transcript,
        session.tool_names.join(", "),
        if session.facts.files.is_empty() {
            "(none)".to_owned()
        } else {
            session.facts.files.join(", ")
        }
    )
}

fn resume(app: &mut App, session: &Session, args: &str) -> Outcome {
    let store = SessionStore::new(&session.info.user_dir);
    let sessions = match store.list(session.cwd()) {
        Ok(list) => list,
        Err(error) => {
            app.transcript
                .push(Cell::Error(format!("Cannot list sessions: {error}")));
            return Outcome::Done;
        }
    };
    let sessions: Vec<_> = sessions
        .into_iter()
        .filter(|s| s.session_id != session.info.session_id)
        .collect();
    if args.is_empty() {
        if sessions.is_empty() {
            app.transcript
                .push(Cell::Info("No earlier sessions in this folder.".into()));
            return Outcome::Done;
        }
        let mut text =
            String::from("Earlier sessions (newest first) — /resume <number> to continue one:\n");
        for (index, info) in sessions.iter().take(20).enumerate() {
            text.push_str(&format!(
                "  {}. {} · {} messages · {}\n",
                index + 1,
                info.title.lines().next().unwrap_or(""),
                info.message_count,
                info.session_id
            ));
        }
        app.transcript.push(Cell::Info(text.trim_end().to_owned()));
        return Outcome::Done;
    }
    let chosen = match args.parse::<usize>() {
        Ok(n) if n >= 1 => sessions.get(n - 1).map(|s| s.session_id.clone()),
        _ => sessions
            .iter()
            .find(|s| s.session_id.starts_with(args))
            .map(|s| s.session_id.clone()),
    };
    let Some(id) = chosen else {
        app.transcript.push(Cell::Error(format!(
            "No session {args}: /resume lists the sessions of this folder."
        )));
        return Outcome::Done;
    };
    let mut options = session.options.clone();
    options.session = ferrule_session::SessionOptions {
        resume: Some(id),
        persistence: options.session.persistence,
        ..Default::default()
    };
    Outcome::NewSession(Box::new(options))
}

/// How a memory scope is named in command output.
pub(crate) fn scope_name(scope: ferrule_memory::Scope) -> &'static str {
    match scope {
        ferrule_memory::Scope::User => "user",
        ferrule_memory::Scope::Project => "project",
        ferrule_memory::Scope::Local => "local",
        ferrule_memory::Scope::Plugin => "plugin",
        ferrule_memory::Scope::Flag => "flag",
        _ => "other",
    }
}

#[cfg(test)]
#[path = "commands_tests.rs"]
mod tests;
