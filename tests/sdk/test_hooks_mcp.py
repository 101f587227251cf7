"""Hooks (`hooks.md`) and in-process SDK MCP tools (`mcp.md`)."""

from typing import Any

import pytest
from qoder_agent_sdk import (
    HookMatcher,
    QoderSDKClient,
    ToolResultBlock,
    UserMessage,
    create_sdk_mcp_server,
    query,
    tool,
)

from conftest import text
from conftest import tool as call

pytestmark = pytest.mark.anyio


def tool_results(messages):
    return [b for m in messages if isinstance(m, UserMessage) and isinstance(m.content, list)
            for b in m.content if isinstance(b, ToolResultBlock)]


async def test_pre_tool_use_hook_denies_a_dangerous_command(sandbox):
    victim = sandbox.project / "keep.txt"
    victim.write_text("keep")
    model = sandbox.script(call("Bash", {"command": f"rm -rf {victim}"}), text("blocked"))
    seen = []

    async def security_hook(inp, tid, ctx):
        seen.append((inp["hook_event_name"], inp["tool_name"], tid))
        if "rm -rf" in (inp.get("tool_input") or {}).get("command", ""):
            return {"hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "deny",
                "permissionDecisionReason": "Destructive delete operations are not allowed",
            }}
        return {}

    options = sandbox.options(model, permission_mode="bypassPermissions",
                              hooks={"PreToolUse": [HookMatcher(matcher="Bash", hooks=[security_hook])]})
    messages = [m async for m in query(prompt="clean up", options=options)]
    assert victim.exists()
    assert seen == [("PreToolUse", "Bash", "call_1")]
    [result] = tool_results(messages)
    assert result.is_error and "Destructive delete" in str(result.content)


async def test_post_tool_use_hook_sees_the_tool_response(sandbox):
    (sandbox.project / "a.txt").write_text("alpha\n")
    model = sandbox.script(call("Read", {"file_path": str(sandbox.project / "a.txt")}), text("read"))
    responses = []

    async def audit(inp, tid, ctx):
        responses.append((inp["hook_event_name"], inp["tool_name"], str(inp.get("tool_response"))))
        return {}

    options = sandbox.options(model, hooks={"PostToolUse": [HookMatcher(hooks=[audit])]})
    [m async for m in query(prompt="read", options=options)]
    assert len(responses) == 1 and responses[0][:2] == ("PostToolUse", "Read")
    assert "alpha" in responses[0][2]


async def test_a_raising_hook_does_not_block_the_tool(sandbox):
    model = sandbox.script(call("Bash", {"command": "touch ran.txt"}), text("ok"))

    async def broken(inp, tid, ctx):
        raise RuntimeError("hook exploded")

    options = sandbox.options(model, permission_mode="bypassPermissions",
                              hooks={"PreToolUse": [HookMatcher(hooks=[broken])]})
    messages = [m async for m in query(prompt="run", options=options)]
    assert (sandbox.project / "ran.txt").exists()
    assert messages[-1].subtype == "success"


@tool("add", "Add two integers.", {"a": int, "b": int})
async def add(args: dict[str, Any]) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": str(args["a"] + args["b"])}]}


@tool("fail", "Always fails.", {})
async def fail(args: dict[str, Any]) -> dict[str, Any]:
    raise ValueError("calculator on fire")


async def test_sdk_mcp_tool_is_offered_called_and_reported(sandbox):
    calc = create_sdk_mcp_server(name="calc", tools=[add, fail])
    model = sandbox.script(call("mcp__calc__add", {"a": 2, "b": 3}), text("5"))
    options = sandbox.options(model, mcp_servers={"calc": calc},
                              allowed_tools=["mcp__calc__add"])
    async with QoderSDKClient(options=options) as client:
        status = await client.get_mcp_status()
        await client.query("add 2 and 3")
        messages = [m async for m in client.receive_response()]
    init = messages[0]
    assert "mcp__calc__add" in init.data["tools"]
    servers = status.get("mcpServers") or status.get("servers")
    assert [(s["name"], s["status"]) for s in servers] == [("calc", "connected")]
    [result] = tool_results(messages)
    assert not result.is_error and "5" in str(result.content)


async def test_sdk_mcp_tool_error_reaches_the_model_as_a_tool_error(sandbox):
    calc = create_sdk_mcp_server(name="calc", tools=[add, fail])
    model = sandbox.script(call("mcp__calc__fail", {}), text("it failed"))
    options = sandbox.options(model, mcp_servers={"calc": calc},
                              allowed_tools=["mcp__calc__fail"])
    messages = [m async for m in query(prompt="fail", options=options)]
    [result] = tool_results(messages)
    assert result.is_error and "calculator on fire" in str(result.content)
    assert messages[-1].subtype == "success"


