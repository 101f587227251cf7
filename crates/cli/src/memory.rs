//! `ferrule memory show`: everything the memory crate loads for a folder,
//! where it came from, in which order, and what was skipped and why.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use ferrule_memory::{
    InjectReason, Injection, LoadOptions, LoadReason, MemoryFile, Origin, Rule, Scope,
    SessionMemory, StartupItem, Trigger, Workspace,
};
use serde_json::json;

/// `ferrule memory`: inspect memory, rules, skills, commands and subagents.
#[derive(Debug, Args)]
pub(crate) struct MemoryArgs {
    #[command(subcommand)]
    command: MemoryCommand,
}

#[derive(Debug, Subcommand)]
enum MemoryCommand {
    /// Print the memory files and rules in injection order, every rule with
    /// its trigger, the skills, commands, subagents and plugins, what is
    /// shadowed, and every skipped file with its reason. Exits with 0 even
    /// when files were skipped (they are listed); 1 only for a bad --cwd.
    Show(ShowArgs),
}

#[derive(Debug, Args)]
struct ShowArgs {
    /// The project directory (default: the current directory).
    #[arg(long, short = 'w', value_name = "DIR")]
    cwd: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Also show what reading or editing FILE would add (subfolder memory
    /// and matching glob rules).
    #[arg(long, value_name = "FILE")]
    path: Option<PathBuf>,
    /// Extra plugin directories to load (repeatable).
    #[arg(long, value_name = "DIR")]
    plugin_dir: Vec<PathBuf>,
    /// The user configuration directory (default: $FERRULE_HOME or ~/.qoder).
    #[arg(long, value_name = "DIR")]
    config_dir: Option<PathBuf>,
}

/// Runs `ferrule memory ...`.
pub(crate) fn run(args: MemoryArgs) -> Result<ExitCode> {
    match args.command {
        MemoryCommand::Show(a) => show(a),
    }
}

fn emit(text: &str) -> Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// The memory options for `cwd`: user and home directories from the
/// environment (or `--config-dir`), and `context.fileName` /
/// `agentsMdExcludes` from the merged settings.
fn options(args: &ShowArgs, cwd: &Path) -> LoadOptions {
    let mut settings_opts = ferrule_config::LoadOptions::new(cwd);
    settings_opts.user_dir = args.config_dir.clone();
    let settings = ferrule_config::load(&settings_opts).merged;
    let mut options = LoadOptions::from_env(cwd);
    if let Some(dir) = &args.config_dir {
        options.user_dir = Some(dir.clone());
    }
    if let Some(names) = settings.context.and_then(|c| c.file_name) {
        let names = names.to_vec();
        if !names.is_empty() {
            options.context_file_names = names;
        }
    }
    if let Some(excludes) = settings.agents_md_excludes {
        options.excludes = excludes;
    }
    options.plugin_dirs.clone_from(&args.plugin_dir);
    options
}

fn show(args: ShowArgs) -> Result<ExitCode> {
    let here = std::env::current_dir().context("cannot determine the current directory")?;
    let cwd = match &args.cwd {
        Some(d) => here.join(d),
        None => here,
    };
    if !cwd.is_dir() {
        anyhow::bail!("--cwd {}: not a directory", cwd.display());
    }
    let workspace = Arc::new(Workspace::load(&options(&args, &cwd)));
    let touched = args.path.as_ref().map(|p| {
        let path = if p.is_absolute() {
            p.clone()
        } else {
            cwd.join(p)
        };
        let (mut session, _) = SessionMemory::start(Arc::clone(&workspace));
        let added = session.on_path_touched(&path);
        (path, added, session)
    });
    let out = if args.json {
        let mut value = serde_json::to_value(&*workspace)?;
        if let Some((path, added, session)) = &touched {
            value["touched"] = json!({
                "path": path,
                "injections": added,
                "skipped": session.skipped,
                "warnings": session.warnings,
            });
        }
        let mut s = serde_json::to_string_pretty(&value)?;
        s.push('\n');
        s
    } else {
        let mut s = render(&workspace);
        if let Some((path, added, session)) = &touched {
            render_touched(&mut s, &workspace, path, added, session);
        }
        s
    };
    emit(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn scope(s: Scope) -> &'static str {
    match s {
        Scope::User => "user",
        Scope::Project => "project",
        Scope::Local => "local",
        Scope::Plugin => "plugin",
        Scope::Flag => "flag",
        _ => "other",
    }
}

fn origin(o: Origin) -> &'static str {
    match o {
        Origin::Qoder => "qoder",
        Origin::Claude => "claude",
    }
}

fn trigger(t: Trigger) -> &'static str {
    match t {
        Trigger::AlwaysOn => "always_on",
        Trigger::Manual => "manual",
        Trigger::ModelDecision => "model_decision",
        Trigger::Glob => "glob",
    }
}

