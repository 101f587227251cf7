//! Built-in tools: Read, Write, Edit, MultiEdit, Glob, Grep, LS, NotebookEdit, TodoWrite.
