//! Integration tests of ferrule-memory over fixture trees in temp folders.

mod suite;
