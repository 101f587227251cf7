//! ferrule-search side by side with rg and fd on the standard query set of
//! `shared/bench/README.md`, in one interleaved run.
//!
//! Run with `cargo xtask bench` (fetches the corpora, finds the anchors)
//! or `cargo bench -p ferrule-benches --bench search`. Environment:
//! `FERRULE_CORPUS` (corpus directory), `RG`, `FD` (anchor binaries),
//! `FERRULE_BENCH_QUICK=1` (fewer runs), `FERRULE_BENCH_WATCH=0` (warm
//! engines stat every file instead of trusting inotify), `FERRULE_BENCH_ONLY=substring`
//! (a subset; `name$` for one row), `FERRULE_BENCH_OUT=dir` (where `search.md` and
//! `search.tsv` go; default `$CARGO_TARGET_DIR/ferrule-bench`).
//! Under `cargo test` (no `--bench` argument) it does nothing.
//!
//! Each query is run two ways on the ferrule side:
//! - *fresh*: [`grep`] / [`glob`], which walk and read everything again,
//!   like one rg or fd process (rows without a suffix);
//! - *warm*: a long-lived [`SearchEngine`] that keeps the walk and file
//!   contents between calls, revalidated on every call (rows ending in
//!   `.warm`, and every small-corpus row: the small-corpus target is about
//!   a call inside a session).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, Result};
use ferrule_benches::anchor::{Anchors, Process};
use ferrule_benches::corpus::Corpus;
use ferrule_benches::measure::{Call, Case, Measured, Runs, measure};
use ferrule_benches::report;
use ferrule_search::glob::{GlobQuery, glob};
use ferrule_search::{
    CaseMode, EngineConfig, GrepEntry, GrepOutput, GrepQuery, OutputMode, SearchEngine,
    SearchError, SearchLimits, WalkFilter, grep, walk_files,
};

/// How the ferrule side runs a query.
#[derive(Clone, Copy)]
enum Mode<'e> {
    /// A fresh walk and fresh reads per call.
    Fresh,
    /// A call on a long-lived engine.
    Warm(&'e SearchEngine),
}

impl Mode<'_> {
    fn suffix(self) -> &'static str {
        match self {
            Mode::Fresh => "",
            Mode::Warm(_) => ".warm",
        }
    }

    fn grep(self, query: &GrepQuery) -> Result<GrepOutput, SearchError> {
        match self {
            Mode::Fresh => grep(query, &SearchLimits::none()),
            Mode::Warm(engine) => engine.grep(query, &SearchLimits::none()),
        }
    }
}

fn runs(quick: bool, full: (usize, usize), short: (usize, usize)) -> Runs {
    let (warmup, timed) = if quick { short } else { full };
    Runs { warmup, timed }
}

fn main() -> Result<()> {
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let quick = std::env::var_os("FERRULE_BENCH_QUICK").is_some_and(|v| v != "0");
    let only = std::env::var("FERRULE_BENCH_ONLY").unwrap_or_default();
    let corpus = Corpus::locate()?;
    let anchors = Anchors::locate();
    // The anchors' own run counts (shared/bench/anchors.sh), fewer in quick mode.
    let large_runs = runs(quick, (3, 10), (1, 3));
    let small_runs = runs(quick, (10, 50), (3, 10));
    let spawn_runs = runs(quick, (20, 300), (5, 30));
    // `FERRULE_BENCH_WATCH=0`: engines that stat every file on every call
    // (`EngineConfig::watch_changes(false)`), to compare with inotify's
    // vouching in the same conditions.
    let watch = std::env::var_os("FERRULE_BENCH_WATCH").is_none_or(|v| v != "0");
    let config = EngineConfig::default().watch_changes(watch);
    let large_engine = SearchEngine::new(config.clone());
    let small_engine = SearchEngine::new(config);

    let large_grep = grep_list(&corpus.large, "large");
    let small_grep = grep_list(&corpus.small, "small");
    let mut cases = Vec::new();
    for mode in [Mode::Fresh, Mode::Warm(&large_engine)] {
        cases.extend(grep_cases(
            &large_grep,
            &corpus.large,
            &anchors,
            large_runs,
            mode,
        ));
        cases.push(files_case(&corpus.large, &anchors, large_runs, mode));
        cases.extend(glob_cases(
            &corpus.large,
            &anchors,
            large_runs,
            "large",
            mode,
        ));
    }
    let warm_small = Mode::Warm(&small_engine);
    cases.extend(grep_cases(
        &small_grep,
        &corpus.small,
        &anchors,
        small_runs,
        warm_small,
    ));
    cases.extend(glob_cases(
        &corpus.small,
        &anchors,
        small_runs,
        "small",
        warm_small,
    ));
    cases.extend(anchor_only_cases(&corpus, &anchors, large_runs, spawn_runs));
    // `name$` selects one row exactly (`large.fd.all_files$` leaves out
    // its `.warm` twin).
    cases.retain(|c| match only.strip_suffix('$') {
        Some(exact) => c.name == exact,
        None => c.name.contains(&only),
    });

    let mut rows = Vec::new();
    for case in &mut cases {
        eprintln!(
            "bench: {} ({} timed runs, load {})",
            case.name,
            case.runs.timed,
            load_average()
        );
        let row = measure(case)?;
        eprintln!(
            "bench:   ferrule {} ms, anchor {:.1} ms",
            row.ferrule
                .map_or_else(|| "—".to_string(), |s| format!("{:.1}", s.median_ms)),
            row.anchor.median_ms
        );
        rows.push(row);
    }
    write_report(&rows, &corpus, &anchors, quick)
}

