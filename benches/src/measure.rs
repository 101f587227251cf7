//! One side-by-side case and the interleaved timing of it.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::anchor::Process;

/// A ferrule call that returns its output as the anchor would print it.
pub type Call<'a> = Box<dyn FnMut() -> Result<Vec<u8>> + 'a>;

/// How many timed runs and warm-up runs a case gets.
#[derive(Debug, Clone, Copy)]
pub struct Runs {
    /// Untimed runs first (they fill the page cache and any warm state).
    pub warmup: usize,
    /// Timed runs of each side.
    pub timed: usize,
}

/// A query run by ferrule in-process and by an anchor process.
pub struct Case<'a> {
    /// The query's name in the standard set, e.g. `large.grep.literal_rare`.
    pub name: String,
    /// What ferrule runs (shown in the report).
    pub ferrule_label: String,
    /// ferrule's side; `None` for an anchor-only row (process start-up).
    pub ferrule: Option<Call<'a>>,
    /// The rg or fd command.
    pub anchor: Process,
    /// The largest acceptable `ferrule / anchor` ratio, if the issue sets one.
    pub target: Option<f64>,
    /// Runs.
    pub runs: Runs,
}

/// Median and spread of a sample, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Median.
    pub median_ms: f64,
    /// Fastest run.
    pub min_ms: f64,
    /// Slowest run.
    pub max_ms: f64,
}

impl Stats {
    /// Statistics of `times`.
    ///
    /// # Errors
    /// When `times` is empty.
    pub fn of(times: &[Duration]) -> Result<Self> {
        if times.is_empty() {
            bail!("no timed runs");
        }
        let mut ms: Vec<f64> = times.iter().map(|t| t.as_secs_f64() * 1000.0).collect();
        ms.sort_by(f64::total_cmp);
        let n = ms.len();
        let median = if n % 2 == 1 {
            ms[n / 2]
        } else {
            (ms[n / 2 - 1] + ms[n / 2]) / 2.0
        };
        Ok(Self {
            median_ms: median,
            min_ms: ms[0],
            max_ms: ms[n - 1],
        })
    }
}

/// The measured result of one case.
#[derive(Debug, Clone)]
pub struct Measured {
    /// The case's name.
    pub name: String,
    /// What ferrule ran.
    pub ferrule_label: String,
    /// The anchor command line.
    pub command: String,
    /// ferrule's times (`None` for an anchor-only row).
    pub ferrule: Option<Stats>,
    /// The anchor's times.
    pub anchor: Stats,
    /// How many output lines both produced (checked equal).
    pub lines: usize,
    /// The target ratio.
    pub target: Option<f64>,
    /// Set when ferrule's results differ from the anchor's (the case is
    /// then not timed): what differs.
    pub mismatch: Option<String>,
}

impl Measured {
    /// `ferrule / anchor` by median.
    pub fn ratio(&self) -> Option<f64> {
        self.ferrule.map(|f| f.median_ms / self.anchor.median_ms)
    }

    /// Whether the target is met (`None` when there is no target).
    pub fn met(&self) -> Option<bool> {
        Some(self.ratio()? <= self.target?)
    }
}

/// The sorted lines of an output, for comparing result sets.
pub fn sorted_lines(output: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(output);
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| l.strip_prefix("./").unwrap_or(l).to_string())
        .collect();
    lines.sort_unstable();
    lines
}

/// Checks that ferrule and the anchor produce the same set of lines (when
/// they differ the case is reported with the difference and not timed),
/// then times both, interleaved (ferrule first on even runs, the anchor first
/// on odd ones) so drift on a shared machine hits both sides alike.
///
/// # Errors
/// When a run fails.
pub fn measure(case: &mut Case<'_>) -> Result<Measured> {
    let expected = sorted_lines(&case.anchor.output()?);
    if let Some(call) = case.ferrule.as_mut() {
        let got = sorted_lines(&call()?);
        if got != expected {
            let first_diff = got
                .iter()
                .zip(&expected)
                .position(|(a, b)| a != b)
                .unwrap_or(got.len().min(expected.len()));
            let what = format!(
                "ferrule produced {} lines, {} produced {}; first difference at sorted line {first_diff}: ferrule {:?} vs anchor {:?}",
                got.len(),
                case.anchor.display(),
                expected.len(),
                got.get(first_diff),
                expected.get(first_diff)
            );
            return Ok(Measured {
                name: case.name.clone(),
                ferrule_label: case.ferrule_label.clone(),
                command: case.anchor.display(),
                ferrule: None,
                anchor: Stats::of(&[case.anchor.time()?])?,
                lines: expected.len(),
                target: case.target,
                mismatch: Some(what),
            });
        }
    }
    for _ in 0..case.runs.warmup {
        if let Some(call) = case.ferrule.as_mut() {
            call()?;
        }
        case.anchor.time()?;
    }
    let mut ours = Vec::with_capacity(case.runs.timed);
    let mut theirs = Vec::with_capacity(case.runs.timed);
    for run in 0..case.runs.timed {
        let ferrule_first = run % 2 == 0;
        if !ferrule_first {
            theirs.push(case.anchor.time()?);
        }
        if let Some(call) = case.ferrule.as_mut() {
            let start = Instant::now();
            let out = call()?;
            ours.push(start.elapsed());
            drop(out);
        }
        if ferrule_first {
            theirs.push(case.anchor.time()?);
        }
    }
    Ok(Measured {
        name: case.name.clone(),
        ferrule_label: case.ferrule_label.clone(),
        command: case.anchor.display(),
        ferrule: if ours.is_empty() {
            None
        } else {
            Some(Stats::of(&ours)?)
        },
        anchor: Stats::of(&theirs)?,
        lines: expected.len(),
        target: case.target,
        mismatch: None,
    })
}
