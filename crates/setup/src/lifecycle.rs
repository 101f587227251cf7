//! SessionStart and SessionEnd hooks, which hosts fire around a session
//! (the agent loop fires the per-turn events): SessionStart before the
//! first turn, with `source` `startup` or `resume`, its `additionalContext`
//! going to the model with the first prompt, after InstructionsLoaded for
//! each instruction file loaded at startup; SessionEnd when the session
//! ends.

use std::sync::Arc;

use ferrule_hooks::{
    CommonFields, Dispatcher, EventPayload, HookInput, SessionEndInput, SessionEndReason,
    SessionSource, SessionStartInput,
};
use ferrule_session::SessionOrigin;

use crate::HostInfo;

/// What the session hooks need to know about the session.
#[derive(Clone)]
pub struct SessionHooks {
    hooks: Arc<Dispatcher>,
    common: CommonFields,
    source: SessionSource,
    model: String,
    watch: crate::SessionWatch,
    /// InstructionsLoaded payloads of the files the session starts with.
    instructions: Vec<ferrule_hooks::InstructionsLoadedInput>,
}

impl SessionHooks {
    /// The session hooks of `info`'s session, run by `hooks`
    /// (`Prepared::hooks`, taken before `into_builder`).
    pub fn new(hooks: Arc<Dispatcher>, info: &HostInfo) -> Self {
        Self {
            hooks,
            common: CommonFields {
                session_id: info.session_id.clone(),
                transcript_path: info
                    .transcript_path
                    .as_ref()
                    .map(|path| path.display().to_string())
                    .unwrap_or_default(),
                cwd: info.cwd.display().to_string(),
                permission_mode: Some(ferrule_agent::mode_to_wire(info.mode).as_str().to_owned()),
                agent_id: None,
                agent_type: None,
            },
            source: match info.origin {
                SessionOrigin::New => SessionSource::Startup,
                SessionOrigin::Resumed | SessionOrigin::Forked { .. } => SessionSource::Resume,
            },
            model: info.model.clone(),
            watch: info.watch.clone(),
            instructions: crate::instructions::at_startup(&info.workspace),
        }
    }

    /// The same hooks with SessionStart's `source` set to `source` (a host
    /// starting over after `/clear` says `clear`; the default comes from
    /// the session's origin: `startup` or `resume`).
    #[must_use]
    pub fn with_source(mut self, source: SessionSource) -> Self {
        self.source = source;
        self
    }

    /// The hooks in force: the session's, as reloaded when settings change.
    fn hooks(&self) -> Arc<Dispatcher> {
        let current = self.watch.hooks();
        if Arc::ptr_eq(&current, &self.hooks) {
            Arc::clone(&self.hooks)
        } else {
            current
        }
    }

    /// Fires InstructionsLoaded (`load_reason` `session_start`, or
    /// `include` for imports) for every instruction file the session
    /// starts with, then SessionStart; the context SessionStart hooks add.
    pub async fn start(&self) -> Vec<String> {
        let hooks = self.hooks();
        for loaded in &self.instructions {
            let input = HookInput::new(
                self.common.clone(),
                EventPayload::InstructionsLoaded(loaded.clone()),
            );
            if !hooks.matching(&input).is_empty() {
                hooks.dispatch(&input).await;
            }
        }
        let input = HookInput::new(
            self.common.clone(),
            EventPayload::SessionStart(SessionStartInput {
                source: self.source,
                model: self.model.clone(),
            }),
        );
        if hooks.matching(&input).is_empty() {
            return Vec::new();
        }
        let dispatch = hooks.dispatch(&input).await;
        for error in &dispatch.outcome.errors {
            tracing::warn!(hook = %error.hook, message = %error.message, "SessionStart hook failed");
        }
        // Paths the hooks asked to watch fire FileChanged from now on.
        self.watch.add_paths(&dispatch.outcome.watch_paths);
        dispatch.outcome.additional_context
    }

    /// Fires SessionEnd with `reason`.
    pub async fn end(&self, reason: SessionEndReason) {
        let input = HookInput::new(
            self.common.clone(),
            EventPayload::SessionEnd(SessionEndInput { reason }),
        );
        let hooks = self.hooks();
        if !hooks.matching(&input).is_empty() {
            hooks.dispatch(&input).await;
        }
    }
}
