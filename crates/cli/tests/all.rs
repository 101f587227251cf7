//! Integration tests of the `ferrule` binary: one module per subcommand under `suite/`.

mod suite {
    mod config_fixture;
    mod config_import;
    mod config_show;
    mod hooks_test;
    mod memory_show;
    mod permissions_check;
    mod print;
}
