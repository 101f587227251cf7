//! `ferrule hooks test`: fire the hooks of the current project on a
//! made-up event and show each hook's raw result and the merged outcome.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use ferrule_config::{DEFAULT_POLICY_PATH, LoadOptions, load};
use ferrule_hooks::{
    BackgroundRun, CommonFields, Dispatcher, EventPayload, FolderTrust, HookEvent, HookInput,
    HookRun, HookSource, Outcome, Parsed, RunStatus, TrustReason, TrustStore,
};
use serde_json::{Value, json};

/// `ferrule hooks`: work with hooks.
#[derive(Debug, Args)]
pub(crate) struct HooksArgs {
    #[command(subcommand)]
    command: HooksCommand,
}

#[derive(Debug, Subcommand)]
enum HooksCommand {
    /// Fire the hooks that match a made-up EVENT in this project and print
    /// each hook's raw result (exit code, stdout, stderr, parsed output,
    /// duration) and the merged outcome. The hooks really run.
    Test(TestArgs),
}

#[derive(Debug, Args)]
struct TestArgs {
    /// The event: PreToolUse, PostToolUse, Stop, SessionStart, ...
    event: String,
    /// The tool of a tool event (default: Bash); for SubagentStart /
    /// SubagentStop the agent type, for Elicitation the MCP server.
    #[arg(long, value_name = "NAME")]
    tool: Option<String>,
    /// A JSON object. For tool events: the tool input (unless it has a
    /// `tool_input` key, then it overrides payload fields). For other
    /// events: payload fields to override (`{"source": "resume"}`).
    #[arg(long, value_name = "JSON")]
    input: Option<String>,
    /// The project directory (default: the current directory).
    #[arg(long, short = 'w', value_name = "DIR")]
    cwd: Option<PathBuf>,
    /// The user configuration directory (default: $FERRULE_HOME or ~/.qoder).
    #[arg(long, value_name = "DIR")]
    config_dir: Option<PathBuf>,
    /// Extra settings: a file or inline JSON, as for the agent.
    #[arg(long, value_name = "FILE|JSON")]
    settings: Option<String>,
    /// A plugin directory whose `hooks/hooks.json` (or manifest hooks) fire
    /// too (repeatable), as with the agent's `--plugin-dir`.
    #[arg(long, value_name = "DIR")]
    plugin_dir: Vec<PathBuf>,
    /// Behave as in a folder that is not trusted: project and local hooks
    /// are skipped (by default, like every non-interactive run, the
    /// directory is trusted for this run).
    #[arg(long)]
    untrusted: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: HooksArgs) -> Result<ExitCode> {
    match args.command {
        HooksCommand::Test(args) => test(args),
    }
}

