//! Subfolder memory (cli-core.md §6.3): after a call touches a file, the
//! AGENTS.md files and rules of folders not loaded yet, and glob rules that
//! match the file, join the call's result as context; each loaded file
//! fires InstructionsLoaded (its output is ignored).

use std::path::Path;

use ferrule_hooks::{EventPayload, InstructionsLoadedInput, LoadReason};
use ferrule_memory::{InjectReason, Injection, LoadReason as MemoryReason};
use ferrule_tool::ToolTarget;

use crate::core::lock;
use crate::turn::Turn;

/// The context to add after a successful call with `targets`.
pub(crate) async fn after_touch(turn: &Turn<'_>, targets: &[ToolTarget]) -> Vec<String> {
    let Some(memory) = &turn.core.memory else {
        return Vec::new();
    };
    let mut loaded: Vec<(Injection, String, Vec<String>, String)> = Vec::new();
    {
        let mut memory = lock(memory);
        for target in targets {
            let ToolTarget::Path { path, .. } = target else {
                continue;
            };
            for injection in memory.on_path_touched(path) {
                let rule = memory
                    .workspace()
                    .rules
                    .iter()
                    .find(|rule| rule.path == injection.path);
                let memory_type = match rule {
                    Some(rule) => serde_json::to_value(rule.scope)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_else(|| "project".to_owned()),
                    None if is_local(&injection.path) => "local".to_owned(),
                    None => "project".to_owned(),
                };
                let globs = rule.map(|rule| rule.globs.clone()).unwrap_or_default();
                loaded.push((injection, memory_type, globs, path.display().to_string()));
            }
        }
    }
    let mut context = Vec::with_capacity(loaded.len());
    for (injection, memory_type, globs, trigger) in loaded {
        let load_reason = match injection.reason {
            InjectReason::PathGlobMatch => LoadReason::PathGlobMatch,
            InjectReason::Memory(MemoryReason::Include) => LoadReason::Include,
            _ => LoadReason::NestedTraversal,
        };
        let _ = turn
            .fire(EventPayload::InstructionsLoaded(InstructionsLoadedInput {
                file_path: injection.path.display().to_string(),
                memory_type,
                load_reason,
                globs,
                trigger_file_path: Some(trigger),
                parent_file_path: None,
            }))
            .await;
        context.push(format!(
            "Instructions from {} (they apply to files in that folder):\n\n{}",
            injection.path.display(),
            injection.text
        ));
    }
    context
}

/// `AGENTS.local.md` and the like: machine-local memory.
fn is_local(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.contains(".local."))
}