fn reason(r: LoadReason) -> &'static str {
    match r {
        LoadReason::SessionStart => "session_start",
        LoadReason::NestedTraversal => "nested_traversal",
        LoadReason::Include => "include",
    }
}

fn memory_line(out: &mut String, n: usize, m: &MemoryFile) {
    let indent = "  ".repeat(m.depth);
    let _ = write!(
        out,
        "  {n:>3}. {indent}{}  [{} {} memory, {}",
        m.path.display(),
        scope(m.scope),
        origin(m.origin),
        reason(m.reason)
    );
    if let Some(parent) = &m.parent {
        let _ = write!(out, " from {}", parent.display());
    }
    let _ = writeln!(out, ", {} lines]", m.text.lines().count());
}

fn rule_line(out: &mut String, r: &Rule) {
    let _ = write!(
        out,
        "  {:<14} {}  [{} {}] @{}",
        trigger(r.trigger),
        r.path.display(),
        scope(r.scope),
        origin(r.origin),
        r.name
    );
    match r.trigger {
        Trigger::Glob => {
            let _ = write!(
                out,
                "\n                 globs: {} (relative to {})",
                r.globs.join(", "),
                r.base.display()
            );
        }
        Trigger::ModelDecision => {
            let _ = write!(
                out,
                "\n                 description: {}",
                r.description.as_deref().unwrap_or("")
            );
        }
        Trigger::AlwaysOn | Trigger::Manual => {}
    }
    out.push('\n');
}

