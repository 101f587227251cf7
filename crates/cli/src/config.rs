//! `ferrule config show` and `ferrule config import`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use ferrule_config::{
    CliArgs, DEFAULT_POLICY_PATH, ImportKind, ImportMode, ImportOptions, ImportScope, LayerStatus,
    LoadOptions, LoadedSettings, SettingSource, SettingsLayer, load, split_rule_list,
};
use serde_json::{Value, json};

/// `ferrule config`: inspect and convert settings.
#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    #[command(subcommand)]
    command: ConfigCommand,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print every settings layer (file, whether it loaded, its problems),
    /// the merged settings, and which layers each key came from. Exits with
    /// 1 when a layer has an error.
    Show(ShowArgs),
    /// Convert Claude Code files (CLAUDE.md, .claude/settings*.json,
    /// .claude/skills|agents|commands) into Qoder files. Existing different
    /// files are reported as conflicts and left alone; exits with 1 when
    /// there was a conflict.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
struct ShowArgs {
    /// The project directory (default: the current directory).
    #[arg(long, short = 'w', value_name = "DIR")]
    cwd: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Extra settings: a file or inline JSON, as for the agent.
    #[arg(long, value_name = "FILE|JSON")]
    settings: Option<String>,
    /// Which settings files load: a comma-separated subset of
    /// user,project,local (empty: none).
    #[arg(long, value_name = "LIST")]
    setting_sources: Option<String>,
    /// The user configuration directory (default: $FERRULE_HOME or ~/.qoder).
    #[arg(long, value_name = "DIR")]
    config_dir: Option<PathBuf>,
    /// Show the effect of `--permission-mode` (the command-line layer).
    #[arg(long, value_name = "MODE")]
    permission_mode: Option<String>,
    /// Show the effect of `--allowed-tools` rules (comma-separated, repeatable).
    #[arg(long, value_name = "RULES")]
    allowed_tools: Vec<String>,
    /// Show the effect of `--disallowed-tools` rules (comma-separated, repeatable).
    #[arg(long, value_name = "RULES")]
    disallowed_tools: Vec<String>,
    /// Show the effect of `--add-dir` (repeatable).
    #[arg(long, value_name = "DIR")]
    add_dir: Vec<String>,
    /// Show the effect of `--model`.
    #[arg(long, value_name = "MODEL")]
    model: Option<String>,
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// The project directory (default: the current directory).
    #[arg(long, short = 'w', value_name = "DIR")]
    cwd: Option<PathBuf>,
    /// Import ~/.claude into the user directory instead of the project.
    #[arg(long)]
    user: bool,
    /// Only print what would be done.
    #[arg(long)]
    dry_run: bool,
    /// The user configuration directory (default: $FERRULE_HOME or ~/.qoder).
    #[arg(long, value_name = "DIR")]
    config_dir: Option<PathBuf>,
}

/// Runs `ferrule config ...`.
pub(crate) fn run(args: ConfigArgs) -> Result<ExitCode> {
    match args.command {
        ConfigCommand::Show(a) => show(a),
        ConfigCommand::Import(a) => import(a),
    }
}

/// Writes command output to stdout (the binary's own output, not a log).
fn emit(text: &str) -> Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

fn project_dir(cwd: Option<PathBuf>) -> Result<PathBuf> {
    let here = std::env::current_dir().context("cannot determine the current directory")?;
    let dir = match cwd {
        Some(d) => here.join(d),
        None => here,
    };
    if !dir.is_dir() {
        anyhow::bail!("--cwd {}: not a directory", dir.display());
    }
    Ok(dir)
}

fn show(args: ShowArgs) -> Result<ExitCode> {
    let mut opts = LoadOptions::new(project_dir(args.cwd)?);
    opts.user_dir = args.config_dir;
    opts.settings_flag = args.settings;
    if let Some(list) = &args.setting_sources {
        opts.setting_sources = Some(SettingSource::parse_list(list).context("--setting-sources")?);
    }
    let rules = |lists: &[String]| -> Vec<String> {
        lists.iter().flat_map(|l| split_rule_list(l)).collect()
    };
    opts.cli_args = CliArgs {
        permission_mode: args.permission_mode,
        allowed_tools: rules(&args.allowed_tools),
        disallowed_tools: rules(&args.disallowed_tools),
        add_dirs: args.add_dir,
        model: args.model,
    };
    opts.policy_path = Some(
        std::env::var_os("FERRULE_POLICY_SETTINGS")
            .map_or_else(|| PathBuf::from(DEFAULT_POLICY_PATH), PathBuf::from),
    );
    let loaded = load(&opts);
    let out = if args.json {
        let mut s = serde_json::to_string_pretty(&show_json(&loaded))?;
        s.push('\n');
        s
    } else {
        show_text(&loaded)
    };
    emit(&out)?;
    Ok(if loaded.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn status_json(status: &LayerStatus) -> (&'static str, Option<&str>) {
    match status {
        LayerStatus::Loaded => ("loaded", None),
        LayerStatus::Missing => ("missing", None),
        LayerStatus::Skipped(reason) => ("skipped", Some(reason)),
        LayerStatus::Failed => ("failed", None),
        _ => ("unknown", None),
    }
}

fn layer_ref(index: usize, layer: &SettingsLayer) -> Value {
    json!({
        "layer": index,
        "scope": layer.scope,
        "vendor": layer.vendor,
        "path": layer.path,
    })
}

fn show_json(loaded: &LoadedSettings) -> Value {
    let layers: Vec<Value> = loaded
        .layers
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let (status, reason) = status_json(&l.status);
            let mut v = layer_ref(i, l);
            v["status"] = json!(status);
            if let Some(reason) = reason {
                v["reason"] = json!(reason);
            }
            v["diagnostics"] = json!(l.diagnostics);
            if l.status == LayerStatus::Loaded {
                v["settings"] = json!(l.settings);
            }
            v
        })
        .collect();
    let origins: serde_json::Map<String, Value> = loaded
        .top_level_origins
        .iter()
        .map(|(key, idxs)| {
            let refs: Vec<Value> = idxs
                .iter()
                .filter_map(|&i| loaded.layers.get(i).map(|l| layer_ref(i, l)))
                .collect();
            (key.clone(), Value::Array(refs))
        })
        .collect();
    let key_origins: serde_json::Map<String, Value> = loaded
        .key_origins()
        .into_iter()
        .map(|(key, idxs)| (key, json!(idxs)))
        .collect();
    json!({
        "layers": layers,
        "merged": loaded.merged,
        "origins": origins,
        "key_origins": key_origins,
        "diagnostics": loaded.diagnostics,
    })
}

