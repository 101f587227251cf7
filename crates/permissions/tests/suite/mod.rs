//! Test modules.

mod cases;
mod classifiable;
mod properties;
