//! The event loop: terminal events, agent events, permission requests and
//! finished turns come in over channels; each changes the state, then the
//! screen is drawn again.

mod answers;
mod context;
mod rewinding;
mod switch;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyEventKind};
use ferrule_agent::{Agent, Asker, Emitted, TurnResult, UserInput};
use ferrule_protocol::{AgentEvent, ContentBlock, ToolResultBlock, ToolUseBlock};
use ferrule_setup::CommandShell;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::TuiError;
use crate::asker::{PendingAsk, TuiAsker};
use crate::commands::{CommandPrompt, Outcome, command_list, run_command};
use crate::keys::{Action, handle_key};
use crate::rewind::{RewindStage, RewindTarget, TurnMark};
use crate::session::Session;
use crate::shell::{ShellOutput, run_shell};
use crate::state::{App, Cell, Completer};
use crate::terminal::TerminalGuard;

/// Spinner and clock refresh while something runs.
const TICK: Duration = Duration::from_millis(120);

/// Results of background work, back to the loop.
enum Done {
    /// A turn ended; the agent comes back.
    Turn(Box<(Agent, TurnResult)>),
    /// A `!command` finished.
    Shell(String, ShellOutput),
    /// A custom command was expanded, or an MCP prompt fetched (or failed).
    /// On success, the prompt and the rules to allow for the session.
    Expanded(Result<(String, Vec<String>), String>),
    /// `/compact` ended; the agent comes back.
    Compacted(Box<Agent>, Result<(), String>),
    /// A command's background work ended: a note, or an error.
    Notice(Result<String, String>),
    /// A `/rewind` dry run or rewind ended; the agent comes back.
    Rewound(
        Box<Agent>,
        RewindTarget,
        RewindStage,
        ferrule_checkpoint::RewindReport,
    ),
}

pub(crate) struct EventLoop {
    app: App,
    session: Session,
    asker: Arc<dyn Asker>,
    completer: Completer,
    commands: Vec<(String, String)>,
    agent_events: mpsc::UnboundedSender<Emitted>,
    done: mpsc::UnboundedSender<Done>,
    /// Requests waiting behind the one on screen.
    asks: VecDeque<PendingAsk>,
    /// The request on screen.
    current: Option<answers::Current>,
    shells: u64,
    /// Prompts of this session, for `/rewind`.
    marks: Vec<TurnMark>,
    /// The prompt of the turn in flight.
    running_prompt: String,
    /// The transcript uuid of the last main-thread assistant message, for
    /// `/pin` without arguments.
    last_answer: Option<String>,
    /// Whether the prompt on screen is the folder-trust question.
    trust_question: bool,
    /// The rewind the question on screen confirms.
    rewind_confirm: Option<RewindTarget>,
    /// The command line's prompt, held back until trust is answered.
    deferred: Option<String>,
    /// A session to switch to (`/clear`, `/resume`, trust), with the note
    /// to show; started by the loop, since starting MCP servers is async.
    pending_session: Option<(Box<ferrule_setup::SetupOptions>, String, switch::Switch)>,
    /// Turns background hooks started since the user last sent something.
    wakes: usize,
    exit: bool,
}

/// Channels the loop reads.
struct Inputs {
    terminal: mpsc::UnboundedReceiver<Event>,
    agent_events: mpsc::UnboundedReceiver<Emitted>,
    asks: mpsc::UnboundedReceiver<PendingAsk>,
    done: mpsc::UnboundedReceiver<Done>,
}

