//! The NDJSON loop (`sdk-protocol.md` §2, §4, §5, §8): read stdin line by
//! line, route every line, run turns one at a time, end cleanly on EOF.
//!
//! Three tasks share one [`Shared`]: the stdin reader (this module), a task
//! per SDK → CLI control request (so `interrupt` is served while a turn
//! runs and `initialize` can wait for `mcp_message` answers), and the turn
//! runner (`turns.rs`). stdout is written only through the [`Outbox`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use ferrule_protocol::sdk::{
    ControlRequestEnvelope, ControlResponseEnvelope, ResultMessage, ResultSubtype, StreamMessage,
    UserPriority, UserStreamMessage,
};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, BufReader};
use tokio::sync::oneshot;
use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;

use crate::options::HostOptions;
use crate::outbox::Outbox;
use crate::peer::Peer;
use crate::queue::{QueuedTurn, TurnQueue};
use crate::session::Ready;
use ferrule_setup::SessionHooks;

/// State every task of the host reads.
pub(crate) struct Shared {
    pub(crate) options: HostOptions,
    pub(crate) outbox: Outbox,
    pub(crate) peer: Peer,
    pub(crate) queue: TurnQueue,
    /// Set once `initialize` succeeded.
    pub(crate) ready: Mutex<Option<Ready>>,
    /// `initialize` was received (answered or in progress).
    pub(crate) initialize_seen: Mutex<bool>,
    /// Where the built agent goes: the turn runner waits on the other end.
    pub(crate) agent_slot: Mutex<Option<oneshot::Sender<(ferrule_agent::Agent, SessionHooks)>>>,
    /// SDK → CLI requests being handled, by request id.
    inflight: Mutex<HashMap<String, AbortHandle>>,
    /// Uuid of the turn running now.
    pub(crate) running: Mutex<Option<String>>,
    /// Work for the turn runner between turns.
    pub(crate) commands: tokio::sync::mpsc::UnboundedSender<crate::turns::Command>,
    /// The session goal.
    pub(crate) goals: Mutex<crate::goal::GoalBook>,
    /// Model cost so far, US dollars per model (`get_usage_info`).
    pub(crate) costs: Mutex<std::collections::BTreeMap<String, f64>>,
    /// Cancelled by `end_session`: stop reading stdin, finish, exit.
    pub(crate) ended: CancellationToken,
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs the SDK protocol on `stdin`/`stdout` until stdin ends and every
/// queued turn has finished. Returns the process exit code (§8.4): `1` when
/// the last line written was an error `result`, else `0`.
pub async fn run<R, W>(options: HostOptions, stdin: R, stdout: W) -> i32
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (outbox, writer) = Outbox::new(stdout);
    let writer = tokio::spawn(writer.run());
    let peer = Peer::new(outbox.clone());
    let (agent_tx, agent_rx) = oneshot::channel();
    let (commands, commands_rx) = tokio::sync::mpsc::unbounded_channel();
    let signals = options.handle_signals;
    let shared = Arc::new(Shared {
        options,
        outbox: outbox.clone(),
        peer,
        queue: TurnQueue::default(),
        ready: Mutex::new(None),
        initialize_seen: Mutex::new(false),
        agent_slot: Mutex::new(Some(agent_tx)),
        inflight: Mutex::new(HashMap::new()),
        running: Mutex::new(None),
        commands,
        goals: Mutex::new(crate::goal::GoalBook::default()),
        costs: Mutex::new(std::collections::BTreeMap::new()),
        ended: CancellationToken::new(),
    });
    let mut runner = tokio::spawn(crate::turns::run_turns(
        Arc::clone(&shared),
        agent_rx,
        commands_rx,
    ));
    let stop = CancellationToken::new();
    if signals {
        tokio::spawn(watch_terminate(stop.clone()));
    }
    tokio::select! {
        () = read_stdin(Arc::clone(&shared), stdin) => {}
        () = stop.cancelled() => abort(&shared),
        () = shared.ended.cancelled() => {}
    }
    // stdin is closed: finish what is queued. Nothing can answer our
    // requests any more.
    shared.queue.close();
    wait_for_inflight(&shared).await;
    shared.peer.close();
    drop(lock(&shared.agent_slot).take());
    let finished = tokio::select! {
        finished = &mut runner => finished,
        () = stop.cancelled() => {
            abort(&shared);
            runner.await
        }
    };
    if let Err(error) = finished {
        tracing::error!(%error, "the turn runner failed");
    }
    let code = i32::from(shared.outbox.last_result_was_error());
    drop(shared);
    drop(outbox);
    // After SIGTERM nobody may read stdout any more: do not wait long.
    let limit = if stop.is_cancelled() {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(3600)
    };
    match tokio::time::timeout(limit, writer).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::error!(%error, "the stdout writer failed"),
        Err(_) => tracing::warn!("stdout is not read; exiting without flushing it"),
    }
    code
}

