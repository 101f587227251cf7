//! The built-in tools: `Read`, `Write`, `Edit`, `Glob`, `Grep`, `Bash` (with
//! `TaskOutput` and `TaskStop` for background shells), `WebFetch`,
//! `NotebookEdit`, `TodoWrite`, and the ferrule extensions `MultiEdit` and
//! `LS` (`cli-core.md` §2, A-13).
//!
//! Tool names and input field names are exactly the reference's: the model
//! sees these schemas. Every tool implements [`ferrule_tool::TypedTool`];
//! [`builtin_tools`] returns the set a session registers.
//!
//! Decisions where the reference leaves room:
//! - `LS` and `MultiEdit` are shipped but stay out of the default set (the
//!   Foundation issue overrides A-13 here); [`Extensions::Include`] adds them.
//! - Edit advertises `replace_all` and accepts `allow_multiple` (A-14); an
//!   `old_string` written with `\n` matches a CRLF file.
//! - Write and Edit keep UTF-8, UTF-8 with BOM and UTF-16 (LE/BE with BOM)
//!   and the file's line endings. A file in another encoding is shown by Read
//!   with U+FFFD for bad bytes, refused by Edit, and replaced as UTF-8 by
//!   Write (which says so).
//! - Read returns at most 256 KiB without `offset`/`limit` and never loads
//!   more than 32 MiB. A PDF comes back as the text of its pages (its text
//!   layer, via `pdf-extract`): all of them up to 10 pages, else the
//!   `pages` asked for (`"3"`, `"1-5"`, `"1-3,7"`), at most 20 per call.
//! - Reading the same part (line window, pages) of a file the session was
//!   already shown, unchanged since, returns `{type: "file_unchanged"}`
//!   instead of the content; an agent that drops old tool results
//!   (compaction) calls [`forget_reads`] so the next Read shows it again.
//! - Write, Edit, MultiEdit and NotebookEdit replace a file atomically
//!   (temp file in the same directory, then a rename), keeping its
//!   permissions, its owner where allowed, and a symbolic link in the path.
//! - NotebookEdit finds a cell by its `id`, else by a 0-based number (`3`,
//!   `cell-3`).
//! - LS lists one level, not a tree, at most 1000 entries.
//! - Glob and Grep show absolute paths and share one warm
//!   `ferrule_search::SearchEngine`.
//!
//! - Bash runs `$SHELL -c` (bash, zsh or sh; else `bash`) in a new process
//!   group per call; only the working directory carries over (tracked by an
//!   `EXIT` trap, reset when it leaves the allowed directories). Timeout
//!   120 s by default, clamped to 600 s; timeout and cancellation kill the
//!   whole group (SIGTERM, SIGKILL 2 s later). The model reads at most 30000
//!   characters of output (half per stream when both have some), the
//!   middle cut with a marker; the structured result keeps 30000 of each. Exit code 1 of grep/rg/diff/cmp/test is
//!   reported as "no match", not as a failure.
//! - Background shells live in a [`BackgroundTasks`] registry per session;
//!   `TaskOutput` returns everything kept so far (newest 1 MiB per stream),
//!   not only what is new; dropping the registry kills every task.
//! - WebFetch upgrades `http://` to `https://` except on loopback hosts,
//!   follows redirects only on the same host, reads at most 10 MiB, converts
//!   HTML with `htmd`, caches pages for 15 minutes. Without a
//!   [`PageSummarizer`] the page itself (first 30000 characters) is the
//!   result.
//! - `Skill` ([`SkillTool`]) is not in [`builtin_tools`]: a host adds it
//!   over its session's skills (it needs the memory workspace).
//! - `Config` ([`ConfigTool`]) is not in [`builtin_tools`] either: a host
//!   adds it with the settings layers of its session (it needs their
//!   paths). It reads merged or per-file settings and writes one key of
//!   the user, project or local file, refusing values that would break it.
//! - WebSearch is not shipped: the reference documents its input and output
//!   but no search backend to call.
//!
//! ```
//! use ferrule_tool::{ToolContext, ToolRegistry};
//! use ferrule_tools::{BuiltinOptions, builtin_tools};
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let mut registry = ToolRegistry::new();
//! for tool in builtin_tools(&BuiltinOptions::default()) {
//!     registry.register_arc(tool)?;
//! }
//! let ctx = ToolContext::builder(dir.path()).build()?;
//! registry
//!     .call("Write", json!({"file_path": "notes.txt", "content": "hello\n"}), &ctx)
//!     .await?;
//! let out = registry.call("Read", json!({"file_path": "notes.txt"}), &ctx).await?;
//! assert_eq!(out.text_content(), "     1\thello\n");
//! # Ok(())
//! # }
//! ```

mod bash;
mod builtin;
mod config;
mod diff;
mod edit;
mod file_io;
mod glob;
mod grep;
mod ls;
mod multi_edit;
mod notebook;
mod notebook_edit;
mod read;
mod read_pdf;
mod read_unchanged;
mod replace;
mod skill;
mod task_output;
mod task_stop;
mod text;
mod todo_write;
mod web_fetch;
mod write;

pub use bash::{
    BackgroundTasks, BashInput, BashTool, DEFAULT_BASH_TIMEOUT_MS, MAX_BASH_TIMEOUT_MS,
    MAX_OUTPUT_CHARS, StopError, TASK_BUFFER_BYTES, TaskExit, TaskSnapshot, TaskStatus,
};
pub use builtin::{BuiltinOptions, Extensions, builtin_tools};
pub use config::{ConfigAction, ConfigInput, ConfigScope, ConfigTool};
pub use diff::unified_diff;
pub use edit::{EditInput, EditTool};
pub use file_io::MAX_FILE_BYTES;
pub use glob::{GLOB_LIMIT, GlobInput, GlobTool};
pub use grep::{DEFAULT_HEAD_LIMIT, GrepInput, GrepOutputMode, GrepTool};
pub use ls::{LsInput, LsTool, MAX_LS_ENTRIES};
pub use multi_edit::{MultiEditInput, MultiEditItem, MultiEditTool};
pub use notebook::{CellKind, Notebook, NotebookCell};
pub use notebook_edit::{NotebookCellType, NotebookEditInput, NotebookEditMode, NotebookEditTool};
pub use read::{
    DEFAULT_READ_LIMIT, MAX_IMAGE_BYTES, MAX_LINE_CHARS, MAX_WHOLE_READ_BYTES, ReadInput, ReadTool,
};
pub use read_pdf::{MAX_PDF_PAGES_PER_READ, PDF_PAGES_WITHOUT_RANGE};
pub use read_unchanged::forget_reads;
pub use replace::{ReplaceError, ReplaceMode, Replaced, replace};
pub use skill::{SkillSource, SkillTool};
pub use task_output::{DEFAULT_TASK_OUTPUT_WAIT_MS, TaskOutputInput, TaskOutputTool};
pub use task_stop::{TaskStopInput, TaskStopTool};
pub use text::{
    DecodeError, DecodedText, LineEnding, TextEncoding, decode, detect_line_ending, encode,
    lf_to_crlf, with_line_ending,
};
pub use todo_write::{
    TodoInputItem, TodoItem, TodoList, TodoPriority, TodoStatus, TodoWriteInput, TodoWriteTool,
};
pub use web_fetch::{
    CACHE_TTL, PageContent, PageRequest, PageSummarizer, SummarizeError, WebFetchInput,
    WebFetchLimits, WebFetchTool, page_content,
};
pub use write::{WriteInput, WriteTool};