/// Renders paths relative to `root`, one per line, as fd prints them.
///
/// The paths are `root` joined with a relative path, so the root's bytes
/// and one separator are cut off by bytes: `Path::strip_prefix` parses
/// every component and showed in profiles of the fresh `fd.all_files` row
/// (78 k paths, on the calling thread after the parallel walk).
fn render(root: &Path, files: &[PathBuf]) -> Vec<u8> {
    let root = root.as_os_str().as_encoded_bytes();
    let mut out = Vec::with_capacity(files.len() * 48);
    for file in files {
        let bytes = file.as_os_str().as_encoded_bytes();
        let rel = match bytes.strip_prefix(root) {
            Some(rest) if root.is_empty() => rest,
            Some(rest) if root.ends_with(b"/") => rest,
            Some(rest) => rest.strip_prefix(b"/").unwrap_or(bytes),
            None => bytes,
        };
        out.extend_from_slice(rel);
        out.push(b'\n');
    }
    out
}

/// One Grep query: its name, the rg arguments and the same query for
/// ferrule.
struct GrepCase {
    name: &'static str,
    rg: Vec<&'static str>,
    query: GrepQuery,
    /// Sort the matching files newest first, as `rg --sortr=modified`.
    by_mtime: bool,
    target: f64,
}

fn grep_call<'a>(query: &'a GrepQuery, by_mtime: bool, mode: Mode<'a>) -> Call<'a> {
    Box::new(move || {
        let out = mode.grep(query)?;
        if !by_mtime {
            let mut text = out.results.into_bytes();
            text.push(b'\n');
            return Ok(text);
        }
        // Search in parallel, then sort the (few) matching files by
        // modification time: rg can only sort single-threaded.
        let mut files: Vec<(SystemTime, PathBuf)> = out
            .entries
            .into_iter()
            .filter_map(|e| match e {
                GrepEntry::File(path) => Some(path),
                _ => None,
            })
            .filter_map(|rel| {
                let modified = std::fs::metadata(query.root.join(&rel))
                    .and_then(|m| m.modified())
                    .ok()?;
                Some((modified, rel))
            })
            .collect();
        files.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let paths: Vec<PathBuf> = files.into_iter().map(|(_, p)| p).collect();
        Ok(render(Path::new(""), &paths))
    })
}

