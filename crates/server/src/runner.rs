//! Runs one turn of a work item against a [`SessionBackend`]: the same code
//! for the server's own workers and for `ferrule-server worker`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferrule_agent::{AgentBuilder, SystemPrompt, UserInput};
use ferrule_model::{Model, ModelEvent, ModelRequest, ModelStream};
use ferrule_protocol::{
    AgentError, AgentErrorKind, AssistantMessage, Message, MessageContent, StopReason, TurnOutcome,
};
use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::backend::{BackendError, SessionBackend, TurnEnd, TurnSetup};
use crate::ids;
use crate::live::Resolution;
use crate::mapping::{EventMapper, error_event};
use crate::pause::CloudAsker;
use crate::toolset;
use crate::turn::{HIDDEN_LOOP_TOOLS, TurnConfig, build_model, policy, registry};
use crate::writer::{Pending, Replay, Sink, Waiters, write_events};

/// How [`run_turn`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunOutcome {
    /// The turn ended and was stored (`session.status_idle`).
    Finished,
    /// The item had no turn to run.
    Nothing,
    /// Aborted (shutdown, lost lease): given back for another runner.
    Released,
    /// The item is no longer this runner's, or the backend failed.
    Lost,
}

/// Runs the work item's turn. `interrupt` ends it early but stores its end
/// (cancel, a stop request); `abort` stops it without an end and gives the
/// item back (shutdown), so another runner resumes it.
pub(crate) async fn run_turn(
    backend: Arc<dyn SessionBackend>,
    config: &TurnConfig,
    abort: CancellationToken,
    interrupt: CancellationToken,
) -> RunOutcome {
    let setup = match backend.begin().await {
        Ok(Some(setup)) => setup,
        Ok(None) => return RunOutcome::Nothing,
        Err(error) => {
            tracing::warn!(%error, "cannot begin the turn");
            return RunOutcome::Lost;
        }
    };
    let started = Instant::now();
    let pending: Pending = Arc::new(Mutex::new(Waiters::default()));
    let done = CancellationToken::new();
    let control = tokio::spawn(control_loop(
        backend.clone(),
        pending.clone(),
        interrupt.clone(),
        abort.clone(),
        done.clone(),
    ));
    let memory_stores = setup.extras.memory_stores.clone();
    let cwd = config
        .workspaces
        .join(setup.session["id"].as_str().unwrap_or_default());
    let outcome = if setup.steps.answered {
        // The model's final answer was stored; only the turn's end is missing.
        Ok((
            resumed_history(&setup.history, &setup.input, &setup.steps),
            TurnOutcome::Completed,
        ))
    } else {
        drive(&backend, config, setup, pending, &abort, &interrupt).await
    };
    done.cancel();
    let _ = control.await;
    if abort.is_cancelled() {
        // Not finished: the turn runs again from its input elsewhere.
        return match backend.release().await {
            Ok(()) => RunOutcome::Released,
            Err(_) => RunOutcome::Lost,
        };
    }
    let (history, outcome) = match outcome {
        Ok((messages, outcome)) => (Some(messages), Ok(outcome)),
        Err(message) => (None, Err(message)),
    };
    let (mut events, retries_exhausted) = match outcome {
        Ok(TurnOutcome::Failed) => (vec![], true),
        Ok(TurnOutcome::MaxTurns) => {
            let error = AgentError {
                kind: AgentErrorKind::Other,
                message: "The turn reached the cap on model requests.".into(),
                status: None,
            };
            (vec![error_event(&error, "terminal")], false)
        }
        Ok(_) => (vec![], false),
        Err(message) => {
            let error = AgentError {
                kind: AgentErrorKind::Other,
                message,
                status: None,
            };
            (vec![error_event(&error, "exhausted")], true)
        }
    };
    let stop = if retries_exhausted {
        "retries_exhausted"
    } else {
        "end_turn"
    };
    events.push(
        json!({"id": ids::new_id("evt_"), "type": "session.status_idle",
                       "status": "idle", "stop_reason": {"type": stop}}),
    );
    let end = TurnEnd {
        history,
        events,
        active_seconds: started.elapsed().as_secs_f64(),
        memory_changes: crate::session_memory::changes(&memory_stores, &cwd),
    };
    match backend.finish(end).await {
        Ok(()) => RunOutcome::Finished,
        Err(error) => {
            tracing::warn!(%error, "storing the end of a turn failed");
            RunOutcome::Lost
        }
    }
}

