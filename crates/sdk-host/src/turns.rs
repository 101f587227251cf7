//! The turn runner (`sdk-protocol.md` §8.2): takes user messages from the
//! queue one at a time, runs each through the agent, streams its events
//! and ends it with exactly one `result`.

use std::sync::{Arc, Mutex};

use ferrule_agent::{Agent, Emitted, EventSink, UserInput};
use ferrule_protocol::sdk::{ResultMessage, ResultSubtype, StreamMessage, UserStreamMessage};
use ferrule_protocol::{ContentBlock, TurnOutcome};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::events::{EventIds, EventLines};
use crate::host::{Shared, lock};
use crate::queue::QueuedTurn;
use ferrule_setup::SessionHooks;

/// Writes each event's lines to stdout as it happens.
struct LineSink {
    shared: Arc<Shared>,
    lines: Mutex<EventLines>,
}

impl EventSink for LineSink {
    fn emit(&self, event: Emitted) {
        let ids = EventIds {
            session_id: &event.session_id,
            uuid: &event.uuid,
            parent_tool_use_id: event.parent_tool_use_id.as_deref(),
        };
        let lines = lock(&self.lines).lines(&event.event, ids);
        for line in &lines {
            self.shared.outbox.send(line);
        }
    }
}

/// Work on the agent that control requests need, done by the runner
/// between turns (the runner owns the agent).
pub(crate) enum Command {
    /// `rewind_files`.
    RewindFiles {
        user_message_id: String,
        dry_run: bool,
        reply: oneshot::Sender<ferrule_agent::RewindReport>,
    },
    /// `rewind`.
    Rewind {
        user_message_id: String,
        scope: crate::control::Scope,
        dry_run: bool,
        reply: oneshot::Sender<ferrule_protocol::sdk::RewindResponse>,
    },
    /// `mcp_set_servers`: the agent again, with these MCP servers.
    ReplaceServers {
        blueprint: Box<crate::rebuild::Blueprint>,
        reply: oneshot::Sender<Result<(), String>>,
    },
    /// `get_context_usage`.
    ContextUsage { reply: oneshot::Sender<Value> },
    /// `reload_plugins`, `reload_skills`: the agent again from what is on
    /// disk now, same conversation.
    Reload {
        reply: oneshot::Sender<Result<crate::rewinding::Replaced, String>>,
    },
}

/// Runs turns until the queue is closed and empty, and commands between
/// them. Without an agent (`initialize` never succeeded) every queued
/// message gets an error result.
pub(crate) async fn run_turns(
    shared: Arc<Shared>,
    agent: oneshot::Receiver<(Agent, SessionHooks)>,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    let Ok((mut agent, session_hooks)) = agent.await else {
        while let Some(turn) = shared.queue.next().await {
            let mut result = ResultMessage::new(ResultSubtype::ErrorDuringExecution, "");
            let text = "initialize_required: the session was not initialized";
            result.result = Some(text.to_owned());
            result.errors = Some(vec![text.to_owned()]);
            result.uuid = Some(turn.uuid);
            shared.outbox.send(&StreamMessage::Result(result));
        }
        return;
    };
    let mut started = false;
    // Content of `shouldQuery: false` messages, for the next turn.
    let mut held: Vec<ContentBlock> = Vec::new();
    let sink = LineSink {
        shared: Arc::clone(&shared),
        lines: Mutex::new(
            EventLines::new(shared.options.include_partial_messages)
                .with_hook_events(shared.options.include_hook_events),
        ),
    };
    loop {
        let turn = tokio::select! {
            turn = shared.queue.next() => turn,
            Some(command) = commands.recv() => {
                run_command(&shared, &mut agent, command).await;
                continue;
            }
        };
        let Some(turn) = turn else { break };
        if turn.message.should_query == Some(false) {
            // §4.1: no turn of its own; the model reads it with the next prompt.
            held.extend(turn.message.message.content.clone().into_blocks());
            continue;
        }
        *lock(&shared.running) = Some(turn.uuid.clone());
        // SessionStart fires before the first turn, once the SDK is
        // listening (not while `initialize` is still being answered).
        let mut context: Vec<ContentBlock> = if started {
            Vec::new()
        } else {
            started = true;
            session_hooks
                .start()
                .await
                .into_iter()
                .map(ContentBlock::text)
                .collect()
        };
        context.append(&mut held);
        let (outcome, line) = run_one(&shared, &mut agent, &sink, turn, context).await;
        after_turn(&shared, &agent, &line);
        *lock(&shared.running) = None;
        crate::goal::after_turn(&shared, outcome, &line);
    }
    session_hooks
        .end(ferrule_hooks::SessionEndReason::Other)
        .await;
    // Dropping the agent ends background shells and tool processes.
    drop(agent);
}

