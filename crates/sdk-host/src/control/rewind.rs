//! `rewind_files` and `rewind` (`sdk-protocol.md` §6.3, §12). Both run on
//! the turn runner between turns (it owns the agent): asked during a turn,
//! they are answered when it ends.

use ferrule_protocol::sdk::{RewindFilesRequest, RewindFilesResponse, RewindRequest};
use serde_json::Value;

use super::{run_command, with_ready};
use crate::host::Shared;
use crate::turns::Command;

pub(super) async fn rewind_files(
    shared: &Shared,
    request: &RewindFilesRequest,
) -> Result<Value, String> {
    let Some(id) = request.user_message_id.clone() else {
        return Err("missing user_message_id".to_owned());
    };
    with_ready(shared, |_| ())?;
    let dry_run = request.dry_run == Some(true);
    let report = run_command(shared, |reply| Command::RewindFiles {
        user_message_id: id,
        dry_run,
        reply,
    })
    .await?;
    let response = RewindFilesResponse {
        can_rewind: report.can_rewind,
        error: report.error,
        files_changed: Some(report.files_changed),
        insertions: Some(report.insertions),
        deletions: Some(report.deletions),
    };
    serde_json::to_value(response).map_err(|error| error.to_string())
}

/// What a `rewind` covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    Conversation,
    Files,
    Both,
}

impl Scope {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Scope::Conversation => "conversation",
            Scope::Files => "files",
            Scope::Both => "both",
        }
    }

    pub(crate) fn files(self) -> bool {
        self != Scope::Conversation
    }

    pub(crate) fn conversation(self) -> bool {
        self != Scope::Files
    }
}

pub(super) async fn rewind(shared: &Shared, request: &RewindRequest) -> Result<Value, String> {
    let Some(id) = request.user_message_id.clone() else {
        return Err("missing user_message_id".to_owned());
    };
    let scope = match request.scope.as_deref() {
        None | Some("both") => Scope::Both,
        Some("conversation") => Scope::Conversation,
        Some("files") => Scope::Files,
        Some(other) => {
            return Err(format!(
                "rewind: unknown scope `{other}` (conversation, files or both)"
            ));
        }
    };
    with_ready(shared, |_| ())?;
    let dry_run = request.dry_run == Some(true);
    let response = run_command(shared, |reply| Command::Rewind {
        user_message_id: id,
        scope,
        dry_run,
        reply,
    })
    .await?;
    serde_json::to_value(response).map_err(|error| error.to_string())
}
