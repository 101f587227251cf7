//! One module per concept; `fixture` builds the trees.

mod commands;
mod fixture;
mod imports;
mod locations;
mod nested;
mod plugins;
mod rules;
mod skills;
mod subagents;
