//! Runners for `prompt` and `agent` hooks (ferrule-hooks' [`PromptRunner`]
//! and [`AgentRunner`]), backed by a model and the agent loop.
//!
//! [`PromptRunner`]: ferrule_hooks::PromptRunner
//! [`AgentRunner`]: ferrule_hooks::AgentRunner