/// The standard Grep queries of one corpus.
fn grep_list(root: &Path, tree: &str) -> Vec<GrepCase> {
    let content = |pattern: &str| {
        GrepQuery::new(pattern, root)
            .output_mode(OutputMode::Content)
            .line_numbers(true)
    };
    let files =
        |pattern: &str| GrepQuery::new(pattern, root).output_mode(OutputMode::FilesWithMatches);
    let count = |pattern: &str| GrepQuery::new(pattern, root).output_mode(OutputMode::Count);
    let case = |name, rg: &[&'static str], query, by_mtime, target| GrepCase {
        name,
        rg: rg.to_vec(),
        query,
        by_mtime,
        target,
    };
    if tree == "large" {
        // Large corpus: ≤ 1.0× rg; sorted by mtime: ≥ 2× faster.
        let alternation = "ERR_SYS|PME_TURN_OFF|LINK_REQ_RST|CFG_BME_EVT";
        vec![
            case(
                "grep.literal_rare",
                &["-n", "PM_RESUME"],
                content("PM_RESUME"),
                false,
                1.0,
            ),
            case(
                "grep.literal_common",
                &["-n", "EXPORT_SYMBOL"],
                content("EXPORT_SYMBOL"),
                false,
                1.0,
            ),
            case(
                "grep.literal_very_common",
                &["-n", "return"],
                content("return"),
                false,
                1.0,
            ),
            case(
                "grep.alternation",
                &["-n", alternation],
                content(alternation),
                false,
                1.0,
            ),
            case(
                "grep.case_insensitive",
                &["-n", "-i", "PM_RESUME"],
                content("PM_RESUME").case(CaseMode::Insensitive),
                false,
                1.0,
            ),
            // GrepQuery has no -w; for a literal made of word characters
            // `\b…\b` selects the same lines.
            case(
                "grep.word",
                &["-n", "-w", "PM_RESUME"],
                content(r"\bPM_RESUME\b"),
                false,
                1.0,
            ),
            case(
                "grep.files_with_matches",
                &["-l", "EXPORT_SYMBOL"],
                files("EXPORT_SYMBOL"),
                false,
                1.0,
            ),
            case(
                "grep.count",
                &["-c", "EXPORT_SYMBOL"],
                count("EXPORT_SYMBOL"),
                false,
                1.0,
            ),
            case(
                "grep.glob_c",
                &["-n", "-g", "*.c", "PM_RESUME"],
                content("PM_RESUME").glob("*.c"),
                false,
                1.0,
            ),
            case(
                "grep.sorted_by_mtime",
                &["-l", "--sortr=modified", "PM_RESUME"],
                files("PM_RESUME"),
                true,
                0.5,
            ),
        ]
    } else {
        // Small corpus: a call in a session ≥ 3× faster than spawning rg.
        let third = 1.0 / 3.0;
        vec![
            case(
                "grep.literal_rare",
                &["-n", "fn check_pat"],
                content("fn check_pat"),
                false,
                third,
            ),
            case(
                "grep.literal_common",
                &["-n", "TyCtxt"],
                content("TyCtxt"),
                false,
                third,
            ),
            case(
                "grep.alternation",
                &["-n", "FIXME|TODO|XXX"],
                content("FIXME|TODO|XXX"),
                false,
                third,
            ),
            case(
                "grep.files_with_matches",
                &["-l", "TyCtxt"],
                files("TyCtxt"),
                false,
                third,
            ),
            case(
                "grep.glob_rs",
                &["-n", "-g", "*.rs", "fn check_pat"],
                content("fn check_pat").glob("*.rs"),
                false,
                third,
            ),
        ]
    }
}

fn grep_cases<'a>(
    list: &'a [GrepCase],
    root: &Path,
    anchors: &Anchors,
    runs: Runs,
    mode: Mode<'a>,
) -> Vec<Case<'a>> {
    let tree = tree_name(root);
    list.iter()
        .map(|c| Case {
            name: format!("{tree}.{}{}", c.name, mode.suffix()),
            ferrule_label: format!(
                "grep({:?}, {:?}){}",
                c.query.pattern,
                c.query.output_mode,
                mode.suffix()
            ),
            ferrule: Some(grep_call(&c.query, c.by_mtime, mode)),
            anchor: Process::new(&anchors.rg, &c.rg, root),
            target: Some(c.target),
            runs,
        })
        .collect()
}

/// The walk alone: the files rg would search, as `rg --files` lists them.
fn files_case<'a>(root: &'a Path, anchors: &Anchors, runs: Runs, mode: Mode<'a>) -> Case<'a> {
    let call: Call<'a> = Box::new(move || {
        let out = match mode {
            Mode::Fresh => walk_files(root, &WalkFilter::new(), &SearchLimits::none())?,
            Mode::Warm(engine) => engine.walk(root, &WalkFilter::new(), &SearchLimits::none())?,
        };
        let mut text = Vec::with_capacity(out.files.len() * 48);
        for file in out.files.iter() {
            text.extend_from_slice(file.relative().as_os_str().as_encoded_bytes());
            text.push(b'\n');
        }
        Ok(text)
    });
    Case {
        name: format!("{}.files.rg{}", tree_name(root), mode.suffix()),
        ferrule_label: format!("walk_files(){}", mode.suffix()),
        ferrule: Some(call),
        anchor: Process::new(&anchors.rg, &["--files"], root),
        target: Some(1.0),
        runs,
    }
}

fn tree_name(root: &Path) -> &'static str {
    if root.ends_with("linux") {
        "large"
    } else {
        "small"
    }
}

fn glob_call<'a>(root: &'a Path, pattern: &'a str, case: CaseMode, mode: Mode<'a>) -> Call<'a> {
    Box::new(move || {
        let query = GlobQuery::new(pattern).path(root).case(case).limit(None);
        let out = match mode {
            Mode::Fresh => glob(&query, &SearchLimits::none())?,
            Mode::Warm(engine) => engine.glob(&query, &SearchLimits::none())?,
        };
        Ok(render(root, &out.files))
    })
}