fn test(args: TestArgs) -> Result<ExitCode> {
    let event: HookEvent = args.event.parse()?;
    let here = std::env::current_dir().context("cannot determine the current directory")?;
    let cwd = args
        .cwd
        .as_ref()
        .map_or_else(|| here.clone(), |d| here.join(d));
    if !cwd.is_dir() {
        bail!("--cwd {}: not a directory", cwd.display());
    }
    let mut opts = LoadOptions::new(&cwd);
    opts.user_dir = args.config_dir.clone();
    opts.settings_flag = args.settings.clone();
    opts.policy_path = Some(
        std::env::var_os("FERRULE_POLICY_SETTINGS")
            .map_or_else(|| PathBuf::from(DEFAULT_POLICY_PATH), PathBuf::from),
    );
    let loaded = load(&opts);
    // Project files are read either way; the dispatcher drops their hooks
    // when the folder is not trusted and says so.
    let store = TrustStore::from_settings(&loaded, opts.resolved_home().as_deref());
    let by_settings = store.why_trusted(&cwd).cloned();
    // Non-interactive runs trust their startup directory (decision A-22);
    // `--untrusted` shows what a folder without trust would do.
    let (trust, trust_text) = match (&by_settings, args.untrusted) {
        (Some(TrustReason::Settings(file)), _) => (
            FolderTrust::Trusted,
            format!(
                "trusted: permissions.trustDirectories in {}",
                file.display()
            ),
        ),
        (_, false) => (
            FolderTrust::Trusted,
            "trusted for this run (non-interactive)".to_owned(),
        ),
        (_, true) => (
            FolderTrust::Untrusted,
            "not trusted: project and local hooks are skipped".to_owned(),
        ),
    };
    let mut builder = Dispatcher::builder(&cwd).settings(&loaded, trust);
    if !args.plugin_dir.is_empty() {
        let mut memory = ferrule_memory::LoadOptions::new(&cwd);
        for dir in &args.plugin_dir {
            memory = memory.with_plugin_dir(here.join(dir));
        }
        let workspace = ferrule_memory::Workspace::load(&memory);
        // The docs name QODER_PLUGIN_DATA but not where it lives; ferrule
        // keeps it under the user directory, apart from the install root.
        let data_root = opts
            .resolved_user_dir()
            .unwrap_or_else(|| cwd.join(".qoder"))
            .join("plugins/data");
        for plugin in &workspace.plugins {
            if let Some(hooks) = &plugin.hooks {
                let source = HookSource::plugin(
                    &plugin.name,
                    &plugin.root,
                    data_root.join(&plugin.name),
                    plugin.root.join("hooks/hooks.json"),
                );
                builder = builder.hooks(hooks, source);
            }
        }
    }
    let dispatcher = builder.build();
    let input = made_up_input(event, &cwd, args.tool.as_deref(), args.input.as_deref())?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (dispatch, background) = runtime.block_on(async {
        let dispatch = dispatcher.dispatch(&input).await;
        let background = dispatcher.join_background().await;
        (dispatch, background)
    });

    let diagnostics: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == ferrule_config::Severity::Error)
        .map(ToString::to_string)
        .chain(dispatcher.diagnostics().iter().map(ToString::to_string))
        .collect();
    let out = if args.json {
        let value = json!({
            "event": event,
            "directory": cwd,
            "trust": trust_text,
            "input": input.to_json(),
            "diagnostics": diagnostics,
            "skipped": dispatcher.skipped(),
            "runs": dispatch.runs,
            "background": background,
            "outcome": dispatch.outcome,
        });
        let mut s = serde_json::to_string_pretty(&value)?;
        s.push('\n');
        s
    } else {
        for d in &diagnostics {
            eprintln!("{d}");
        }
        text(&TextReport {
            event,
            cwd: &cwd,
            trust: &trust_text,
            input: &input,
            skipped: dispatcher.skipped(),
            runs: &dispatch.runs,
            background: &background,
            outcome: &dispatch.outcome,
        })
    };
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The sample input of `event`, with `--tool` and `--input` applied.
fn made_up_input(
    event: HookEvent,
    cwd: &Path,
    tool: Option<&str>,
    input: Option<&str>,
) -> Result<HookInput> {
    let common = CommonFields {
        session_id: "hooks-test".to_owned(),
        transcript_path: String::new(),
        cwd: cwd.display().to_string(),
        permission_mode: Some("default".to_owned()),
        agent_id: None,
        agent_type: None,
    };
    let mut hook_input = HookInput::sample(event, common, tool);
    let Some(text) = input else {
        return Ok(hook_input);
    };
    let value: Value = serde_json::from_str(text).context("--input is not valid JSON")?;
    let Value::Object(fields) = value else {
        bail!("--input must be a JSON object");
    };
    if event.is_tool_event() && !fields.contains_key("tool_input") {
        set_tool_input(&mut hook_input.payload, Value::Object(fields));
        return Ok(hook_input);
    }
    let mut merged = hook_input.to_json();
    if let Value::Object(m) = &mut merged {
        for (k, v) in fields {
            if k == "hook_event_name" {
                bail!("--input cannot change hook_event_name (give the event as the argument)");
            }
            m.insert(k, v);
        }
    }
    HookInput::from_json(&merged).map_err(|e| anyhow::anyhow!("--input: {e}"))
}

