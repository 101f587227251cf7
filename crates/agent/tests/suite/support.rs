//! Helpers shared by the suites: scripted models, collecting sinks, askers.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use ferrule_agent::{AskAnswer, AskRequest, Asker, Emitted, EventSink};
use ferrule_model::{Script, ScriptTurn, ScriptedModel};
use ferrule_protocol::{AgentEvent, ContentBlock, ToolUseBlock};
use ferrule_tool::ToolRegistry;
use ferrule_tools::{BuiltinOptions, builtin_tools};
use serde_json::Value;

/// A model answering with `turns`, each a list of blocks.
pub(crate) fn scripted(turns: Vec<Vec<ContentBlock>>) -> Arc<ScriptedModel> {
    Arc::new(ScriptedModel::new(
        "test.json",
        Script {
            model: None,
            turns: turns.into_iter().map(ScriptTurn::from_blocks).collect(),
        },
    ))
}

/// A tool_use block.
pub(crate) fn call(id: &str, name: &str, input: Value) -> ContentBlock {
    ContentBlock::ToolUse(ToolUseBlock {
        id: id.into(),
        name: name.into(),
        input,
    })
}

/// A text block.
pub(crate) fn text(text: &str) -> ContentBlock {
    ContentBlock::text(text)
}

/// The built-in tools.
pub(crate) fn builtins() -> ToolRegistry {
    let mut registry = ToolRegistry::new();
    for tool in builtin_tools(&BuiltinOptions::default()) {
        registry.register_arc(tool).unwrap();
    }
    registry
}

/// A sink that keeps every event.
#[derive(Default, Clone)]
pub(crate) struct Collect(pub(crate) Arc<Mutex<Vec<Emitted>>>);

impl EventSink for Collect {
    fn emit(&self, event: Emitted) {
        self.0.lock().unwrap().push(event);
    }
}

impl Collect {
    pub(crate) fn events(&self) -> Vec<Emitted> {
        self.0.lock().unwrap().clone()
    }

    /// The tool results, in order.
    pub(crate) fn results(&self) -> Vec<ferrule_protocol::ToolResultBlock> {
        self.events()
            .into_iter()
            .filter_map(|e| match e.event {
                AgentEvent::ToolResult { result, .. } => Some(result),
                _ => None,
            })
            .collect()
    }
}

/// An asker that answers from a closure and records the requests.
pub(crate) struct TestAsker {
    pub(crate) answer: Box<dyn Fn(&AskRequest) -> AskAnswer + Send + Sync>,
    pub(crate) seen: Mutex<Vec<AskRequest>>,
}

impl TestAsker {
    pub(crate) fn new(
        answer: impl Fn(&AskRequest) -> AskAnswer + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Self {
            answer: Box::new(answer),
            seen: Mutex::new(Vec::new()),
        })
    }

    pub(crate) fn seen(&self) -> Vec<AskRequest> {
        self.seen.lock().unwrap().clone()
    }
}

#[async_trait]
impl Asker for TestAsker {
    async fn ask(&self, request: AskRequest) -> AskAnswer {
        let answer = (self.answer)(&request);
        self.seen.lock().unwrap().push(request);
        answer
    }
}

/// Retry and timeout settings that keep tests fast.
pub(crate) fn fast_options() -> ferrule_model::HttpOptions {
    ferrule_model::HttpOptions {
        max_retries: 2,
        base_delay: std::time::Duration::from_millis(10),
        max_delay: std::time::Duration::from_millis(40),
        max_retry_after: std::time::Duration::from_secs(2),
        connect_timeout: std::time::Duration::from_secs(2),
        first_byte_timeout: std::time::Duration::from_secs(5),
        stall_timeout: std::time::Duration::from_millis(400),
    }
}

/// An OpenAI-compatible model at the fake server.
pub(crate) fn openai_model(
    server: &ferrule_test_support::FakeModelServer,
) -> Arc<ferrule_model::OpenAiModel> {
    Arc::new(
        ferrule_model::OpenAiModel::new(
            "gpt-4.1",
            server.base_url(),
            Some("sk-test".into()),
            fast_options(),
        )
        .unwrap(),
    )
}

/// An Anthropic model at the fake server.
pub(crate) fn anthropic_model(
    server: &ferrule_test_support::FakeModelServer,
) -> Arc<ferrule_model::AnthropicModel> {
    Arc::new(
        ferrule_model::AnthropicModel::new(
            "claude-sonnet-4-5",
            server.base_url(),
            Some("sk-ant-test".into()),
            fast_options(),
        )
        .unwrap(),
    )
}

/// A policy for `dir` in `mode` with `allow` rules.
pub(crate) fn policy(
    dir: &std::path::Path,
    mode: ferrule_permissions::Mode,
    allow: &[&str],
) -> ferrule_permissions::PolicyBuilder {
    ferrule_permissions::Policy::builder(dir, dir)
        .mode(mode)
        .rules(
            ferrule_permissions::Behavior::Allow,
            allow.iter().copied(),
            ferrule_permissions::RuleSource {
                path: None,
                root: dir.to_path_buf(),
            },
        )
}

/// A read-only tool whose calls wait for each other: `Meet {id, sleep_ms}`
/// succeeds only when `parties` calls are in flight at once.
pub(crate) struct Meet {
    pub(crate) barrier: Arc<tokio::sync::Barrier>,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
pub(crate) struct MeetInput {
    id: String,
    sleep_ms: u64,
}

#[async_trait]
impl ferrule_tool::TypedTool for Meet {
    type Input = MeetInput;
    fn name(&self) -> &str {
        "Meet"
    }
    fn description(&self) -> &str {
        "Waits for the other calls."
    }
    fn is_read_only(&self) -> bool {
        true
    }
    fn targets(
        &self,
        _: &MeetInput,
        _: &ferrule_tool::ToolContext,
    ) -> Result<Vec<ferrule_tool::ToolTarget>, ferrule_tool::ToolError> {
        Ok(Vec::new())
    }
    async fn call(
        &self,
        input: MeetInput,
        _: &ferrule_tool::ToolContext,
    ) -> Result<ferrule_tool::ToolOutput, ferrule_tool::ToolError> {
        tokio::time::timeout(std::time::Duration::from_secs(5), self.barrier.wait())
            .await
            .map_err(|_| ferrule_tool::ToolError::respond("alone: the other calls never came"))?;
        tokio::time::sleep(std::time::Duration::from_millis(input.sleep_ms)).await;
        Ok(ferrule_tool::ToolOutput::text(
            format!("met {}", input.id),
            serde_json::json!({"id": input.id}),
        ))
    }
}
