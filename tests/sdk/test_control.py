"""Control requests beyond the basics: rewind, side questions, background
tasks, goals, usage info, and the kinds ferrule refuses with a clear error."""

import pathlib
import sys
from typing import Any

import anyio
import pytest
from qoder_agent_sdk import (
    QoderSDKClient,
    ResultMessage,
    SystemMessage,
    ToolResultBlock,
    UserMessage,
    create_sdk_mcp_server,
    query,
)
from qoder_agent_sdk import tool as sdk_tool

from conftest import text, tool
from fake_openai import text_reply
from test_sessions import processes_with, responses

pytestmark = pytest.mark.anyio


def replayed_uuid(messages):
    return next(m.uuid for m in messages if isinstance(m, UserMessage) and m.uuid
                and not isinstance(m.content, list))


def openai_options(sandbox, fake_openai, **kw):
    env = sandbox.env(OPENAI_BASE_URL=fake_openai.base_url, OPENAI_API_KEY="test-key")
    return sandbox.options("openai/fake-gpt", env=env, **kw)


async def two_turns_then_rewind(client):
    first = await responses(client, "first prompt")
    second = await responses(client, "second prompt")
    target = replayed_uuid(second)
    preview = await client.rewind(target, scope="conversation", dry_run=True)
    assert preview["status"] == "ready" and target in preview["removedMessageIds"]
    done = await client.rewind(target, scope="conversation")
    assert done["status"] == "success", done
    assert done["targetUserMessageId"] == target and done["scope"] == "conversation"
    assert done["retainedLeafId"] and target in done["removedMessageIds"]
    return first[-1].session_id


async def test_rewind_conversation_drops_the_later_turns_from_the_model(sandbox, fake_openai):
    for reply in ("one", "two", "three"):
        fake_openai.mount(text_reply(reply))
    options = openai_options(sandbox, fake_openai, extra_args={"replay-user-messages": None})
    async with QoderSDKClient(options=options) as client:
        await two_turns_then_rewind(client)
        third = await responses(client, "third prompt")
    assert third[-1].result == "three"
    sent = str(fake_openai.requests[2]["messages"])
    assert "first prompt" in sent and "one" in sent
    assert "second prompt" not in sent and "third prompt" in sent


async def test_rewind_conversation_is_what_a_resume_gets(sandbox, fake_openai):
    for reply in ("one", "two", "three", "four"):
        fake_openai.mount(text_reply(reply))
    options = openai_options(sandbox, fake_openai, extra_args={"replay-user-messages": None})
    async with QoderSDKClient(options=options) as client:
        session_id = await two_turns_then_rewind(client)
    for prompt, answer in (("third prompt", "three"), ("fourth prompt", "four")):
        resumed = [m async for m in query(prompt=prompt, options=openai_options(
            sandbox, fake_openai, resume=session_id))]
        assert resumed[-1].result == answer
    third, fourth = (str(fake_openai.requests[i]["messages"]) for i in (2, 3))
    assert "first prompt" in third and "second prompt" not in third
    assert "third prompt" in fourth and "first prompt" in fourth
    assert "second prompt" not in fourth