/// §8.3: on SIGTERM abort the running turn and drop the queue, so the
/// process exits within about a second.
fn abort(shared: &Shared) {
    tracing::info!("SIGTERM: aborting the running turn");
    shared.queue.clear();
    shared.queue.close();
    shared.peer.close();
    if let Some(ready) = lock(&shared.ready).as_ref() {
        ready.controls.interrupt();
    }
}

async fn watch_terminate(stop: CancellationToken) {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut signal) => {
            signal.recv().await;
            stop.cancel();
        }
        Err(error) => tracing::warn!(%error, "cannot watch SIGTERM"),
    }
}

/// [`run`] on the process's stdin and stdout.
pub async fn run_stdio(options: HostOptions) -> i32 {
    run(options, tokio::io::stdin(), tokio::io::stdout()).await
}

/// Control requests still being handled when stdin closes are finished
/// (an `initialize` waiting for SDK MCP answers fails fast once the peer is
/// closed, so this only waits for local work).
async fn wait_for_inflight(shared: &Shared) {
    loop {
        let any = lock(&shared.inflight)
            .values()
            .any(|handle| !handle.is_finished());
        if !any {
            return;
        }
        // Requests to the SDK can no longer be answered.
        shared.peer.close();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn read_stdin<R: AsyncRead + Unpin>(shared: Arc<Shared>, stdin: R) {
    let mut reader = BufReader::new(stdin);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) => return,
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "reading stdin failed; ending the session");
                return;
            }
        }
        let line = String::from_utf8_lossy(&buf);
        if line.trim().is_empty() {
            continue;
        }
        route_line(&shared, &line);
    }
}

fn route_line(shared: &Arc<Shared>, line: &str) {
    let message = match StreamMessage::from_line(line) {
        Ok(message) => message,
        Err(error) => {
            // §4.2: answer a broken control request; log anything else.
            match error.error_response() {
                Some(answer) => shared.outbox.send(&StreamMessage::ControlResponse(answer)),
                None => tracing::warn!("ignoring a malformed stdin line: {error}"),
            }
            return;
        }
    };
    match message {
        StreamMessage::ControlRequest(envelope) => start_control(shared, envelope),
        StreamMessage::ControlResponse(envelope) => shared.peer.resolve(envelope),
        StreamMessage::ControlCancelRequest(cancel) | StreamMessage::ControlCancel(cancel) => {
            if let Some(handle) = lock(&shared.inflight).remove(&cancel.request_id) {
                handle.abort();
            }
        }
        StreamMessage::User(user) => accept_user(shared, user),
        StreamMessage::KeepAlive(_) => {}
        other => tracing::debug!(kind = ?std::mem::discriminant(&other), "ignoring a stdin line"),
    }
}

fn start_control(shared: &Arc<Shared>, envelope: ControlRequestEnvelope) {
    let id = envelope.request_id.clone();
    if matches!(
        envelope.request,
        ferrule_protocol::sdk::ControlRequest::Initialize(_)
    ) {
        *lock(&shared.initialize_seen) = true;
    }
    // Held while spawning, so the handler cannot finish (and look itself
    // up) before it is registered.
    let mut inflight = lock(&shared.inflight);
    let task = {
        let shared = Arc::clone(shared);
        let id = id.clone();
        tokio::spawn(async move {
            let answer = match crate::control::handle(&shared, envelope.request).await {
                Ok(payload) => ControlResponseEnvelope::success(&id, &payload)
                    .unwrap_or_else(|error| ControlResponseEnvelope::error(&id, error.to_string())),
                Err(message) => ControlResponseEnvelope::error(&id, message),
            };
            // A request cancelled meanwhile gets no answer (§5).
            if lock(&shared.inflight).remove(&id).is_some() {
                shared.outbox.send(&StreamMessage::ControlResponse(answer));
            }
        })
    };
    inflight.retain(|_, handle| !handle.is_finished());
    inflight.insert(id, task.abort_handle());
}

fn accept_user(shared: &Arc<Shared>, user: UserStreamMessage) {
    let initialized = lock(&shared.ready).is_some();
    if !initialized && !*lock(&shared.initialize_seen) {
        // §8.2: SDK mode refuses prompts before a successful `initialize`.
        let mut result = ResultMessage::new(ResultSubtype::ErrorDuringExecution, String::new());
        let text = "initialize_required: send the initialize control request before user messages";
        result.result = Some(text.to_owned());
        result.errors = Some(vec![text.to_owned()]);
        result.uuid = Some(uuid::Uuid::new_v4().to_string());
        shared.outbox.send(&StreamMessage::Result(result));
        return;
    }
    let uuid = user
        .uuid
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let now = user.priority == Some(UserPriority::Now);
    shared.queue.push(
        QueuedTurn {
            uuid,
            message: user,
        },
        now,
    );
    let running = lock(&shared.running).is_some();
    if now
        && running
        && let Some(ready) = lock(&shared.ready).as_ref()
    {
        ready.controls.interrupt();
    }
}
