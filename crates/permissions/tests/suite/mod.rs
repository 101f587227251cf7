//! Test modules.

mod cases;
mod classifiable;
mod properties;
mod with_rules;
