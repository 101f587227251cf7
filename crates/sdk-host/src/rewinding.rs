//! The turn runner's side of `rewind`: files through the agent's
//! checkpoints, the conversation by building the agent again with the
//! history through the entry before the target user message
//! ([`crate::rebuild`]).

use std::path::Path;
use std::sync::Arc;

use ferrule_agent::Agent;
use ferrule_memory::Workspace;
use ferrule_protocol::sdk::{RewindResponse, RewindStatus};
use ferrule_session::EntryKind;
use ferrule_setup::InitFacts;

use crate::control::Scope;
use crate::host::{Shared, lock};
use crate::rebuild::{Blueprint, Leaf, rebuild};

/// Where the conversation goes back to.
struct Cut {
    leaf: Leaf,
    retained: Option<String>,
    removed: Vec<String>,
}

/// Runs one `rewind`; never fails (refusals are `rejected` answers).
pub(crate) async fn rewind(
    shared: &Shared,
    agent: &mut Agent,
    target: &str,
    scope: Scope,
    dry_run: bool,
) -> RewindResponse {
    let mut response = RewindResponse {
        status: RewindStatus::Rejected,
        target_user_message_id: target.to_owned(),
        scope: scope.as_str().to_owned(),
        retained_leaf_id: None,
        removed_message_ids: None,
        files_changed: None,
        insertions: None,
        deletions: None,
        failed_files: None,
        error: None,
    };
    let cut = if scope.conversation() {
        match plan_cut(shared, target) {
            Ok(cut) => {
                response.retained_leaf_id.clone_from(&cut.retained);
                response.removed_message_ids = Some(cut.removed.clone());
                Some(cut)
            }
            Err(error) => {
                response.error = Some(error);
                return response;
            }
        }
    } else {
        None
    };
    if scope.files() {
        let check = agent.rewind_files(target, true).await;
        if !check.can_rewind {
            response.error = check.error.or(Some("the files cannot be rewound".into()));
            return response;
        }
        response.files_changed = Some(check.files_changed);
        response.insertions = Some(check.insertions);
        response.deletions = Some(check.deletions);
    }
    if dry_run {
        response.status = RewindStatus::Ready;
        return response;
    }
    if scope.files() {
        let done = agent.rewind_files(target, false).await;
        if !done.can_rewind {
            response.error = done.error.or(Some("the files cannot be rewound".into()));
            return response;
        }
        response.files_changed = Some(done.files_changed);
        response.insertions = Some(done.insertions);
        response.deletions = Some(done.deletions);
    }
    if let Some(cut) = cut
        && let Err(error) = replace_agent(shared, agent, None, cut.leaf).map(drop)
    {
        response.status = if scope.files() {
            RewindStatus::Partial
        } else {
            RewindStatus::Rejected
        };
        response.error = Some(error);
        return response;
    }
    response.status = RewindStatus::Success;
    response
}

/// Finds `target` among the user entries of the transcript's main line.
fn plan_cut(shared: &Shared, target: &str) -> Result<Cut, String> {
    let path = lock(&shared.ready)
        .as_ref()
        .and_then(|ready| ready.transcript_path.clone());
    let Some(path) = path else {
        return Err("rewinding the conversation needs the session transcript, and this session writes none (no session persistence)".to_owned());
    };
    cut_in(&path, target)
}

fn cut_in(path: &Path, target: &str) -> Result<Cut, String> {
    if !path.is_file() {
        return Err(format!("no user message {target} in this session yet"));
    }
    let loaded = ferrule_session::load_transcript(path)
        .map_err(|error| format!("reading the transcript: {error}"))?;
    let chain = loaded.conversation().chain;
    let Some(index) = chain
        .iter()
        .position(|entry| entry.kind == EntryKind::User && entry.uuid.as_deref() == Some(target))
    else {
        return Err(format!(
            "no user message {target} in this session's conversation (unknown, or before the last compaction)"
        ));
    };
    let retained = chain[..index]
        .iter()
        .rev()
        .find_map(|entry| entry.uuid.clone());
    let removed = chain[index..]
        .iter()
        .filter_map(|entry| entry.uuid.clone())
        .collect();
    let leaf = match &retained {
        Some(uuid) => Leaf::At(uuid.clone()),
        None => Leaf::Start,
    };
    Ok(Cut {
        leaf,
        retained,
        removed,
    })
}

/// What the agent put in place was built from (`reload_plugins` reports
/// it).
pub(crate) struct Replaced {
    /// The session's init facts now (plugins, skills, commands, agents).
    pub(crate) facts: InitFacts,
    /// The memory workspace as read from disk for the new agent.
    pub(crate) workspace: Arc<Workspace>,
}

/// Builds the agent again (from `blueprint`, else the session's) with the
/// history through `leaf` and puts it in place, carrying over the
/// permission mode, the model and the thinking budget. Keeping the whole
/// conversation ([`Leaf::Current`]) works without a transcript file too
/// (the history is taken from the agent) and keeps the read record.
pub(crate) fn replace_agent(
    shared: &Shared,
    agent: &mut Agent,
    blueprint: Option<Blueprint>,
    leaf: Leaf,
) -> Result<Replaced, String> {
    let (current, model, persisted) = lock(&shared.ready)
        .as_ref()
        .map(|ready| {
            (
                ready.blueprint.clone(),
                ready.model.clone(),
                ready.transcript_path.as_deref().is_some_and(Path::is_file),
            )
        })
        .ok_or_else(|| "the session is not initialized".to_owned())?;
    let old = agent.controls();
    let (leaf, file_state) = match leaf {
        Leaf::Current if !persisted => (
            Leaf::Live(agent.messages().to_vec()),
            Some(old.file_state()),
        ),
        leaf @ (Leaf::Current | Leaf::Live(_)) => (leaf, Some(old.file_state())),
        _ if !persisted => {
            return Err("this needs the session transcript, and there is none yet (no turn has run, or session persistence is off)".to_owned());
        }
        leaf => (leaf, None),
    };
    let blueprint = blueprint.unwrap_or(current);
    let rebuilt = rebuild(&blueprint, agent.session_id(), leaf, file_state)?;
    let controls = rebuilt.agent.controls();
    controls.set_mode(old.mode());
    controls.set_model(model);
    controls.set_thinking(old.thinking());
    controls.apply_permission_updates(&blueprint.rules.all());
    *agent = rebuilt.agent;
    let mut facts = rebuilt.facts;
    facts.mode = old.mode();
    if let Some(ready) = lock(&shared.ready).as_mut() {
        facts.model.clone_from(&ready.facts.model);
        facts.mcp_servers.clone_from(&ready.facts.mcp_servers);
        ready.facts = facts.clone();
        ready.controls = controls;
        ready.history = agent.messages().to_vec();
        ready.system_prompt = agent.system_prompt();
        ready.background = rebuilt.info.background;
        ready.watch = rebuilt.info.watch;
        ready.blueprint = blueprint;
    }
    Ok(Replaced {
        facts,
        workspace: rebuilt.workspace,
    })
}
