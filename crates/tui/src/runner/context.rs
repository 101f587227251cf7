//! Commands that act on the agent's context: `/compact`, `/pin`, `/unpin`,
//! and MCP prompts sent as the user's message.

use std::time::Instant;

use super::{Done, EventLoop};
use crate::state::Cell;

/// What `/compact`, `/pin`, `/unpin`, `/context-window` and `/rewind` say
/// when a turn holds the agent.
pub(super) const BUSY: &str = "A turn is running: wait for it or interrupt it (Esc) first.";

impl EventLoop {
    /// Takes the agent out for work of its own (compaction, a rewind) when
    /// no turn runs; otherwise says so and leaves the session as it is.
    pub(super) fn take_idle_agent(&mut self) -> Option<ferrule_agent::Agent> {
        let agent = match self.app.busy {
            None => self.session.agent.take(),
            Some(_) => None,
        };
        if agent.is_none() {
            self.app.transcript.push(Cell::Error(BUSY.into()));
        }
        agent
    }

    /// Runs the agent's manual compaction in the background, like a turn:
    /// the spinner runs and Esc / Ctrl-C interrupt it.
    pub(super) fn compact(&mut self, instructions: String) {
        let Some(mut agent) = self.take_idle_agent() else {
            return;
        };
        self.app.start_turn(Instant::now());
        let events = self.agent_events.clone();
        let done = self.done.clone();
        tokio::spawn(async move {
            let result = agent
                .compact(Some(instructions.as_str()), &events)
                .await
                .map(|_| ())
                .map_err(|error| format!("/compact: {error}"));
            let _ = done.send(Done::Compacted(Box::new(agent), result));
        });
    }

    /// `/pin` and `/unpin`: a file when `args` names one, else the last
    /// assistant message of this session.
    pub(super) fn pin(&mut self, args: &str, pin: bool) {
        let verb = if pin { "pin" } else { "unpin" };
        let last = self.last_answer.clone();
        let exists = self.session.cwd().join(args).is_file();
        let Some(agent) = self
            .session
            .agent
            .as_mut()
            .filter(|_| self.app.busy.is_none())
        else {
            self.app.transcript.push(Cell::Error(BUSY.into()));
            return;
        };
        let cell = match (args.is_empty(), pin, last) {
            (false, true, _) if !exists => Cell::Error(format!(
                "/pin: {args} is not a file (paths are taken from the working directory)."
            )),
            (false, true, _) => {
                agent.pin_file(args);
                Cell::Info(format!(
                    "Pinned {args}: every compaction re-attaches its current content."
                ))
            }
            (false, false, _) if agent.unpin_file(args) => Cell::Info(format!("Unpinned {args}.")),
            (false, false, _) => Cell::Error(format!("/unpin: {args} is not pinned.")),
            (true, _, None) => Cell::Error(format!(
                "/{verb}: no assistant message in this session yet; /{verb} <file> {verb}s a file."
            )),
            (true, true, Some(uuid)) => match agent.pin_message(&uuid) {
                Ok(()) => {
                    Cell::Info("Pinned the last answer: compactions keep it word for word.".into())
                }
                Err(error) => Cell::Error(format!("/pin: {error}")),
            },
            (true, false, Some(uuid)) if agent.unpin_message(&uuid) => {
                Cell::Info("Unpinned the last answer.".into())
            }
            (true, false, Some(_)) => Cell::Error("/unpin: the last answer is not pinned.".into()),
        };
        self.app.transcript.push(cell);
    }

    /// Fetches an MCP prompt and sends its messages as the user's prompt
    /// (through [`Done::Expanded`], which queues it behind a running turn).
    pub(super) fn mcp_prompt(&mut self, name: String, args: String) {
        let Some(manager) = self.session.info.mcp.clone() else {
            self.app
                .transcript
                .push(Cell::Error(format!("/{name}: no MCP servers are running.")));
            return;
        };
        let done = self.done.clone();
        tokio::spawn(async move {
            let result = match manager.run_prompt_command(&name, &args).await {
                Some(Ok(prompt)) => Ok((prompt.joined(), Vec::new())),
                Some(Err(error)) => Err(format!("/{name}: {error}")),
                None => Err(format!("/{name}: the MCP server no longer offers it")),
            };
            let _ = done.send(Done::Expanded(result));
        });
    }
}

impl EventLoop {
    /// `/tasks stop <id>`: stops a background task in the background (the
    /// registry waits for the process to go).
    pub(super) fn stop_task(&mut self, id: String) {
        let tasks = self.session.info.background.clone();
        let done = self.done.clone();
        tokio::spawn(async move {
            let result = match tasks.stop(&id).await {
                Ok(_) => Ok(format!("Stopped background task {id}.")),
                Err(error) => Err(format!("/tasks stop {id}: {error}")),
            };
            let _ = done.send(Done::Notice(result));
        });
    }

    /// `/context-window [tokens]`: sets the window of the session's model
    /// (as `--context-window` does at start), then shows the context use.
    pub(super) fn context_window(&mut self, tokens: Option<u64>) {
        let Some(agent) = self
            .session
            .agent
            .as_mut()
            .filter(|_| self.app.busy.is_none())
        else {
            self.app.transcript.push(Cell::Error(BUSY.into()));
            return;
        };
        if let Some(tokens) = tokens {
            agent.set_context_window(tokens);
        }
        let usage = agent.context_usage();
        let mut text = format!(
            "Context: {} of {} tokens ({}%) for {} · auto-compact at {} tokens{}",
            usage.used_tokens,
            usage.context_window,
            usage.used_percentage,
            usage.model,
            usage.auto_compact_tokens,
            if usage.auto_compact { "" } else { " (off)" }
        );
        if tokens.is_some() {
            text.insert_str(0, "Context window set for this session. ");
        } else {
            text.push_str(
                "\nSet the window with /context-window 200K, 400K, 1M or a number of tokens.",
            );
        }
        self.app.transcript.push(Cell::Info(text));
    }
}
