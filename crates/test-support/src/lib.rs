//! Test helpers shared by ferrule's integration tests.
