//! ferrule-context token counting against Python tiktoken, in one run.
//!
//! `cargo bench -p ferrule-benches --bench context`. The text is the
//! rustc `compiler/` corpus (`$FERRULE_CORPUS/rustc`, default
//! `/var/cache/ferrule/corpus/rustc`; the valid UTF-8 `.rs` files in path
//! order, up to `FERRULE_BENCH_CONTEXT_MB` megabytes, default 8), or a
//! generated text when the corpus is missing. Both sides tokenize every
//! file with `encode_ordinary` on one thread; token totals must agree.
//!
//! The Python side runs in the venv `/var/cache/ferrule/venv-bench`
//! (created with `pip install tiktoken` when missing; skipped with a note
//! when that fails). Python tiktoken would download its vocabulary files;
//! instead they are written from tiktoken-rs's own tables to
//! `/var/cache/ferrule/tiktoken-vocab/`, and Python checks them against the
//! official SHA-256 before use, so both sides provably use the same
//! vocabulary and nothing is fetched. Also measured: recounting a cached
//! 2,000-message history with [`TokenCounter`] (the per-turn cost).
//! Results go to stderr and `$CARGO_TARGET_DIR/ferrule-bench/context.md`.
//! Under `cargo test` (no `--bench` argument) it does nothing.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use ferrule_context::{Encoding, ModelEncoding, TokenCounter};
use ferrule_protocol::{ContentBlock, Message, ToolResultBlock};

const VENV: &str = "/var/cache/ferrule/venv-bench";
const VOCAB_DIR: &str = "/var/cache/ferrule/tiktoken-vocab";
const RUNS: usize = 3;

const PYTHON: &str = r#"
import json, sys, time
import tiktoken, tiktoken.load, tiktoken_ext.openai_public as public
name, vocab, listing, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
load = tiktoken.load.load_tiktoken_bpe
public.load_tiktoken_bpe = lambda url, expected_hash=None: load(vocab, expected_hash=expected_hash)
enc = tiktoken.Encoding(**getattr(public, name)())
texts = []
for path in open(listing, encoding="utf-8").read().splitlines():
    with open(path, encoding="utf-8") as f:
        texts.append(f.read())
enc.encode_ordinary(texts[0])
seconds = []
for _ in range(runs):
    start = time.perf_counter()
    tokens = 0
    for text in texts:
        tokens += len(enc.encode_ordinary(text))
    seconds.append(time.perf_counter() - start)
print(json.dumps({"tokens": tokens, "seconds": seconds, "version": tiktoken.__version__}))
"#;

struct Side {
    tokens: usize,
    median: Duration,
}

impl Side {
    fn rate(&self) -> f64 {
        self.tokens as f64 / self.median.as_secs_f64()
    }
}