async def test_session_rules_survive_a_conversation_rewind(sandbox):
    from qoder_agent_sdk.types import (
        PermissionResultAllow,
        PermissionRuleValue,
        PermissionUpdate,
    )
    model = sandbox.script(
        tool("Bash", {"command": "touch one.txt"}, id="c1"), text("first"),
        text("second"),
        tool("Bash", {"command": "touch two.txt"}, id="c2"), text("third"),
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

    options = sandbox.options(model, can_use_tool=can_use_tool,
                              extra_args={"replay-user-messages": None})
    async with QoderSDKClient(options=options) as client:
        await responses(client, "one")
        target = replayed_uuid(await responses(client, "two"))
        assert (await client.rewind(target, scope="conversation"))["status"] == "success"
        await responses(client, "three")
    assert (sandbox.project / "two.txt").exists()
    assert asked == ["touch one.txt"]


async def test_rewind_both_restores_files_and_rejects_unknown_messages(sandbox):
    target = sandbox.project / "notes.txt"
    model = sandbox.script(
        tool("Write", {"file_path": str(target), "content": "v1\n"}), text("wrote v1"),
        tool("Write", {"file_path": str(target), "content": "v2\n"}, id="call_2"), text("wrote v2"),
    )
    options = sandbox.options(model, enable_file_checkpointing=True,
                              extra_args={"replay-user-messages": None},
                              allowed_tools=["Read", "Write"], permission_mode="acceptEdits")
    async with QoderSDKClient(options=options) as client:
        await responses(client, "write v1")
        checkpoint = replayed_uuid(await responses(client, "write v2"))
        unknown = await client.rewind("no-such-message", scope="both")
        assert unknown["status"] == "rejected" and "no-such-message" in unknown["error"]
        preview = await client.rewind(checkpoint, dry_run=True)
        assert preview["status"] == "ready" and target.read_text() == "v2\n"
        done = await client.rewind(checkpoint)
        assert done["status"] == "success" and done["filesChanged"] == [str(target)]
        assert done["scope"] == "both" and checkpoint in done["removedMessageIds"]
    assert target.read_text() == "v1\n"


async def test_side_question_uses_the_context_and_stays_out_of_the_history(
        sandbox, fake_openai):
    for reply in ("noted", "You said 42", "ok"):
        fake_openai.mount(text_reply(reply))
    async with QoderSDKClient(options=openai_options(sandbox, fake_openai)) as client:
        await responses(client, "remember the number 42")
        answer = await client.ask_side_question(
            "which number?", history=[{"question": "earlier?", "response": "earlier answer"}])
        assert answer["response"] == "You said 42" and answer["synthetic"] is False
        side = fake_openai.requests[1]
        assert not side.get("tools")
        assert "remember the number 42" in str(side["messages"])
        assert "earlier answer" in str(side["messages"])
        assert "which number?" in str(side["messages"][-1])
        await responses(client, "next")
    assert "which number?" not in str(fake_openai.requests[2]["messages"])


async def test_stop_task_stops_a_background_shell(sandbox):
    marker = "ferrule-task-" + __import__("uuid").uuid4().hex
    model = sandbox.script(
        tool("Bash", {"command": f"sleep 60; echo {marker}", "run_in_background": True}),
        text("started"))
    options = sandbox.options(model, permission_mode="bypassPermissions")
    async with QoderSDKClient(options=options) as client:
        await responses(client, "start it")
        with anyio.fail_after(15):
            while not processes_with(marker):
                await anyio.sleep(0.05)
        assert await client.background_tasks() is False
        await client.stop_task("bash_1")
        with anyio.fail_after(15):
            while processes_with(marker):
                await anyio.sleep(0.05)
        with pytest.raises(Exception, match="bash_1"):
            await client.stop_task("bash_1")


async def goal_lines(client, until):
    seen = []
    with anyio.fail_after(30):
        async for message in client.receive_messages():
            seen.append(message)
            if isinstance(message, SystemMessage) and message.subtype == "goal_updated" \
                    and message.data["goal"]["status"] == until:
                return seen
    return seen


async def test_goal_runs_turns_until_the_model_reports_it_complete(sandbox):
    model = sandbox.script(text("step one done"), text("report written\nGOAL COMPLETE"))
    async with QoderSDKClient(options=sandbox.options(model)) as client:
        assert await client.get_goal() is None
        goal = await client.set_goal(objective="write the report", credits_budget=5)
        assert goal["status"] == "active" and goal["objective"] == "write the report"
        assert goal["credits_budget"] == 5 and goal["turns_used"] == 0
        seen = await goal_lines(client, "complete")
        results = [m for m in seen if isinstance(m, ResultMessage)]
        assert [r.result for r in results] == ["step one done", "report written\nGOAL COMPLETE"]
        final = await client.get_goal()
        assert final["status"] == "complete" and final["turns_used"] == 2
        assert await client.clear_goal() is True
        assert await client.get_goal() is None and await client.clear_goal() is False


async def test_goal_blocked_by_the_model_waits_for_the_user(sandbox):
    model = sandbox.script(text("GOAL BLOCKED: need the API key"), text("thanks"))
    async with QoderSDKClient(options=sandbox.options(model)) as client:
        await client.set_goal(objective="deploy")
        seen = await goal_lines(client, "blocked")
        blocked = seen[-1].data
        assert blocked["reason"] == "need the API key"
        with pytest.raises(Exception, match="status"):
            await client.set_goal(status="finished")
        paused = await client.set_goal(status="paused", objective="deploy to staging")
        assert paused["status"] == "paused" and paused["objective"] == "deploy to staging"
        assert (await responses(client, "here it is"))[-1].result == "thanks"
        assert (await client.get_goal())["status"] == "paused"


async def test_usage_info_reports_this_sessions_credits(sandbox, fake_openai):
    fake_openai.mount(text_reply("hi"))
    async with QoderSDKClient(options=openai_options(sandbox, fake_openai)) as client:
        await responses(client, "hello")
        usage = await client.get_usage_info()
    assert usage is not None
    assert usage["session"]["total_credits"] >= 0
    assert list(usage["session"]["model_usage"]) == ["fake-gpt"]


async def test_kinds_ferrule_cannot_serve_fail_with_a_clear_error(sandbox):
    model = sandbox.script(text("unused"))
    async with QoderSDKClient(options=sandbox.options(model)) as client:
        with pytest.raises(Exception, match="not supported"):
            await client.set_proxy("http://127.0.0.1:9")
        assert await client.list_byok_providers() is None
        with pytest.raises(Exception, match="`remote`"):
            await client.mcp_authenticate("remote")


@sdk_tool("double", "Double an integer.", {"n": int})
async def double(args: dict[str, Any]) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": str(args["n"] * 2)}]}


def tool_results(messages):
    return [b for m in messages if isinstance(m, UserMessage) and isinstance(m.content, list)
            for b in m.content if isinstance(b, ToolResultBlock)]


async def test_set_mcp_servers_replaces_the_servers_and_keeps_the_conversation(sandbox):
    echo = str(pathlib.Path(__file__).with_name("echo_server.py"))
    model = sandbox.script(text("no tools yet"),
                           tool("mcp__math__double", {"n": 21}), text("42"),
                           tool("mcp__echo__shout", {"text": "hi"}, id="call_2"), text("HI"))
    options = sandbox.options(model, permission_mode="bypassPermissions",
                              mcp_servers={"echo": {"type": "stdio", "command": sys.executable,
                                                    "args": [echo]}})
    async with QoderSDKClient(options=options) as client:
        await responses(client, "hello")
        math = create_sdk_mcp_server(name="math", tools=[double])
        changed = await client.set_mcp_servers({
            "math": math,
            "broken": {"type": "stdio", "command": "/nonexistent/ferrule-test-server"},
        })
        assert changed["added"] == ["broken", "math"] and changed["removed"] == ["echo"]
        assert "/nonexistent/ferrule-test-server" in changed["errors"]["broken"]
        status = await client.get_mcp_status()
        assert {s["name"]: s["status"] for s in status["mcpServers"]} == {
            "broken": "failed", "math": "connected"}
        first = await responses(client, "double 21")
        [doubled] = tool_results(first)
        assert not doubled.is_error and "42" in str(doubled.content)
        second = await responses(client, "shout")
        [gone] = tool_results(second)
        assert gone.is_error
        with pytest.raises(Exception, match="`echo`"):
            await client.reconnect_mcp_server("echo")
