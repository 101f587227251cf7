//! In-process Grep and Glob engines with ripgrep semantics.
//!
//! The Grep engine answers the Grep tool's queries (reference
//! `cli-core.md` §2.6) the way `rg` would, without starting a process:
//! the same walk rules (`.gitignore` inside git repositories, `.ignore`,
//! `.rgignore`, hidden files, no symlink following), the same binary-file
//! handling, the same matcher configuration and literal prefilters, and
//! the same output text, sorted by path.
//!
//! - [`grep`] runs one search, reading from disk.
//! - [`SearchEngine`] is the long-lived, shareable engine: it keeps the
//!   file list and file contents of recently searched trees in memory,
//!   revalidated on every call, so repeated searches skip the walk and
//!   the reads.
//! - [`walk_files`] lists the files a search would look at.
//!
//! ```
//! use ferrule_search::{GrepQuery, OutputMode, SearchLimits, grep};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("a.rs"), "fn main() {}\nfn helper() {}\n")?;
//! std::fs::write(dir.path().join("b.txt"), "nothing here\n")?;
//!
//! let query = GrepQuery::new(r"fn \w+", dir.path())
//!     .output_mode(OutputMode::Content)
//!     .line_numbers(true);
//! let out = grep(&query, &SearchLimits::none())?;
//! assert_eq!(out.results, "a.rs:1:fn main() {}\na.rs:2:fn helper() {}");
//! assert_eq!(out.matched_files, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod engine;
mod error;
pub mod glob;
mod limits;
mod matcher;
mod output;
mod parallel;
mod query;
mod search;
mod snapshot;
mod stamp;
mod walk;
mod worker;

pub use engine::{EngineConfig, SearchEngine};
pub use error::SearchError;
pub use limits::{CancelFlag, PartialReason, SearchLimits};
pub use output::{GrepEntry, GrepLine, GrepOutput, SearchStats};
pub use query::{CaseMode, GrepQuery, OutputMode};
pub use search::grep;
pub use walk::{WalkEntry, WalkFilter, WalkOutput, walk_files};
