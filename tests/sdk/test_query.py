"""`query()` and the message types, as the quick-start and streaming docs use them."""

import pytest
from qoder_agent_sdk import (
    AssistantMessage,
    ResultMessage,
    StreamEvent,
    SystemMessage,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
    query,
)

from conftest import text, tool

pytestmark = pytest.mark.anyio


async def collect(prompt, options):
    return [message async for message in query(prompt=prompt, options=options)]


async def test_query_yields_init_assistant_text_and_one_result(sandbox):
    model = sandbox.script({**text("4"), "usage": {"input_tokens": 12, "output_tokens": 1}})
    messages = await collect("What is 2 + 2?", sandbox.options(model))

    init = messages[0]
    assert isinstance(init, SystemMessage) and init.subtype == "init"
    session_id = init.data["session_id"]
    assert init.data["protocol_version"] == "1.4.0"
    assert "Read" in init.data["tools"]
    assistant = [m for m in messages if isinstance(m, AssistantMessage)]
    assert [b.text for b in assistant[0].content if isinstance(b, TextBlock)] == ["4"]
    results = [m for m in messages if isinstance(m, ResultMessage)]
    assert len(results) == 1 and messages[-1] is results[0]
    result = results[0]
    assert (result.subtype, result.is_error, result.num_turns) == ("success", False, 1)
    assert result.session_id == session_id
    assert result.result == "4"
    assert result.usage["input_tokens"] == 12 and result.usage["output_tokens"] == 1


async def test_tools_run_with_accept_edits_and_results_come_back(sandbox):
    target = sandbox.project / "hello.txt"
    model = sandbox.script(
        tool("Write", {"file_path": str(target), "content": "hi\n"}),
        text("Created hello.txt."),
    )
    options = sandbox.options(model, allowed_tools=["Read", "Write"], permission_mode="acceptEdits")
    messages = await collect("Create hello.txt containing hi", options)

    assert target.read_text() == "hi\n"
    uses = [b for m in messages if isinstance(m, AssistantMessage) for b in m.content
            if isinstance(b, ToolUseBlock)]
    assert [(u.name, u.id) for u in uses] == [("Write", "call_1")]
    results = [b for m in messages if isinstance(m, UserMessage) and isinstance(m.content, list)
               for b in m.content if isinstance(b, ToolResultBlock)]
    assert results[0].tool_use_id == "call_1" and not results[0].is_error
    assert messages[-1].num_turns == 2 and messages[-1].result == "Created hello.txt."


async def test_tools_option_limits_the_built_in_tools(sandbox):
    model = sandbox.script(text("ok"))
    messages = await collect("hi", sandbox.options(model, tools=["Read", "Grep"]))
    assert sorted(t for t in messages[0].data["tools"] if not t.startswith("mcp__")
                  and t in {"Read", "Grep", "Write", "Bash", "Edit"}) == ["Grep", "Read"]


async def test_partial_messages_stream_text_deltas(sandbox):
    model = sandbox.script(text("Hello, streaming world"))
    messages = await collect("hi", sandbox.options(model, include_partial_messages=True))
    events = [m.event for m in messages if isinstance(m, StreamEvent)]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    deltas = "".join(e["delta"]["text"] for e in events
                     if e["type"] == "content_block_delta" and e["delta"]["type"] == "text_delta")
    assert deltas == "Hello, streaming world"


async def test_max_turns_ends_with_error_max_turns(sandbox):
    model = sandbox.script(
        tool("Glob", {"pattern": "*"}),
        tool("Glob", {"pattern": "*"}, id="call_2"),
        text("never reached"),
    )
    messages = await collect("loop", sandbox.options(model, max_turns=1))
    result = messages[-1]
    assert isinstance(result, ResultMessage)
    assert (result.subtype, result.is_error) == ("error_max_turns", True)
    assert result.errors == ["Reached maximum number of turns (1)"]