fn main() -> Result<()> {
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let (files, source) = corpus_files()?;
    let bytes: usize = files.iter().map(|(_, text)| text.len()).sum();
    eprintln!(
        "context bench: {} files, {:.1} MB ({source})",
        files.len(),
        bytes as f64 / 1e6
    );
    let scratch = tempfile::tempdir()?;
    let listing = scratch.path().join("files.txt");
    let mut list = String::new();
    for (path, _) in &files {
        writeln!(list, "{}", path.display())?;
    }
    std::fs::write(&listing, list)?;
    let python = python_venv();

    let mut report = format!(
        "# context bench\n\n{} files, {:.1} MB ({source}); median of {RUNS} runs, one thread each.\n\n",
        files.len(),
        bytes as f64 / 1e6
    );
    report.push_str("| encoding | tokens | ferrule (tiktoken-rs) | Python tiktoken | ratio |\n| --- | --- | --- | --- | --- |\n");
    for encoding in [Encoding::O200kBase, Encoding::Cl100kBase] {
        let ours = rust_side(encoding, &files);
        let theirs = match &python {
            Ok(python) => Some(python_side(python, encoding, &listing, scratch.path())?),
            Err(note) => {
                eprintln!("  python side skipped: {note}");
                None
            }
        };
        let (theirs_cell, ratio) = match &theirs {
            Some(side) => {
                if side.tokens != ours.tokens {
                    bail!(
                        "{}: ferrule counted {} tokens, Python tiktoken {}",
                        encoding.name(),
                        ours.tokens,
                        side.tokens
                    );
                }
                (
                    format!(
                        "{:.2} M tokens/s ({:.2} s)",
                        side.rate() / 1e6,
                        side.median.as_secs_f64()
                    ),
                    format!("{:.2}×", ours.rate() / side.rate()),
                )
            }
            None => ("skipped".to_owned(), "—".to_owned()),
        };
        let row = format!(
            "| {} | {} | {:.2} M tokens/s ({:.2} s) | {theirs_cell} | {ratio} |\n",
            encoding.name(),
            ours.tokens,
            ours.rate() / 1e6,
            ours.median.as_secs_f64()
        );
        eprint!("{row}");
        report.push_str(&row);
    }
    let recount = cached_recount(&files);
    let line = format!(
        "\nRecount of a 2,000-message history (o200k): first count {:.1} ms, cached recount {:.2} ms.\n",
        recount.0.as_secs_f64() * 1e3,
        recount.1.as_secs_f64() * 1e3
    );
    eprint!("{line}");
    report.push_str(&line);
    if let Err(note) = &python {
        writeln!(report, "\nPython side skipped: {note}")?;
    }
    let out = out_dir();
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("context.md"), report)?;
    Ok(())
}

fn rust_side(encoding: Encoding, files: &[(PathBuf, String)]) -> Side {
    encoding.count("warm up the tokenizer");
    let mut times = Vec::with_capacity(RUNS);
    let mut tokens = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        tokens = files.iter().map(|(_, text)| encoding.count(text)).sum();
        times.push(start.elapsed());
    }
    times.sort();
    Side {
        tokens,
        median: times[RUNS / 2],
    }
}