/// Runs the interface until the user leaves.
pub(crate) async fn run_loop(
    options: ferrule_setup::SetupOptions,
    initial_prompt: Option<String>,
) -> Result<(), TuiError> {
    let (ask_tx, ask_rx) = mpsc::unbounded_channel();
    let asker: Arc<dyn Asker> = Arc::new(TuiAsker { requests: ask_tx });
    let session =
        Session::start(crate::trust::with_trust(options), Arc::clone(&asker), None).await?;
    let (term_tx, term_rx) = mpsc::unbounded_channel();
    let (event_tx, event_rx) = mpsc::unbounded_channel();
    let (done_tx, done_rx) = mpsc::unbounded_channel();
    let mut app = App::new(session.info.model.clone(), session.info.mode);
    app.bypass_allowed = session.facts.bypass_allowed;
    let history_file = crate::history::history_file(&session.info.user_dir);
    app.composer
        .set_history(crate::history::load(&history_file, session.cwd()));
    let mut this = EventLoop {
        completer: Completer::new(session.cwd()),
        commands: command_list(&session),
        app,
        session,
        asker,
        agent_events: event_tx,
        done: done_tx,
        asks: VecDeque::new(),
        current: None,
        shells: 0,
        marks: Vec::new(),
        running_prompt: String::new(),
        last_answer: None,
        trust_question: false,
        rewind_confirm: None,
        deferred: None,
        pending_session: None,
        wakes: 0,
        exit: false,
    };
    this.welcome();
    this.ask_trust();
    let mut inputs = Inputs {
        terminal: term_rx,
        agent_events: event_rx,
        asks: ask_rx,
        done: done_rx,
    };
    let mut guard = TerminalGuard::enter(term_tx).map_err(TuiError::Terminal)?;
    if let Some(prompt) = initial_prompt.filter(|p| !p.trim().is_empty()) {
        if this.trust_question {
            this.deferred = Some(prompt);
        } else {
            this.submit(prompt);
        }
    }
    let result = this.drive(&mut guard, &mut inputs).await;
    let session_id = this.session.info.session_id.clone();
    let saved = this.session.info.transcript_path.is_some();
    drop(guard);
    // The user left (`/exit`, Ctrl+D, a second Ctrl+C), unless the loop
    // failed.
    let reason = if result.is_ok() && this.exit {
        ferrule_hooks::SessionEndReason::PromptInputExit
    } else {
        ferrule_hooks::SessionEndReason::Other
    };
    this.session.end(reason).await;
    if saved {
        eprintln!("Resume this session with: ferrule --resume {session_id}");
    }
    result
}

impl EventLoop {
    async fn drive(
        &mut self,
        guard: &mut TerminalGuard,
        inputs: &mut Inputs,
    ) -> Result<(), TuiError> {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        while !self.exit {
            self.drop_cancelled_prompt();
            let now = Instant::now();
            guard
                .terminal
                .draw(|frame| crate::render::draw(frame, &self.app, now))
                .map_err(TuiError::Terminal)?;
            tokio::select! {
                Some(event) = inputs.terminal.recv() => self.terminal_event(event),
                Some(emitted) = inputs.agent_events.recv() => {
                    self.agent_event(&emitted);
                    while let Ok(more) = inputs.agent_events.try_recv() {
                        self.agent_event(&more);
                    }
                }
                Some(pending) = inputs.asks.recv() => {
                    self.asks.push_back(pending);
                    self.show_next_ask();
                }
                Some(done) = inputs.done.recv() => self.finished(done, inputs),
                _ = tick.tick() => {
                    self.app.tick = self.app.tick.wrapping_add(1);
                    self.wake_if_idle();
                }
            }
            if let Some((options, note, switch)) = self.pending_session.take() {
                self.new_session(*options, note, switch).await;
                if let Some(prompt) = self.deferred.take() {
                    self.submit(prompt);
                }
            }
        }
        if let Some(busy) = self.app.busy
            && !busy.interrupting
        {
            self.session.controls.interrupt();
        }
        Ok(())
    }

    fn agent_event(&mut self, emitted: &Emitted) {
        self.app
            .apply(&emitted.event, emitted.parent_tool_use_id.as_deref());
        if emitted.parent_tool_use_id.is_some() {
            return;
        }
        match emitted.event {
            AgentEvent::TurnFinished { .. } => self.app.mode = self.session.controls.mode(),
            AgentEvent::MessageComplete { .. } => self.last_answer = Some(emitted.uuid.clone()),
            _ => {}
        }
    }

