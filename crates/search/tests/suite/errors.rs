//! Bad input gives clear errors, never a panic.