fn python_side(python: &Path, encoding: Encoding, listing: &Path, scratch: &Path) -> Result<Side> {
    let vocab = write_vocab(encoding)?;
    let script = scratch.join("count.py");
    std::fs::write(&script, PYTHON)?;
    let output = Command::new(python)
        .arg(&script)
        .arg(encoding.name())
        .arg(&vocab)
        .arg(listing)
        .arg(RUNS.to_string())
        .output()
        .context("running the Python tiktoken side")?;
    if !output.status.success() {
        bail!(
            "python tiktoken failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let value: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let tokens = value["tokens"]
        .as_u64()
        .context("python printed no token count")? as usize;
    let mut seconds: Vec<f64> = value["seconds"]
        .as_array()
        .context("python printed no timings")?
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .collect();
    seconds.sort_by(f64::total_cmp);
    let median = seconds
        .get(seconds.len() / 2)
        .copied()
        .context("no timings")?;
    Ok(Side {
        tokens,
        median: Duration::from_secs_f64(median),
    })
}

/// The `.tiktoken` file of `encoding` (one `base64(token bytes) rank` line
/// per mergeable token, in rank order), rebuilt from tiktoken-rs's tables.
fn write_vocab(encoding: Encoding) -> Result<PathBuf> {
    let path = Path::new(VOCAB_DIR).join(format!("{}.tiktoken", encoding.name()));
    if path.exists() {
        return Ok(path);
    }
    let mut text = String::new();
    let mut rank = 0u32;
    while let Some(bytes) = encoding.token_bytes(rank) {
        writeln!(
            text,
            "{} {rank}",
            base64::engine::general_purpose::STANDARD.encode(&bytes)
        )?;
        rank += 1;
    }
    std::fs::create_dir_all(VOCAB_DIR)?;
    let partial = path.with_extension("partial");
    std::fs::write(&partial, text)?;
    std::fs::rename(&partial, &path)?;
    Ok(path)
}

/// The venv's python with tiktoken importable, installing it when missing.
fn python_venv() -> Result<PathBuf, String> {
    let python = Path::new(VENV).join("bin/python");
    let works = |python: &Path| {
        Command::new(python)
            .args(["-c", "import tiktoken"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if works(&python) {
        return Ok(python);
    }
    eprintln!("  installing tiktoken into {VENV}");
    let created = Command::new("python3").args(["-m", "venv", VENV]).status();
    if !created.is_ok_and(|s| s.success()) {
        return Err(format!(
            "could not create the venv {VENV} (python3 -m venv)"
        ));
    }
    let installed = Command::new(Path::new(VENV).join("bin/pip"))
        .args(["install", "--quiet", "tiktoken"])
        .status();
    if installed.is_ok_and(|s| s.success()) && works(&python) {
        Ok(python)
    } else {
        Err(format!("pip install tiktoken into {VENV} failed"))
    }
}

fn corpus_files() -> Result<(Vec<(PathBuf, String)>, String)> {
    let limit_mb: usize = std::env::var("FERRULE_BENCH_CONTEXT_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let limit = limit_mb * 1_000_000;
    let dir = std::env::var_os("FERRULE_CORPUS")
        .map_or_else(
            || PathBuf::from(ferrule_benches::corpus::DEFAULT_DIR),
            PathBuf::from,
        )
        .join("rustc");
    if dir.is_dir() {
        let mut paths: Vec<PathBuf> = ignore::WalkBuilder::new(&dir)
            .build()
            .filter_map(std::result::Result::ok)
            .map(ignore::DirEntry::into_path)
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .collect();
        paths.sort();
        let mut files = Vec::new();
        let mut total = 0;
        for path in paths {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            if text.is_empty() {
                continue;
            }
            total += text.len();
            files.push((path, text));
            if total >= limit {
                break;
            }
        }
        if !files.is_empty() {
            return Ok((files, format!("rustc corpus, {}", dir.display())));
        }
    }
    // No corpus: a generated mix of prose and code, written to a temp file
    // so the Python side reads the same bytes.
    let mut text = String::new();
    let mut n = 0u64;
    while text.len() < limit {
        n += 1;
        writeln!(
            text,
            "fn item_{n}(value: u64) -> Result<u64, Error> {{ // step {n} of the plan\n    Ok(value.wrapping_mul({n}) ^ 0x{n:x})\n}}\nThe function item_{n} multiplies its input; see issue #{n}.\n"
        )?;
    }
    let path =
        std::env::temp_dir().join(format!("ferrule-context-bench-{}.rs", std::process::id()));
    std::fs::File::create(&path)?.write_all(text.as_bytes())?;
    Ok((
        vec![(path, text)],
        "generated text (no rustc corpus)".to_owned(),
    ))
}

/// Counting a history the first time, then again from the cache.
fn cached_recount(files: &[(PathBuf, String)]) -> (Duration, Duration) {
    let history: Vec<Message> = files
        .iter()
        .cycle()
        .take(2_000)
        .enumerate()
        .map(|(i, (_, text))| {
            let text: String = format!("{i}: {}", text.chars().take(4_000).collect::<String>());
            if i % 2 == 0 {
                Message::user(vec![ContentBlock::ToolResult(ToolResultBlock::text(
                    format!("call_{i}"),
                    text,
                ))])
            } else {
                Message::assistant(vec![ContentBlock::text(text)])
            }
        })
        .collect();
    let mut counter = TokenCounter::new(ModelEncoding::for_model("openai/gpt-4.1"));
    let start = Instant::now();
    let first = counter.count_messages(&history);
    let cold = start.elapsed();
    let start = Instant::now();
    let again = counter.count_messages(&history);
    let warm = start.elapsed();
    assert_eq!(first, again);
    (cold, warm)
}

fn out_dir() -> PathBuf {
    std::env::var_os("FERRULE_BENCH_OUT").map_or_else(
        || {
            std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(|| PathBuf::from("target"), PathBuf::from)
                .join("ferrule-bench")
        },
        PathBuf::from,
    )
}
