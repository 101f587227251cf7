//! Scheduling of threads: creating children, routing messages between
//! threads, the runner that turns a child's mailbox into turns, starting
//! the coordinator's next turn from its mailbox, and the session's idle
//! state across all threads.

use std::sync::Arc;

use serde_json::{Value, json};

use super::backend::ThreadBackend;
use super::store::{self, Thread};
use super::{MAX_THREADS, roster};
use crate::app::AppState;
use crate::error::ApiResult;
use crate::runner::{RunOutcome, run_turn};
use crate::threads::primary_id;
use crate::turn::{TurnConfig, TurnInput};
use crate::{ids, runtime, work};

/// The coordinator's name in thread events: the session agent's name.
pub(super) fn coordinator_name(session: &Value) -> String {
    session["agent"]["name"]
        .as_str()
        .unwrap_or("coordinator")
        .to_owned()
}

/// A thread-message event (`agent.thread_message_sent` / `_received`); it
/// belongs to the child thread the message goes to or comes from.
fn message_event(
    kind: &str,
    child: &str,
    from: (&str, &str),
    to: (&str, &str),
    text: &str,
) -> Value {
    json!({
        "id": ids::new_id("evt_"),
        "type": kind,
        "session_thread_id": child,
        "content": [{"type": "text", "text": text}],
        "from_session_thread_id": from.0,
        "from_agent_name": from.1,
        "to_session_thread_id": to.0,
        "to_agent_name": to.1,
    })
}

/// Creates a child thread running roster agent `agent_id` and stores
/// `session.thread_created`. `Err` is a message for the model (not in the
/// roster, the thread limit).
pub(super) async fn create_child(
    state: &AppState,
    session: &Value,
    agent_id: &str,
    display_name: Option<&str>,
) -> Result<Thread, String> {
    let session_id = session["id"].as_str().unwrap_or_default();
    let (agent, roster_name) = roster::snapshot(state, session, agent_id).await?;
    let lock = state.store.session_lock(session_id);
    let _guard = lock.lock().await;
    let existing = store::list(state, session_id)
        .await
        .map_err(|e| e.message)?;
    if existing.len() + 1 >= MAX_THREADS {
        return Err(format!(
            "This session already has {MAX_THREADS} threads (the coordinator and {} agent \
             threads), the most a session may hold. Send follow-up work to an existing thread \
             with send_to_agent instead.",
            existing.len()
        ));
    }
    let name = display_name
        .filter(|n| !n.trim().is_empty())
        .map_or(roster_name, str::to_owned);
    let thread = store::create(state, session_id, &agent, &name)
        .await
        .map_err(|e| e.message)?;
    let created = json!({"id": ids::new_id("evt_"), "type": "session.thread_created",
                         "session_thread_id": thread.id, "agent_name": name,
                         "parent_thread_id": primary_id(session_id)});
    state
        .store
        .append_locked(session_id, vec![created], None)
        .await
        .map_err(|e| e.message)?;
    Ok(thread)
}

/// Queues `text` from the coordinator for child `thread`, stores
/// `agent.thread_message_sent` and makes sure a runner handles it.
pub(super) async fn send_to_child(
    state: &AppState,
    session: &Value,
    thread: &Thread,
    text: &str,
) -> ApiResult<()> {
    let session_id = session["id"].as_str().unwrap_or_default();
    let coordinator = (primary_id(session_id), coordinator_name(session));
    let from = (coordinator.0.as_str(), coordinator.1.as_str());
    let child_name = thread.agent_name();
    {
        let lock = state.store.session_lock(session_id);
        let _guard = lock.lock().await;
        store::post(state, session_id, &thread.id, from, text).await?;
        store::set_status(state, thread, "running").await?;
        let event = message_event(
            "agent.thread_message_sent",
            &thread.id,
            from,
            (&thread.id, &child_name),
            text,
        );
        state
            .store
            .append_locked(session_id, vec![event], None)
            .await?;
    }
    spawn_runner(state, session_id, &thread.id);
    Ok(())
}

/// A child's `send_to_parent`: stores `agent.thread_message_received`, then
/// hands the message to an `Agent` call waiting on the child or queues it
/// for the coordinator (whose next turn starts when it is idle).
pub(super) async fn send_to_parent(
    state: &AppState,
    session: &Value,
    thread_id: &str,
    agent_name: &str,
    text: &str,
) -> ApiResult<()> {
    let session_id = session["id"].as_str().unwrap_or_default();
    let primary = primary_id(session_id);
    // `session` carries the child's agent; the coordinator's is stored.
    let coordinator = coordinator_name(&crate::sessions::load(state, session_id).await?.body);
    let event = message_event(
        "agent.thread_message_received",
        thread_id,
        (thread_id, agent_name),
        (&primary, &coordinator),
        text,
    );
    state.store.append(session_id, vec![event], None).await?;
    if state.threads.report(thread_id, text) {
        return Ok(());
    }
    store::post(state, session_id, &primary, (thread_id, agent_name), text).await?;
    deliver_to_coordinator(state, session_id).await
}

/// Makes sure a runner of this process handles the mailbox of `thread_id`.
pub(super) fn spawn_runner(state: &AppState, session_id: &str, thread_id: &str) {
    if !state.threads.register(thread_id) {
        return;
    }
    let task_state = state.clone();
    let session_id = session_id.to_owned();
    let thread_id = thread_id.to_owned();
    state.tasks.spawn(async move {
        runner(&task_state, &session_id, &thread_id).await;
        if let Err(error) = settle(&task_state, &session_id).await {
            tracing::warn!(%session_id, error = %error.message, "settling the session failed");
        }
    });
}

