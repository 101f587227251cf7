//! Integration tests of ferrule-search: one module per concern under `suite/`.
