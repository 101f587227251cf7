//! The conversation as the scrollback shows it: a list of cells, built
//! from the agent's event stream.

use std::collections::HashMap;

use ferrule_protocol::{AgentEvent, ContentBlock, TurnOutcome};
use serde_json::Value;

/// Where a tool call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolStatus {
    /// The model is still writing the call's input.
    Streaming,
    /// The call is complete and runs (or waits for permission).
    Running,
    /// The tool returned a result.
    Done,
    /// The tool returned an error.
    Failed,
    /// The call was refused.
    Denied,
    /// The turn was interrupted before the tool returned.
    Interrupted,
}

/// One tool call in the scrollback.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCell {
    /// Call id.
    pub id: String,
    /// Tool name.
    pub name: String,
    /// The call's input (`Null` while streaming).
    pub input: Value,
    /// Where it stands.
    pub status: ToolStatus,
    /// Text of the result, once there is one.
    pub result: Option<String>,
    /// How long it ran.
    pub duration_ms: Option<u64>,
    /// Tool calls a subagent started inside this call.
    pub child_calls: usize,
    /// The last of them, as a one-line summary.
    pub last_child: Option<String>,
}

/// One entry of the scrollback.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// What the user sent.
    User(String),
    /// Assistant text (Markdown), possibly still streaming.
    Assistant(String),
    /// The model's reasoning.
    Thinking(String),
    /// A tool call.
    Tool(ToolCell),
    /// A note from the interface (command output, mode changes).
    Info(String),
    /// Something failed.
    Error(String),
}

/// The scrollback's cells and what the current model response streams into.
#[derive(Debug, Default)]
pub struct Transcript {
    cells: Vec<Cell>,
    /// Block index of the streaming response → cell index.
    open_blocks: HashMap<usize, usize>,
    /// Tool call id → cell index.
    tools: HashMap<String, usize>,
    /// Whether the current response streamed any block.
    streamed: bool,
    errors_this_turn: usize,
    /// Per cell, a number that changes whenever the cell does (renderers
    /// cache rows by it).
    versions: Vec<u64>,
    next_version: u64,
}

impl Transcript {
    /// The cells, oldest first.
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// Appends a cell.
    pub fn push(&mut self, cell: Cell) {
        self.add(cell);
    }

    fn add(&mut self, cell: Cell) {
        self.cells.push(cell);
        self.next_version += 1;
        self.versions.push(self.next_version);
    }

    /// Marks cell `index` as changed.
    fn touch(&mut self, index: usize) {
        self.next_version += 1;
        if let Some(version) = self.versions.get_mut(index) {
            *version = self.next_version;
        }
    }

    /// The version of cell `index`: equal versions mean an unchanged cell.
    pub fn version(&self, index: usize) -> u64 {
        self.versions.get(index).copied().unwrap_or(0)
    }

    /// Drops every cell (`/clear`).
    pub fn clear(&mut self) {
        // Versions keep counting, so no new cell takes an old cell's version.
        let next_version = self.next_version;
        *self = Self::default();
        self.next_version = next_version;
    }

    /// The tool cell of call `id`.
    pub fn tool(&self, id: &str) -> Option<&ToolCell> {
        match self.tools.get(id).and_then(|i| self.cells.get(*i)) {
            Some(Cell::Tool(tool)) => Some(tool),
            _ => None,
        }
    }

    fn tool_mut(&mut self, id: &str) -> Option<&mut ToolCell> {
        let index = *self.tools.get(id)?;
        self.touch(index);
        match self.cells.get_mut(index) {
            Some(Cell::Tool(tool)) => Some(tool),
            _ => None,
        }
    }

    fn push_tool(&mut self, id: String, name: String, input: Value, status: ToolStatus) -> usize {
        let index = self.cells.len();
        self.tools.insert(id.clone(), index);
        self.add(Cell::Tool(ToolCell {
            id,
            name,
            input,
            status,
            result: None,
            duration_ms: None,
            child_calls: 0,
            last_child: None,
        }));
        index
    }

    fn append_text(&mut self, index: usize, text: &str, thinking: bool) {
        self.streamed = true;
        if let Some(&cell_index) = self.open_blocks.get(&index) {
            self.touch(cell_index);
            let Some(cell) = self.cells.get_mut(cell_index) else {
                return;
            };
            match cell {
                Cell::Assistant(body) | Cell::Thinking(body) => body.push_str(text),
                _ => {}
            }
            return;
        }
        self.open_blocks.insert(index, self.cells.len());
        let text = text.to_owned();
        self.add(if thinking {
            Cell::Thinking(text)
        } else {
            Cell::Assistant(text)
        });
    }