/// Hands answers to the waiting tool calls and turns a cancel request into
/// an interrupt, until the turn is done.
async fn control_loop(
    backend: Arc<dyn SessionBackend>,
    pending: Pending,
    interrupt: CancellationToken,
    abort: CancellationToken,
    done: CancellationToken,
) {
    loop {
        let control = tokio::select! {
            control = backend.control(Duration::from_millis(900)) => control,
            () = done.cancelled() => return,
            () = abort.cancelled() => return,
        };
        match control {
            Ok(control) => {
                if control.cancel {
                    interrupt.cancel();
                }
                for (event_id, resolution) in control.resolutions {
                    deliver(&pending, &event_id, resolution);
                }
            }
            Err(BackendError::Lost(message)) => {
                tracing::warn!(%message, "the work item was lost; stopping the turn");
                abort.cancel();
                return;
            }
            Err(BackendError::Other(message)) => {
                tracing::warn!(%message, "reading the turn's control state failed");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(500)) => {}
                    () = done.cancelled() => return,
                }
            }
        }
    }
}

/// Hands an answer to its parked call, or keeps it until the call parks
/// (a resumed turn replays its calls after the control loop started).
fn deliver(pending: &Pending, event_id: &str, resolution: Resolution) {
    let mut waiters = match pending.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    };
    match waiters.waiting.remove(event_id) {
        Some(waiter) => {
            let _: Result<(), Resolution> = waiter.send(resolution);
        }
        None => {
            waiters.early.insert(event_id.to_owned(), resolution);
        }
    }
}

/// Runs the agent for the turn; `Err` when it could not even start.
async fn drive(
    backend: &Arc<dyn SessionBackend>,
    config: &TurnConfig,
    setup: TurnSetup,
    pending: Pending,
    abort: &CancellationToken,
    interrupt: &CancellationToken,
) -> Result<(Vec<Message>, TurnOutcome), String> {
    let session = &setup.session;
    let session_id = session["id"].as_str().unwrap_or_default().to_owned();
    let agent_json = &session["agent"];
    let cwd = config.workspaces.join(&session_id);
    std::fs::create_dir_all(&cwd).map_err(|e| format!("cannot create {}: {e}", cwd.display()))?;
    let mut model = build_model(config, agent_json, &cwd)?;
    let mut replay = Replay::default();
    if let Some(parked) = &setup.steps.parked {
        // The stored response is the first answer; no model request.
        let mut message = AssistantMessage::new(model.name().to_owned(), parked.response.clone());
        message.stop_reason = Some(Some(StopReason::ToolUse));
        model = Arc::new(ReplayModel {
            inner: model,
            first: Mutex::new(Some(message)),
        }) as Arc<dyn Model>;
        replay = Replay {
            replaying: true,
            waiting: parked.waiting.iter().cloned().collect(),
        };
    }
    let mut plan = toolset::plan(&agent_json["tools"]);
    let extras_env = turn_env(session, setup.secrets.clone(), &cwd);
    let extras = crate::turn_extras::apply(
        &setup.extras,
        &cwd,
        &session_id,
        &agent_json["tools"],
        &extras_env,
    )
    .await?;
    extras.extend_plan(&mut plan);
    let thread_tools = backend
        .local_state()
        .map(|state| crate::multiagent::ThreadTools::for_turn(&state, session))
        .unwrap_or_default();
    thread_tools.extend_plan(&mut plan);
    if !extras.events.is_empty() {
        backend
            .append(extras.events.clone(), None)
            .await
            .map_err(|e| e.to_string())?;
    }
    let incremental = session["incremental_streaming_enabled"]
        .as_bool()
        .unwrap_or(false);
    let (writer, inbox) = mpsc::unbounded_channel();
    let stopped = Arc::new(AtomicBool::new(false));
    let writer_task = tokio::spawn(write_events(
        backend.clone(),
        EventMapper::new(plan.clone(), incremental),
        inbox,
        stopped.clone(),
        pending,
        replay,
    ));
    let home = cwd.clone();
    let env = turn_env(session, setup.secrets, &home);
    let system = agent_json["system"].as_str().unwrap_or_default();
    let mut prompt = SystemPrompt::new().environment(ferrule_agent::EnvironmentFacts::detect(&cwd));
    for (name, description) in extras.skill_summaries() {
        prompt = prompt.skill(name, description);
    }
    if !system.is_empty() {
        prompt = prompt.replace(system);
    }
    if let Some(note) = crate::session_memory::prompt_note(&setup.extras.memory_stores) {
        prompt = prompt.append(note);
    }
    // A resumed turn goes on from its stored steps with a note instead of
    // the user's message again (merged into the stored tool results).
    let (history, input) = if let Some(parked) = &setup.steps.parked {
        parked_start(&setup.history, &setup.input, parked)
    } else if setup.steps.is_empty() {
        (setup.history.clone(), setup.input.user_input())
    } else {
        (
            resumed_history(&setup.history, &setup.input, &setup.steps),
            UserInput::text(RESUMED_NOTE),
        )
    };
    let local = backend.local_state();
    let mut tools = registry(local.as_ref(), &session_id, &plan, &writer);
    extras.register(&mut tools);
    thread_tools.register(&mut tools, &writer);
    let built = AgentBuilder::new(model, tools, &cwd)
        .policy_builder(extras.rules(policy(&plan, &cwd, &home), &cwd))
        .asker(Arc::new(CloudAsker {
            plan: plan.clone(),
            writer: writer.clone(),
        }))
        .system_prompt(prompt)
        .max_turns(config.max_model_requests)
        .session_id(&session_id)
        .history(history)
        .env(env)
        .exclude_tools(HIDDEN_LOOP_TOOLS)
        .build();
    let mut agent = match built {
        Ok(agent) => agent,
        Err(error) => {
            drop(writer);
            let _ = writer_task.await;
            return Err(format!("cannot start the agent: {error}"));
        }
    };
    let controls = agent.controls();
    let watcher = {
        let abort = abort.clone();
        let interrupt = interrupt.clone();
        let stopped = stopped.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = interrupt.cancelled() => {}
                () = abort.cancelled() => {}
            }
            // Nothing from the aborted work is stored after this point.
            stopped.store(true, Ordering::SeqCst);
            controls.interrupt();
        })
    };
    let sink = Sink {
        writer: writer.clone(),
    };
    let result = agent.run(input, &sink).await;
    watcher.abort();
    drop(sink);
    drop(writer);
    let messages = agent.messages().to_vec();
    drop(agent);
    let _ = writer_task.await;
    Ok((messages, result.outcome))
}

