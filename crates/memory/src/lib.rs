//! AGENTS.md memory, rules, skills, custom commands and subagent definitions.