    fn terminal_event(&mut self, event: Event) {
        let now = Instant::now();
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => {
                let action = handle_key(&mut self.app, key, now);
                self.act(action);
            }
            Event::Paste(text) if self.app.prompt.is_none() => {
                self.app.composer.insert_str(&text.replace('\r', "\n"));
            }
            _ => {}
        }
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::None => {}
            Action::Edited => self.complete(),
            Action::Submit(text) => {
                self.app.completion = None;
                let file = crate::history::history_file(&self.session.info.user_dir);
                if let Err(error) = crate::history::append(&file, self.session.cwd(), &text) {
                    tracing::warn!(file = %file.display(), %error, "cannot save the input history");
                }
                self.submit(text);
            }
            Action::Interrupt => self.session.controls.interrupt(),
            Action::Exit => self.exit = true,
            Action::SetMode(mode) => {
                self.session.controls.set_mode(mode);
                self.app.mode = mode;
                self.app.set_hint(
                    format!("Permission mode: {}", mode.as_str()),
                    Instant::now(),
                );
            }
            Action::Permission(choice, interrupt) => self.answer_permission(choice, interrupt),
            Action::Question(answer) if self.trust_question => self.answer_trust(answer),
            Action::Question(answer) if self.rewind_confirm.is_some() => {
                self.answer_rewind(answer);
            }
            Action::Question(answer) => self.answer_question(answer),
        }
    }

    fn complete(&mut self) {
        let (start, word) = self.app.composer.current_word();
        if word == "@" {
            self.completer.refresh();
        }
        let word = word.to_owned();
        self.app.completion = self.completer.complete(&word, start == 0, &self.commands);
    }

    /// Sends what the user typed: a command, a shell command or a message.
    /// While no turn runs, an `asyncRewake` hook that exited 2 wakes the
    /// model: a turn starts with its reminder (cli-core.md §5.2).
    fn wake_if_idle(&mut self) {
        let idle = self.app.busy.is_none()
            && self.session.agent.is_some()
            && self.app.prompt.is_none()
            && self.app.queued.is_empty()
            && self.pending_session.is_none();
        if !idle || self.wakes >= ferrule_agent::MAX_WAKE_TURNS {
            return;
        }
        let wake = self.session.controls.take_background_wake();
        if wake.is_empty() {
            return;
        }
        self.wakes += 1;
        self.app.transcript.push(Cell::Info(format!(
            "A background hook woke the model: {}",
            wake[0].lines().next().unwrap_or("")
        )));
        self.start_turn_quiet(wake.join("\n\n"));
    }

    fn submit(&mut self, text: String) {
        self.wakes = 0;
        self.app.scroll = 0;
        if let Some(command) = text.strip_prefix('!') {
            self.shell(command.trim().to_owned());
            return;
        }
        if text.starts_with('/') {
            self.app
                .transcript
                .push(Cell::User(text.trim_end().to_owned()));
            let outcome = run_command(&mut self.app, &self.session, &text);
            self.outcome(outcome);
            return;
        }
        if self.app.busy.is_some() || self.session.agent.is_none() {
            self.app.queued.push(text);
            return;
        }
        self.start_turn(text);
    }

    fn outcome(&mut self, outcome: Outcome) {
        let busy = self.app.busy.is_some() || self.session.agent.is_none();
        match outcome {
            Outcome::Done => {}
            Outcome::Exit => self.exit = true,
            Outcome::Prompt(text) if busy => self.app.queued.push(text),
            Outcome::Prompt(text) => self.start_turn_quiet(text),
            Outcome::Expand(prompt) => self.expand(prompt),
            Outcome::NewSession(_) | Outcome::Reload(..) | Outcome::Model(_) if busy => {
                self.app.transcript.push(Cell::Error(
                    "A turn is running: wait for it or interrupt it (Esc) first.".into(),
                ));
            }
            Outcome::Rewind(args) => self.rewind(&args),
            Outcome::NewSession(options) => {
                let (note, switch) = match &options.session.resume {
                    Some(id) => (format!("Resumed session {id}."), switch::Switch::Resume),
                    None => (
                        "Started a new conversation.".to_owned(),
                        switch::Switch::Clear,
                    ),
                };
                self.pending_session = Some((options, note, switch));
            }
            Outcome::Reload(options, note) => {
                // The same conversation, resumed by a rebuilt session.
                self.pending_session = Some((options, note, switch::Switch::Resume));
            }
            Outcome::Model(name) => self.switch_model(&name),
            Outcome::Compact(instructions) => self.compact(instructions),
            Outcome::Pin(args) => self.pin(&args, true),
            Outcome::Unpin(args) => self.pin(&args, false),
            Outcome::McpPrompt(name, args) => self.mcp_prompt(name, args),
            Outcome::StopTask(id) => self.stop_task(id),
            Outcome::ContextWindow(tokens) => self.context_window(tokens),
        }
    }

    fn start_turn(&mut self, text: String) {
        self.app.transcript.push(Cell::User(text.clone()));
        self.start_turn_quiet(text);
    }

    /// Starts a turn without echoing `text` (commands already showed theirs).
    fn start_turn_quiet(&mut self, text: String) {
        let Some(mut agent) = self.session.agent.take() else {
            self.app.queued.push(text);
            return;
        };
        self.app.start_turn(Instant::now());
        let first: String = text.lines().next().unwrap_or("").chars().take(60).collect();
        self.running_prompt = first;
        let events = self.agent_events.clone();
        let done = self.done.clone();
        // SessionStart's additions reach the model ahead of the first prompt.
        let context = self.session.take_start_context();
        let input = if context.is_empty() {
            UserInput::text(text)
        } else {
            let mut blocks: Vec<ContentBlock> =
                context.into_iter().map(ContentBlock::text).collect();
            blocks.push(ContentBlock::text(text));
            UserInput::blocks(blocks)
        };
        tokio::spawn(async move {
            let result = agent.run(input, &events).await;
            let _ = done.send(Done::Turn(Box::new((agent, result))));
        });
    }

    fn shell(&mut self, command: String) {
        if command.is_empty() {
            return;
        }
        self.shells += 1;
        let id = format!("shell-{}", self.shells);
        let call = ToolUseBlock {
            id: id.clone(),
            name: "Bash".into(),
            input: serde_json::json!({"command": command}),
        };
        self.app
            .apply(&AgentEvent::ToolCallFinished { index: 0, call }, None);
        let cwd = self.session.cwd().clone();
        let done = self.done.clone();
        tokio::spawn(async move {
            let output = run_shell(&command, &cwd, &CancellationToken::new()).await;
            let _ = done.send(Done::Shell(id, output));
        });
    }

    fn expand(&mut self, prompt: CommandPrompt) {
        let host = CommandShell::new(self.session.cwd().clone(), self.session.policy.clone())
            .with_asker(Arc::clone(&self.asker), CancellationToken::new())
            .allowing(&prompt.allowed_tools, &prompt.path);
        let done = self.done.clone();
        tokio::spawn(async move {
            let allowed = prompt.allowed_tools;
            let result = ferrule_memory::expand(&prompt.template, &host)
                .await
                .map(|expanded| (expanded.text, allowed))
                .map_err(|error| error.to_string());
            let _ = done.send(Done::Expanded(result));
        });
    }

    fn finished(&mut self, done: Done, inputs: &mut Inputs) {
        match done {
            Done::Turn(turn) => {
                let (agent, result) = *turn;
                self.marks.push(TurnMark {
                    uuid: result.user_message_uuid,
                    prompt: std::mem::take(&mut self.running_prompt),
                });
                // Events sent before the turn ended are drawn first.
                while let Ok(more) = inputs.agent_events.try_recv() {
                    self.agent_event(&more);
                }
                self.app.busy = None;
                self.session.agent = Some(agent);
                if !self.app.queued.is_empty() {
                    let next = self.app.queued.remove(0);
                    self.submit(next);
                }
            }
            Done::Shell(id, output) => {
                let result = if output.failed {
                    ToolResultBlock::error(&id, output.text)
                } else {
                    ToolResultBlock::text(&id, output.text)
                };
                self.app.apply(
                    &AgentEvent::ToolResult {
                        result,
                        structured: None,
                        duration_ms: None,
                    },
                    None,
                );
            }
            Done::Expanded(Ok((text, allowed))) => {
                self.session.controls.allow_for_session(&allowed);
                if self.app.busy.is_some() || self.session.agent.is_none() {
                    self.app.queued.push(text);
                } else {
                    self.start_turn_quiet(text);
                }
            }
            Done::Compacted(agent, result) => {
                while let Ok(more) = inputs.agent_events.try_recv() {
                    self.agent_event(&more);
                }
                self.app.busy = None;
                self.session.agent = Some(*agent);
                if let Err(error) = result {
                    self.app.transcript.push(Cell::Error(error));
                }
                if !self.app.queued.is_empty() {
                    let next = self.app.queued.remove(0);
                    self.submit(next);
                }
            }
            Done::Notice(Ok(text)) => self.app.transcript.push(Cell::Info(text)),
            Done::Notice(Err(text)) => self.app.transcript.push(Cell::Error(text)),
            Done::Rewound(agent, target, stage, report) => {
                self.session.agent = Some(*agent);
                self.rewound(target, stage, report);
                if self.app.prompt.is_none() && !self.app.queued.is_empty() {
                    let next = self.app.queued.remove(0);
                    self.submit(next);
                }
            }
            Done::Expanded(Err(error)) => {
                self.app.transcript.push(Cell::Error(format!(
                    "The command could not be expanded: {error}"
                )));
            }
        }
    }
}
