//! One ACP session: the agent, owned by a task that runs the session's
//! prompts one at a time, and the handle the request handlers keep.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use agent_client_protocol::v1::schema::{
    AvailableCommandsUpdate, ContentBlock as AcpBlock, EmbeddedResourceResource, McpServer,
    PromptResponse, SessionId, SessionModeState, SessionUpdate, StopReason,
};
use agent_client_protocol::v1::{ConnectionTo, Responder};
use agent_client_protocol::{Client, Error, ErrorCode};
use ferrule_agent::{Agent, AgentControls, Asker, TurnResult, UserInput};
use ferrule_hooks::SessionEndReason;
use ferrule_mcp::McpManager;
use ferrule_memory::Workspace;
use ferrule_permissions::PolicyBuilder;
use ferrule_protocol::{ContentBlock, ImageBlock, Message, StopReason as Reason, TurnOutcome};
use ferrule_setup::{CommandShell, SessionHooks, SetupOptions};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::asker::ClientAsker;
use crate::commands::{self, About, Action};
use crate::updates::{Notifier, UpdateSink};
use crate::{mcp, modes, replay};

/// A prompt waiting for the session's task.
struct Job {
    prompt: Vec<AcpBlock>,
    responder: Responder<PromptResponse>,
}

/// What the request handlers keep of a session.
pub(crate) struct SessionHandle {
    pub(crate) controls: AgentControls,
    jobs: mpsc::UnboundedSender<Job>,
    /// Fired by `session/cancel`: stops a custom command's expansion too.
    cancel: Arc<Mutex<CancellationToken>>,
    /// The session's task: it fires SessionEnd once the jobs end.
    task: tokio::task::JoinHandle<()>,
}

impl SessionHandle {
    /// Queues a prompt; the session's task answers `responder`.
    pub(crate) fn prompt(&self, prompt: Vec<AcpBlock>, responder: Responder<PromptResponse>) {
        if let Err(mpsc::error::SendError(job)) = self.jobs.send(Job { prompt, responder }) {
            let _ = job
                .responder
                .respond_with_internal_error("the session has ended");
        }
    }

    /// `session/cancel`: interrupts whatever the session is doing.
    pub(crate) fn cancel(&self) {
        self.cancel
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .cancel();
        self.controls.interrupt();
    }

    /// Ends the session: interrupts it, lets its task finish the prompt in
    /// flight and fire SessionEnd, and waits for that.
    pub(crate) async fn close(self) {
        self.cancel();
        let Self { jobs, task, .. } = self;
        drop(jobs);
        if let Err(error) = task.await {
            tracing::warn!(%error, "the ACP session task failed");
        }
    }
}

/// A session just opened: its handle and what the response carries.
pub(crate) struct Opened {
    pub(crate) session_id: String,
    pub(crate) handle: SessionHandle,
    pub(crate) modes: SessionModeState,
}

/// The session's state kept by its task.
struct Task {
    notifier: Notifier,
    cwd: PathBuf,
    workspace: Arc<Workspace>,
    policy: PolicyBuilder,
    asker: Arc<dyn Asker>,
    about: About,
    cancel: Arc<Mutex<CancellationToken>>,
    /// SessionStart before the first prompt, SessionEnd at the end.
    hooks: SessionHooks,
    /// Keeps the client's MCP servers running for the session.
    _mcp: Option<McpManager>,
    /// The settings, skills and agents watcher; it runs while kept.
    _watch: ferrule_setup::SessionWatch,
}

/// An error the client sees as the request's answer.
pub(crate) fn request_error(code: ErrorCode, message: impl Into<String>) -> Error {
    Error::new(code, message.into())
}

/// Opens a session (new, or resumed when `setup.session.resume` is set):
/// builds the agent, starts the client's MCP servers, replays the history
/// when `replay_history`, and starts the session's task.
pub(crate) async fn open(
    setup: SetupOptions,
    mcp_servers: &[McpServer],
    connection: ConnectionTo<Client>,
    replay_history: bool,
) -> Result<Opened, Error> {
    let resuming = setup.session.resume.is_some();
    let mut prepared = ferrule_setup::prepare(setup).map_err(|error| {
        let code = if resuming {
            ErrorCode::RESOURCE_NOT_FOUND
        } else {
            ErrorCode::INVALID_PARAMS
        };
        request_error(code, error.to_string())
    })?;
    mcp::start(mcp_servers, &mut prepared).await;
    let session_id = prepared.session_id().to_owned();
    let cwd = prepared.cwd.clone();
    let policy = prepared.policy.clone();
    let workspace = Arc::clone(&prepared.workspace);
    let history: Vec<Message> = if replay_history {
        prepared.history.clone()
    } else {
        Vec::new()
    };
    let notifier = Notifier {
        connection: connection.clone(),
        session_id: SessionId::new(session_id.clone()),
    };
    let asker: Arc<dyn Asker> = Arc::new(ClientAsker {
        connection,
        session_id: SessionId::new(session_id.clone()),
        cwd: cwd.clone(),
    });
    let hooks = Arc::clone(&prepared.hooks);
    let (builder, info) = prepared.into_builder();
    let session_hooks = SessionHooks::new(hooks, &info);
    let agent = builder
        .asker(Arc::clone(&asker))
        .build()
        .map_err(|error| request_error(ErrorCode::INTERNAL_ERROR, error.to_string()))?;
    let controls = agent.controls();
    replay::replay(&history, &cwd, &notifier);
    let cancel = Arc::new(Mutex::new(CancellationToken::new()));
    let task = Task {
        about: About {
            model: info.model,
            session_id: session_id.clone(),
            cwd: cwd.display().to_string(),
        },
        notifier,
        cwd,
        workspace,
        policy,
        asker,
        cancel: Arc::clone(&cancel),
        hooks: session_hooks,
        _mcp: info.mcp,
        _watch: info.watch,
    };
    let (jobs, receiver) = mpsc::unbounded_channel();
    let task = tokio::spawn(drive(agent, receiver, task));
    Ok(Opened {
        session_id,
        modes: modes::mode_state(controls.mode()),
        handle: SessionHandle {
            controls,
            jobs,
            cancel,
            task,
        },
    })
}

