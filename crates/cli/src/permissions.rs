//! `ferrule permissions check`: explain the decision the agent would take
//! for one tool call, or for a stream of self-contained requests (`--jsonl`).

use std::io::{BufRead as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use ferrule_config::{DEFAULT_POLICY_PATH, LoadOptions, LoadedSettings, load};
use ferrule_permissions::{
    AskKind, CheckAnswer, CheckRequest, Decision, Policy, Request, RuleDiagnostic, check, decide,
};
use serde_json::{Value, json};

/// `ferrule permissions`: inspect permission decisions.
#[derive(Debug, Args)]
pub(crate) struct PermissionsArgs {
    #[command(subcommand)]
    command: PermissionsCommand,
}

#[derive(Debug, Subcommand)]
enum PermissionsCommand {
    /// Decide one tool call with the settings of the cwd, as the agent
    /// would, and print the decision, the deciding rule and the reason. With
    /// --jsonl, read self-contained requests from stdin instead.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// The tool name (`Bash`, `Read`, `mcp__github__create_issue`...).
    #[arg(long, required_unless_present = "jsonl")]
    tool: Option<String>,
    /// The tool input as a JSON object.
    #[arg(long, value_name = "JSON", default_value = "{}")]
    input: String,
    /// The permission mode (default: the settings' default mode, else
    /// `default`). Any documented spelling.
    #[arg(long, value_name = "MODE")]
    mode: Option<String>,
    /// The project directory (default: the current directory).
    #[arg(long, short = 'w', value_name = "DIR")]
    cwd: Option<PathBuf>,
    /// An additional working directory (repeatable).
    #[arg(long = "add-dir", value_name = "DIR")]
    add_dir: Vec<String>,
    /// Extra settings: a file or inline JSON, as for the agent.
    #[arg(long, value_name = "FILE|JSON")]
    settings: Option<String>,
    /// The user configuration directory (default: $FERRULE_HOME or ~/.qoder).
    #[arg(long, value_name = "DIR")]
    config_dir: Option<PathBuf>,
    /// A PreToolUse hook verdict to feed in: allow, deny or ask.
    #[arg(long, value_name = "VERDICT")]
    hook: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Read one JSON request per line on stdin, write one JSON answer per
    /// line; rules travel in each request and no settings are loaded.
    #[arg(long, conflicts_with_all = ["tool", "mode", "cwd", "add_dir", "settings", "config_dir", "hook", "json"])]
    jsonl: bool,
}

/// Runs `ferrule permissions ...`.
pub(crate) fn run(args: PermissionsArgs) -> Result<ExitCode> {
    match args.command {
        PermissionsCommand::Check(args) if args.jsonl => jsonl(),
        PermissionsCommand::Check(args) => check_one(args),
    }
}

/// The answers to each stdin line, in order. A bad line gets an error
/// answer and the rest go on.
fn jsonl() -> Result<ExitCode> {
    let stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    for (number, line) in stdin.lines().enumerate() {
        let line = line.context("reading stdin")?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<CheckRequest>(&line) {
            Ok(request) => match check(&request) {
                Ok((decision, _)) => serde_json::to_value(CheckAnswer::new(request.id, &decision))?,
                Err(err) => {
                    json!({"id": request.id, "error": format!("line {}: {err}", number + 1)})
                }
            },
            Err(err) => {
                let id = serde_json::from_str::<Value>(&line)
                    .ok()
                    .and_then(|v| v.get("id").cloned())
                    .unwrap_or(Value::Null);
                json!({"id": id, "error": format!("line {}: {err}", number + 1)})
            }
        };
        serde_json::to_writer(&mut stdout, &answer)?;
        stdout.write_all(b"\n")?;
        stdout.flush()?;
    }
    Ok(ExitCode::SUCCESS)
}

fn check_one(args: CheckArgs) -> Result<ExitCode> {
    let Some(tool) = args.tool.clone() else {
        bail!("--tool is required");
    };
    let input: Value = serde_json::from_str(&args.input).context("--input is not valid JSON")?;
    if !input.is_object() {
        bail!("--input must be a JSON object, got {input}");
    }
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
    let Some(home) = opts.resolved_home() else {
        bail!("cannot determine the home directory (set HOME)");
    };
    let loaded = load(&opts);
    let mode = ferrule_setup::resolve_mode(&loaded, args.mode.as_deref())?;
    let user_dir = opts.resolved_user_dir();
    let mut builder =
        ferrule_setup::policy_builder(&loaded, &cwd, &home, user_dir.as_deref(), mode);
    for dir in &args.add_dir {
        builder = builder.additional_dir(dir.as_str());
    }
    let policy = builder.build();
    let hook = match args.hook.as_deref() {
        None => None,
        Some("allow") => Some(ferrule_permissions::HookVerdict::Allow),
        Some("deny") => Some(ferrule_permissions::HookVerdict::Deny),
        Some("ask") => Some(ferrule_permissions::HookVerdict::Ask),
        Some(other) => bail!("--hook {other}: expected allow, deny or ask"),
    };
    let request = Request { tool, input, hook };
    let decision = decide(&policy, &request);
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let value = decision_json(&decision, &policy, &loaded);
        serde_json::to_writer_pretty(&mut stdout, &value)?;
        stdout.write_all(b"\n")?;
    } else {
        stdout.write_all(decision_text(&decision, &policy, &loaded).as_bytes())?;
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn rule_where(decision: &Decision) -> Option<String> {
    let rule = decision.rule.as_ref()?;
    let file = rule
        .source
        .as_deref()
        .map_or_else(|| "<rules>".to_string(), |p| p.display().to_string());
    Some(format!("{file}, permissions.{}[{}]", rule.list, rule.index))
}

fn decision_text(decision: &Decision, policy: &Policy, loaded: &LoadedSettings) -> String {
    let mut out = format!("decision: {}\n", decision.behavior);
    if let Some(kind) = decision.ask_kind {
        out.push_str(&format!("ask kind: {}\n", kind.as_str()));
    }
    match (&decision.rule, rule_where(decision)) {
        (Some(rule), Some(place)) => out.push_str(&format!("rule:     {} ({place})\n", rule.text)),
        _ => out.push_str("rule:     (none)\n"),
    }
    out.push_str(&format!("reason:   {}\n", decision.reason));
    out.push_str(&format!("mode:     {}\n", policy.mode()));
    for diagnostic in policy.diagnostics() {
        out.push_str(&format!("warning:  {diagnostic}\n"));
    }
    for unknown in policy.unknown_tool_rules() {
        let file = unknown
            .source
            .as_deref()
            .map_or_else(|| "<rules>".to_string(), |p| p.display().to_string());
        out.push_str(&format!(
            "note:     {file}: permissions.{}[{}] `{}` names unknown tool `{}` (kept: it may appear later)\n",
            unknown.list, unknown.index, unknown.text, unknown.tool
        ));
    }
    for diagnostic in &loaded.diagnostics {
        out.push_str(&format!(
            "warning:  {}: {}\n",
            diagnostic.path.display(),
            diagnostic.message
        ));
    }
    out
}

fn diagnostic_json(diagnostic: &RuleDiagnostic) -> Value {
    json!({
        "source": diagnostic.source,
        "list": diagnostic.list.as_str(),
        "index": diagnostic.index,
        "rule": diagnostic.text,
        "error": diagnostic.error.to_string(),
    })
}

fn decision_json(decision: &Decision, policy: &Policy, loaded: &LoadedSettings) -> Value {
    json!({
        "decision": decision.behavior.as_str(),
        "ask_kind": decision.ask_kind.map(AskKind::as_str),
        "matched_rule": decision.rule.as_ref().map(|r| r.text.clone()),
        "rule_source": decision.rule.as_ref().map(|r| json!({
            "file": r.source,
            "list": r.list.as_str(),
            "index": r.index,
        })),
        "reason": decision.reason,
        "mode": policy.mode().as_str(),
        "working_dirs": policy.working_dirs(),
        "rule_errors": policy.diagnostics().iter().map(diagnostic_json).collect::<Vec<_>>(),
        "unknown_tools": policy.unknown_tool_rules().iter().map(|u| json!({
            "source": u.source,
            "list": u.list.as_str(),
            "index": u.index,
            "rule": u.text,
            "tool": u.tool,
        })).collect::<Vec<_>>(),
        "settings_errors": loaded.diagnostics.iter().map(|d| json!({
            "file": d.path,
            "line": d.line,
            "column": d.column,
            "message": d.message,
        })).collect::<Vec<_>>(),
    })
}
