//! Integration tests of ferrule-config on fixture trees in temp dirs.

mod suite;
