//! Plain wire data: messages, content blocks, tool calls and results, usage, agent events.
