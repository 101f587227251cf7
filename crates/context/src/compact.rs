//! Full compaction: the model summarizes the older part of the
//! conversation, and the history becomes that summary (with pinned items,
//! the todo list and recent files re-attached) followed by the most recent
//! messages verbatim.

use std::path::PathBuf;

use ferrule_model::{Model, ModelEvent, ModelRequest};
use ferrule_protocol::{ContentBlock, Message, MessageContent, Role, Usage};
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::count::TokenCounter;
use crate::error::CompactError;
use crate::pinned::{Pinned, pinned_file_text};
use crate::summary::{
    SUMMARY_SYSTEM_PROMPT, last_todo_list, recent_files, render_transcript, summary_request_text,
    verbatim_text,
};

/// The first line of every summary message, so readers (and tests) can
/// tell a compacted history.
pub const SUMMARY_PREFACE: &str = "This session continues an earlier conversation that was compacted to save context. The notes below cover the earlier part; the most recent messages follow unchanged.";

/// What a compaction re-attaches besides the summary. Left empty, both are
/// taken from the history: the input of the last `TodoWrite` call and the
/// files most recently used by Read/Write/Edit/MultiEdit/NotebookEdit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attachments {
    /// The current todo list, as text.
    pub todos: Option<String>,
    /// Files recently read or changed, newest first.
    pub recent_files: Vec<PathBuf>,
}

/// The result of a compaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Compacted {
    /// The new history: the summary message, then the kept messages.
    pub messages: Vec<Message>,
    /// The model's summary text alone (PostCompact's `compact_summary`).
    pub summary: String,
    /// How many messages at the end of the old history were kept verbatim
    /// (they are `messages[1..]`).
    pub kept: usize,
    /// Tokens of the old history.
    pub pre_tokens: u64,
    /// Tokens of the new history.
    pub post_tokens: u64,
    /// What the summary request used, when the provider said.
    pub usage: Option<Usage>,
}

/// Summarizes conversations. Cheap to build; the settings are plain fields.
#[derive(Debug, Clone)]
pub struct Compactor {
    /// Model round trips at the end kept verbatim (at most).
    pub keep_recent_turns: usize,
    /// Tokens of the kept messages (at most).
    pub keep_recent_tokens: usize,
    /// Output limit of the summary request.
    pub max_summary_tokens: u32,
    /// Longest rendered conversation sent to the summarizer, in characters.
    pub max_transcript_chars: usize,
    /// What to re-attach; empty fields are derived from the history.
    pub attachments: Attachments,
    /// Cancels the summary request.
    pub cancel: CancellationToken,
}

impl Default for Compactor {
    fn default() -> Self {
        Self {
            keep_recent_turns: 2,
            keep_recent_tokens: 20_000,
            max_summary_tokens: 8_000,
            max_transcript_chars: 400_000,
            attachments: Attachments::default(),
            cancel: CancellationToken::new(),
        }
    }
}

impl Compactor {
    /// A compactor with the default settings.
    pub fn new() -> Self {
        Self::default()
    }

    /// Compacts `history` with `model`: the older part is summarized by one
    /// request, `instructions` (from `/compact ...`) added to its prompt.
    ///
    /// # Errors
    /// [`CompactError::Empty`] for an empty history; [`CompactError::Model`],
    /// [`CompactError::EmptySummary`] or [`CompactError::Incomplete`] when
    /// the summary request fails. Nothing is changed on error: the caller
    /// keeps using `history`.
    pub async fn compact(
        &self,
        model: &dyn Model,
        history: &[Message],
        instructions: Option<&str>,
        pinned: &Pinned,
    ) -> Result<Compacted, CompactError> {
        let mut counter = TokenCounter::for_model(model.name());
        self.compact_counted(model, history, instructions, pinned, &mut counter)
            .await
    }

