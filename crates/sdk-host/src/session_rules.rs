//! The permission rules the SDK added for this session (`updatedPermissions`
//! of `can_use_tool` answers, `apply_flag_settings`), kept so that an agent
//! built again mid-session (`rebuild.rs`) gets them back. Updates for the
//! settings files are not kept: they were written there and load again.

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use ferrule_agent::{AskAnswer, AskRequest, Asker, ElicitAnswer, ElicitRequest};
use ferrule_protocol::sdk::{PermissionDestination, PermissionUpdate};

/// The session's rule changes, in the order they were made.
#[derive(Clone, Default)]
pub(crate) struct SessionRules(Arc<Mutex<Vec<PermissionUpdate>>>);

impl SessionRules {
    /// Keeps the session-scoped ones of `updates`.
    pub(crate) fn record(&self, updates: &[PermissionUpdate]) {
        let kept = updates.iter().filter(|update| for_session(update)).cloned();
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(kept);
    }

    /// Everything kept so far.
    pub(crate) fn all(&self) -> Vec<PermissionUpdate> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

fn for_session(update: &PermissionUpdate) -> bool {
    // The mode is carried over by itself.
    let (PermissionUpdate::AddRules { destination, .. }
    | PermissionUpdate::ReplaceRules { destination, .. }
    | PermissionUpdate::RemoveRules { destination, .. }
    | PermissionUpdate::AddDirectories { destination, .. }
    | PermissionUpdate::RemoveDirectories { destination, .. }) = update
    else {
        return false;
    };
    matches!(
        destination,
        PermissionDestination::Session | PermissionDestination::CliArg
    )
}

/// An asker that records the rule changes of the answers it passes on.
pub(crate) struct RecordingAsker {
    pub(crate) inner: Arc<dyn Asker>,
    pub(crate) rules: SessionRules,
}

#[async_trait]
impl Asker for RecordingAsker {
    async fn ask(&self, request: AskRequest) -> AskAnswer {
        let answer = self.inner.ask(request).await;
        if let AskAnswer::Allow {
            updated_permissions,
            ..
        } = &answer
        {
            self.rules.record(updated_permissions);
        }
        answer
    }

    async fn elicit(&self, request: ElicitRequest) -> ElicitAnswer {
        self.inner.elicit(request).await
    }
}
