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
