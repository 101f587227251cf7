//! Integration tests of ferrule-checkpoint on real files in temp dirs.

mod suite;
