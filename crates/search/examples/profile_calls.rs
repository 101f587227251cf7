//! Repeats one engine call for profiling (`perf record`, `strace -c`):
//! `profile_calls glob|walk|warm-grep ROOT PATTERN [N]`.

use std::path::PathBuf;

use ferrule_search::glob::{GlobQuery, glob};
use ferrule_search::{
    GrepQuery, OutputMode, SearchEngine, SearchLimits, WalkFilter, grep, walk_files,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [kind, root, pattern, rest @ ..] = args.as_slice() else {
        return Err("usage: profile_calls glob|walk|grep|warm-grep ROOT PATTERN [N]".into());
    };
    let n: usize = rest.first().map_or(Ok(10), |s| s.parse())?;
    let root = PathBuf::from(root);
    let engine = SearchEngine::default();
    let limits = SearchLimits::none();
    let mut total = 0;
    let start = std::time::Instant::now();
    for _ in 0..n {
        total += match kind.as_str() {
            "glob" => {
                let query = GlobQuery::new(pattern.as_str()).path(&root).limit(None);
                glob(&query, &limits)?.files.len()
            }
            "walk" => walk_files(&root, &WalkFilter::new(), &limits)?.files.len(),
            "grep" | "warm-grep" => {
                let query = GrepQuery::new(pattern.as_str(), &root)
                    .output_mode(OutputMode::Content)
                    .line_numbers(true);
                let out = if kind == "grep" {
                    grep(&query, &limits)?
                } else {
                    engine.grep(&query, &limits)?
                };
                out.results.len()
            }
            other => return Err(format!("unknown kind {other}").into()),
        };
    }
    eprintln!(
        "{kind}: {n} calls, {:.2} ms per call, {} results per call",
        start.elapsed().as_secs_f64() * 1000.0 / n as f64,
        total / n.max(1)
    );
    Ok(())
}