/// Runs the session's prompts until every handle is gone, between the
/// SessionStart hooks (`startup`, or `resume` for `session/load`; what
/// they add goes to the model with the first prompt) and SessionEnd
/// (`other`: the client hung up); dropping the agent then ends its
/// background shells and tool processes.
async fn drive(mut agent: Agent, mut jobs: mpsc::UnboundedReceiver<Job>, task: Task) {
    task.notifier.send(SessionUpdate::AvailableCommandsUpdate(
        AvailableCommandsUpdate::new(commands::available(&task.workspace)),
    ));
    let mut held: Vec<ContentBlock> = task
        .hooks
        .start()
        .await
        .into_iter()
        .map(ContentBlock::text)
        .collect();
    while let Some(job) = jobs.recv().await {
        let answer = prompt(&mut agent, &task, job.prompt, &mut held).await;
        let sent = match answer {
            Ok(response) => job.responder.respond(response),
            Err(error) => job.responder.respond_with_error(error),
        };
        if let Err(error) = sent {
            tracing::debug!(%error, "prompt answer not sent");
        }
    }
    task.hooks.end(SessionEndReason::Other).await;
}

/// One prompt: a built-in command answered here, or a run of the agent
/// (with the SessionStart context still `held` ahead of the prompt).
async fn prompt(
    agent: &mut Agent,
    task: &Task,
    prompt: Vec<AcpBlock>,
    held: &mut Vec<ContentBlock>,
) -> Result<PromptResponse, Error> {
    let token = {
        let mut cancel = task.cancel.lock().unwrap_or_else(PoisonError::into_inner);
        *cancel = CancellationToken::new();
        cancel.clone()
    };
    let mut blocks = input_blocks(prompt);
    let text: String = blocks
        .iter()
        .filter_map(ContentBlock::as_text)
        .collect::<Vec<_>>()
        .join("\n");
    match commands::action(&text, &task.workspace, &task.about) {
        Action::Reply(reply) => {
            task.notifier.agent_text(reply);
            return Ok(PromptResponse::new(StopReason::EndTurn));
        }
        Action::Prompt(text) => blocks = vec![ContentBlock::text(text)],
        Action::Expand {
            template,
            allowed_tools,
            path,
        } => {
            // The mode of the moment: the client may have switched it.
            let policy = task.policy.clone().mode(agent.controls().mode()).build();
            let host = CommandShell::new(task.cwd.clone(), policy)
                .with_asker(Arc::clone(&task.asker), token.clone())
                .allowing(&allowed_tools, &path);
            match ferrule_memory::expand(&template, &host).await {
                Ok(expanded) => {
                    agent.controls().allow_for_session(&allowed_tools);
                    blocks = vec![ContentBlock::text(expanded.text)];
                }
                Err(error) if token.is_cancelled() => {
                    tracing::debug!(%error, "command expansion cancelled");
                    return Ok(PromptResponse::new(StopReason::Cancelled));
                }
                Err(error) => {
                    task.notifier
                        .agent_text(format!("The command was not run: {error}"));
                    return Ok(PromptResponse::new(StopReason::EndTurn));
                }
            }
        }
        Action::Pass => {}
    }
    if token.is_cancelled() {
        return Ok(PromptResponse::new(StopReason::Cancelled));
    }
    if blocks.is_empty() {
        return Err(request_error(
            ErrorCode::INVALID_PARAMS,
            "the prompt has no text, image or resource content",
        ));
    }
    let sink = UpdateSink::new(task.notifier.clone(), task.cwd.clone(), agent.controls());
    if !held.is_empty() {
        let mut input = std::mem::take(held);
        input.append(&mut blocks);
        blocks = input;
    }
    let result = agent.run(UserInput::blocks(blocks), &sink).await;
    stop_reason(&result)
}