/// Runs turns of one child thread while its mailbox has messages.
async fn runner(state: &AppState, session_id: &str, thread_id: &str) {
    let config = TurnConfig::from_config(&state.config);
    loop {
        let interrupt = state.threads.next_turn(thread_id);
        let backend = Arc::new(ThreadBackend::new(
            state.clone(),
            session_id,
            thread_id,
            interrupt.clone(),
        ));
        let abort = state.shutdown.child_token();
        match run_turn(backend, &config, abort, interrupt).await {
            RunOutcome::Finished => {}
            RunOutcome::Nothing => {
                state.threads.unregister(thread_id);
                // A message queued while this runner was leaving needs one.
                let more = store::pending(state, thread_id).await.unwrap_or(0) > 0;
                if !more || state.shutdown.is_cancelled() || !state.threads.register(thread_id) {
                    return;
                }
            }
            RunOutcome::Released | RunOutcome::Lost => {
                state.threads.unregister(thread_id);
                return;
            }
        }
    }
}

/// Whether the session must stay `running` after its coordinator's turn:
/// a child thread is running or messages wait for the coordinator.
pub(crate) async fn keeps_running(state: &AppState, session_id: &str) -> ApiResult<bool> {
    Ok(store::any_running(state, session_id).await?
        || store::queued(state, &primary_id(session_id)).await? > 0)
}

/// Starts the coordinator's next turn from its mailbox when it is idle:
/// the messages become the turn's user input.
pub(crate) async fn deliver_to_coordinator(state: &AppState, session_id: &str) -> ApiResult<()> {
    let primary = primary_id(session_id);
    let lock = state.store.session_lock(session_id);
    let _guard = lock.lock().await;
    if runtime::marker(state, session_id).await?.is_some()
        || store::queued(state, &primary).await? == 0
    {
        return Ok(());
    }
    let session = crate::sessions::load(state, session_id).await?.body;
    let environment = session["environment_id"].as_str().unwrap_or_default();
    let work_id = ids::new_id("work_");
    let mut input = TurnInput {
        work_id: Some(work_id.clone()),
        announced: !work::is_self_hosted(state, environment).await?,
        ..TurnInput::default()
    };
    if !runtime::claim_turn(state, session_id, &input).await? {
        return Ok(());
    }
    let mails = store::take_all(state, &primary).await?;
    input.content = mails
        .iter()
        .map(|mail| {
            json!({"type": "text", "text": format!(
                "Message from agent thread {} ({}):\n{}",
                mail.from_thread_id, mail.from_agent_name, mail.text
            )})
        })
        .collect();
    runtime::set_marker(state, session_id, &input).await?;
    if input.announced && session["status"] != "running" {
        state
            .store
            .append_locked(
                session_id,
                vec![json!({"type": "session.status_running"})],
                Some("running"),
            )
            .await?;
    }
    work::enqueue_as(
        state,
        &work_id,
        environment,
        session_id,
        &session["metadata"],
    )
    .await
}

/// Stores `session.status_idle` once nothing of the session runs any more
/// (no coordinator turn, no running child, no message waiting).
async fn settle(state: &AppState, session_id: &str) -> ApiResult<()> {
    if store::queued(state, &primary_id(session_id)).await? > 0 {
        return deliver_to_coordinator(state, session_id).await;
    }
    let lock = state.store.session_lock(session_id);
    let _guard = lock.lock().await;
    if runtime::marker(state, session_id).await?.is_some()
        || store::any_running(state, session_id).await?
    {
        return Ok(());
    }
    let session = crate::sessions::load(state, session_id).await?.body;
    if session["status"] != "running" {
        return Ok(());
    }
    let idle = json!({"id": ids::new_id("evt_"), "type": "session.status_idle", "status": "idle",
                      "stop_reason": {"type": "end_turn"}});
    state
        .store
        .append_locked(session_id, vec![idle], Some("idle"))
        .await?;
    Ok(())
}

/// Stops child threads of a session (`only`: one of them): drops their
/// queued messages and interrupts their turns; without `only` also the
/// messages waiting for the coordinator. True when a thread was running.
pub(crate) async fn cancel_threads(
    state: &AppState,
    session_id: &str,
    only: Option<&str>,
) -> ApiResult<bool> {
    let mut stopped = false;
    for thread in store::list(state, session_id).await? {
        if only.is_some_and(|id| id != thread.id) {
            continue;
        }
        store::drop_queued(state, &thread.id).await?;
        runtime::clear_thread_pending(state, session_id, &thread.id).await?;
        if thread.status == "running" {
            stopped = true;
            state.threads.interrupt(&thread.id);
        }
    }
    if only.is_none() {
        store::drop_queued(state, &primary_id(session_id)).await?;
    }
    Ok(stopped)
}

/// After a restart: runs the child threads that were running again (from
/// the message they were handling) and settles their sessions.
pub(crate) async fn resume_all(state: &AppState) -> ApiResult<()> {
    let mut sessions: Vec<String> = Vec::new();
    for thread in store::running(state).await? {
        if store::pending(state, &thread.id).await? > 0 {
            tracing::info!(thread_id = %thread.id, "resuming a child thread");
            spawn_runner(state, &thread.session_id, &thread.id);
        } else {
            store::set_status(state, &thread, "idle").await?;
            if !sessions.contains(&thread.session_id) {
                sessions.push(thread.session_id.clone());
            }
        }
    }
    for session_id in sessions {
        settle(state, &session_id).await?;
    }
    Ok(())
}
