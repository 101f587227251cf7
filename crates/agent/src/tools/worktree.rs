//! `EnterWorktree` and `ExitWorktree` (cli-core.md §2.15): move the
//! session into a fresh git worktree and back out of it, keeping or
//! removing it. The worktree work itself is `ferrule-worktree`'s; this
//! module keeps which worktree the session is in, and therefore the
//! session's working directory.

use std::path::PathBuf;
use std::sync::{Mutex, Weak};

use async_trait::async_trait;
use ferrule_hooks::CommonFields;
use ferrule_protocol::sdk::{PermissionDestination, PermissionUpdate};
use ferrule_tool::{ToolContext, ToolError, ToolOutput, ToolTarget, TypedTool};
use ferrule_worktree::{HookContext, Worktree, WorktreeError};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::core::{Core, lock};
use crate::policy::mode_to_wire;

/// Input of `EnterWorktree`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct EnterWorktreeInput {
    /// The worktree's name (letters, digits, `-`, `_`, `.`); generated
    /// when omitted. Its branch is `worktree-<name>`.
    #[serde(default)]
    pub name: Option<String>,
}

/// What `ExitWorktree` does with the worktree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExitAction {
    /// Leave it on disk (its branch too) and go back.
    Keep,
    /// Delete it and its branch, then go back.
    Remove,
}

/// Input of `ExitWorktree`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct ExitWorktreeInput {
    /// `keep` or `remove`.
    pub action: ExitAction,
    /// With `remove`: delete it even with uncommitted files or unmerged
    /// commits (default false: such a worktree is not removed).
    #[serde(default)]
    pub discard_changes: bool,
}

/// The worktree the session entered and where it came from.
#[derive(Debug, Default)]
pub(crate) struct SessionWorktree(Mutex<Option<Entered>>);

#[derive(Debug, Clone)]
struct Entered {
    worktree: Worktree,
    previous_cwd: PathBuf,
}

impl SessionWorktree {
    /// The entered worktree's directory, if the session is in one.
    pub(crate) fn path(&self) -> Option<PathBuf> {
        lock(&self.0).as_ref().map(|e| e.worktree.path.clone())
    }
}

/// The session's working directory now: the entered worktree, else cwd.
pub(crate) fn session_cwd(core: &Core) -> PathBuf {
    core.worktree.path().unwrap_or_else(|| core.cwd.clone())
}

/// `EnterWorktree`.
pub struct EnterWorktreeTool {
    core: Weak<Core>,
}

/// `ExitWorktree`.
pub struct ExitWorktreeTool {
    core: Weak<Core>,
}

impl EnterWorktreeTool {
    pub(crate) fn new(core: Weak<Core>) -> Self {
        Self { core }
    }
}

impl ExitWorktreeTool {
    pub(crate) fn new(core: Weak<Core>) -> Self {
        Self { core }
    }
}

impl std::fmt::Debug for EnterWorktreeTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnterWorktreeTool")
    }
}

impl std::fmt::Debug for ExitWorktreeTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExitWorktreeTool")
    }
}

fn upgrade(core: &Weak<Core>) -> Result<std::sync::Arc<Core>, ToolError> {
    core.upgrade()
        .ok_or_else(|| ToolError::fatal("the agent that owns this tool is gone"))
}

/// The common hook fields of a call made outside the loop.
fn detached_fields(core: &Core) -> CommonFields {
    CommonFields {
        session_id: core.session_id.clone(),
        transcript_path: String::new(),
        cwd: session_cwd(core).display().to_string(),
        permission_mode: Some(mode_to_wire(core.mode()).as_str().to_owned()),
        agent_id: None,
        agent_type: None,
    }
}

#[async_trait]
impl TypedTool for EnterWorktreeTool {
    type Input = EnterWorktreeInput;

    fn name(&self) -> &str {
        "EnterWorktree"
    }

    fn description(&self) -> &str {
        "Creates a new git worktree of this repository (under .qoder/worktrees/<name>, on branch \
         worktree-<name>) and moves the session into it: from then on files and commands work \
         there, isolated from the main checkout. Leave it with ExitWorktree."
    }

    fn targets(
        &self,
        _: &EnterWorktreeInput,
        _: &ToolContext,
    ) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }

    async fn call(
        &self,
        input: EnterWorktreeInput,
        _: &ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let core = upgrade(&self.core)?;
        Ok(enter(&core, &detached_fields(&core), input).await)
    }
}

#[async_trait]
impl TypedTool for ExitWorktreeTool {
    type Input = ExitWorktreeInput;

    fn name(&self) -> &str {
        "ExitWorktree"
    }

    fn description(&self) -> &str {
        "Leaves the worktree that EnterWorktree made and returns to the original directory. \
         action \"keep\" leaves the worktree and its branch on disk; \"remove\" deletes both, but \
         refuses while there are uncommitted files or unmerged commits (listed in the result) \
         unless discard_changes is true."
    }

    fn targets(
        &self,
        _: &ExitWorktreeInput,
        _: &ToolContext,
    ) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }

    async fn call(
        &self,
        input: ExitWorktreeInput,
        _: &ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let core = upgrade(&self.core)?;
        Ok(exit(&core, &detached_fields(&core), input).await)
    }
}

/// Runs a worktree tool inside the loop, with the run's hook fields;
/// `None` when `name` is not one.
pub(crate) async fn run_in_loop(
    core: &Core,
    common: &CommonFields,
    name: &str,
    input: Value,
) -> Option<Result<ToolOutput, ToolError>> {
    match name {
        "EnterWorktree" => Some(
            match ferrule_tool::parse_input::<EnterWorktreeInput>(name, input) {
                Ok(input) => Ok(enter(core, common, input).await),
                Err(error) => Err(error),
            },
        ),
        "ExitWorktree" => Some(
            match ferrule_tool::parse_input::<ExitWorktreeInput>(name, input) {
                Ok(input) => Ok(exit(core, common, input).await),
                Err(error) => Err(error),
            },
        ),
        _ => None,
    }
}

