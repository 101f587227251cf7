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
//! # Output
//! `results` is rg's text for the same query run from inside the root
//! (`rg --sort path`): `path:line:text` for matches, `path-line-text` for
//! context, `--` between groups that are not adjacent (also between files
//! when context is on), `path` in files mode, `path:N` in count mode. Paths
//! are relative to a directory root; a file root is shown as given and,
//! as with rg searching one named file, content and count lines then carry
//! no path. The same entries come as data ([`GrepEntry`]); `offset` and
//! `head_limit` cut the entry list (one entry per output line) in every
//! mode. Results are sorted by path, component by component.
//!
//! # Where the output differs from rg's on purpose
//! - No trailing newline, and invalid UTF-8 in paths and lines is shown as
//!   U+FFFD (rg prints the raw bytes); matching itself runs on the bytes.
//! - rg's options beyond the Grep tool's (`--hidden`, `--no-ignore`,
//!   `--follow`, encodings, replacements, ...) are not offered: the walk
//!   always uses rg's defaults.
//! - When a limit stops a search early ([`SearchLimits`]), the results are
//!   those found so far (still sorted) and `partial` says why.
//!
//! # The warm cache
//! [`SearchEngine`] remembers each walk (root, globs, type) with the stamps
//! of every directory and ignore file it depended on, and the contents of
//! files up to a memory budget, each with its stamp (size, modification
//! and change time, inode, device). Every call stats every remembered
//! directory, and each file it searches unless inotify vouches for it
//! ([`EngineConfig::watch_changes`]: every directory of the walk watched
//! before the stat that matched, no event since, a single hard link); a
//! difference means the file is read again or the walk redone, so a
//! change is never missed. Entries changed
//! within [`EngineConfig::racy_window`] of being read are never trusted
//! (two writes in one clock tick leave the same stamp). Trees larger than
//! the budget are searched partly from memory and partly from disk.
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
mod path_hash;
mod path_order;
mod pool;
mod query;
mod search;
mod snapshot;
mod stamp;
mod vouch;
mod walk;
mod worker;

pub use engine::{EngineConfig, SearchEngine};
pub use error::SearchError;
pub use limits::{CancelFlag, PartialReason, SearchLimits};
pub use output::{GrepEntry, GrepLine, GrepOutput, SearchStats};
pub use query::{CaseMode, GrepQuery, OutputMode};
pub use search::grep;
pub use walk::{WalkEntry, WalkFilter, WalkOutput, walk_files};