/// Keeps what control requests read about the session up to date: the
/// conversation (side questions) and the cost per model (usage info).
fn after_turn(shared: &Shared, agent: &Agent, line: &ResultMessage) {
    if let Some(ready) = lock(&shared.ready).as_mut() {
        ready.history = agent.messages().to_vec();
    }
    let mut costs = lock(&shared.costs);
    for (model, usage) in &line.model_usage {
        *costs.entry(model.clone()).or_default() += usage.cost_usd;
    }
}

async fn run_command(shared: &Shared, agent: &mut Agent, command: Command) {
    match command {
        Command::RewindFiles {
            user_message_id,
            dry_run,
            reply,
        } => {
            let report = agent.rewind_files(&user_message_id, dry_run).await;
            let _ = reply.send(report);
        }
        Command::Rewind {
            user_message_id,
            scope,
            dry_run,
            reply,
        } => {
            let response =
                crate::rewinding::rewind(shared, agent, &user_message_id, scope, dry_run).await;
            let _ = reply.send(response);
        }
        Command::ReplaceServers { blueprint, reply } => {
            let done = crate::rewinding::replace_agent(
                shared,
                agent,
                Some(*blueprint),
                crate::rebuild::Leaf::Current,
            )
            .map(drop);
            let _ = reply.send(done);
        }
        Command::Reload { reply } => {
            let done =
                crate::rewinding::replace_agent(shared, agent, None, crate::rebuild::Leaf::Current);
            let _ = reply.send(done);
        }
        Command::ContextUsage { reply } => {
            let _ = reply.send(agent.context_usage().to_sdk_value());
        }
    }
}

/// Runs one turn; `context` (SessionStart hooks' additions, held
/// `shouldQuery: false` messages) goes to the model ahead of the prompt.
async fn run_one(
    shared: &Arc<Shared>,
    agent: &mut Agent,
    sink: &LineSink,
    turn: QueuedTurn,
    context: Vec<ContentBlock>,
) -> (TurnOutcome, ResultMessage) {
    let session_id = agent.session_id().to_owned();
    if shared.options.replay_user_messages {
        // §3.4: the echo carries the uuid rewind_files is keyed by.
        let mut replay = UserStreamMessage::new(turn.message.message.clone());
        replay.session_id = Some(session_id.clone());
        replay.uuid = Some(turn.uuid.clone());
        replay.is_replay = Some(true);
        replay.timestamp = Some(jiff::Timestamp::now().to_string());
        shared.outbox.send(&StreamMessage::User(replay));
    }
    let mut blocks = context;
    blocks.extend(turn.message.message.content.clone().into_blocks());
    let input = UserInput::blocks(blocks).with_uuid(turn.uuid.clone());
    let result = agent.run(input, sink).await;
    let mut line = result.summary.into_result(result.outcome, session_id);
    line.uuid = Some(uuid::Uuid::new_v4().to_string());
    shared.outbox.send(&StreamMessage::Result(line.clone()));
    (result.outcome, line)
}
