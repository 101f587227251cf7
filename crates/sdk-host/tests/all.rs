//! Integration tests of ferrule-sdk-host: the protocol loop over in-memory
//! pipes, and the real Python SDK against the `ferrule` binary.

mod suite;
