//! The warm engine never misses a change.