fn set_tool_input(payload: &mut EventPayload, input: Value) {
    match payload {
        EventPayload::PreToolUse(p) => p.call.tool_input = input,
        EventPayload::PostToolUse(p) => p.call.tool_input = input,
        EventPayload::PostToolUseFailure(p) => p.call.tool_input = input,
        EventPayload::PermissionRequest(p) => p.tool_input = input,
        EventPayload::PermissionDenied(p) => p.tool_input = input,
        _ => {}
    }
}

struct TextReport<'a> {
    event: HookEvent,
    cwd: &'a Path,
    trust: &'a str,
    input: &'a HookInput,
    skipped: &'a [ferrule_hooks::SkippedSource],
    runs: &'a [HookRun],
    background: &'a [BackgroundRun],
    outcome: &'a Outcome,
}

fn text(r: &TextReport<'_>) -> String {
    let mut s = String::new();
    let what = match r.input.match_value() {
        Some(v) => format!("{} ({v})", r.event),
        None => r.event.to_string(),
    };
    let _ = writeln!(s, "event: {what}");
    let _ = writeln!(s, "directory: {} ({})", r.cwd.display(), r.trust);
    for skip in r.skipped {
        let _ = writeln!(s, "skipped: {} ({})", skip.path.display(), skip.reason);
    }
    let _ = writeln!(s, "input: {}", r.input.to_json());
    if r.runs.is_empty() && r.background.is_empty() {
        let _ = writeln!(s, "no hook matches");
    }
    for (i, run) in r.runs.iter().enumerate() {
        let _ = writeln!(s, "\nhook {}: {}", i + 1, run.hook);
        write_run(&mut s, run);
    }
    for (i, bg) in r.background.iter().enumerate() {
        let _ = writeln!(s, "\nbackground hook {}: {}", i + 1, bg.run.hook);
        write_run(&mut s, &bg.run);
        if let Some(rewake) = &bg.rewake {
            let _ = writeln!(s, "  rewake: {rewake}");
        }
    }
    let _ = writeln!(s, "\noutcome:");
    let outcome = serde_json::to_value(r.outcome).unwrap_or(Value::Null);
    match outcome.as_object() {
        Some(o) if !o.is_empty() => {
            for (k, v) in o {
                let _ = writeln!(s, "  {k}: {v}");
            }
        }
        _ => {
            let _ = writeln!(s, "  no effect (the action proceeds)");
        }
    }
    s
}

fn write_run(s: &mut String, run: &HookRun) {
    let _ = writeln!(s, "  source: {}", run.source);
    let status = match &run.status {
        RunStatus::Exited(code) => format!("exit code {code}"),
        RunStatus::Signaled(sig) => format!("killed by signal {sig}"),
        RunStatus::TimedOut => "timed out (process group killed)".to_owned(),
        RunStatus::Failed(why) => format!("failed: {why}"),
        RunStatus::Http(code) => format!("HTTP {code}"),
        RunStatus::Answered => "answered".to_owned(),
        _ => format!("{:?}", run.status),
    };
    let _ = writeln!(
        s,
        "  status: {status}, {:.1} ms",
        run.duration.as_secs_f64() * 1000.0
    );
    for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        if text.is_empty() {
            let _ = writeln!(s, "  {name}: (empty)");
        } else {
            let _ = writeln!(s, "  {name}:");
            for line in text.lines() {
                let _ = writeln!(s, "    | {line}");
            }
        }
    }
    let parsed = match &run.parsed {
        Parsed::Nothing => "nothing to parse".to_owned(),
        Parsed::Json(o) => format!("JSON {}", o.to_json()),
        Parsed::Invalid(e) => format!("invalid output: {e}"),
        Parsed::Text(_) => "plain text".to_owned(),
    };
    let _ = writeln!(s, "  parsed: {parsed}");
    let effect = serde_json::to_value(&run.effect).unwrap_or(Value::Null);
    let effect = match (effect.get("effect"), effect.get("message")) {
        (Some(e), Some(m)) => format!(
            "{} ({})",
            e.as_str().unwrap_or(""),
            m.as_str().unwrap_or("")
        ),
        (Some(e), None) => e.as_str().unwrap_or("").to_owned(),
        _ => String::new(),
    };
    let _ = writeln!(s, "  effect: {effect}");
}
