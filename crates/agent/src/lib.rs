//! The agent loop: turns, the tool pipeline, subagents and the event stream.