async def test_permission_prompt_tool_name_asks_an_sdk_mcp_tool(sandbox):
    import json

    asked = []

    @tool("approve", "Approves writes to ok.txt only.",
          {"tool_name": str, "input": dict, "tool_use_id": str})
    async def approve(args: dict[str, Any]) -> dict[str, Any]:
        asked.append((args["tool_name"], args["tool_use_id"]))
        path = args["input"].get("file_path", "")
        verdict = ({"behavior": "allow", "updatedInput": args["input"]}
                   if path.endswith("ok.txt") else {"behavior": "deny", "message": "only ok.txt"})
        return {"content": [{"type": "text", "text": json.dumps(verdict)}]}

    approver = create_sdk_mcp_server(name="approver", tools=[approve])
    model = sandbox.script(
        call("Write", {"file_path": str(sandbox.project / "ok.txt"), "content": "1"}, id="w1"),
        call("Write", {"file_path": str(sandbox.project / "no.txt"), "content": "2"}, id="w2"),
        text("done"),
    )
    options = sandbox.options(model, mcp_servers={"approver": approver},
                              permission_prompt_tool_name="mcp__approver__approve")
    messages = [m async for m in query(prompt="write", options=options)]
    assert (sandbox.project / "ok.txt").exists() and not (sandbox.project / "no.txt").exists()
    assert asked == [("Write", "w1"), ("Write", "w2")]
    assert [d["tool_use_id"] for d in messages[-1].permission_denials] == ["w2"]


async def test_user_prompt_submit_context_reaches_the_model(sandbox, fake_openai):
    from fake_openai import text_reply

    env = sandbox.env(OPENAI_BASE_URL=fake_openai.base_url, OPENAI_API_KEY="test-key")
    fake_openai.mount(text_reply("noted"))

    async def add_context(inp, tid, ctx):
        assert inp["hook_event_name"] == "UserPromptSubmit" and inp["prompt"] == "hello"
        return {"hookSpecificOutput": {"hookEventName": "UserPromptSubmit",
                                       "additionalContext": "The ticket is FER-42."}}

    options = sandbox.options("openai/fake-gpt", env=env,
                              hooks={"UserPromptSubmit": [HookMatcher(hooks=[add_context])]})
    messages = [m async for m in query(prompt="hello", options=options)]
    assert messages[-1].result == "noted"
    assert "FER-42" in str(fake_openai.requests[0]["messages"])


async def test_stdio_mcp_server_from_mcp_servers_is_started_and_used(sandbox):
    import pathlib
    import sys

    server = str(pathlib.Path(__file__).with_name("echo_server.py"))
    model = sandbox.script(call("mcp__echo__shout", {"text": "hi"}), text("shouted"))
    calc = create_sdk_mcp_server(name="calc", tools=[add])
    options = sandbox.options(model, allowed_tools=["mcp__echo__shout"], mcp_servers={
        "echo": {"type": "stdio", "command": sys.executable, "args": [server]},
        "calc": calc,
    })
    async with QoderSDKClient(options=options) as client:
        status = await client.get_mcp_status()
        await client.query("shout hi")
        messages = [m async for m in client.receive_response()]
    servers = {s["name"]: s["status"] for s in status.get("mcpServers") or status["servers"]}
    assert servers == {"echo": "connected", "calc": "connected"}
    assert {"mcp__echo__shout", "mcp__calc__add"} <= set(messages[0].data["tools"])
    [result] = tool_results(messages)
    assert not result.is_error and "HI" in str(result.content)


async def test_session_start_hook_sees_startup_and_its_context_reaches_the_model(
        sandbox, fake_openai):
    from fake_openai import text_reply

    env = sandbox.env(OPENAI_BASE_URL=fake_openai.base_url, OPENAI_API_KEY="test-key")
    fake_openai.mount(text_reply("ok"))
    sources = []

    async def on_start(inp, tid, ctx):
        sources.append((inp["hook_event_name"], inp["source"]))
        return {"hookSpecificOutput": {"hookEventName": "SessionStart",
                                       "additionalContext": "Deploys freeze on Fridays."}}

    options = sandbox.options("openai/fake-gpt", env=env,
                              hooks={"SessionStart": [HookMatcher(hooks=[on_start])]})
    [m async for m in query(prompt="can I deploy?", options=options)]
    assert sources == [("SessionStart", "startup")]
    assert "Deploys freeze on Fridays." in str(fake_openai.requests[0]["messages"])
