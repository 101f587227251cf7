//! What a Grep search returns: rg-formatted text, the same entries as
//! structured data, counts, and whether anything was cut.
//!
//! # Paths
//! For a directory root, paths are relative to the root, exactly as rg
//! prints them when run from inside the root (`src/main.rs`, no `./`).
//! For a file root, the path is the root as given; like rg searching one
//! named file, content and count lines then carry no path prefix
//! (`12:text`, `3`), while files mode prints the path.

use std::path::PathBuf;

use crate::limits::PartialReason;
use crate::query::{GrepQuery, OutputMode};
use crate::worker::{BinaryNote, FileHits, Hits, LineKind};

/// One line of a file in content mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrepLine {
    /// The file (see the module docs for how paths are shown).
    pub path: PathBuf,
    /// 1-based line number.
    pub line_number: u64,
    /// The line without its `\n` (a `\r` of a CRLF file stays, as rg
    /// prints it); invalid UTF-8 is replaced by U+FFFD.
    pub text: String,
}

/// One output entry; `results` has one text line per entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GrepEntry {
    /// A matching line, or with `-o` one matched part (`path:12:text`).
    Match(GrepLine),
    /// A context line (`path-12-text`).
    Context(GrepLine),
    /// `--` between groups of lines that are not adjacent.
    Separator,
    /// A file with at least one match (files mode).
    File(PathBuf),
    /// A file and its number of matching lines (`path:N`, count mode).
    Count {
        /// The file.
        path: PathBuf,
        /// Matching lines, or matches when `-o` is set.
        count: u64,
    },
    /// rg's note about a match in a file with binary data.
    Binary {
        /// The file.
        path: PathBuf,
        /// Byte offset near the first NUL byte.
        offset: u64,
        /// True when the search of the file stopped at its binary data
        /// (a walked file that matched before it); false for an
        /// explicitly named file, searched with NULs read as line ends.
        stopped: bool,
    },
}

/// Counters of one search.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SearchStats {
    /// Files whose contents were searched.
    pub files_searched: u64,
    /// Of those, files searched from the in-memory cache.
    pub files_from_cache: u64,
    /// Of the cached ones, files inotify vouched for, searched without a
    /// stat ([`crate::EngineConfig::watch_changes`]).
    pub files_vouched: u64,
    /// Files skipped because they could not be opened or read (permission
    /// denied, vanished, ...).
    pub files_skipped: u64,
    /// Whether the list of files came from the cache (no directory walk).
    pub walk_reused: bool,
}

impl SearchStats {
    pub(crate) fn add(&mut self, other: &SearchStats) {
        self.files_searched += other.files_searched;
        self.files_from_cache += other.files_from_cache;
        self.files_vouched += other.files_vouched;
        self.files_skipped += other.files_skipped;
    }
}

/// The result of a Grep search.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GrepOutput {
    /// The entries after `offset` and `head_limit`, one per line, as rg
    /// prints them (joined with `\n`, no trailing newline).
    pub results: String,
    /// The same entries as data.
    pub entries: Vec<GrepEntry>,
    /// All entries before `offset` and `head_limit`.
    pub total_entries: usize,
    /// Matches found: matching lines (parts with `-o`) in content mode,
    /// the sum of counts in count mode, files in files mode.
    pub match_count: u64,
    /// Files with at least one match.
    pub matched_files: usize,
    /// Set when `head_limit` left entries out.
    pub truncated: bool,
    /// Set when a limit stopped the search before it looked at everything.
    pub partial: Option<PartialReason>,
    /// Counters.
    pub stats: SearchStats,
}

/// Whether result lines carry the file path (rg's `--with-filename`,
/// on unless one file is searched).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathPrefix {
    Shown,
    Hidden,
}

