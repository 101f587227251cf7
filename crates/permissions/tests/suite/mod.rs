//! Test modules.

mod cases;
mod properties;
