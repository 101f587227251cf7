"""Permissions as `permissions.md` shows them: can_use_tool, modes, rules."""

import pytest
from qoder_agent_sdk import (
    AssistantMessage,
    QoderSDKClient,
    ResultMessage,
    ToolResultBlock,
    UserMessage,
    query,
)
from qoder_agent_sdk.types import (
    PermissionResultAllow,
    PermissionResultDeny,
    PermissionRuleValue,
    PermissionUpdate,
    ToolPermissionContext,
)

from conftest import text, tool

pytestmark = pytest.mark.anyio


def tool_results(messages):
    return [b for m in messages if isinstance(m, UserMessage) and isinstance(m.content, list)
            for b in m.content if isinstance(b, ToolResultBlock)]


async def test_can_use_tool_allows_one_call_and_denies_another(sandbox):
    allowed = sandbox.project / "allowed.txt"
    denied = sandbox.project / "denied.txt"
    model = sandbox.script(
        tool("Write", {"file_path": str(allowed), "content": "a"}, id="call_a"),
        tool("Write", {"file_path": str(denied), "content": "b"}, id="call_b"),
        text("done"),
    )
    seen = []

    async def can_use_tool(tool_name, input_data, context: ToolPermissionContext):
        seen.append((tool_name, input_data["file_path"], context.tool_use_id))
        if input_data["file_path"].endswith("denied.txt"):
            return PermissionResultDeny(message="not now")
        return PermissionResultAllow(updated_input=input_data)

    options = sandbox.options(model, can_use_tool=can_use_tool)
    messages = [m async for m in query(prompt="write two files", options=options)]

    assert allowed.read_text() == "a" and not denied.exists()
    assert seen == [("Write", str(allowed), "call_a"), ("Write", str(denied), "call_b")]
    results = {r.tool_use_id: r for r in tool_results(messages)}
    assert not results["call_a"].is_error
    assert results["call_b"].is_error and "not now" in str(results["call_b"].content)
    denials = messages[-1].permission_denials
    assert [(d["tool_name"], d["tool_use_id"]) for d in denials] == [("Write", "call_b")]


async def test_can_use_tool_can_rewrite_the_input(sandbox):
    asked = sandbox.project / "asked.txt"
    safe = sandbox.project / "safe.txt"
    model = sandbox.script(tool("Write", {"file_path": str(asked), "content": "x"}), text("ok"))

    async def can_use_tool(tool_name, input_data, context):
        return PermissionResultAllow(updated_input={**input_data, "file_path": str(safe)})

    options = sandbox.options(model, can_use_tool=can_use_tool)
    [m async for m in query(prompt="write", options=options)]
    assert safe.read_text() == "x" and not asked.exists()


async def test_a_raising_callback_denies_with_its_message_and_the_turn_ends(sandbox):
    target = sandbox.project / "x.txt"
    model = sandbox.script(tool("Write", {"file_path": str(target), "content": "x"}), text("gave up"))

    async def can_use_tool(tool_name, input_data, context):
        raise RuntimeError("approval service down")

    options = sandbox.options(model, can_use_tool=can_use_tool)
    messages = [m async for m in query(prompt="write", options=options)]
    assert not target.exists()
    [result] = tool_results(messages)
    assert result.is_error and "approval service down" in str(result.content)
    assert messages[-1].subtype == "success"


async def test_allowed_tools_never_reach_can_use_tool(sandbox):
    target = sandbox.project / "pre.txt"
    model = sandbox.script(tool("Write", {"file_path": str(target), "content": "p"}), text("ok"))
    calls = []

    async def can_use_tool(tool_name, input_data, context):
        calls.append(tool_name)
        return PermissionResultDeny(message="should not be asked")

    options = sandbox.options(model, allowed_tools=["Write"], can_use_tool=can_use_tool)
    [m async for m in query(prompt="write", options=options)]
    assert target.read_text() == "p" and calls == []


async def test_disallowed_tools_deny_even_in_bypass_mode(sandbox):
    model = sandbox.script(tool("Bash", {"command": "touch bypass.txt"}), text("ok"))
    options = sandbox.options(model, permission_mode="bypassPermissions",
                              disallowed_tools=["Bash(touch:*)"])
    messages = [m async for m in query(prompt="run", options=options)]
    assert not (sandbox.project / "bypass.txt").exists()
    assert tool_results(messages)[0].is_error
    assert messages[-1].permission_denials[0]["tool_name"] == "Bash"


async def test_dont_ask_denies_what_would_ask_without_calling_back(sandbox):
    model = sandbox.script(tool("Bash", {"command": "touch dontask.txt"}), text("ok"))
    options = sandbox.options(model, permission_mode="dontAsk")
    messages = [m async for m in query(prompt="run", options=options)]
    assert not (sandbox.project / "dontask.txt").exists()
    assert tool_results(messages)[0].is_error


async def test_session_rule_from_updated_permissions_skips_later_asks(sandbox):
    model = sandbox.script(
        tool("Bash", {"command": "touch one.txt"}, id="c1"),
        text("first"),
        tool("Bash", {"command": "touch two.txt"}, id="c2"),
        text("second"),
    )
    asked = []

    async def can_use_tool(tool_name, input_data, context):
        asked.append(input_data["command"])
        return PermissionResultAllow(
            updated_input=input_data,
            updated_permissions=[PermissionUpdate(
                type="addRules", behavior="allow", destination="session",
                rules=[PermissionRuleValue(tool_name="Bash", rule_content="touch:*")])],
        )

    async with QoderSDKClient(options=sandbox.options(model, can_use_tool=can_use_tool)) as client:
        for prompt in ("one", "two"):
            await client.query(prompt)
            async for message in client.receive_response():
                pass
    assert (sandbox.project / "one.txt").exists() and (sandbox.project / "two.txt").exists()
    assert asked == ["touch one.txt"]


async def test_set_permission_mode_applies_to_the_next_call(sandbox):
    model = sandbox.script(
        tool("Bash", {"command": "touch later.txt"}),
        text("ok"),
    )
    async with QoderSDKClient(options=sandbox.options(model)) as client:
        await client.set_permission_mode("bypassPermissions")
        await client.query("run it")
        messages = [m async for m in client.receive_response()]
    assert (sandbox.project / "later.txt").exists()
    assert not tool_results(messages)[0].is_error
