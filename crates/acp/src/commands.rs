//! Slash commands in ACP prompts: the built-in `/init`, `/memory`,
//! `/about` and `/help`, and the workspace's custom commands and skills.
//! The list goes to the client as `available_commands_update`; a prompt
//! starting with `/name` runs the command.

use agent_client_protocol::v1::schema::{
    AvailableCommand, AvailableCommandInput, UnstructuredCommandInput,
};
use ferrule_memory::{Scope, Slash, Workspace};

/// The built-in commands with their descriptions.
pub const BUILT_INS: &[(&str, &str)] = &[
    (
        "init",
        "Study the project and write its AGENTS.md memory file",
    ),
    ("memory", "Show the memory files and rules in use"),
    ("about", "Show the version, model and session"),
    ("help", "Show the commands this agent offers"),
];

/// What `/init` asks the model.
pub(crate) const INIT_PROMPT: &str = "Study this repository and write an AGENTS.md file at its \
root, or improve the one that exists. Coding agents read it at the start of every session, so \
it should hold what they cannot guess: how to build, lint and run the tests (one test too), how \
the main parts of the code fit together, and the conventions to follow. Be brief and specific to \
this project; leave out generic advice and anything you did not verify. Fold in what matters from \
other agents' instruction files (CLAUDE.md, .cursorrules, .github/copilot-instructions.md) and \
the README.";

/// Facts `/about` prints.
#[derive(Debug, Clone)]
pub(crate) struct About {
    pub(crate) model: String,
    pub(crate) session_id: String,
    pub(crate) cwd: String,
}

/// What a prompt turns into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// Answer with this text; the model is not asked.
    Reply(String),
    /// Send this text to the model instead of the prompt.
    Prompt(String),
    /// A custom command's prompt: expand its shell and file parts, then
    /// send it.
    Expand {
        /// The prompt with its arguments substituted.
        template: String,
        /// The command's `allowed-tools`: allowed for its shell parts,
        /// then for the rest of the session.
        allowed_tools: Vec<String>,
        /// The command's file.
        path: std::path::PathBuf,
    },
    /// Not a command: send the prompt as it is.
    Pass,
}

/// The commands of a session: built-ins, then custom commands, then skills
/// a user may invoke (a name already taken is not repeated).
pub(crate) fn available(workspace: &Workspace) -> Vec<AvailableCommand> {
    let mut list: Vec<AvailableCommand> = BUILT_INS
        .iter()
        .map(|(name, description)| AvailableCommand::new(*name, *description))
        .collect();
    for command in &workspace.commands {
        if list.iter().any(|c| c.name == command.name) {
            continue;
        }
        let description = command
            .meta
            .description
            .clone()
            .unwrap_or_else(|| format!("Custom command ({})", scope_name(command.scope)));
        let hint =
            command.meta.argument_hint.clone().map(|hint| {
                AvailableCommandInput::Unstructured(UnstructuredCommandInput::new(hint))
            });
        list.push(AvailableCommand::new(command.name.clone(), description).input(hint));
    }
    for skill in &workspace.skills {
        if skill.meta.user_invocable == Some(false) || list.iter().any(|c| c.name == skill.name) {
            continue;
        }
        list.push(AvailableCommand::new(
            skill.name.clone(),
            skill.description.clone(),
        ));
    }
    list
}

/// What the prompt `text` asks for.
pub(crate) fn action(text: &str, workspace: &Workspace, about: &About) -> Action {
    let Some(line) = text.trim_start().strip_prefix('/') else {
        return Action::Pass;
    };
    let (name, args) = line
        .split_once(char::is_whitespace)
        .map_or((line, ""), |(name, args)| (name, args.trim()));
    match name {
        "init" => Action::Prompt(if args.is_empty() {
            INIT_PROMPT.to_owned()
        } else {
            format!("{INIT_PROMPT}\n\nAlso: {args}")
        }),
        "memory" => Action::Reply(memory(workspace)),
        "about" => Action::Reply(format!(
            "ferrule {} (Agent Client Protocol)\nModel: {}\nSession: {}\nWorking directory: {}",
            env!("CARGO_PKG_VERSION"),
            about.model,
            about.session_id,
            about.cwd
        )),
        "help" => Action::Reply(help(workspace)),
        _ => match workspace.slash(name) {
            Some(Slash::Command(command)) => match command.render(args) {
                Ok(template) => Action::Expand {
                    template,
                    allowed_tools: command.meta.allowed_tools.0.clone(),
                    path: command.path.clone(),
                },
                Err(error) => Action::Reply(format!("/{name}: {error}")),
            },
            Some(Slash::Skill(skill)) => Action::Prompt(format!(
                "Use the skill \"{}\" for this request.{}",
                skill.name,
                if args.is_empty() {
                    String::new()
                } else {
                    format!("\n\n{args}")
                }
            )),
            // Not a command (a path, say): the model reads it as written.
            None => Action::Pass,
        },
    }
}

fn help(workspace: &Workspace) -> String {
    let mut text = String::from("Commands:\n");
    for command in available(workspace) {
        text.push_str(&format!("  /{} — {}\n", command.name, command.description));
    }
    text.push_str(
        "\nModes (the client's mode menu): Default asks before edits and commands, \
         Accept Edits applies edits without asking, Plan only reads and plans, \
         Bypass Permissions runs everything without asking.",
    );
    text
}

fn memory(workspace: &Workspace) -> String {
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
        "Rules: {}. Edit these files to change what ferrule remembers; the changes apply to new sessions.",
        workspace.rules.len()
    ));
    text
}

fn scope_name(scope: Scope) -> &'static str {
    match scope {
        Scope::User => "user",
        Scope::Project => "project",
        Scope::Local => "local",
        Scope::Plugin => "plugin",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_memory::LoadOptions;

    fn about() -> About {
        About {
            model: "scripted/x".into(),
            session_id: "s1".into(),
            cwd: "/p".into(),
        }
    }

    #[test]
    fn built_ins_custom_commands_and_plain_text() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".qoder/commands")).unwrap();
        std::fs::write(
            dir.path().join(".qoder/commands/review.md"),
            "---\ndescription: Review a file\nargument-hint: <file>\nallowed-tools: Bash(git diff:*), Read\n---\nReview $ARGUMENTS\n",
        )
        .unwrap();
        let workspace = Workspace::load(&LoadOptions::new(dir.path()));
        let names: Vec<String> = available(&workspace).into_iter().map(|c| c.name).collect();
        assert_eq!(names, ["init", "memory", "about", "help", "review"]);
        assert_eq!(
            action("/review src/a.rs", &workspace, &about()),
            Action::Expand {
                template: "Review src/a.rs\n".into(),
                allowed_tools: vec!["Bash(git diff:*)".into(), "Read".into()],
                path: dir.path().join(".qoder/commands/review.md"),
            }
        );
        assert!(
            matches!(action("/init", &workspace, &about()), Action::Prompt(p) if p == INIT_PROMPT)
        );
        assert!(
            matches!(action("/about", &workspace, &about()), Action::Reply(t) if t.contains("scripted/x"))
        );
        assert_eq!(
            action("/usr/bin is odd", &workspace, &about()),
            Action::Pass
        );
        assert_eq!(action("hello", &workspace, &about()), Action::Pass);
    }
}