    /// Takes one agent event. `parent` is the tool call a subagent event
    /// belongs to: such events only count toward that call's summary.
    pub fn apply(&mut self, event: &AgentEvent, parent: Option<&str>) {
        if let Some(parent) = parent {
            if let AgentEvent::ToolCallFinished { call, .. } = event
                && let Some(tool) = self.tool_mut(parent)
            {
                tool.child_calls += 1;
                tool.last_child = Some(super::summary::tool_summary(&call.name, &call.input));
            }
            return;
        }
        match event {
            AgentEvent::TurnStarted { .. } => self.errors_this_turn = 0,
            AgentEvent::MessageStarted { .. } => {
                self.open_blocks.clear();
                self.streamed = false;
            }
            AgentEvent::TextDelta { index, text } => self.append_text(*index, text, false),
            AgentEvent::ThinkingDelta { index, thinking } => {
                self.append_text(*index, thinking, true);
            }
            AgentEvent::ToolCallStarted { index, id, name } => {
                self.streamed = true;
                let cell =
                    self.push_tool(id.clone(), name.clone(), Value::Null, ToolStatus::Streaming);
                self.open_blocks.insert(*index, cell);
            }
            AgentEvent::ToolCallFinished { call, .. } => {
                if let Some(tool) = self.tool_mut(&call.id) {
                    tool.input = call.input.clone();
                    tool.status = ToolStatus::Running;
                } else {
                    self.push_tool(
                        call.id.clone(),
                        call.name.clone(),
                        call.input.clone(),
                        ToolStatus::Running,
                    );
                }
            }
            AgentEvent::MessageComplete { message } => {
                if !self.streamed {
                    self.add_unstreamed(&message.content);
                }
                self.open_blocks.clear();
            }
            AgentEvent::PermissionDenied { denial } => {
                if let Some(tool) = self.tool_mut(&denial.tool_use_id) {
                    tool.status = ToolStatus::Denied;
                }
            }
            AgentEvent::ToolResult {
                result,
                duration_ms,
                ..
            } => {
                if let Some(tool) = self.tool_mut(&result.tool_use_id) {
                    tool.result = result
                        .content
                        .as_ref()
                        .map(ferrule_protocol::ToolResultContent::joined_text);
                    tool.duration_ms = *duration_ms;
                    if tool.status != ToolStatus::Denied {
                        tool.status = if result.is_error() {
                            ToolStatus::Failed
                        } else {
                            ToolStatus::Done
                        };
                    }
                }
            }
            AgentEvent::Retry {
                attempt,
                max_retries,
                delay_ms,
                error,
            } => self.add(Cell::Info(format!(
                "Retrying in {:.1}s (attempt {attempt} of {max_retries}): {}",
                *delay_ms as f64 / 1000.0,
                error.message
            ))),
            AgentEvent::CompactionStarted { .. } => {
                self.add(Cell::Info("Compacting the conversation…".into()));
            }
            AgentEvent::HookResponse {
                hook_name,
                system_message,
                error,
                ..
            } => {
                if let Some(message) = system_message {
                    self.add(Cell::Info(message.clone()));
                }
                if let Some(error) = error {
                    self.add(Cell::Error(format!("{hook_name} hook error: {error}")));
                }
            }
            AgentEvent::Compacted {
                pre_tokens,
                post_tokens,
                ..
            } => {
                let after = post_tokens.map_or(String::new(), |t| format!(" → {t}"));
                self.add(Cell::Info(format!(
                    "Conversation compacted ({pre_tokens}{after} tokens)"
                )));
            }
            AgentEvent::Error { error } => {
                self.errors_this_turn += 1;
                self.add(Cell::Error(error.message.clone()));
            }
            AgentEvent::TurnFinished { outcome, summary } => {
                self.finish_turn(*outcome, summary);
            }
            _ => {}
        }
    }

    fn add_unstreamed(&mut self, content: &[ContentBlock]) {
        for block in content {
            match block {
                ContentBlock::Text(text) if !text.text.is_empty() => {
                    self.add(Cell::Assistant(text.text.clone()));
                }
                ContentBlock::Thinking(thinking) => {
                    self.add(Cell::Thinking(thinking.thinking.clone()));
                }
                ContentBlock::ToolUse(call) if self.tool(&call.id).is_none() => {
                    self.push_tool(
                        call.id.clone(),
                        call.name.clone(),
                        call.input.clone(),
                        ToolStatus::Running,
                    );
                }
                _ => {}
            }
        }
    }

    fn finish_turn(&mut self, outcome: TurnOutcome, summary: &ferrule_protocol::TurnSummary) {
        let mut changed = Vec::new();
        for (index, cell) in self.cells.iter_mut().enumerate() {
            if let Cell::Tool(tool) = cell
                && matches!(tool.status, ToolStatus::Running | ToolStatus::Streaming)
            {
                tool.status = ToolStatus::Interrupted;
                changed.push(index);
            }
        }
        for index in changed {
            self.touch(index);
        }
        match outcome {
            TurnOutcome::Completed => {}
            TurnOutcome::Interrupted => {
                self.add(Cell::Info(
                    "Interrupted · what should ferrule do instead?".into(),
                ));
            }
            TurnOutcome::MaxTurns => {
                self.cells
                    .push(Cell::Error("Stopped: the turn limit was reached.".into()));
            }
            TurnOutcome::MaxBudget => {
                self.cells
                    .push(Cell::Error("Stopped: the cost budget is used up.".into()));
            }
            _ => {
                if self.errors_this_turn == 0 {
                    let text = if summary.errors.is_empty() {
                        summary
                            .result
                            .clone()
                            .unwrap_or_else(|| "The turn failed.".into())
                    } else {
                        summary.errors.join("\n")
                    };
                    self.add(Cell::Error(text));
                }
            }
        }
        self.open_blocks.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_protocol::sdk::CompactTrigger;

    /// Every cell gets a version, so a renderer caching rows by version sees
    /// each change, also to cells added after a compaction note.
    #[test]
    fn every_cell_has_a_version_that_changes_with_it() {
        let mut transcript = Transcript::default();
        transcript.apply(
            &AgentEvent::CompactionStarted {
                trigger: CompactTrigger::Manual,
            },
            None,
        );
        transcript.apply(
            &AgentEvent::TextDelta {
                index: 0,
                text: "Stil".into(),
            },
            None,
        );
        let last = transcript.cells().len() - 1;
        let before = transcript.version(last);
        assert_ne!(before, 0);
        transcript.apply(
            &AgentEvent::TextDelta {
                index: 0,
                text: "l here.".into(),
            },
            None,
        );
        assert_ne!(transcript.version(last), before);
        assert_eq!(
            transcript.cells()[last],
            Cell::Assistant("Still here.".into())
        );
        for index in 0..transcript.cells().len() {
            assert_ne!(transcript.version(index), 0, "cell {index}");
        }
    }
}