fn glob_cases<'a>(
    root: &'a Path,
    anchors: &Anchors,
    runs: Runs,
    tree: &str,
    mode: Mode<'a>,
) -> Vec<Case<'a>> {
    let fd = |args: &[&str]| Process::new(&anchors.fd, args, root);
    let (ext, ext_glob) = if tree == "large" {
        ("c", "*.c")
    } else {
        ("rs", "*.rs")
    };
    // fd -e compares extensions ignoring case, so the Glob side does too.
    // `--type f`: Glob lists regular files, and without it `fd -e c` also
    // prints the kernel's one symlink named `*.c`.
    let mut list = vec![
        (
            "fd.all_files",
            "**/*",
            CaseMode::Sensitive,
            fd(&["--type", "f"]),
        ),
        (
            "fd.extension",
            ext_glob,
            CaseMode::Insensitive,
            fd(&["--type", "f", "-e", ext]),
        ),
    ];
    if tree == "large" {
        list.push((
            "fd.glob",
            "**/drivers/net/**/*.c",
            CaseMode::Sensitive,
            fd(&["-p", "-g", "**/drivers/net/**/*.c"]),
        ));
    }
    // Large corpus: Glob ≤ 1.0× fd. Small corpus: a call in a long-lived
    // session ≥ 3× faster than spawning fd.
    let target = if tree == "large" { 1.0 } else { 1.0 / 3.0 };
    list.into_iter()
        .map(|(name, pattern, case, anchor)| Case {
            name: format!("{tree}.{name}{}", mode.suffix()),
            ferrule_label: format!("glob({pattern:?}, limit: none){}", mode.suffix()),
            ferrule: Some(glob_call(root, pattern, case, mode)),
            anchor,
            target: Some(target),
            runs,
        })
        .collect()
}

/// Rows with no ferrule side: rg flags the engine does not offer, and
/// process start-up (the floor of any spawned call).
fn anchor_only_cases<'a>(
    corpus: &Corpus,
    anchors: &Anchors,
    large: Runs,
    spawn: Runs,
) -> Vec<Case<'a>> {
    let dir = &corpus.small;
    let one_file = corpus.large.join("kernel/power/main.c");
    let one_file = one_file.to_string_lossy().into_owned();
    let large_dir = &corpus.large;
    [
        (
            "large.grep.one_thread",
            Process::new(&anchors.rg, &["-n", "-j1", "PM_RESUME"], large_dir),
            large,
        ),
        (
            "large.grep.no_ignore",
            Process::new(&anchors.rg, &["-n", "--no-ignore", "PM_RESUME"], large_dir),
            large,
        ),
        (
            "spawn.true",
            Process::new(Path::new("true"), &[], dir),
            spawn,
        ),
        (
            "spawn.rg_version",
            Process::new(&anchors.rg, &["--version"], dir),
            spawn,
        ),
        (
            "spawn.fd_version",
            Process::new(&anchors.fd, &["--version"], dir),
            spawn,
        ),
        (
            "spawn.rg_one_file",
            Process::new(&anchors.rg, &["-n", "PM_RESUME", &one_file], dir),
            spawn,
        ),
    ]
    .into_iter()
    .map(|(name, anchor, runs)| Case {
        name: name.to_string(),
        ferrule_label: String::new(),
        ferrule: None,
        anchor,
        target: None,
        runs,
    })
    .collect()
}

/// The machine's load (the run shares its 2 cores with other work).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(", "))
        .unwrap_or_else(|_| "unknown".to_string())
}

fn write_report(rows: &[Measured], corpus: &Corpus, anchors: &Anchors, quick: bool) -> Result<()> {
    let header = format!(
        "anchors: {} ({}), {} ({})\ncorpus: {} / {}\nmode: {}\nload average at the end (1, 5, 15 min): {}\n\n",
        Anchors::version(&anchors.rg)?,
        anchors.rg.display(),
        Anchors::version(&anchors.fd)?,
        anchors.fd.display(),
        Corpus::stamp(&corpus.large)?,
        Corpus::stamp(&corpus.small)?,
        if quick { "quick" } else { "full" },
        load_average(),
    );
    let table = report::markdown(rows);
    let out_dir = std::env::var_os("FERRULE_BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(|| PathBuf::from("target"), PathBuf::from)
                .join("ferrule-bench")
        });
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    std::fs::write(out_dir.join("search.md"), format!("{header}{table}"))?;
    std::fs::write(out_dir.join("search.tsv"), report::tsv(rows))?;
    let mut stdout = std::io::stdout().lock();
    write!(stdout, "{header}{table}")?;
    writeln!(stdout, "\nwritten to {}", out_dir.display())?;
    Ok(())
}