fn render(ws: &Workspace) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Folder: {}", ws.cwd.display());
    let _ = writeln!(out, "Project root: {}", ws.root.display());
    let _ = writeln!(
        out,
        "User directory: {}",
        ws.user_dir
            .as_ref()
            .map_or_else(|| "(none)".to_string(), |d| d.display().to_string())
    );
    let _ = writeln!(
        out,
        "Trusted: {}",
        if ws.trusted {
            "yes"
        } else {
            "no (project files not loaded)"
        }
    );

    let _ = writeln!(out, "\nStartup context, in injection order:");
    if ws.startup.is_empty() {
        let _ = writeln!(out, "  (nothing)");
    }
    for (n, item) in ws.startup.iter().enumerate() {
        match *item {
            StartupItem::Memory(i) => memory_line(&mut out, n + 1, &ws.memory[i]),
            StartupItem::Rule(i) => {
                let r = &ws.rules[i];
                let _ = writeln!(
                    out,
                    "  {:>3}. {}  [{} {} rule, always_on, {} chars]",
                    n + 1,
                    r.path.display(),
                    scope(r.scope),
                    origin(r.origin),
                    r.body.chars().count()
                );
            }
        }
    }

    let _ = writeln!(out, "\nRules ({}):", ws.rules.len());
    for r in &ws.rules {
        rule_line(&mut out, r);
    }

    let _ = writeln!(
        out,
        "\nSkills ({}; only name and description reach the prompt):",
        ws.skills.len()
    );
    for s in &ws.skills {
        let _ = write!(
            out,
            "  {} - {}  [{} {}] {}",
            s.name,
            s.description,
            scope(s.scope),
            origin(s.origin),
            s.path.display()
        );
        if s.meta.disable_model_invocation {
            out.push_str(" (user only)");
        }
        out.push('\n');
    }

    let _ = writeln!(out, "\nCommands ({}):", ws.commands.len());
    for c in &ws.commands {
        let _ = writeln!(
            out,
            "  /{} - {}  [{} {}] {}",
            c.name,
            c.meta
                .description
                .as_deref()
                .unwrap_or("")
                .lines()
                .next()
                .unwrap_or(""),
            scope(c.scope),
            origin(c.origin),
            c.path.display()
        );
    }

    let _ = writeln!(out, "\nSubagents ({}):", ws.subagents.len());
    for a in &ws.subagents {
        let _ = writeln!(
            out,
            "  {} - {}  [{} {}] {}",
            a.name,
            a.description,
            scope(a.scope),
            origin(a.origin),
            a.path.display()
        );
    }

    let _ = writeln!(out, "\nPlugins ({}):", ws.plugins.len());
    for p in &ws.plugins {
        let servers: Vec<String> = p
            .mcp_servers
            .as_ref()
            .and_then(|v| v.as_object())
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {}  {}  hooks: {}, MCP servers: {}",
            p.name,
            p.root.display(),
            if p.hooks.is_some() { "yes" } else { "no" },
            if servers.is_empty() {
                "none".to_string()
            } else {
                servers.join(", ")
            }
        );
    }

    if !ws.shadowed.is_empty() {
        let _ = writeln!(
            out,
            "\nShadowed (a higher-priority definition has the same name):"
        );
        for s in &ws.shadowed {
            let _ = writeln!(
                out,
                "  {:?} {}: {} (hidden by {})",
                s.kind,
                s.name,
                s.path.display(),
                s.by.display()
            );
        }
    }
    if !ws.warnings.is_empty() {
        let _ = writeln!(out, "\nWarnings:");
        for w in &ws.warnings {
            let _ = writeln!(out, "  {}: {}", location(&w.path, w.line), w.message);
        }
    }
    let _ = writeln!(out, "\nSkipped ({}):", ws.skipped.len());
    for s in &ws.skipped {
        let _ = writeln!(out, "  {}: {}", location(&s.path, s.line), s.reason);
    }
    out
}

fn location(path: &Path, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{}:{line}", path.display()),
        None => path.display().to_string(),
    }
}

fn render_touched(
    out: &mut String,
    ws: &Workspace,
    path: &Path,
    added: &[Injection],
    session: &SessionMemory,
) {
    let _ = writeln!(out, "\nWhen {} is read or edited:", path.display());
    if added.is_empty() {
        let _ = writeln!(out, "  nothing new is loaded");
    }
    for inj in added {
        let why = match inj.reason {
            InjectReason::Memory(r) => reason(r),
            InjectReason::AlwaysOnRule => "always_on rule of the folder",
            InjectReason::PathGlobMatch => "path_glob_match",
            InjectReason::Mentioned => "mentioned",
            InjectReason::Updated => "updated",
        };
        let _ = writeln!(out, "  + {}  [{why}]", inj.path.display());
    }
    let unmatched: Vec<&Rule> = ws
        .rules
        .iter()
        .filter(|r| r.trigger == Trigger::Glob && !r.matches(path))
        .collect();
    for r in unmatched {
        let _ = writeln!(
            out,
            "  - {}  [glob rule, no pattern of {} matches relative to {}]",
            r.path.display(),
            r.globs.join(", "),
            r.base.display()
        );
    }
    for s in &session.skipped {
        let _ = writeln!(out, "  skipped {}: {}", location(&s.path, s.line), s.reason);
    }
    for w in &session.warnings {
        let _ = writeln!(
            out,
            "  warning {}: {}",
            location(&w.path, w.line),
            w.message
        );
    }
}
