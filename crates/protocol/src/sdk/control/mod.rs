//! The control protocol: request/response envelopes and every request kind
//! in both directions (`sdk-protocol.md` §5–§7).
//!
//! A request names its kind in `subtype` or, from the TypeScript SDK, in
//! `type`; [`ControlRequest`] reads `subtype` first, then `type`, and
//! always writes `subtype`. Kinds this crate does not know parse into
//! [`ControlRequest::Other`], so a host can still answer them with an error.
//! A response's payload depends on the request it answers, so
//! [`ControlSuccess`] keeps it as a JSON object; [`ControlSuccess::parse`]
//! turns it into the typed response the caller expects.

mod cli_request;
mod envelope;
mod request;
mod response;

pub use cli_request::{
    CallbackRequest, CanUseToolRequest, ElicitationRequest, FetchJobTokenRequest,
    FetchServiceAccountTokenRequest, GetModelPolicyRequest, HookCallbackRequest, McpMessageRequest,
    McpOauthRequiredRequest,
};
pub use envelope::{
    ControlCancelRequest, ControlError, ControlRequestEnvelope, ControlResponse,
    ControlResponseEnvelope, ControlSuccess,
};
pub use request::{
    AgentDefinition, ApplyFlagSettingsRequest, BackgroundTasksRequest, CancelAsyncMessageRequest,
    ControlRequest, EmptyRequest, HookMatcherConfig, InitializeRequest, InterruptRequest,
    McpAuthenticateRequest, McpInjectTokenRequest, McpOauthCallbackUrlRequest,
    McpServerNameRequest, McpSetServersRequest, McpToggleRequest, McpToken, RewindFilesRequest,
    RewindRequest, SeedReadStateRequest, SetGoalRequest, SetModelRequest, SetPermissionModeRequest,
    SetPlanModeRequest, SetProxyRequest, SideQuestionExchange, SideQuestionRequest,
    StopTaskRequest,
};
pub use response::{
    AgentInfo, BackgroundTasksResponse, CancelAsyncMessageResponse, ClearGoalResponse, CustomModel,
    ElicitationAction, ElicitationResponse, GetModelsResponse, GoalResponse, InitializeResponse,
    InterruptResponse, ListPluginsResponse, McpAuthenticateResponse, McpMessageResponse,
    McpSetServersResponse, McpStatusResponse, ModelInfo, ModelPolicyResponse, PlanModeResponse,
    ReloadPluginsResponse, RewindFailedFile, RewindFilesResponse, RewindResponse, RewindStatus,
    RunDecisionResponse, SideQuestionResponse, SkillInfo, SlashCommandInfo, TokenResponse,
};
