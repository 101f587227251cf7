//! The tool layer over its engines: what `ToolRegistry::call` adds (input
//! parsing, path checks, the blocking-thread hop, result shaping) to the
//! work it wraps. Each tool bench sits beside a baseline doing the bare work:
//! `Read` beside `std::fs::read` of the same file, `Grep` beside a direct
//! `SearchEngine::grep` on the same warm engine, `Edit`'s replacement beside
//! `str::replacen`. See README.md ("Tools").

use std::hint::black_box;
use std::sync::Arc;

use ferrule_search::{GrepQuery, OutputMode, SearchEngine, SearchLimits};
use ferrule_tool::{ToolContext, ToolRegistry};
use ferrule_tools::{BuiltinOptions, ReplaceMode, builtin_tools, replace};
use serde_json::json;

fn main() {
    divan::main();
}

/// A temp project: `big.rs` (2000 lines) and 200 small source files.
struct Fixture {
    _dir: tempfile::TempDir,
    ctx: ToolContext,
    registry: ToolRegistry,
    engine: Arc<SearchEngine>,
    runtime: tokio::runtime::Runtime,
    text: String,
}

impl Fixture {
    #[expect(clippy::expect_used, reason = "bench setup; a failure aborts the run")]
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let text: String = (0..2000)
            .map(|n| format!("fn item_{n}(value: u64) -> u64 {{ value * {n} + 1 }}\n"))
            .collect();
        std::fs::write(dir.path().join("big.rs"), &text).expect("write big.rs");
        for n in 0..200 {
            let sub = dir.path().join(format!("mod{}", n % 10));
            std::fs::create_dir_all(&sub).expect("mkdir");
            let body = format!("// module {n}\npub fn helper_{n}() -> usize {{ {n} }}\n");
            std::fs::write(sub.join(format!("f{n}.rs")), body).expect("write file");
        }
        let engine = Arc::new(SearchEngine::default());
        let mut registry = ToolRegistry::new();
        for tool in builtin_tools(&BuiltinOptions::default().search(Arc::clone(&engine))) {
            registry.register_arc(tool).expect("register");
        }
        let ctx = ToolContext::builder(dir.path()).build().expect("context");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        Self {
            _dir: dir,
            ctx,
            registry,
            engine,
            runtime,
            text,
        }
    }
}

#[divan::bench]
fn read_tool_2000_lines(bencher: divan::Bencher<'_, '_>) {
    let fixture = Fixture::new();
    let input = json!({"file_path": "big.rs"});
    bencher.bench_local(|| {
        fixture
            .runtime
            .block_on(fixture.registry.call("Read", input.clone(), &fixture.ctx))
            .is_ok()
    });
}

#[divan::bench]
fn read_baseline_fs_read(bencher: divan::Bencher<'_, '_>) {
    let fixture = Fixture::new();
    let path = fixture.ctx.cwd().join("big.rs");
    bencher.bench_local(|| {
        std::fs::read(black_box(&path))
            .map(|bytes| bytes.len())
            .ok()
    });
}

#[divan::bench]
fn grep_tool_content_warm(bencher: divan::Bencher<'_, '_>) {
    let fixture = Fixture::new();
    let input = json!({"pattern": "helper_1[0-9]", "output_mode": "content"});
    bencher.bench_local(|| {
        fixture
            .runtime
            .block_on(fixture.registry.call("Grep", input.clone(), &fixture.ctx))
            .is_ok()
    });
}

#[divan::bench]
fn grep_baseline_engine_warm(bencher: divan::Bencher<'_, '_>) {
    let fixture = Fixture::new();
    let query = GrepQuery::new("helper_1[0-9]", fixture.ctx.cwd())
        .output_mode(OutputMode::Content)
        .line_numbers(true)
        .head_limit(Some(250));
    bencher.bench_local(|| fixture.engine.grep(&query, &SearchLimits::none()).is_ok());
}

#[divan::bench]
fn edit_replace_once_2000_lines(bencher: divan::Bencher<'_, '_>) {
    let fixture = Fixture::new();
    bencher.bench_local(|| {
        replace(
            black_box(&fixture.text),
            "value * 1999 + 1",
            "value * 2000",
            ReplaceMode::Once,
        )
        .is_ok()
    });
}

#[divan::bench]
fn edit_baseline_replacen(bencher: divan::Bencher<'_, '_>) {
    let fixture = Fixture::new();
    bencher.bench_local(|| {
        black_box(&fixture.text)
            .replacen("value * 1999 + 1", "value * 2000", 1)
            .len()
    });
}
