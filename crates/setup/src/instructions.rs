//! InstructionsLoaded at session start (cli-core.md §5.6, §6.1): one event
//! per instruction file the session started with — AGENTS.md files of
//! every level, their `@path` imports and the always-on rules — in the
//! order they were injected.

use ferrule_hooks::{InstructionsLoadedInput, LoadReason};
use ferrule_memory::{LoadReason as MemoryReason, StartupItem, Workspace};

/// A memory scope as the hook's `memory_type` (`user`, `project`,
/// `local`, `plugin`, `flag`).
fn memory_type(scope: ferrule_memory::Scope) -> String {
    serde_json::to_value(scope)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_else(|| "project".to_owned())
}

/// The InstructionsLoaded payloads of `workspace`'s startup files.
pub(crate) fn at_startup(workspace: &Workspace) -> Vec<InstructionsLoadedInput> {
    workspace
        .startup
        .iter()
        .filter_map(|item| match *item {
            StartupItem::Memory(i) => {
                let file = workspace.memory.get(i)?;
                Some(InstructionsLoadedInput {
                    file_path: file.path.display().to_string(),
                    memory_type: memory_type(file.scope),
                    load_reason: match file.reason {
                        MemoryReason::Include => LoadReason::Include,
                        _ => LoadReason::SessionStart,
                    },
                    globs: Vec::new(),
                    trigger_file_path: None,
                    parent_file_path: file.parent.as_ref().map(|p| p.display().to_string()),
                })
            }
            StartupItem::Rule(i) => {
                let rule = workspace.rules.get(i)?;
                Some(InstructionsLoadedInput {
                    file_path: rule.path.display().to_string(),
                    memory_type: memory_type(rule.scope),
                    load_reason: LoadReason::SessionStart,
                    globs: rule.globs.clone(),
                    trigger_file_path: None,
                    parent_file_path: None,
                })
            }
        })
        .collect()
}
