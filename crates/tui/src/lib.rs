//! The interactive terminal interface of ferrule: a full-screen ratatui
//! application over the agent loop.
//!
//! The crate is split so that everything on screen is testable without a
//! terminal:
//!
//! - [`state`] holds what the screen shows: the conversation as cells built
//!   from `AgentEvent`s ([`state::Transcript`]), the input box with history
//!   ([`state::Composer`]), `/` and `@file` completion, the open permission
//!   or question prompt, the permission mode, token totals.
//! - [`render`] draws an [`state::App`] into a ratatui frame as a pure
//!   function ([`render::draw`]): Markdown through pulldown-cmark, code
//!   blocks highlighted by syntect, tool calls as one line with their
//!   result folded (Ctrl-O unfolds), diffs of Edit/Write through `similar`,
//!   a status line with spinner, elapsed time and tokens, and a footer with
//!   the mode.

pub mod render;
pub mod state;
