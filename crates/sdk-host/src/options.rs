//! What the host needs beyond [`SetupOptions`]: the flags that only mean
//! something in SDK mode (`sdk-protocol.md` §1.6).

use ferrule_setup::SetupOptions;

/// Options of one SDK session.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct HostOptions {
    /// Everything the agent is assembled from (flags, env, cwd).
    pub setup: SetupOptions,
    /// `--include-partial-messages`: emit `stream_event` lines.
    pub include_partial_messages: bool,
    /// `--include-hook-events`: emit `system` `hook_started` and
    /// `hook_response` lines for every hook run.
    pub include_hook_events: bool,
    /// `--replay-user-messages`: echo each accepted user message.
    pub replay_user_messages: bool,
    /// `--permission-prompt-tool`: `stdio` sends `can_use_tool` requests;
    /// absent, "ask" is denied as in print mode.
    pub permission_prompt_tool: Option<String>,
    /// Abort the running turn and exit on SIGTERM (§8.3). Off for hosts
    /// embedded in another program.
    pub handle_signals: bool,
}

impl HostOptions {
    /// SDK options around `setup`, with signal handling on.
    pub fn new(setup: SetupOptions) -> Self {
        Self {
            setup,
            handle_signals: true,
            ..Self::default()
        }
    }
}