fn describe(index: usize, l: &SettingsLayer) -> String {
    let path = l
        .path
        .as_ref()
        .map_or_else(|| "(command line)".to_owned(), |p| p.display().to_string());
    format!("[{index}] {} ({}) {path}", l.scope, l.vendor)
}

fn show_text(loaded: &LoadedSettings) -> String {
    let mut out = String::from("Settings layers, lowest precedence first:\n");
    for (i, l) in loaded.layers.iter().enumerate() {
        let status = match &l.status {
            LayerStatus::Skipped(reason) => format!("skipped: {reason}"),
            other => status_json(other).0.to_owned(),
        };
        let _ = writeln!(out, "  {}  -- {status}", describe(i, l));
        for d in &l.diagnostics {
            let _ = writeln!(out, "      {d}");
        }
    }
    out.push_str("\nMerged settings:\n");
    let merged = serde_json::to_string_pretty(&loaded.merged).unwrap_or_default();
    for line in merged.lines() {
        let _ = writeln!(out, "  {line}");
    }
    out.push_str("\nWhere each top-level key comes from:\n");
    if loaded.top_level_origins.is_empty() {
        out.push_str("  (no settings)\n");
    }
    for (key, idxs) in &loaded.top_level_origins {
        let sources: Vec<String> = idxs
            .iter()
            .filter_map(|&i| loaded.layers.get(i).map(|l| describe(i, l)))
            .collect();
        let _ = writeln!(out, "  {key}: {}", sources.join(", "));
    }
    let nested: Vec<(String, Vec<usize>)> = loaded
        .key_origins()
        .into_iter()
        .filter(|(path, _)| !loaded.top_level_origins.contains_key(path))
        .collect();
    if !nested.is_empty() {
        out.push_str("\nWhere each nested value comes from (layer numbers):\n");
        for (path, idxs) in nested {
            let idxs: Vec<String> = idxs.iter().map(|i| format!("[{i}]")).collect();
            let _ = writeln!(out, "  {path}: {}", idxs.join(", "));
        }
    }
    out
}

fn import(args: ImportArgs) -> Result<ExitCode> {
    let load_opts = LoadOptions {
        user_dir: args.config_dir,
        ..LoadOptions::new(project_dir(args.cwd)?)
    };
    let home = load_opts
        .resolved_home()
        .context("HOME is not set; cannot find ~/.claude")?;
    let user_dir = load_opts
        .resolved_user_dir()
        .context("cannot determine the user directory; pass --config-dir")?;
    let opts = ImportOptions {
        cwd: load_opts.cwd,
        home,
        user_dir,
        scope: if args.user {
            ImportScope::User
        } else {
            ImportScope::Project
        },
        mode: if args.dry_run {
            ImportMode::DryRun
        } else {
            ImportMode::Write
        },
    };
    let actions = ferrule_config::import(&opts)?;
    let mut out = String::new();
    if args.dry_run {
        out.push_str("dry run: nothing is written\n");
    }
    if actions.is_empty() {
        out.push_str("no Claude Code files found\n");
    }
    let mut conflicts = false;
    for a in &actions {
        let (from, to) = (a.from.display(), a.to.display());
        let _ = match &a.kind {
            ImportKind::Create => writeln!(out, "create    {from} -> {to}"),
            ImportKind::Merge { added, kept } => {
                let mut line = format!("merge     {from} -> {to}");
                if !added.is_empty() {
                    let _ = write!(line, " (added: {})", added.join(", "));
                }
                if !kept.is_empty() {
                    let _ = write!(line, " (kept the existing value of: {})", kept.join(", "));
                }
                writeln!(out, "{line}")
            }
            ImportKind::AlreadyPresent => {
                writeln!(out, "present   {from} -> {to} (already imported)")
            }
            ImportKind::Conflict { reason } => {
                conflicts = true;
                writeln!(out, "conflict  {from} -> {to}: {reason}")
            }
            _ => writeln!(out, "?         {from} -> {to}"),
        };
    }
    emit(&out)?;
    Ok(if conflicts {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
