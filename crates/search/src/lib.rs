//! In-process Grep and Glob engines with ripgrep semantics.

pub mod glob;
