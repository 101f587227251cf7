//! AGENTS.md memory, rules, skills, custom commands, subagent definitions
//! and plugins: discovery and loading of everything a Qoder user keeps in
//! `~/.qoder/` and `<project>/.qoder/` (and Claude Code's `CLAUDE.md` and
//! `.claude/` files, read after Qoder's at the same level).
//!
//! [`Workspace::load`] reads everything once and never fails: broken files
//! are listed in [`Workspace::skipped`] with file, line and reason, and the
//! rest loads. A [`SessionMemory`] on top of it hands out context as the
//! session goes: the startup memory, then subfolder memory and glob rules
//! as files are touched.
//!
//! ```
//! use std::sync::Arc;
//! use ferrule_memory::{LoadOptions, SessionMemory, Workspace};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::create_dir(dir.path().join(".git"))?;
//! std::fs::write(dir.path().join("AGENTS.md"), "Run `cargo test` before committing.\n")?;
//! let workspace = Arc::new(Workspace::load(&LoadOptions::new(dir.path())));
//! let (_session, startup) = SessionMemory::start(workspace);
//! assert_eq!(startup.len(), 1);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! A custom command goes through argument substitution, then through the
//! caller's [`CommandHost`] for its `` !`cmd` `` output and `@file`
//! references (this crate never runs a command itself):
//!
//! ```
//! use ferrule_memory::{CommandHost, LoadOptions, Workspace, expand};
//!
//! struct Host;
//! impl CommandHost for Host {
//!     async fn run_shell(&self, command: &str) -> Result<String, String> {
//!         Ok(format!("(output of {command})"))
//!     }
//!     async fn read_file(&self, path: &str) -> Result<String, String> {
//!         Err(format!("{path}: not allowed"))
//!     }
//! }
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::create_dir_all(dir.path().join(".qoder/commands/git"))?;
//! std::fs::write(
//!     dir.path().join(".qoder/commands/git/commit.md"),
//!     "---\ndescription: Commit\n---\nStatus: !`git status`\nFocus: $ARGUMENTS\n",
//! )?;
//! let workspace = Workspace::load(&LoadOptions::new(dir.path()));
//! let command = workspace.command("/git:commit").expect("loaded");
//! let prompt = command.render("tests").expect("arguments fit");
//! let runtime = tokio::runtime::Builder::new_current_thread().build()?;
//! let expanded = runtime.block_on(expand(&prompt, &Host)).expect("host ran it");
//! assert_eq!(expanded.text, "Status: (output of git status)\nFocus: tests\n");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Decisions where the documentation is silent
//!
//! - The project walk goes from the repository root (the nearest folder with
//!   `.git`) down to the working folder; outside a repository only the
//!   working folder is read. Skills, commands and subagents are looked up in
//!   the same folders, the nearer one winning.
//! - Order of the startup context: user memory, user rules, then per folder
//!   from the root down: `AGENTS.md`, `CLAUDE.md`, `AGENTS.local.md`,
//!   `CLAUDE.local.md`, the folder's always-on rules (Qoder's, then
//!   Claude's). Imports follow the file that imports them.
//! - Same-name precedence, low to high: plugin < user < project for skills
//!   and commands; user < project < plugin < `--agents` for subagents
//!   (documented); at one level Qoder's file beats Claude Code's.
//! - A manual rule is applied by naming it with `@name` in a prompt (`name`
//!   is its path under `rules/` without `.md`); `paths` beats
//!   `alwaysApply: false`.
//! - Positional arguments count from 0 (`$0`, `$ARGUMENTS[0]`), as the
//!   shipped CLI does.
//! - Active rules are capped at 100,000 characters in a session; the rule
//!   crossing the cap is cut with a notice.

mod arguments;
mod command;
mod expand;
mod fields;
pub mod frontmatter;
mod markdown;
mod memory_file;
mod options;
mod plugin;
mod rule;
mod session;
mod skill;
mod source;
mod subagent;
mod workspace;

pub use arguments::{ArgumentError, substitute};
pub use command::{Command, CommandForm};
pub use expand::{CommandHost, ExpandError, Expanded, expand};
pub use fields::{ArgumentSpec, List, PromptMeta};
pub use memory_file::{LoadReason, MemoryFile};
pub use options::{
    ClaudeFiles, DEFAULT_CONTEXT_FILE, DEFAULT_IMPORT_DEPTH, DEFAULT_RULES_CHAR_CAP, LoadOptions,
    Trust, dirs_between, project_root,
};
pub use plugin::{PathList, Plugin, PluginManifest};
pub use rule::{Rule, Trigger};
pub use session::{InjectReason, Injection, SessionMemory};
pub use skill::{
    MAX_DESCRIPTION_LEN, MAX_NAME_LEN, OpenError, RenderError, Skill, SkillContent, SkillVars,
    check_name,
};
pub use source::{Kind, Origin, Scope, Shadowed, Skipped, Warning};
pub use subagent::{
    AgentKind, Color, Effort, EffortLevel, FLAG_AGENTS_PATH, MemoryScope, PermissionMode, Positive,
    Subagent, SubagentMeta,
};
pub use workspace::{Slash, StartupItem, Workspace};
