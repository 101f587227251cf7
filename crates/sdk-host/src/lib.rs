//! The Qoder Agent SDK control protocol over stdin/stdout, and ACP.
