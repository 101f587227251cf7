//! Counting the tokens of messages, content blocks and tool schemas, with a
//! cache so that a long conversation is not re-tokenized every turn.
//!
//! What a block costs:
//! - text and thinking: the tokens of the text;
//! - a tool call: its name plus its input as compact JSON;
//! - a tool result: the tokens of its text, plus [`IMAGE_TOKENS`] per image;
//! - an image: [`IMAGE_TOKENS`] (providers charge by pixel count, which a
//!   block does not say; this is the cost of a typical screenshot);
//! - redacted thinking: one token per four bytes of its opaque data.
//!
//! Each message adds [`MESSAGE_OVERHEAD`] tokens (role and separators), each
//! tool schema [`TOOL_OVERHEAD`].

use std::collections::HashMap;

use ferrule_model::ToolSpec;
use ferrule_protocol::{
    ContentBlock, Message, MessageContent, ToolResultContent, ToolResultContentBlock,
};

use crate::encoding::{Encoding, ModelEncoding};

/// Tokens counted for one image.
pub const IMAGE_TOKENS: usize = 1_600;
/// Tokens counted per message for its role and framing.
pub const MESSAGE_OVERHEAD: usize = 4;
/// Tokens counted per tool schema for its framing.
pub const TOOL_OVERHEAD: usize = 8;
/// Entries the message cache holds before it is cleared.
const CACHE_LIMIT: usize = 100_000;

/// Counts tokens for one model, caching the count of every message seen.
///
/// The cache is keyed by a BLAKE3 hash of the message's JSON, so an
/// unchanged message costs a hash of its bytes instead of a tokenization,
/// and a changed one (for example a tool result replaced by a stub) is
/// counted again.
#[derive(Debug, Clone)]
pub struct TokenCounter {
    encoding: ModelEncoding,
    cache: HashMap<[u8; 32], usize>,
    hits: u64,
    misses: u64,
}

impl TokenCounter {
    /// A counter with the tokenizer of `model` (see [`ModelEncoding::for_model`]).
    pub fn for_model(model: &str) -> Self {
        Self::new(ModelEncoding::for_model(model))
    }

    /// A counter using `encoding`.
    pub fn new(encoding: ModelEncoding) -> Self {
        Self {
            encoding,
            cache: HashMap::new(),
            hits: 0,
            misses: 0,
        }
    }

    /// The tokenizer in use and whether it is exact for the model.
    pub fn encoding(&self) -> ModelEncoding {
        self.encoding
    }

    /// Tokens of plain text.
    pub fn count_text(&self, text: &str) -> usize {
        self.encoding.encoding.count(text)
    }

    /// Tokens of one content block (not cached).
    pub fn count_block(&self, block: &ContentBlock) -> usize {
        count_block(self.encoding.encoding, block)
    }

    /// Tokens of one message, overhead included; cached by content hash.
    pub fn count_message(&mut self, message: &Message) -> usize {
        let key = message_hash(message);
        if let Some(&count) = self.cache.get(&key) {
            self.hits += 1;
            return count;
        }
        self.misses += 1;
        let count = count_message(self.encoding.encoding, message);
        if self.cache.len() >= CACHE_LIMIT {
            self.cache.clear();
        }
        self.cache.insert(key, count);
        count
    }

    /// Tokens of all `messages`.
    pub fn count_messages(&mut self, messages: &[Message]) -> usize {
        messages.iter().map(|m| self.count_message(m)).sum()
    }

    /// Tokens of one tool schema as the model receives it.
    pub fn count_tool(&self, tool: &ToolSpec) -> usize {
        let schema = serde_json::to_string(&tool.input_schema).unwrap_or_default();
        TOOL_OVERHEAD
            + self.count_text(&tool.name)
            + self.count_text(&tool.description)
            + self.count_text(&schema)
    }

    /// Tokens of all tool schemas.
    pub fn count_tools(&self, tools: &[ToolSpec]) -> usize {
        tools.iter().map(|t| self.count_tool(t)).sum()
    }

    /// Cache hits and misses since the counter was made.
    pub fn cache_stats(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }
}

