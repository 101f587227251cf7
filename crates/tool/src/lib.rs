//! The Tool trait, its context, outputs and errors, and the tool registry.
