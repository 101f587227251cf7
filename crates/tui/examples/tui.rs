//! Runs the interface on its own, for trying it without the `ferrule`
//! binary: `cargo run -p ferrule-tui --example tui -- [--model NAME] [PROMPT]`.

use std::collections::BTreeMap;
use std::process::ExitCode;

use ferrule_setup::{Host, SetupOptions};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut model = None;
    let mut prompt = Vec::new();
    while let Some(arg) = args.next() {
        if arg == "--model" {
            model = args.next();
        } else {
            prompt.push(arg);
        }
    }
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(error) => {
            eprintln!("cannot determine the current directory: {error}");
            return ExitCode::FAILURE;
        }
    };
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let mut options = SetupOptions::new(Host::Interactive, cwd, env);
    options.model = model;
    let prompt = (!prompt.is_empty()).then(|| prompt.join(" "));
    match ferrule_tui::run(options, prompt) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("ferrule: {error}");
            ExitCode::FAILURE
        }
    }
}
