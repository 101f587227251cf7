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
