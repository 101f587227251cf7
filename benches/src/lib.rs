//! Benchmarks of ferrule's hot paths, measured side by side with rg and fd.
