//! Integration tests of ferrule-agent, one binary (STYLE.md §6).

mod suite;