/// The prompt's answer for how the run ended; a failed run is an error
/// naming the cause.
pub(crate) fn stop_reason(result: &TurnResult) -> Result<PromptResponse, Error> {
    let reason = match result.outcome {
        TurnOutcome::Completed => match result.summary.stop_reason {
            Some(Reason::MaxTokens) => StopReason::MaxTokens,
            Some(Reason::Refusal) => StopReason::Refusal,
            _ => StopReason::EndTurn,
        },
        TurnOutcome::MaxTurns | TurnOutcome::MaxBudget => StopReason::MaxTurnRequests,
        TurnOutcome::Interrupted => StopReason::Cancelled,
        _ => match result.summary.stop_reason {
            Some(Reason::MaxTokens) => StopReason::MaxTokens,
            Some(Reason::Refusal) => StopReason::Refusal,
            _ => {
                let message = result
                    .summary
                    .errors
                    .first()
                    .or(result.summary.result.as_ref())
                    .cloned()
                    .unwrap_or_else(|| "the turn failed".to_owned());
                return Err(request_error(ErrorCode::INTERNAL_ERROR, message));
            }
        },
    };
    Ok(PromptResponse::new(reason))
}

/// The prompt's content as the agent's input: text and images as they
/// are, embedded text resources wrapped with their URI, links as text.
pub(crate) fn input_blocks(prompt: Vec<AcpBlock>) -> Vec<ContentBlock> {
    prompt
        .into_iter()
        .filter_map(|block| match block {
            AcpBlock::Text(text) => Some(ContentBlock::text(text.text)),
            AcpBlock::Image(image) => Some(ContentBlock::Image(ImageBlock::base64(
                image.mime_type,
                image.data,
            ))),
            // An @-mention of a file: the path, as a typed `@path` would be.
            AcpBlock::ResourceLink(link) => Some(ContentBlock::text(format!(
                "@{}",
                link.uri.strip_prefix("file://").unwrap_or(&link.uri)
            ))),
            AcpBlock::Resource(resource) => match resource.resource {
                EmbeddedResourceResource::TextResourceContents(contents) => {
                    Some(ContentBlock::text(format!(
                        "<file uri=\"{}\">\n{}\n</file>",
                        contents.uri, contents.text
                    )))
                }
                other => {
                    tracing::warn!(?other, "binary resources are not supported; left out");
                    None
                }
            },
            other => {
                tracing::warn!(?other, "prompt content not supported; left out");
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_protocol::TurnSummary;

    fn ended(outcome: TurnOutcome, stop: Option<Reason>) -> Result<PromptResponse, Error> {
        stop_reason(&TurnResult {
            outcome,
            summary: TurnSummary {
                stop_reason: stop,
                errors: vec!["HTTP 500: upstream down".into()],
                ..TurnSummary::default()
            },
            user_message_uuid: "u1".into(),
        })
    }

    #[test]
    fn outcomes_map_to_stop_reasons() {
        let reason = |outcome, stop| ended(outcome, stop).unwrap().stop_reason;
        assert_eq!(
            reason(TurnOutcome::Completed, Some(Reason::EndTurn)),
            StopReason::EndTurn
        );
        assert_eq!(
            reason(TurnOutcome::Completed, Some(Reason::MaxTokens)),
            StopReason::MaxTokens
        );
        assert_eq!(
            reason(TurnOutcome::Completed, Some(Reason::Refusal)),
            StopReason::Refusal
        );
        assert_eq!(
            reason(TurnOutcome::MaxTurns, None),
            StopReason::MaxTurnRequests
        );
        assert_eq!(
            reason(TurnOutcome::Interrupted, None),
            StopReason::Cancelled
        );
        assert_eq!(
            reason(TurnOutcome::Failed, Some(Reason::MaxTokens)),
            StopReason::MaxTokens
        );
        let error = ended(TurnOutcome::Failed, None).unwrap_err();
        assert_eq!(error.code, ErrorCode::INTERNAL_ERROR);
        assert!(error.message.contains("upstream down"), "{error:?}");
    }

    #[test]
    fn prompt_content_becomes_agent_input() {
        use agent_client_protocol::v1::schema::{
            EmbeddedResource, ImageContent, TextContent, TextResourceContents,
        };
        let blocks = input_blocks(vec![
            AcpBlock::Text(TextContent::new("look")),
            AcpBlock::ResourceLink(agent_client_protocol::v1::schema::ResourceLink::new(
                "a.rs",
                "file:///p/a.rs",
            )),
            AcpBlock::Image(ImageContent::new("aGk=", "image/png")),
            AcpBlock::Resource(EmbeddedResource::new(
                EmbeddedResourceResource::TextResourceContents(TextResourceContents::new(
                    "fn main() {}",
                    "file:///p/main.rs",
                )),
            )),
        ]);
        assert_eq!(blocks.len(), 4);
        assert_eq!(blocks[0].as_text(), Some("look"));
        assert_eq!(blocks[1].as_text(), Some("@/p/a.rs"));
        assert!(matches!(&blocks[2], ContentBlock::Image(_)));
        let text = blocks[3].as_text().unwrap();
        assert!(
            text.contains("file:///p/main.rs") && text.contains("fn main()"),
            "{text}"
        );
    }
}
