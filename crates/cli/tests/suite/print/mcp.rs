//! MCP in print mode beyond `--mcp-config`: prompts as slash commands,
//! plugin servers, and a subagent's own servers (cli-core.md §7.3, §7.4,
//! §8.3), against the Python test server `basic.py`.

use std::time::Duration;

use anyhow::{Context as _, Result};
use ferrule_protocol::sdk::{StreamMessage, SystemMessage};
use ferrule_test_support::{FakeModelServer, openai};
use serde_json::{Value, json};

use super::harness::{Project, alive, openai_tool_results, run};
use super::mcp_common::{python, script};

/// The tool names a recorded OpenAI request offered the model.
fn offered(body: &Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["function"]["name"].as_str().map(str::to_owned))
        .collect()
}

/// The text of the last user message of a recorded OpenAI request.
fn last_user_text(body: &Value) -> String {
    let Some(message) = body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .rfind(|m| m["role"] == "user")
    else {
        return String::new();
    };
    match &message["content"] {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn an_mcp_prompt_runs_as_a_slash_command() -> Result<()> {
    let Some(python) = python() else {
        return Ok(());
    };
    let server = FakeModelServer::openai().await?;
    server.mount(openai::text_reply("Looks fine."));
    let config = json!({"mcpServers": {"basic": {
        "command": python,
        "args": [script("basic.py")],
    }}})
    .to_string();
    let project = Project::new(&[])?;
    let out = run(project.openai(
        &server.base_url(),
        &[
            "-p",
            "/mcp__basic__review x=1 in detail",
            "--mcp-config",
            &config,
        ],
    ))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let sent = last_user_text(&requests[0].body);
    assert!(
        sent.contains("Review this code (in detail):\nx=1"),
        "{sent}"
    );
    assert!(!sent.contains("/mcp__basic__review"), "{sent}");
    Ok(())
}

#[tokio::test]
async fn a_failing_mcp_prompt_is_an_error_result_and_an_unknown_one_is_sent_as_written()
-> Result<()> {
    let Some(python) = python() else {
        return Ok(());
    };
    let server = FakeModelServer::openai().await?;
    server.mount(openai::text_reply("ok"));
    let config = json!({"mcpServers": {"basic": {
        "command": python,
        "args": [script("basic.py")],
    }}})
    .to_string();
    let project = Project::new(&[])?;
    // `review` needs `code`: the server refuses, and nothing reaches the model.
    let out = run(project.openai(
        &server.base_url(),
        &["-p", "/mcp__basic__review", "--mcp-config", &config],
    ))
    .await?;
    assert_ne!(out.code, Some(0), "{}", out.stdout);
    assert!(
        out.stdout.contains("/mcp__basic__review"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    assert!(server.requests().is_empty());
    let out = run(project.openai(
        &server.base_url(),
        &["-p", "/mcp__basic__nothing here", "--mcp-config", &config],
    ))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        last_user_text(&server.requests()[0].body),
        "/mcp__basic__nothing here"
    );
    Ok(())
}

#[tokio::test]
async fn plugin_servers_join_the_session_under_the_plugin_name() -> Result<()> {
    let Some(python) = python() else {
        return Ok(());
    };
    let server = FakeModelServer::openai().await?;
    server.mount(openai::tool_calls_reply(
        &[(
            "call_1",
            "mcp__plugin_kit_basic__getenv",
            r#"{"name":"KIT_ROOT"}"#,
        )],
        2,
    ));
    server.mount(openai::text_reply("done"));
    let project = Project::new(&[(
        "plugins/kit/.qoder-plugin/plugin.json",
        r#"{"name": "kit"}"#,
    )])?;
    let mcp_json = json!({"mcpServers": {"basic": {
        "command": python,
        "args": [script("basic.py")],
        "env": {"KIT_ROOT": "${QODER_PLUGIN_ROOT}"},
    }}});
    project.write("plugins/kit/.mcp.json", &mcp_json.to_string())?;
    let plugin_dir = project.path("plugins/kit");
    let out = run(project.openai(
        &server.base_url(),
        &[
            "-p",
            "where is the plugin",
            "-o",
            "stream-json",
            "--plugin-dir",
            plugin_dir.to_str().context("utf-8 path")?,
            "--allowed-tools",
            "mcp__plugin_kit_basic",
        ],
    ))
    .await?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let lines = out.lines()?;
    let Some(StreamMessage::System(SystemMessage::Init(init))) = lines.first() else {
        panic!("no init line: {}", out.stdout);
    };
    let names: Vec<&str> = init.mcp_servers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["plugin:kit:basic"]);
    assert!(
        init.tools
            .contains(&"mcp__plugin_kit_basic__add".to_owned()),
        "{:?}",
        init.tools
    );
    let told = openai_tool_results(&server.requests()[1].body);
    let root = plugin_dir.canonicalize()?;
    assert!(
        told[0].contains(root.to_str().context("utf-8 path")?)
            || told[0].contains(plugin_dir.to_str().context("utf-8 path")?),
        "{told:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_subagents_servers_run_for_its_run_only() -> Result<()> {
    let Some(python) = python() else {
        return Ok(());
    };
    let server = FakeModelServer::openai().await?;
    // main → Agent; subagent → its server's `pid`; subagent answers; main answers.
    server.mount(openai::tool_calls_reply(
        &[(
            "call_a",
            "Agent",
            r#"{"description":"ask the helper","prompt":"report the pid","subagent_type":"helper"}"#,
        )],
        2,
    ));
    server.mount(openai::tool_calls_reply(
        &[("call_p", "mcp__scratch__pid", "{}")],
        2,
    ));
    server.mount(openai::text_reply("the helper's server ran"));
    // Slow enough to see the subagent's server gone while ferrule still runs.
    server.mount(openai::text_reply("all done").chunk_delay(Duration::from_millis(800)));
    let definition = format!(
        "---\nname: helper\ndescription: Has a scratch MCP server.\nmcpServers:\n  - scratch:\n      command: {}\n      args: [{}]\n---\nYou help.\n",
        serde_json::to_string(&python)?,
        serde_json::to_string(&script("basic.py"))?,
    );
    let project = Project::new(&[(".qoder/agents/helper.md", definition.as_str())])?;
    let running = tokio::spawn(run(project.openai(
        &server.base_url(),
        &[
            "-p",
            "use the helper",
            "-o",
            "stream-json",
            "--allowed-tools",
            "Agent,mcp__scratch",
        ],
    )));
    // The subagent's tool result carries its server's pid; the main
    // agent's next request means the subagent's run has ended.
    let requests = wait_for_requests(&server, 4).await;
    assert!(
        requests.len() >= 4,
        "only {} model requests",
        requests.len()
    );
    let told = openai_tool_results(&requests[2].body);
    let pid: i32 = told
        .first()
        .and_then(|text| text.trim().parse().ok())
        .with_context(|| format!("a pid in {told:?}"))?;
    let start = std::time::Instant::now();
    while alive(pid) && start.elapsed() < Duration::from_secs(2) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let finished_before = running.is_finished();
    assert!(!alive(pid), "the subagent's MCP server {pid} still runs");
    assert!(!finished_before, "ferrule ended before the check");
    let out = running.await??;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let lines = out.lines()?;
    let Some(StreamMessage::System(SystemMessage::Init(init))) = lines.first() else {
        panic!("no init line: {}", out.stdout);
    };
    assert!(init.mcp_servers.is_empty(), "{:?}", init.mcp_servers);
    let requests = server.requests();
    assert_eq!(requests.len(), 4, "{}", out.stderr);
    let main_tools = offered(&requests[0].body);
    assert!(main_tools.contains(&"Agent".to_owned()), "{main_tools:?}");
    assert!(
        !main_tools.iter().any(|t| t.starts_with("mcp__scratch__")),
        "{main_tools:?}"
    );
    let helper_tools = offered(&requests[1].body);
    assert!(
        helper_tools.contains(&"mcp__scratch__pid".to_owned()),
        "{helper_tools:?}"
    );
    assert!(!offered(&requests[3].body).contains(&"mcp__scratch__pid".to_owned()));
    Ok(())
}

/// The server's requests once there are `n` of them (at most 60 s).
async fn wait_for_requests(
    server: &FakeModelServer,
    n: usize,
) -> Vec<ferrule_test_support::RecordedRequest> {
    let start = std::time::Instant::now();
    loop {
        let requests = server.requests();
        if requests.len() >= n || start.elapsed() > Duration::from_secs(60) {
            return requests;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
