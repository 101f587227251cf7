//! One search thread: a reused matcher and searcher, and a sink that
//! appends what it finds to the thread's own buffers.
//!
//! Nothing is allocated per line: line texts go into one growing byte
//! arena and each line is a small fixed-size record pointing into it.
//! Strings are only made for the entries a caller actually receives (see
//! `output.rs`).

use std::io::{self, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};

use grep_matcher::Matcher;
use grep_regex::RegexMatcher;
use grep_searcher::{Searcher, Sink, SinkContext, SinkMatch};

use crate::limits::Control;
use crate::matcher::{Origin, build_searcher};
use crate::output::SearchStats;
use crate::query::{GrepQuery, OutputMode};

/// What a line record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    /// A matching line (or, with `-o`, one matched part).
    Match,
    /// A context line.
    Context,
    /// A gap between two context groups of one file (`--`).
    Break,
}

/// One output line of a file, its text stored in [`Hits::text`].
#[derive(Debug, Clone)]
pub(crate) struct LineRec {
    pub(crate) number: u64,
    pub(crate) kind: LineKind,
    pub(crate) text: Range<usize>,
}

/// The note rg prints when a match was found in a file with binary data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinaryNote {
    /// An explicitly named file matched and has binary data.
    Matches(u64),
    /// A walked file matched before its binary data was found, so the
    /// search of it stopped there.
    Stopped(u64),
}

/// What one file produced.
#[derive(Debug, Clone)]
pub(crate) struct FileHits {
    /// The path as shown in results.
    pub(crate) path: PathBuf,
    /// Its records in [`Hits::lines`] (content mode).
    pub(crate) lines: Range<usize>,
    /// Matching lines, or matches with `-o`; 1 in files mode.
    pub(crate) count: u64,
    pub(crate) note: Option<BinaryNote>,
}

/// Everything one thread found.
#[derive(Debug, Default)]
pub(crate) struct Hits {
    pub(crate) files: Vec<FileHits>,
    pub(crate) lines: Vec<LineRec>,
    pub(crate) text: Vec<u8>,
}

/// A search thread's reusable state.
pub(crate) struct Worker<'a> {
    matcher: RegexMatcher,
    walked: Searcher,
    /// For in-memory bytes known to hold no NUL: binary detection could
    /// never fire, so skip its scan of each file's first 64 KiB.
    clean: Searcher,
    explicit: Option<Searcher>,
    /// What the thread found so far.
    pub(crate) out: Collector<'a>,
}

/// The part of a worker the sink writes to.
pub(crate) struct Collector<'a> {
    query: &'a GrepQuery,
    control: &'a Control,
    pub(crate) hits: Hits,
    pub(crate) stats: SearchStats,
    /// Scratch space for `-o` matches, reused across lines.
    parts: Vec<Range<usize>>,
}

impl<'a> Worker<'a> {
    pub(crate) fn new(query: &'a GrepQuery, matcher: &RegexMatcher, control: &'a Control) -> Self {
        Self {
            matcher: matcher.clone(),
            walked: build_searcher(query, Origin::Walked),
            clean: {
                let mut searcher = build_searcher(query, Origin::Walked);
                searcher.set_binary_detection(grep_searcher::BinaryDetection::none());
                searcher
            },
            explicit: None,
            out: Collector {
                query,
                control,
                hits: Hits::default(),
                stats: SearchStats::default(),
                parts: Vec::new(),
            },
        }
    }

    /// Searches a file found by a walk, streaming it from disk.
    pub(crate) fn search_walked_file(&mut self, display: &Path, path: &Path) {
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(err) => return self.out.skip(path, &err),
        };
        let reader = StopReader {
            inner: file,
            control: self.out.control,
        };
        let mut sink = FileSink::start(&mut self.out, &self.matcher, display, Origin::Walked);
        let result = self.walked.search_reader(&self.matcher, reader, &mut sink);
        sink.finish();
        self.out.done(path, result);
    }

    /// Searches the bytes of a file found by a walk, already in memory
    /// (`cached` says whether they came from the cache, for the stats).
    pub(crate) fn search_walked_bytes(
        &mut self,
        display: &Path,
        bytes: &[u8],
        has_nul: bool,
        cached: bool,
    ) {
        if cached {
            self.out.stats.files_from_cache += 1;
        }
        let mut sink = FileSink::start(&mut self.out, &self.matcher, display, Origin::Walked);
        let result = if has_nul {
            // A slice search looks for binary data only in its first 64 KiB
            // while rg's streaming search looks at every buffer; search
            // such files as a stream so the outcome is rg's.
            self.walked.search_reader(&self.matcher, bytes, &mut sink)
        } else {
            self.clean.search_slice(&self.matcher, bytes, &mut sink)
        };
        sink.finish();
        self.out.done(display, result);
    }

    /// Searches the explicitly named root file (memory-mapped, binary data
    /// converted rather than skipped).
    pub(crate) fn search_explicit(&mut self, display: &Path, path: &Path) {
        let query = self.out.query;
        let searcher = self
            .explicit
            .get_or_insert_with(|| build_searcher(query, Origin::Explicit));
        let mut sink = FileSink::start(&mut self.out, &self.matcher, display, Origin::Explicit);
        let result = searcher.search_path(&self.matcher, path, &mut sink);
        sink.finish();
        self.out.done(path, result);
    }
}

