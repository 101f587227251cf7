//! SessionStart and SessionEnd hooks, which the host fires (the agent loop
//! fires the per-turn events): SessionStart before the first turn, with
//! `source` `startup` or `resume`, its `additionalContext` going to the
//! model with the first prompt; SessionEnd when the session ends (stdin
//! closed), for settings hooks — SDK callbacks cannot be answered then.

use std::sync::Arc;

use ferrule_hooks::{
    CommonFields, Dispatcher, EventPayload, HookInput, SessionEndInput, SessionEndReason,
    SessionSource, SessionStartInput,
};

/// What the session hooks need to know about the session.
pub(crate) struct SessionHooks {
    pub(crate) hooks: Arc<Dispatcher>,
    pub(crate) common: CommonFields,
    pub(crate) source: SessionSource,
    pub(crate) model: String,
}

impl SessionHooks {
    /// Fires SessionStart; the context the hooks add.
    pub(crate) async fn start(&self) -> Vec<String> {
        let input = HookInput::new(
            self.common.clone(),
            EventPayload::SessionStart(SessionStartInput {
                source: self.source,
                model: self.model.clone(),
            }),
        );
        if self.hooks.matching(&input).is_empty() {
            return Vec::new();
        }
        let dispatch = self.hooks.dispatch(&input).await;
        for error in &dispatch.outcome.errors {
            tracing::warn!(hook = %error.hook, message = %error.message, "SessionStart hook failed");
        }
        dispatch.outcome.additional_context
    }

    /// Fires SessionEnd.
    pub(crate) async fn end(&self) {
        let input = HookInput::new(
            self.common.clone(),
            EventPayload::SessionEnd(SessionEndInput {
                reason: SessionEndReason::Other,
            }),
        );
        if !self.hooks.matching(&input).is_empty() {
            self.hooks.dispatch(&input).await;
        }
    }
}
