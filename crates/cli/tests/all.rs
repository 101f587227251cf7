//! Integration tests of the `ferrule` binary: one module per subcommand under `suite/`.
