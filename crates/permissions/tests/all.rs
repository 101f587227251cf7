//! Integration tests of ferrule-permissions: one binary, modules under `suite/`.

mod suite;
