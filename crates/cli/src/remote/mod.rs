//! Cloud mode: `ferrule --remote PROMPT` runs a task on a ferrule-server
//! (the Cloud Agents API, `cloud-api.md`) and streams it back;
//! `ferrule --remote-session ID` reattaches to one.
//!
//! `--remote` picks the environment and agent ([`config`] has the order),
//! creates a session, sends the prompt as a `user.message`, prints
//! `Cloud remote session created. Session ID: … Environment: NAME (env_…)
//! URL: …` (the URL is the session's API resource; ferrule-server has no web
//! console) and follows the session's SSE stream until the turn ends.
//!
//! Ctrl-C (or SIGTERM/SIGHUP) only detaches: the session keeps running on
//! the server, the last event shown is saved under the user directory, the
//! reattach command is printed, and the exit status is 130.
//! `--remote-session ID` continues right after that saved event (without
//! one, from the session's first event), reconnecting with `Last-Event-ID`
//! when the connection drops, and stops at the first end of a turn at or
//! after the session's newest event at attach time.
//!
//! Exit status: 0 when the turn ends idle with `end_turn`; 1 for any other
//! end (`requires_action`, `retries_exhausted`, a terminated or deleted
//! session) and for errors (unreachable server, refused key, bad flags).

mod client;
mod config;
mod cursor;
mod render;
mod sse;

use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Read as _};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::Args;
use serde_json::Value;
use tokio::signal::unix::{SignalKind, signal};

use crate::run::RunArgs;
use client::Client;
use render::{Format, Renderer};

/// The cloud mode flags.
#[derive(Debug, Args, Default)]
pub(crate) struct RemoteArgs {
    /// Run the task on a ferrule-server (FERRULE_REMOTE_URL, FERRULE_API_KEY) and stream it back.
    #[arg(long, value_name = "PROMPT", num_args = 0..=1)]
    pub(crate) remote: Option<Option<String>>,
    /// Reattach to a cloud session and stream the rest of it.
    #[arg(long, value_name = "ID", conflicts_with = "remote")]
    pub(crate) remote_session: Option<String>,
    /// The cloud environment of --remote (default: settings remote.defaultCloudEnvironmentId, else the server's first).
    #[arg(long, value_name = "ID")]
    pub(crate) remote_env: Option<String>,
}

impl RemoteArgs {
    /// Whether the command line asks for cloud mode.
    pub(crate) fn requested(&self) -> bool {
        self.remote.is_some() || self.remote_session.is_some() || self.remote_env.is_some()
    }
}

/// How a followed session ended, for the exit status.
enum End {
    /// The turn ended (`Some(error)` unless it was `end_turn`).
    Turn(Option<String>),
    /// The user detached.
    Detached,
}

/// Runs cloud mode.
pub(crate) fn main(remote: RemoteArgs, run: &RunArgs) -> Result<ExitCode> {
    init_logging(run);
    let format = Format::parse(&run.output_format)?;
    if remote.remote_env.is_some() && remote.remote.is_none() {
        bail!("--remote-env only works with --remote");
    }
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let config = config::resolve(run, remote.remote_env.as_deref(), &env)?;
    let client = Client::new(&config.base_url, &config.api_key)?;
    let cursors = config::cursor_dir(&config.user_dir);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut renderer = Renderer::new(format, std::io::stdout());
    let outcome = runtime.block_on(async {
        match &remote.remote_session {
            Some(session) => reattach(&client, session, &cursors, &mut renderer).await,
            None => {
                let task = prompt(&remote, run)?;
                start(&client, &config, &task, &cursors, &mut renderer).await
            }
        }
    });
    runtime.shutdown_background();
    Ok(match outcome? {
        End::Turn(None) => ExitCode::SUCCESS,
        End::Turn(Some(error)) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
        End::Detached => ExitCode::from(130),
    })
}

/// The task: `--remote VALUE`, else the query, else stdin when piped.
fn prompt(remote: &RemoteArgs, run: &RunArgs) -> Result<String> {
    if let Some(Some(task)) = &remote.remote
        && !task.trim().is_empty()
    {
        return Ok(task.clone());
    }
    if let Some(task) = run.prompt_arg() {
        return Ok(task);
    }
    let mut stdin = std::io::stdin();
    if stdin.is_terminal() {
        bail!("--remote needs a task: ferrule --remote \"what to do\"");
    }
    let mut text = String::new();
    stdin
        .read_to_string(&mut text)
        .context("reading the task from stdin")?;
    if text.trim().is_empty() {
        bail!("--remote needs a task: stdin was empty");
    }
    Ok(text)
}