/// Creates a worktree (through the session's hooks) for the session or a
/// subagent.
pub(crate) async fn create(
    core: &Core,
    common: &CommonFields,
    name: Option<&str>,
) -> Result<Worktree, WorktreeError> {
    let hooks = core.live.hooks();
    let context = hooks
        .as_deref()
        .map(|dispatcher| HookContext { dispatcher, common });
    ferrule_worktree::create(&session_cwd(core), name, context).await
}

/// Removes a worktree through the session's hooks.
pub(crate) async fn remove(
    core: &Core,
    common: &CommonFields,
    worktree: &Worktree,
    discard_changes: bool,
) -> Result<ferrule_worktree::Removal, WorktreeError> {
    let hooks = core.live.hooks();
    let context = hooks
        .as_deref()
        .map(|dispatcher| HookContext { dispatcher, common });
    ferrule_worktree::remove(worktree, discard_changes, context).await
}

async fn enter(core: &Core, common: &CommonFields, input: EnterWorktreeInput) -> ToolOutput {
    let failure = |error: String| {
        ToolOutput::text(
            format!("EnterWorktree failed: {error}"),
            json!({"worktree_path": "", "branch_name": "", "success": false, "error": error}),
        )
    };
    if let Some(path) = core.worktree.path() {
        return failure(format!(
            "the session is already in the worktree {}; leave it with ExitWorktree first",
            path.display()
        ));
    }
    let worktree = match create(core, common, input.name.as_deref()).await {
        Ok(worktree) => worktree,
        Err(error) => return failure(error.to_string()),
    };
    let previous_cwd = session_cwd(core);
    let path = worktree.path.clone();
    let branch = worktree.branch.clone().unwrap_or_default();
    {
        let mut permissions = lock(&core.permissions);
        permissions.apply(&[PermissionUpdate::AddDirectories {
            directories: vec![path.display().to_string()],
            destination: PermissionDestination::Session,
        }]);
    }
    *lock(&core.worktree.0) = Some(Entered {
        worktree,
        previous_cwd,
    });
    *lock(&core.shell_cwd) = path.clone();
    ToolOutput::text(
        format!(
            "Created the worktree {} on branch {branch} and moved the session into it. Files and \
             commands now work there; ExitWorktree returns to the original directory.",
            path.display()
        ),
        json!({"worktree_path": path.display().to_string(), "branch_name": branch, "success": true}),
    )
}

async fn exit(core: &Core, common: &CommonFields, input: ExitWorktreeInput) -> ToolOutput {
    let entered = lock(&core.worktree.0).clone();
    let Some(entered) = entered else {
        let error = "the session is not in a worktree made by EnterWorktree".to_owned();
        return ToolOutput::text(
            format!("ExitWorktree failed: {error}"),
            json!({"success": false, "error": error}),
        );
    };
    let path = entered.worktree.path.display().to_string();
    let mut notes = Vec::new();
    if input.action == ExitAction::Remove {
        match remove(core, common, &entered.worktree, input.discard_changes).await {
            Ok(removal) => notes = removal.messages,
            Err(WorktreeError::HasChanges(changes)) => {
                let error = WorktreeError::HasChanges(changes.clone()).to_string();
                return ToolOutput::text(
                    format!(
                        "ExitWorktree did not remove {path}: {error}. The session is still in it."
                    ),
                    json!({
                        "success": false,
                        "error": error,
                        "uncommitted_files": changes.uncommitted_files,
                        "unmerged_commits": changes.unmerged_commits,
                    }),
                );
            }
            Err(error) => {
                let error = error.to_string();
                return ToolOutput::text(
                    format!("ExitWorktree failed: {error}. The session is still in {path}."),
                    json!({"success": false, "error": error}),
                );
            }
        }
    }
    *lock(&core.worktree.0) = None;
    *lock(&core.shell_cwd) = entered.previous_cwd.clone();
    if input.action == ExitAction::Remove {
        lock(&core.permissions).apply(&[PermissionUpdate::RemoveDirectories {
            directories: vec![path.clone()],
            destination: PermissionDestination::Session,
        }]);
    }
    let done = match input.action {
        ExitAction::Keep => format!("Kept the worktree {path}"),
        ExitAction::Remove => format!("Removed the worktree {path}"),
    };
    let mut text = format!(
        "{done}; the session is back in {}.",
        entered.previous_cwd.display()
    );
    for note in notes {
        text.push_str(&format!("\n{note}"));
    }
    ToolOutput::text(text, json!({"success": true}))
}

/// After a call: when the run's directory moved (EnterWorktree,
/// ExitWorktree), fires CwdChanged and returns the hooks' added context.
pub(crate) async fn after_move(
    turn: &crate::turn::Turn<'_>,
    before: &std::path::Path,
) -> Vec<String> {
    let now = turn.cwd();
    if now == before {
        return Vec::new();
    }
    turn.fire(ferrule_hooks::EventPayload::CwdChanged(
        ferrule_hooks::CwdChangedInput {
            old_cwd: before.display().to_string(),
            new_cwd: now.display().to_string(),
        },
    ))
    .await
    .map(|outcome| {
        turn.core.live.report_watch_paths(outcome.watch_paths);
        outcome.additional_context
    })
    .unwrap_or_default()
}
