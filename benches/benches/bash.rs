//! What the Bash tool adds to running a command: the process group, the
//! directory-tracking trap and temp file, both streams read concurrently
//! into bounded buffers, and result shaping. Each bench sits beside a
//! baseline spawning the same `bash -c` with tokio and collecting its output.
//! See README.md ("Bash").

use std::hint::black_box;
use std::process::Stdio;

use ferrule_tool::{Tool, ToolContext};
use ferrule_tools::BashTool;
use serde_json::json;

fn main() {
    divan::main();
}

struct Fixture {
    _dir: tempfile::TempDir,
    ctx: ToolContext,
    tool: BashTool,
    runtime: tokio::runtime::Runtime,
}

impl Fixture {
    #[expect(clippy::expect_used, reason = "bench setup; a failure aborts the run")]
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let ctx = ToolContext::builder(dir.path()).build().expect("context");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        Self {
            _dir: dir,
            ctx,
            tool: BashTool::default(),
            runtime,
        }
    }

    fn tool(&self, command: &str) -> usize {
        self.runtime.block_on(async {
            match Tool::call(&self.tool, json!({ "command": command }), &self.ctx).await {
                Ok(out) => out.text_content().len(),
                Err(_) => 0,
            }
        })
    }

    fn bare(&self, command: &str) -> usize {
        self.runtime.block_on(async {
            let output = tokio::process::Command::new("bash")
                .arg("-c")
                .arg(command)
                .current_dir(self.ctx.cwd())
                .stdin(Stdio::null())
                .output()
                .await;
            output.map_or(0, |out| out.stdout.len() + out.stderr.len())
        })
    }
}

const TRIVIAL: &str = "true";
const OUTPUT: &str = "seq 1 200000";

#[divan::bench]
fn bash_tool_true(bencher: divan::Bencher<'_, '_>) {
    let fixture = Fixture::new();
    bencher.bench_local(|| black_box(fixture.tool(TRIVIAL)));
}

#[divan::bench]
fn bare_spawn_true(bencher: divan::Bencher<'_, '_>) {
    let fixture = Fixture::new();
    bencher.bench_local(|| black_box(fixture.bare(TRIVIAL)));
}

#[divan::bench]
fn bash_tool_seq_200k(bencher: divan::Bencher<'_, '_>) {
    let fixture = Fixture::new();
    bencher.bench_local(|| black_box(fixture.tool(OUTPUT)));
}

#[divan::bench]
fn bare_spawn_seq_200k(bencher: divan::Bencher<'_, '_>) {
    let fixture = Fixture::new();
    bencher.bench_local(|| black_box(fixture.bare(OUTPUT)));
}
