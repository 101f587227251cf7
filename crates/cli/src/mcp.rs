//! `ferrule mcp ...`: manage MCP servers in the files the Qoder CLI uses
//! (`add`, `add-json`, `remove`, `list`, `get`, project-server approval) and
//! `serve` ferrule's own tools to other MCP hosts.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use ferrule_config::{DEFAULT_POLICY_PATH, LoadOptions, LoadedSettings, load};
use ferrule_mcp::{
    LoadRequest, ManagerOptions, McpManager, McpScope, ServerSpec, TransportSpec, load_servers,
    parse_server, scope_file, set_project_choice, set_server,
};
use ferrule_protocol::sdk::{McpConnectionStatus, McpServerStatus};
use serde_json::{Map, Value, json};

/// `ferrule mcp`: configure and inspect MCP servers, or serve ferrule's tools.
#[derive(Debug, Args)]
pub(crate) struct McpArgs {
    #[command(subcommand)]
    command: McpCommand,
    /// The user configuration directory (default: $FERRULE_HOME or ~/.qoder).
    #[arg(long, value_name = "DIR", global = true)]
    config_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum McpCommand {
    /// Add a server: `add <name> -- <command> [args...]` for stdio, or
    /// `add -t http <name> <url>`.
    Add(AddArgs),
    /// Add a server from its JSON config: `add-json <name> '<json>'`.
    AddJson(AddJsonArgs),
    /// Remove a server (from the one scope that has it, or from `-s`).
    Remove(RemoveArgs),
    /// List the configured servers and connect to each to show its status.
    List(ListArgs),
    /// Show one server's config and status.
    Get(GetArgs),
    /// Approve a project server from .mcp.json (recorded in settings.local.json).
    Approve(NameArg),
    /// Reject a project server from .mcp.json.
    Reject(NameArg),
    /// Switch a server back on (and approve it, if it is a project server).
    Enable(NameArg),
    /// Switch a server off in this project (`disabledMcpServers` in
    /// settings.local.json); its config stays.
    Disable(NameArg),
    /// Forget every approval or rejection of .mcp.json servers.
    ResetProjectChoices,
    /// Serve ferrule's built-in tools as an MCP server on stdin/stdout; every
    /// call is checked against the project's permission rules (ask = deny).
    Serve,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ScopeArg {
    Local,
    Project,
    User,
}

impl ScopeArg {
    fn scope(self) -> McpScope {
        match self {
            ScopeArg::Local => McpScope::Local,
            ScopeArg::Project => McpScope::Project,
            ScopeArg::User => McpScope::User,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TransportArg {
    Stdio,
    Sse,
    Http,
}

#[derive(Debug, Args)]
struct AddArgs {
    /// Where to store it: local (default), project (.mcp.json) or user.
    #[arg(short, long, value_enum, default_value = "local")]
    scope: ScopeArg,
    /// Transport: stdio (default), sse or http.
    #[arg(short = 't', long = "transport", value_enum, default_value = "stdio")]
    transport: TransportArg,
    /// Environment variable for a stdio server, KEY=VALUE (repeatable).
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// HTTP header for an sse/http server, "Name: value" (repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    header: Vec<String>,
    /// Server name.
    name: String,
    /// The command (stdio) or URL (sse/http).
    command_or_url: String,
    /// Arguments of the command.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

#[derive(Debug, Args)]
struct AddJsonArgs {
    /// Where to store it: local (default), project (.mcp.json) or user.
    #[arg(short, long, value_enum, default_value = "local")]
    scope: ScopeArg,
    /// Server name.
    name: String,
    /// The server's JSON config, e.g. '{"type":"http","url":"..."}'.
    json: String,
}

#[derive(Debug, Args)]
struct RemoveArgs {
    /// The scope to remove it from (needed when several have it).
    #[arg(short, long, value_enum)]
    scope: Option<ScopeArg>,
    /// Server name.
    name: String,
}

#[derive(Debug, Args)]
struct ListArgs {
    /// Print JSON (the `mcp_status` shape) instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct GetArgs {
    /// Server name.
    name: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct NameArg {
    /// Server name.
    name: String,
}

/// Runs `ferrule mcp ...`.
pub(crate) fn run(args: McpArgs) -> Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot determine the current directory")?;
    let mut opts = LoadOptions::new(&cwd);
    opts.user_dir = args.config_dir.clone();
    opts.policy_path = Some(
        std::env::var_os("FERRULE_POLICY_SETTINGS")
            .map_or_else(|| PathBuf::from(DEFAULT_POLICY_PATH), PathBuf::from),
    );
    let Some(user_dir) = opts.resolved_user_dir() else {
        bail!("cannot determine the user configuration directory (set HOME or FERRULE_HOME)");
    };
    // Not locked: `serve` writes the protocol to stdout from other threads.
    let mut stdout = std::io::stdout();
    let out = &mut stdout;
    match args.command {
        McpCommand::Add(add) => {
            let config = add_config(&add)?;
            write_server(&cwd, &user_dir, add.scope, &add.name, config, out)
        }
        McpCommand::AddJson(add) => {
            let config: Value = serde_json::from_str(&add.json)
                .with_context(|| format!("the config of `{}` is not valid JSON", add.name))?;
            write_server(&cwd, &user_dir, add.scope, &add.name, config, out)
        }
        McpCommand::Remove(remove) => remove_server(&cwd, &user_dir, &remove, out),
        McpCommand::List(list) => {
            let (servers, status) = connect(&opts, &cwd, None)?;
            report(&servers, &status, list.json, out)
        }
        McpCommand::Get(get) => {
            let (servers, status) = connect(&opts, &cwd, Some(&get.name))?;
            if servers.is_empty() {
                bail!("no MCP server named `{}` is configured", get.name);
            }
            report(&servers, &status, get.json, out)
        }
        McpCommand::Approve(n) => choose(&cwd, &n.name, true, out),
        McpCommand::Reject(n) => choose(&cwd, &n.name, false, out),
        McpCommand::Enable(n) => switch(&cwd, &n.name, false, out),
        McpCommand::Disable(n) => switch(&cwd, &n.name, true, out),
        McpCommand::ResetProjectChoices => {
            let path = ferrule_config::local_settings_file(&cwd);
            ferrule_mcp::reset_project_choices(&path)?;
            writeln!(
                out,
                "Project MCP server choices reset in {}",
                path.display()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        McpCommand::Serve => serve(&opts, &cwd, &user_dir),
    }
}

/// The JSON config `ferrule mcp add` writes.
fn add_config(add: &AddArgs) -> Result<Value> {
    let mut config = Map::new();
    match add.transport {
        TransportArg::Stdio => {
            if !add.header.is_empty() {
                bail!("-H/--header applies to sse and http servers, not stdio");
            }
            config.insert("command".into(), json!(add.command_or_url));
            config.insert("args".into(), json!(add.args));
            let mut env = Map::new();
            for pair in &add.env {
                let Some((key, value)) = pair.split_once('=') else {
                    bail!("-e {pair}: expected KEY=VALUE");
                };
                if key.is_empty() {
                    bail!("-e {pair}: the variable name is empty");
                }
                env.insert(key.to_owned(), json!(value));
            }
            if !env.is_empty() {
                config.insert("env".into(), Value::Object(env));
            }
        }
        TransportArg::Sse | TransportArg::Http => {
            if !add.env.is_empty() {
                bail!("-e/--env applies to stdio servers, not sse or http");
            }
            if !add.args.is_empty() {
                bail!(
                    "an sse/http server takes a URL only, got extra arguments {:?}",
                    add.args
                );
            }
            let kind = if add.transport == TransportArg::Sse {
                "sse"
            } else {
                "http"
            };
            config.insert("type".into(), json!(kind));
            config.insert("url".into(), json!(add.command_or_url));
            let mut headers = Map::new();
            for header in &add.header {
                let Some((name, value)) = header.split_once(':') else {
                    bail!("-H {header}: expected \"Name: value\"");
                };
                headers.insert(name.trim().to_owned(), json!(value.trim()));
            }
            if !headers.is_empty() {
                config.insert("headers".into(), Value::Object(headers));
            }
        }
    }
    Ok(Value::Object(config))
}

fn write_server(
    cwd: &Path,
    user_dir: &Path,
    scope: ScopeArg,
    name: &str,
    config: Value,
    out: &mut impl std::io::Write,
) -> Result<ExitCode> {
    if name.trim().is_empty() {
        bail!("the server name is empty");
    }
    let scope = scope.scope();
    // Check the config the way a session will read it.
    parse_server(name, &config, scope, cwd, "the new config").map_err(|e| anyhow::anyhow!(e))?;
    let Some(path) = scope_file(scope, cwd, user_dir) else {
        bail!("scope {scope} has no config file");
    };
    set_server(&path, name, Some(config))?;
    writeln!(
        out,
        "Added MCP server {name} to {scope} config: {}",
        path.display()
    )?;
    Ok(ExitCode::SUCCESS)
}

fn remove_server(
    cwd: &Path,
    user_dir: &Path,
    remove: &RemoveArgs,
    out: &mut impl std::io::Write,
) -> Result<ExitCode> {
    let scopes: Vec<ScopeArg> = match remove.scope {
        Some(scope) => vec![scope],
        None => [ScopeArg::Local, ScopeArg::Project, ScopeArg::User]
            .into_iter()
            .filter(|s| {
                scope_file(s.scope(), cwd, user_dir)
                    .and_then(|p| ferrule_mcp::read_servers(&p).ok())
                    .is_some_and(|servers| servers.contains_key(&remove.name))
            })
            .collect(),
    };
    match scopes.as_slice() {
        [] => bail!(
            "no MCP server named `{}` in the local, project or user config",
            remove.name
        ),
        [scope] => {
            let Some(path) = scope_file(scope.scope(), cwd, user_dir) else {
                bail!("scope has no config file");
            };
            if !set_server(&path, &remove.name, None)? {
                bail!(
                    "no MCP server named `{}` in {}",
                    remove.name,
                    path.display()
                );
            }
            writeln!(
                out,
                "Removed MCP server {} from {}",
                remove.name,
                path.display()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        several => {
            let names: Vec<&str> = several.iter().map(|s| s.scope().as_str()).collect();
            bail!(
                "MCP server `{}` is configured in several scopes ({}); pick one with -s",
                remove.name,
                names.join(", ")
            )
        }
    }
}

fn choose(
    cwd: &Path,
    name: &str,
    approve: bool,
    out: &mut impl std::io::Write,
) -> Result<ExitCode> {
    let in_project = ferrule_mcp::read_servers(&cwd.join(".mcp.json"))?;
    if !in_project.contains_key(name) {
        bail!(
            "no MCP server named `{name}` in {}",
            cwd.join(".mcp.json").display()
        );
    }
    let path = ferrule_config::local_settings_file(cwd);
    set_project_choice(&path, name, approve)?;
    let verb = if approve { "Approved" } else { "Rejected" };
    writeln!(
        out,
        "{verb} project MCP server {name} (recorded in {})",
        path.display()
    )?;
    Ok(ExitCode::SUCCESS)
}

fn switch(cwd: &Path, name: &str, off: bool, out: &mut impl std::io::Write) -> Result<ExitCode> {
    let path = ferrule_config::local_settings_file(cwd);
    ferrule_mcp::set_switched_off(&path, name, off)?;
    let in_project = ferrule_mcp::read_servers(&cwd.join(".mcp.json"))?;
    if !off && in_project.contains_key(name) {
        set_project_choice(&path, name, true)?;
    }
    let verb = if off { "Disabled" } else { "Enabled" };
    writeln!(
        out,
        "{verb} MCP server {name} (recorded in {})",
        path.display()
    )?;
    Ok(ExitCode::SUCCESS)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Loads the servers (trusting project servers, as print mode does, but
/// keeping recorded rejections) and connects to them, or only to `only`.
fn connect(
    opts: &LoadOptions,
    cwd: &Path,
    only: Option<&str>,
) -> Result<(Vec<ServerSpec>, Vec<McpServerStatus>)> {
    let settings = load(opts);
    let request = LoadRequest {
        cwd: cwd.to_path_buf(),
        trust_project_servers: true,
        ..LoadRequest::default()
    };
    let loaded = load_servers(&request, &settings);
    for error in &loaded.errors {
        eprintln!("warning: {error}");
    }
    let servers: Vec<ServerSpec> = loaded
        .servers
        .into_iter()
        .filter(|s| only.is_none_or(|n| n == s.name))
        .collect();
    let options = ManagerOptions::from_lookup(&|name| lookup(&settings, name));
    // Statuses are read while the runtime (and so each connection) is alive;
    // the servers are shut down before it goes.
    let status = runtime()?.block_on(async {
        let manager = McpManager::start(servers.clone(), options).await;
        let status = manager.status();
        manager.shutdown();
        status
    });
    Ok((servers, status))
}

/// An environment variable, the settings' `env` first.
fn lookup(settings: &LoadedSettings, name: &str) -> Option<String> {
    settings
        .merged
        .env
        .as_ref()
        .and_then(|env| env.get(name).cloned())
        .or_else(|| std::env::var(name).ok())
}

fn target(spec: &ServerSpec) -> String {
    match &spec.transport {
        TransportSpec::Stdio { command, args, .. } => std::iter::once(command.as_str())
            .chain(args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        TransportSpec::Http { url, .. } => format!("{url} (HTTP)"),
        TransportSpec::Sse { url, .. } => format!("{url} (SSE)"),
        TransportSpec::Sdk { name } => format!("SDK server {name}"),
        _ => spec.transport.kind().to_owned(),
    }
}

fn report(
    servers: &[ServerSpec],
    status: &[McpServerStatus],
    as_json: bool,
    out: &mut impl std::io::Write,
) -> Result<ExitCode> {
    if as_json {
        serde_json::to_writer_pretty(&mut *out, &json!({ "mcpServers": status }))?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if servers.is_empty() {
        writeln!(
            out,
            "No MCP servers configured. Use `ferrule mcp add` to add one."
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    for (spec, status) in servers.iter().zip(status) {
        let state = match &status.status {
            McpConnectionStatus::Connected => {
                let count = status.tools.as_ref().map_or(0, Vec::len);
                format!("connected ({count} tools)")
            }
            other => match &status.error {
                Some(error) => format!("{other}: {error}"),
                None => other.to_string(),
            },
        };
        writeln!(
            out,
            "{}: {} [{}] - {state}",
            spec.name,
            target(spec),
            spec.scope
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `ferrule mcp serve`: the built-in tools under the project's policy.
fn serve(opts: &LoadOptions, cwd: &Path, user_dir: &Path) -> Result<ExitCode> {
    let settings = load(opts);
    let Some(home) = opts.resolved_home() else {
        bail!("cannot determine the home directory (set HOME)");
    };
    let mode = ferrule_setup::resolve_mode(&settings, None)?;
    let policy = ferrule_setup::policy_builder(&settings, cwd, &home, Some(user_dir), mode).build();
    let runtime = runtime()?;
    runtime.block_on(async {
        let mut registry = ferrule_tool::ToolRegistry::new();
        for tool in ferrule_tools::builtin_tools(&ferrule_tools::BuiltinOptions::default()) {
            registry.register_arc(tool)?;
        }
        let server = ferrule_mcp::ToolServer::new(registry, policy, cwd);
        ferrule_mcp::serve_stdio(server).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