/// The cache key of a message: BLAKE3 of its JSON.
pub(crate) fn message_hash(message: &Message) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    // Writing into the hasher cannot fail; a message always serializes.
    let _ = serde_json::to_writer(HashWriter(&mut hasher), message);
    *hasher.finalize().as_bytes()
}

struct HashWriter<'a>(&'a mut blake3::Hasher);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn count_message(encoding: Encoding, message: &Message) -> usize {
    MESSAGE_OVERHEAD
        + match &message.content {
            MessageContent::Text(text) => encoding.count(text),
            MessageContent::Blocks(blocks) => blocks.iter().map(|b| count_block(encoding, b)).sum(),
        }
}

fn count_block(encoding: Encoding, block: &ContentBlock) -> usize {
    match block {
        ContentBlock::Text(text) => encoding.count(&text.text),
        ContentBlock::Thinking(thinking) => encoding.count(&thinking.thinking),
        ContentBlock::RedactedThinking(redacted) => redacted.data.len().div_ceil(4),
        ContentBlock::Image(_) => IMAGE_TOKENS,
        ContentBlock::ToolUse(call) => {
            let input = serde_json::to_string(&call.input).unwrap_or_default();
            encoding.count(&call.name) + encoding.count(&input)
        }
        ContentBlock::ToolResult(result) => match &result.content {
            None => 0,
            Some(content) => count_result(encoding, content),
        },
        // ContentBlock is non-exhaustive: a future kind counts as its JSON.
        other => encoding.count(&serde_json::to_string(other).unwrap_or_default()),
    }
}

/// Tokens of a tool result's content.
pub(crate) fn count_result(encoding: Encoding, content: &ToolResultContent) -> usize {
    match content {
        ToolResultContent::Text(text) => encoding.count(text),
        ToolResultContent::Blocks(blocks) => blocks
            .iter()
            .map(|block| match block {
                ToolResultContentBlock::Text(text) => encoding.count(&text.text),
                ToolResultContentBlock::Image(_) => IMAGE_TOKENS,
                other => encoding.count(&serde_json::to_string(other).unwrap_or_default()),
            })
            .sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_protocol::{ImageBlock, ToolResultBlock, ToolUseBlock};
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn message_counts_add_blocks_and_overhead() {
        let mut counter = TokenCounter::for_model("openai/gpt-4o");
        assert_eq!(
            counter.count_message(&Message::user("hello world")),
            2 + MESSAGE_OVERHEAD
        );
        let call = ContentBlock::ToolUse(ToolUseBlock {
            id: "call_1".into(),
            name: "Read".into(),
            input: json!({"file_path": "src/a.rs"}),
        });
        let expected =
            counter.count_text("Read") + counter.count_text(r#"{"file_path":"src/a.rs"}"#);
        assert_eq!(counter.count_block(&call), expected);
        let result = Message::user(vec![
            ContentBlock::ToolResult(ToolResultBlock::text("call_1", "hello world")),
            ContentBlock::Image(ImageBlock::base64("image/png", "AAAA")),
        ]);
        assert_eq!(
            counter.count_message(&result),
            MESSAGE_OVERHEAD + 2 + IMAGE_TOKENS
        );
    }

    #[test]
    fn repeated_messages_hit_the_cache_and_changed_ones_miss() {
        let mut counter = TokenCounter::for_model("gpt-4.1");
        let a = Message::user("the same text");
        counter.count_message(&a);
        counter.count_message(&a.clone());
        assert_eq!(counter.cache_stats(), (1, 1));
        counter.count_message(&Message::user("different text"));
        assert_eq!(counter.cache_stats(), (1, 2));
    }

    #[test]
    fn tool_schema_counts_name_description_and_schema() {
        let counter = TokenCounter::for_model("gpt-4.1");
        let tool = ToolSpec {
            name: "Read".into(),
            description: "Reads a file.".into(),
            input_schema: json!({"type": "object"}),
        };
        let expected = TOOL_OVERHEAD
            + counter.count_text("Read")
            + counter.count_text("Reads a file.")
            + counter.count_text(r#"{"type":"object"}"#);
        assert_eq!(counter.count_tools(&[tool]), expected);
    }
}