/// Merges the threads' hits in path order and renders the requested
/// window of entries.
pub(crate) fn assemble(
    query: &GrepQuery,
    all: &[Hits],
    prefix: PathPrefix,
    partial: Option<PartialReason>,
    stats: SearchStats,
) -> GrepOutput {
    let mut files: Vec<(&Hits, &FileHits)> = all
        .iter()
        .flat_map(|hits| hits.files.iter().map(move |file| (hits, file)))
        .collect();
    files.sort_unstable_by(|a, b| crate::path_order::cmp_paths(&a.1.path, &b.1.path));

    let window_start = query.offset;
    let window_end = query
        .head_limit
        .map_or(usize::MAX, |limit| query.offset.saturating_add(limit));
    let mut out = Renderer {
        prefix,
        line_numbers: query.line_numbers,
        index: 0,
        start: window_start,
        end: window_end,
        results: String::new(),
        entries: Vec::new(),
    };
    let context = query.before_context > 0 || query.after_context > 0;
    let mut match_count = 0;
    for (n, (hits, file)) in files.iter().enumerate() {
        match query.output_mode {
            OutputMode::FilesWithMatches => {
                match_count += 1;
                out.push(|| GrepEntry::File(file.path.clone()));
            }
            OutputMode::Count => {
                match_count += file.count;
                out.push(|| GrepEntry::Count {
                    path: file.path.clone(),
                    count: file.count,
                });
            }
            OutputMode::Content => {
                match_count += file.count;
                if context && n > 0 {
                    out.push(|| GrepEntry::Separator);
                }
                for rec in &hits.lines[file.lines.clone()] {
                    let line = || GrepLine {
                        path: file.path.clone(),
                        line_number: rec.number,
                        text: String::from_utf8_lossy(&hits.text[rec.text.clone()]).into_owned(),
                    };
                    match rec.kind {
                        LineKind::Match => out.push(|| GrepEntry::Match(line())),
                        LineKind::Context => out.push(|| GrepEntry::Context(line())),
                        LineKind::Break => out.push(|| GrepEntry::Separator),
                    }
                }
                if let Some(note) = file.note {
                    let (offset, stopped) = match note {
                        BinaryNote::Matches(offset) => (offset, false),
                        BinaryNote::Stopped(offset) => (offset, true),
                    };
                    out.push(|| GrepEntry::Binary {
                        path: file.path.clone(),
                        offset,
                        stopped,
                    });
                }
            }
        }
    }
    let total_entries = out.index;
    GrepOutput {
        results: out.results,
        entries: out.entries,
        total_entries,
        match_count,
        matched_files: files.len(),
        truncated: total_entries > window_end,
        partial,
        stats,
    }
}

/// Counts every entry and materialises only those inside the window.
struct Renderer {
    prefix: PathPrefix,
    line_numbers: bool,
    index: usize,
    start: usize,
    end: usize,
    results: String,
    entries: Vec<GrepEntry>,
}

impl Renderer {
    fn push(&mut self, make: impl FnOnce() -> GrepEntry) {
        let index = self.index;
        self.index += 1;
        if index < self.start || index >= self.end {
            return;
        }
        let entry = make();
        if !self.results.is_empty() || !self.entries.is_empty() {
            self.results.push('\n');
        }
        render(&mut self.results, &entry, self.prefix, self.line_numbers);
        self.entries.push(entry);
    }
}

/// Appends the rg text of one entry.
fn render(out: &mut String, entry: &GrepEntry, prefix: PathPrefix, line_numbers: bool) {
    use std::fmt::Write as _;
    let show_path = prefix == PathPrefix::Shown;
    match entry {
        GrepEntry::Match(line) | GrepEntry::Context(line) => {
            let sep = if matches!(entry, GrepEntry::Match(_)) {
                ':'
            } else {
                '-'
            };
            if show_path {
                let _ = write!(out, "{}{sep}", line.path.display());
            }
            if line_numbers {
                let _ = write!(out, "{}{sep}", line.line_number);
            }
            out.push_str(&line.text);
        }
        GrepEntry::Separator => out.push_str("--"),
        GrepEntry::File(path) => {
            let _ = write!(out, "{}", path.display());
        }
        GrepEntry::Count { path, count } => {
            if show_path {
                let _ = write!(out, "{}:", path.display());
            }
            let _ = write!(out, "{count}");
        }
        GrepEntry::Binary {
            path,
            offset,
            stopped,
        } => {
            if show_path {
                let _ = write!(out, "{}: ", path.display());
            }
            if *stopped {
                let _ = write!(
                    out,
                    "WARNING: stopped searching binary file after match (found \"\\0\" byte around offset {offset})"
                );
            } else {
                let _ = write!(
                    out,
                    "binary file matches (found \"\\0\" byte around offset {offset})"
                );
            }
        }
    }
}