impl Collector<'_> {
    fn done(&mut self, path: &Path, result: io::Result<()>) {
        self.stats.files_searched += 1;
        if let Err(err) = result {
            self.skip(path, &err);
        }
    }

    /// Counts a file that could not be searched.
    pub(crate) fn skip(&mut self, path: &Path, err: &io::Error) {
        tracing::debug!(path = %path.display(), error = %err, "search: skipping file");
        self.stats.files_skipped += 1;
    }
}

/// Ends a streamed read early when the search must stop (deadline,
/// cancellation, budget), so one huge file cannot hold a search up.
struct StopReader<'a, R> {
    inner: R,
    control: &'a Control,
}

impl<R: Read> Read for StopReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.control.should_stop() {
            return Ok(0);
        }
        self.inner.read(buf)
    }
}

/// Collects one file's results into the worker's buffers.
struct FileSink<'w, 'a> {
    worker: &'w mut Collector<'a>,
    matcher: &'w RegexMatcher,
    display: PathBuf,
    origin: Origin,
    first_line: usize,
    first_text: usize,
    count: u64,
    matches_seen: u64,
    binary_offset: Option<u64>,
}

/// How often (in matches) a sink checks the clock.
const CHECK_EVERY: u64 = 256;

impl<'w, 'a> FileSink<'w, 'a> {
    fn start(
        worker: &'w mut Collector<'a>,
        matcher: &'w RegexMatcher,
        display: &Path,
        origin: Origin,
    ) -> Self {
        let first_line = worker.hits.lines.len();
        let first_text = worker.hits.text.len();
        Self {
            worker,
            matcher,
            display: display.to_path_buf(),
            origin,
            first_line,
            first_text,
            count: 0,
            matches_seen: 0,
            binary_offset: None,
        }
    }

    fn push_line(&mut self, number: u64, kind: LineKind, bytes: &[u8]) {
        let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        let text = &mut self.worker.hits.text;
        let start = text.len();
        text.extend_from_slice(bytes);
        self.worker.hits.lines.push(LineRec {
            number,
            kind,
            text: start..text.len(),
        });
    }

    /// Records the parts of `mat` the pattern matched, one record per line
    /// of each part (rg `-o`), with rg's rules for empty matches: printed
    /// on single lines (except one at the very end), skipped in multiline.
    fn push_only_matching(&mut self, mat: &SinkMatch<'_>) {
        let buffer = mat.buffer();
        let range = mat.bytes_range_in_buffer();
        let first_line = mat.line_number().unwrap_or(0);
        let multiline = self.worker.query.multiline;
        let mut matches = std::mem::take(&mut self.worker.parts);
        matches.clear();
        find_in_context(self.matcher, multiline, buffer, range.clone(), |m| {
            matches.push((m.start() - range.start)..(m.end() - range.start));
        });
        if matches
            .last()
            .is_some_and(|m| m.is_empty() && m.start >= range.len())
        {
            matches.pop();
        }
        let bytes = mat.bytes();
        if !multiline {
            for m in &matches {
                self.push_line(first_line, LineKind::Match, &bytes[m.clone()]);
            }
        } else {
            // Walk the lines of the match and print the piece of each match
            // that lies on each line (rg's `sink_slow_multi_line_only_matching`).
            let mut midx = 0;
            let mut number = first_line;
            let mut line_start = 0;
            while line_start < bytes.len() {
                let line_end = memchr::memchr(b'\n', &bytes[line_start..])
                    .map_or(bytes.len(), |i| line_start + i + 1);
                let mut line = line_start..line_end;
                if bytes[..line.end].ends_with(b"\n") {
                    line.end -= 1;
                }
                while !line.is_empty() && midx < matches.len() {
                    let m = matches[midx].clone();
                    if m.end <= line.start {
                        midx += 1;
                        continue;
                    }
                    if line.start < m.start {
                        line.start = line.end.min(m.start);
                    } else {
                        let upto = line.end.min(m.end);
                        self.push_line(number, LineKind::Match, &bytes[line.start..upto]);
                        line.start = upto;
                    }
                }
                number += 1;
                line_start = line_end;
            }
        }
        self.worker.parts = matches;
    }

