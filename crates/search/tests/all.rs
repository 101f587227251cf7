//! Integration tests of ferrule-search: one module per concern under `suite/`.

mod suite {
    mod glob_engine;
    mod glob_fd;
    pub(crate) mod glob_fixture;
}
