//! Control requests from the SDK (`sdk-protocol.md` §6): one handler per
//! kind, grouped by area. Kinds ferrule cannot serve get an error answer
//! that says why, so no request is left without its one answer.

mod ask;
mod files;
mod goals;
mod info;
mod mcp;
mod reload;
mod rewind;
mod session;
mod tasks;

pub(crate) use rewind::Scope;

use std::sync::Arc;

use ferrule_protocol::sdk::ControlRequest;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::host::{Shared, lock};
use crate::session::Ready;
use crate::turns::Command;

/// Answers one SDK → CLI request: the success payload, or the error text.
pub(crate) async fn handle(shared: &Arc<Shared>, request: ControlRequest) -> Result<Value, String> {
    use ControlRequest as R;
    match request {
        R::Initialize(init) => crate::session::initialize(shared, init).await,
        R::Interrupt(interrupt) => Ok(session::interrupt(shared, &interrupt)),
        R::CancelAsyncMessage(cancel) => {
            Ok(json!({"cancelled": shared.queue.cancel(&cancel.message_uuid)}))
        }
        R::SetPermissionMode(set) => session::set_permission_mode(shared, &set),
        R::SetModel(set) => session::set_model(shared, &set),
        R::GetModels(_) => with_ready(shared, |ready| json!({"models": ready.models})),
        R::SetPlanMode(set) => session::set_plan_mode(shared, &set),
        R::GetPlanMode(_) => session::get_plan_mode(shared),
        R::ApplyFlagSettings(apply) => session::apply_flag_settings(shared, &apply),
        R::GetContextUsage(_) => {
            with_ready(shared, |_| ())?;
            run_command(shared, |reply| Command::ContextUsage { reply }).await
        }
        R::RewindFiles(request) => rewind::rewind_files(shared, &request).await,
        R::Rewind(request) => rewind::rewind(shared, &request).await,
        R::SideQuestion(request) => ask::side_question(shared, &request).await,
        R::GenerateSessionTitle(request) => ask::session_title(shared, &request.extra).await,
        R::StopTask(request) => tasks::stop_task(shared, &request.task_id).await,
        R::BackgroundTasks(request) => tasks::background_tasks(shared, &request),
        R::SetGoal(request) => goals::set_goal(shared, &request),
        R::GetGoal(_) => goals::get_goal(shared),
        R::ClearGoal(_) => goals::clear_goal(shared),
        R::SetGoalMaxTurns(request) => goals::set_goal_max_turns(shared, &request.extra),
        R::ResumeGoal(_) => goals::resume_goal(shared),
        R::McpStatus(_) => mcp::status(shared),
        R::McpReconnect(request) => mcp::reconnect(shared, &request.server_name).await,
        R::McpToggle(request) => mcp::toggle(shared, &request).await,
        R::McpSetServers(request) => mcp::set_servers(shared, &request).await,
        R::McpAuthenticate(request) => mcp::authenticate(shared, &request.server_name),
        R::McpOauthCallbackUrl(request) => mcp::oauth_callback(shared, &request.server_name),
        R::McpInjectToken(request) => mcp::inject_token(shared, &request).await,
        R::McpClearAuth(request) => mcp::clear_auth(shared, &request.server_name).await,
        R::ListPlugins(_) => with_ready(shared, |ready| json!({"plugins": ready.facts.plugins})),
        R::ReloadPlugins(_) => reload::reload_plugins(shared).await,
        R::ReloadSkills(_) => reload::reload_skills(shared).await,
        R::AccountInfo(_) => Ok(json!({"account": {}})),
        R::GetSettings(_) => info::settings(shared),
        R::GetUsageInfo(_) => info::usage_info(shared),
        R::EndSession(request) => Ok(info::end_session(shared, &request.extra)),
        R::SetProxy(_) => Err(info::SET_PROXY_UNSUPPORTED.to_owned()),
        R::GetByokConfig(_)
        | R::ListByokConfigs(_)
        | R::CreateByokConfig(_)
        | R::ValidateByokModel(_) => Err(info::BYOK_UNSUPPORTED.to_owned()),
        R::FlushMemory(_) | R::RefreshMemory(_) => Err(info::SDK_MEMORY_OFF.to_owned()),
        R::SetMaxThinkingTokens(request) => {
            session::set_max_thinking_tokens(shared, &request.extra)
        }
        R::AddDirectories(request) => files::add_directories(shared, &request.extra),
        R::SeedReadState(request) => files::seed_read_state(shared, &request),
        other => Err(other.unsupported_message()),
    }
}

pub(crate) fn with_ready<T>(shared: &Shared, f: impl FnOnce(&mut Ready) -> T) -> Result<T, String> {
    let mut ready = lock(&shared.ready);
    match ready.as_mut() {
        Some(ready) => Ok(f(ready)),
        None => Err("initialize_required: the session is not initialized".to_owned()),
    }
}

/// Hands work to the turn runner (which owns the agent; it runs the
/// command between turns) and waits for its answer.
pub(crate) async fn run_command<T>(
    shared: &Shared,
    command: impl FnOnce(oneshot::Sender<T>) -> Command,
) -> Result<T, String> {
    let (reply, answer) = oneshot::channel();
    if shared.commands.send(command(reply)).is_err() {
        return Err(SESSION_ENDED.to_owned());
    }
    answer.await.map_err(|_| SESSION_ENDED.to_owned())
}

pub(crate) const SESSION_ENDED: &str = "the session ended before the request was handled";