    /// Counts every match inside `mat`, empty ones included (rg's summary
    /// printer).
    fn count_matches(&self, mat: &SinkMatch<'_>) -> u64 {
        let mut found = 0;
        find_in_context(
            self.matcher,
            self.worker.query.multiline,
            mat.buffer(),
            mat.bytes_range_in_buffer(),
            |_| found += 1,
        );
        found
    }

    /// Decides whether the file's results are kept, as rg's printers do.
    fn finish(self) {
        let content = matches!(self.worker.query.output_mode, OutputMode::Content);
        let hits = &mut self.worker.hits;
        let lines = self.first_line..hits.lines.len();
        let note = match (self.binary_offset, self.origin) {
            (Some(offset), Origin::Explicit) if content && self.matches_seen > 0 => {
                Some(BinaryNote::Matches(offset))
            }
            (Some(offset), Origin::Walked) if content && self.matches_seen > 0 => {
                Some(BinaryNote::Stopped(offset))
            }
            _ => None,
        };
        // A walked file whose binary data was found is not reported by the
        // summary modes at all (rg squashes its count).
        let squashed = !content && self.origin == Origin::Walked && self.binary_offset.is_some();
        let keep = !squashed && (self.count > 0 || note.is_some() || !lines.is_empty());
        if keep {
            hits.files.push(FileHits {
                path: self.display,
                lines,
                count: self.count,
                note,
            });
        } else {
            hits.lines.truncate(self.first_line);
            hits.text.truncate(self.first_text);
        }
    }

    fn budget_and_clock(&mut self, results: u64) -> bool {
        let control = self.worker.control;
        if control.has_budget() && !control.add_results(results as usize) {
            return false;
        }
        if self.matches_seen.is_multiple_of(CHECK_EVERY) && control.should_stop() {
            return false;
        }
        true
    }
}

/// Finds the matches that start inside `range` of `buffer`, as rg's
/// printers do (`grep-printer`'s `find_iter_at_in_context`): a single line
/// is searched without its terminator, so look-around cannot see it; a
/// multiline match may look one byte past the range.
fn find_in_context(
    matcher: &RegexMatcher,
    multiline: bool,
    buffer: &[u8],
    range: Range<usize>,
    mut found: impl FnMut(grep_matcher::Match),
) {
    const MAX_LOOK_AHEAD: usize = 1;
    let haystack = if multiline {
        &buffer[..buffer.len().min(range.end + MAX_LOOK_AHEAD)]
    } else {
        let line = &buffer[..range.end];
        line.strip_suffix(b"\n").unwrap_or(line)
    };
    let _ = matcher.find_iter_at(haystack, range.start, |m| {
        if m.start() >= range.end {
            return false;
        }
        found(m);
        true
    });
}

impl Sink for FileSink<'_, '_> {
    type Error = io::Error;

    fn matched(&mut self, _searcher: &Searcher, mat: &SinkMatch<'_>) -> Result<bool, io::Error> {
        self.matches_seen += 1;
        match self.worker.query.output_mode {
            OutputMode::FilesWithMatches => {
                self.count = 1;
                let _ = self.budget_and_clock(1);
                Ok(false)
            }
            OutputMode::Count => {
                // rg's summary printer counts matches, not lines, when
                // asked for matches (`-o`) or when one match may span
                // several lines (multiline); empty matches count too.
                let query = self.worker.query;
                let n = if query.only_matching || query.multiline {
                    self.count_matches(mat)
                } else {
                    1
                };
                self.count += n;
                let first = u64::from(self.matches_seen == 1);
                Ok(self.budget_and_clock(first))
            }
            OutputMode::Content => {
                if self.origin == Origin::Explicit && self.binary_offset.is_some() {
                    // rg stops at the first match after binary data and
                    // prints a note instead of the line.
                    return Ok(false);
                }
                let before = self.worker.hits.lines.len();
                if self.worker.query.only_matching {
                    self.push_only_matching(mat);
                } else {
                    let first = mat.line_number().unwrap_or(0);
                    for (i, line) in mat.lines().enumerate() {
                        self.push_line(first + i as u64, LineKind::Match, line);
                    }
                }
                let added = (self.worker.hits.lines.len() - before) as u64;
                self.count += added;
                Ok(self.budget_and_clock(added))
            }
        }
    }

    fn context(&mut self, _searcher: &Searcher, ctx: &SinkContext<'_>) -> Result<bool, io::Error> {
        self.push_line(
            ctx.line_number().unwrap_or(0),
            LineKind::Context,
            ctx.bytes(),
        );
        Ok(true)
    }

    fn context_break(&mut self, _searcher: &Searcher) -> Result<bool, io::Error> {
        self.worker.hits.lines.push(LineRec {
            number: 0,
            kind: LineKind::Break,
            text: 0..0,
        });
        Ok(true)
    }

    fn binary_data(&mut self, _searcher: &Searcher, offset: u64) -> Result<bool, io::Error> {
        self.binary_offset = Some(offset);
        Ok(true)
    }
}
