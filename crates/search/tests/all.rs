//! Integration tests of ferrule-search: one module per concern under `suite/`.

mod suite {
    mod cache;
    mod equivalence;
    mod errors;
    pub(crate) mod fixture;
    mod glob_cache;
    mod glob_engine;
    mod glob_fd;
    pub(crate) mod glob_fixture;
    mod limits;
    mod vouch;
}