/// `--remote`: a new session with the task.
async fn start(
    client: &Client,
    config: &config::RemoteConfig,
    task: &str,
    cursors: &Path,
    renderer: &mut Renderer<std::io::Stdout>,
) -> Result<End> {
    let environment = client::environment(client, config.environment_id.as_deref()).await?;
    let agent = match &config.agent_id {
        Some(agent) => agent.clone(),
        None => client::create_agent(client, &config.model).await?,
    };
    let title: String = task.trim().chars().take(80).collect();
    let session = client::create_session(client, &agent, &environment.id, &title).await?;
    renderer.note(&format!(
        "Cloud remote session created. Session ID: {session} Environment: {} ({}) URL: {}/sessions/{session}",
        environment.name,
        environment.id,
        client.base()
    ))?;
    let sent = client::send_prompt(client, &session, task).await?;
    save_cursor(cursors, &session, &sent);
    follow(client, &session, Some(sent), None, cursors, renderer).await
}

/// `--remote-session ID`: the rest of an existing session.
async fn reattach(
    client: &Client,
    session: &str,
    cursors: &Path,
    renderer: &mut Renderer<std::io::Stdout>,
) -> Result<End> {
    cursor::check_id(session)?;
    let found = client.get(&format!("/sessions/{session}")).await?;
    let after = cursor::load(cursors, session);
    let newest = client::latest_event(client, session).await?;
    let status = found["status"].as_str().unwrap_or("unknown");
    let from = if after.is_some() {
        "after the last event shown here"
    } else {
        "its first event"
    };
    renderer.note(&format!(
        "Reattached to cloud session {session} (status: {status}), streaming from {from}."
    ))?;
    if let Some(newest) = &newest
        && after.as_deref() == Some(newest.as_str())
        && let Some(end) = last_end(client, session).await?
    {
        renderer.note("No new events since then.")?;
        renderer.finish(session, end.as_deref())?;
        return Ok(End::Turn(end));
    }
    follow(client, session, after, newest, cursors, renderer).await
}

/// The end of the newest event, when it ends a turn.
async fn last_end(client: &Client, session: &str) -> Result<Option<Option<String>>> {
    let list = client
        .get(&format!("/sessions/{session}/events?order=desc&limit=1"))
        .await?;
    Ok(turn_end(&list["data"][0]))
}

/// Streams events after `after` until a turn ends at or after `barrier`
/// (the newest event when following began), or until the user detaches.
async fn follow(
    client: &Client,
    session: &str,
    after: Option<String>,
    barrier: Option<String>,
    cursors: &Path,
    renderer: &mut Renderer<std::io::Stdout>,
) -> Result<End> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut caught_up = barrier.is_none() || barrier == after;
    let mut follower = sse::Follower::new(client.clone(), session, after);
    loop {
        let next = tokio::select! {
            next = follower.next() => Some(next),
            _ = interrupt.recv() => None,
            _ = terminate.recv() => None,
            _ = hangup.recv() => None,
        };
        if let Some(id) = follower.last_id() {
            save_cursor(cursors, session, id);
        }
        let event = match next {
            None => {
                eprintln!(
                    "\nDetached from cloud session {session}; it keeps running on the server.\nReattach with: ferrule --remote-session {session}"
                );
                return Ok(End::Detached);
            }
            Some(Ok(event)) => event,
            Some(Err(err)) => {
                let message = format!("{err:#}");
                renderer.finish(session, Some(&message))?;
                return Ok(End::Turn(Some(message)));
            }
        };
        renderer.event(&event)?;
        if !caught_up && event["id"].as_str() == barrier.as_deref() {
            caught_up = true;
        }
        if caught_up && let Some(end) = turn_end(&event) {
            renderer.finish(session, end.as_deref())?;
            return Ok(End::Turn(end));
        }
    }
}

/// `Some(None)` for an `end_turn` idle, `Some(Some(why))` for any other end
/// of a turn or of the session, `None` for events that end nothing.
fn turn_end(event: &Value) -> Option<Option<String>> {
    match event["type"].as_str()? {
        "session.status_idle" => Some(match event["stop_reason"]["type"].as_str() {
            Some("end_turn") => None,
            Some("requires_action") => Some(
                "the session is waiting for tool confirmations or custom tool results (requires_action); answer them through the API"
                    .to_owned(),
            ),
            Some(other) => Some(format!("the turn ended with {other}")),
            None => Some("the session went idle without a stop reason".to_owned()),
        }),
        "session.status_terminated" => Some(Some(format!(
            "the session was terminated: {}",
            event["error"]["message"]
                .as_str()
                .unwrap_or("no reason given")
        ))),
        "session.deleted" => Some(Some("the session was deleted".to_owned())),
        _ => None,
    }
}

fn save_cursor(dir: &Path, session: &str, event_id: &str) {
    if let Err(err) = cursor::save(dir, session, event_id) {
        tracing::warn!("cannot remember where the session stands: {err:#}");
    }
}

/// Logs go to stderr, as in print mode.
fn init_logging(run: &RunArgs) {
    let default = match (run.debug, run.verbose) {
        (true, _) => "debug",
        (false, true) => "info",
        (false, false) => "warn",
    };
    let filter = std::env::var("FERRULE_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|text| tracing_subscriber::EnvFilter::try_new(text).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}
