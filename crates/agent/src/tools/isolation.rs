//! Subagents with `isolation: worktree` (cli-core.md §2.12, §7.3): each
//! run gets a fresh git worktree as its working directory, and its result
//! says where that worktree is. A worktree the subagent left without any
//! change is removed again.

use ferrule_hooks::CommonFields;
use ferrule_memory::Subagent;
use ferrule_protocol::sdk::{PermissionDestination, PermissionUpdate};
use ferrule_session::Transcript;
use ferrule_tool::{ToolError, ToolOutput};
use ferrule_worktree::Worktree;
use serde_json::Value;

use crate::core::{Core, lock};
use crate::policy::mode_to_wire;
use crate::tools::worktree::{create, remove, session_cwd};

/// The worktree of one isolated subagent run.
#[derive(Debug)]
pub(crate) struct Isolated {
    worktree: Worktree,
    common: CommonFields,
}

impl Isolated {
    /// The subagent's working directory.
    pub(crate) fn path(&self) -> &std::path::Path {
        &self.worktree.path
    }
}

/// A worktree for the run when the definition asks for one.
pub(crate) async fn prepare(
    core: &Core,
    definition: Option<&Subagent>,
    agent_id: &str,
    transcript: Option<&Transcript>,
) -> Result<Option<Isolated>, ToolError> {
    let Some(definition) = definition.filter(|d| d.meta.isolation.as_deref() == Some("worktree"))
    else {
        return Ok(None);
    };
    let common = CommonFields {
        session_id: core.session_id.clone(),
        transcript_path: transcript
            .map(|t| t.path().display().to_string())
            .unwrap_or_default(),
        cwd: session_cwd(core).display().to_string(),
        permission_mode: Some(mode_to_wire(core.mode()).as_str().to_owned()),
        agent_id: Some(agent_id.to_owned()),
        agent_type: Some(definition.name.clone()),
    };
    let short: String = agent_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    let name = format!("agent-{short}");
    let worktree = create(core, &common, Some(&name)).await.map_err(|error| {
        ToolError::respond(format!(
            "The {} subagent runs in its own git worktree (isolation: worktree), which could not \
             be created: {error}",
            definition.name
        ))
    })?;
    lock(&core.permissions).apply(&[PermissionUpdate::AddDirectories {
        directories: vec![worktree.path.display().to_string()],
        destination: PermissionDestination::Session,
    }]);
    tracing::info!(path = %worktree.path.display(), subagent = %definition.name, "subagent worktree created");
    Ok(Some(Isolated { worktree, common }))
}

/// Reports the worktree in the run's result (`worktree_path`,
/// `worktree_branch`); removes it when the subagent changed nothing.
pub(crate) async fn finish(
    core: &Core,
    isolated: Option<Isolated>,
    output: Result<ToolOutput, ToolError>,
) -> Result<ToolOutput, ToolError> {
    let Some(isolated) = isolated else {
        return output;
    };
    let path = isolated.worktree.path.display().to_string();
    let branch = isolated.worktree.branch.clone();
    let unchanged = ferrule_worktree::changes(&isolated.worktree)
        .await
        .is_ok_and(|changes| changes.is_empty());
    let note = if unchanged {
        match remove(core, &isolated.common, &isolated.worktree, false).await {
            Ok(_) => {
                lock(&core.permissions).apply(&[PermissionUpdate::RemoveDirectories {
                    directories: vec![path.clone()],
                    destination: PermissionDestination::Session,
                }]);
                format!("[worktree: {path} — no changes were made, so it was removed]")
            }
            Err(error) => format!("[worktree: {path} — left in place: {error}]"),
        }
    } else {
        match &branch {
            Some(branch) => {
                format!("[worktree: {path} on branch {branch} — its changes are there]")
            }
            None => format!("[worktree: {path} — its changes are there]"),
        }
    };
    match output {
        Ok(mut output) => {
            let text = format!("{}\n\n{note}", output.text_content());
            if let Value::Object(map) = &mut output.structured {
                map.insert("worktree_path".into(), Value::String(path));
                map.insert(
                    "worktree_branch".into(),
                    branch.map_or(Value::Null, Value::String),
                );
                map.insert("worktree_removed".into(), Value::Bool(unchanged));
            }
            Ok(ToolOutput::text(text, output.structured))
        }
        Err(error) if error.is_for_model() => {
            Err(ToolError::respond(format!("{}\n\n{note}", error.message())))
        }
        Err(error) => Err(error),
    }
}