    pub(crate) async fn compact_counted(
        &self,
        model: &dyn Model,
        history: &[Message],
        instructions: Option<&str>,
        pinned: &Pinned,
        counter: &mut TokenCounter,
    ) -> Result<Compacted, CompactError> {
        if history.is_empty() {
            return Err(CompactError::Empty);
        }
        let cut = self.cut_point(history, counter);
        let (older, recent) = history.split_at(cut);
        let transcript = render_transcript(older, self.max_transcript_chars);
        let request = ModelRequest {
            system: Some(SUMMARY_SYSTEM_PROMPT.to_owned()),
            messages: vec![Message::user(summary_request_text(
                &transcript,
                instructions,
                recent.len(),
            ))],
            max_tokens: Some(self.max_summary_tokens),
            ..ModelRequest::default()
        };
        let (summary, usage) = summarize(model, request, self.cancel.clone()).await?;

        let mut blocks = vec![ContentBlock::text(format!(
            "{SUMMARY_PREFACE}\n\n<summary>\n{summary}\n</summary>"
        ))];
        for (uuid, message) in pinned.messages() {
            if !recent.contains(message) {
                let role = match message.role {
                    Role::User => "user",
                    Role::Assistant => "assistant",
                };
                blocks.push(ContentBlock::text(format!(
                    "Pinned message ({role}, {uuid}), kept verbatim:\n{}",
                    verbatim_text(message)
                )));
            }
        }
        for file in pinned.files() {
            blocks.push(ContentBlock::text(pinned_file_text(file)));
        }
        let todos = self
            .attachments
            .todos
            .clone()
            .or_else(|| last_todo_list(history));
        if let Some(todos) = todos {
            blocks.push(ContentBlock::text(format!("Current todo list:\n{todos}")));
        }
        let files = if self.attachments.recent_files.is_empty() {
            recent_files(history)
        } else {
            self.attachments.recent_files.clone()
        };
        if !files.is_empty() {
            let list: Vec<String> = files.iter().map(|f| format!("- {}", f.display())).collect();
            blocks.push(ContentBlock::text(format!(
                "Files read or changed recently (call Read again for their current content):\n{}",
                list.join("\n")
            )));
        }
        let mut messages = Vec::with_capacity(recent.len() + 1);
        messages.push(Message::user(MessageContent::Blocks(blocks)));
        messages.extend_from_slice(recent);
        let pre_tokens = counter.count_messages(history) as u64;
        let post_tokens = counter.count_messages(&messages) as u64;
        Ok(Compacted {
            messages,
            summary,
            kept: recent.len(),
            pre_tokens,
            post_tokens,
            usage,
        })
    }

    /// Where the kept part starts: the longest tail that begins at a safe
    /// point (an assistant message, or a user message without tool
    /// results, so no result loses its call) and holds at most
    /// `keep_recent_turns` round trips and `keep_recent_tokens` tokens. At
    /// least one message is summarized; `history.len()` keeps nothing.
    fn cut_point(&self, history: &[Message], counter: &mut TokenCounter) -> usize {
        let mut best = history.len();
        let mut tokens = 0;
        let mut turns = 0;
        for index in (1..history.len()).rev() {
            let message = &history[index];
            tokens += counter.count_message(message);
            if message.role == Role::Assistant {
                turns += 1;
            }
            if tokens > self.keep_recent_tokens || turns > self.keep_recent_turns {
                break;
            }
            if is_safe_start(message) {
                best = index;
            }
        }
        best
    }
}

fn is_safe_start(message: &Message) -> bool {
    match (&message.role, &message.content) {
        (Role::Assistant, _) | (Role::User, MessageContent::Text(_)) => true,
        (Role::User, MessageContent::Blocks(blocks)) => !blocks
            .iter()
            .any(|b| matches!(b, ContentBlock::ToolResult(_))),
    }
}

async fn summarize(
    model: &dyn Model,
    request: ModelRequest,
    cancel: CancellationToken,
) -> Result<(String, Option<Usage>), CompactError> {
    let name = model.name().to_owned();
    let mut stream = model.stream(request, cancel);
    let mut completed = None;
    while let Some(event) = stream.next().await {
        match event {
            Ok(ModelEvent::Completed { message }) => {
                completed = Some(message);
                break;
            }
            Ok(_) => {}
            Err(source) => {
                return Err(CompactError::Model {
                    model: name,
                    source,
                });
            }
        }
    }
    let Some(message) = completed else {
        return Err(CompactError::Incomplete { model: name });
    };
    let text = message
        .content
        .iter()
        .filter_map(ContentBlock::as_text)
        .collect::<Vec<_>>()
        .join("\n");
    let text = text.trim();
    if text.is_empty() {
        return Err(CompactError::EmptySummary { model: name });
    }
    Ok((text.to_owned(), message.usage.clone()))
}