/// What a resumed turn's next model request carries after the stored tool
/// results (a call without a stored result gets an interrupted one).
const RESUMED_NOTE: &str = "<system-reminder>\nThis turn was interrupted and resumed; \
     the tool results above were stored before the interruption. Continue \
     from there without repeating calls that already ran.\n</system-reminder>";

/// The conversation of a resumed turn so far: the history before it, the
/// user's message and the steps stored since.
fn resumed_history(
    before: &[Message],
    input: &crate::turn::TurnInput,
    steps: &crate::resume::Steps,
) -> Vec<Message> {
    let mut history = before.to_vec();
    history.push(Message::user(MessageContent::Blocks(
        input.user_input().content,
    )));
    history.extend(steps.messages.iter().cloned());
    history
}

/// Where a turn that waited on the client starts again: the conversation
/// before its waiting response, and as the run's input the message that
/// preceded that response (the user's, or the results of the step before).
fn parked_start(
    before: &[Message],
    input: &crate::turn::TurnInput,
    parked: &crate::resume::Parked,
) -> (Vec<Message>, UserInput) {
    if parked.before.is_empty() {
        return (before.to_vec(), input.user_input());
    }
    let steps = crate::resume::Steps {
        messages: parked.before.clone(),
        answered: false,
        parked: None,
    };
    let mut history = resumed_history(before, input, &steps);
    match history.pop() {
        Some(last) if last.role == ferrule_protocol::Role::User => {
            (history, UserInput::blocks(last.content.into_blocks()))
        }
        Some(last) => {
            history.push(last);
            (history, UserInput::text(RESUMED_NOTE))
        }
        None => (history, UserInput::text(RESUMED_NOTE)),
    }
}

/// A model whose first answer is a stored response (a resumed turn that
/// waited on the client); later requests go to the real model.
struct ReplayModel {
    inner: Arc<dyn Model>,
    first: Mutex<Option<AssistantMessage>>,
}

impl Model for ReplayModel {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn stream(&self, request: ModelRequest, cancel: CancellationToken) -> ModelStream {
        let first = match self.first.lock() {
            Ok(mut guard) => guard.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        match first {
            Some(message) => Box::pin(futures::stream::iter([Ok(ModelEvent::Completed {
                message: Box::new(message),
            })])),
            None => self.inner.stream(request, cancel),
        }
    }
}

/// The turn's process environment: the session's variables, its vault
/// secrets and `HOME` (the working directory).
fn turn_env(
    session: &serde_json::Value,
    secrets: BTreeMap<String, String>,
    home: &Path,
) -> BTreeMap<String, String> {
    session["environment_variables"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
        .chain(secrets)
        .chain([("HOME".to_owned(), home.display().to_string())])
        .collect()
}
