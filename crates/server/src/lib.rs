//! The Cloud Agents-compatible HTTP server.
