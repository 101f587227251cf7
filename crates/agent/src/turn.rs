//! What every step of one run sees: the shared core, the agent's tools,
//! where events go, the cancellation token and the hook plumbing.

use std::sync::Arc;

use ferrule_hooks::{
    CommonFields, EventPayload, HookEvent, HookInput, HookRun, Mode, Outcome, Parsed, RunStatus,
};
use ferrule_protocol::AgentEvent;
use ferrule_protocol::sdk::HookOutcome;
use ferrule_session::Transcript;
use ferrule_tool::{ToolContext, ToolRegistry};
use tokio_util::sync::CancellationToken;

use crate::agent::Scope;
use crate::core::Core;
use crate::events::Emitter;
use crate::policy::mode_to_wire;

/// The context of one run.
pub(crate) struct Turn<'a> {
    pub(crate) core: &'a Arc<Core>,
    pub(crate) tools: &'a ToolRegistry,
    pub(crate) emitter: Emitter<'a>,
    pub(crate) cancel: CancellationToken,
    pub(crate) user_message_uuid: String,
    pub(crate) scope: &'a Scope,
    pub(crate) transcript: Option<&'a Transcript>,
    /// The user's latest request, for the `auto` mode classifier (set
    /// where tool calls run).
    pub(crate) request: Option<String>,
}

impl Turn<'_> {
    /// The transcript file, or `""` without one.
    pub(crate) fn transcript_path(&self) -> String {
        self.transcript
            .map(|t| t.path().display().to_string())
            .unwrap_or_default()
    }

    /// The working directory of this run now: a subagent's own worktree,
    /// else the worktree the session entered, else the session's cwd.
    pub(crate) fn cwd(&self) -> std::path::PathBuf {
        self.scope
            .cwd
            .clone()
            .unwrap_or_else(|| crate::tools::worktree::session_cwd(self.core))
    }

    /// The common fields of a hook input now.
    pub(crate) fn common_fields(&self) -> CommonFields {
        CommonFields {
            session_id: self.core.session_id.clone(),
            transcript_path: self.transcript_path(),
            cwd: self.cwd().display().to_string(),
            permission_mode: Some(mode_to_wire(self.core.mode()).as_str().to_owned()),
            agent_id: self.scope.agent_id.clone(),
            agent_type: self.scope.agent_type.clone(),
        }
    }

    /// Fires the hooks of `payload`'s event; `None` when no hook matches.
    /// Each foreground hook is announced ([`AgentEvent::HookStarted`]) and
    /// its result reported ([`AgentEvent::HookResponse`], with its
    /// `systemMessage` or error for the user).
    pub(crate) async fn fire(&self, payload: EventPayload) -> Option<Outcome> {
        let hooks = self.core.live.hooks()?;
        let input = HookInput::new(self.common_fields(), payload);
        let matched = hooks.matching(&input);
        if matched.is_empty() {
            return None;
        }
        let event = input.event().as_str();
        let hook_name = match input.match_value() {
            Some(value) if !value.is_empty() => format!("{event}:{value}"),
            _ => event.to_owned(),
        };
        let ids: Vec<String> = matched
            .iter()
            .filter(|m| m.spec.mode == Mode::Blocking)
            .map(|m| {
                let hook_id = crate::events::new_uuid();
                self.emitter.emit(AgentEvent::HookStarted {
                    hook_id: hook_id.clone(),
                    hook_name: hook_name.clone(),
                    hook_event: event.to_owned(),
                    status_message: m.spec.status_message.clone(),
                });
                hook_id
            })
            .collect();
        let dispatch = hooks.dispatch(&input).await;
        for (index, run) in dispatch.runs.iter().enumerate() {
            let hook_id = ids
                .get(index)
                .cloned()
                .unwrap_or_else(crate::events::new_uuid);
            self.emitter
                .emit(hook_response(hook_id, &hook_name, input.event(), run));
        }
        for error in &dispatch.outcome.errors {
            tracing::warn!(event = input.event().as_str(), hook = %error.hook, message = %error.message, "hook failed");
        }
        Some(dispatch.outcome)
    }

    /// The tool context for one call: the session's directories (with
    /// those added during the session), env and cancellation.
    pub(crate) fn tool_context(&self) -> Result<ToolContext, ferrule_tool::ContextError> {
        self.tool_context_with(None)
    }

    /// [`Turn::tool_context`] that also allows `extra` (a directory outside
    /// the working ones that this call may read, once permitted).
    pub(crate) fn tool_context_with(
        &self,
        extra: Option<&std::path::Path>,
    ) -> Result<ToolContext, ferrule_tool::ContextError> {
        let (added, removed) = {
            let permissions = crate::core::lock(&self.core.permissions);
            (
                permissions.added_dirs().to_vec(),
                permissions.removed_dirs().to_vec(),
            )
        };
        let make = |with_added: bool| {
            let mut builder = ToolContext::builder(self.cwd())
                .cancel_token(self.cancel.child_token())
                .file_state(Arc::clone(&self.core.file_state))
                .session_id(self.core.session_id.clone());
            for dir in &self.core.additional_dirs {
                if !removed.iter().any(|r| dir.as_os_str() == r.as_str()) {
                    builder = builder.additional_dir(dir);
                }
            }
            if with_added {
                for dir in &added {
                    builder = builder.additional_dir(dir);
                }
            }
            if let Some(dir) = extra {
                builder = builder.additional_dir(dir);
            }
            for (key, value) in &self.core.env {
                builder = builder.env(key.clone(), value.clone());
            }
            builder.build()
        };
        make(true).or_else(|error| {
            tracing::warn!(%error, "a directory added in the session cannot be used; leaving those out");
            make(false)
        })
    }
}

/// The [`AgentEvent::HookResponse`] of `run`: a hook that exited 0 (or
/// answered) succeeded; any other end is an error, with the reason the
/// merge reports for it.
fn hook_response(hook_id: String, hook_name: &str, event: HookEvent, run: &HookRun) -> AgentEvent {
    let succeeded = match &run.status {
        RunStatus::Exited(code) => *code == 0,
        RunStatus::Answered => true,
        RunStatus::Http(status) => (200..300).contains(status),
        _ => false,
    };
    let system_message = match &run.parsed {
        Parsed::Json(output) => output.system_message.clone().filter(|m| !m.is_empty()),
        _ => None,
    };
    let error = Outcome::merge(event, std::slice::from_ref(run))
        .errors
        .into_iter()
        .next()
        .map(|error| error.message);
    AgentEvent::HookResponse {
        hook_id,
        hook_name: hook_name.to_owned(),
        hook_event: event.as_str().to_owned(),
        stdout: run.stdout.clone(),
        stderr: run.stderr.clone(),
        exit_code: run.exit_code,
        outcome: if succeeded && error.is_none() {
            HookOutcome::Success
        } else {
            HookOutcome::Error
        },
        system_message,
        error,
    }
}
