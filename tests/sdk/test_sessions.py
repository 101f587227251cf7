"""Multi-turn, interrupt, resume/fork, rewind, and the error paths."""

import os
import time
import uuid

import anyio
import pytest
from qoder_agent_sdk import (
    AssistantMessage,
    QoderSDKClient,
    ResultMessage,
    SystemMessage,
    ToolUseBlock,
    UserMessage,
    query,
)

from conftest import text, tool
from fake_openai import error_reply, text_reply

pytestmark = pytest.mark.anyio


async def responses(client, prompt):
    await client.query(prompt)
    return [m async for m in client.receive_response()]


async def test_multi_turn_client_keeps_one_session(sandbox):
    model = sandbox.script(text("Paris"), text("About two million"))
    async with QoderSDKClient(options=sandbox.options(model)) as client:
        first = await responses(client, "What's the capital of France?")
        second = await responses(client, "What's the population of that city?")
    assert isinstance(first[0], SystemMessage) and first[0].subtype == "init"
    assert first[-1].result == "Paris" and second[-1].result == "About two million"
    assert first[-1].session_id == second[-1].session_id == first[0].data["session_id"]
    assert not any(isinstance(m, SystemMessage) and m.subtype == "init" for m in second)


def processes_with(marker):
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


async def test_interrupt_ends_the_turn_kills_the_command_and_the_session_goes_on(sandbox):
    marker = f"ferrule-interrupt-{uuid.uuid4().hex}"
    model = sandbox.script(tool("Bash", {"command": f"sleep 30 # {marker}"}), text("after"))
    options = sandbox.options(model, permission_mode="bypassPermissions")
    async with QoderSDKClient(options=options) as client:
        await client.query("sleep")
        started = time.monotonic()
        messages = []
        async for message in client.receive_response():
            messages.append(message)
            if isinstance(message, AssistantMessage) and any(
                    isinstance(b, ToolUseBlock) for b in message.content):
                with anyio.fail_after(5):
                    while not processes_with(marker):
                        await anyio.sleep(0.05)
                await client.interrupt()
        result = messages[-1]
        assert isinstance(result, ResultMessage)
        assert (result.subtype, result.is_error) == ("error_during_execution", True)
        assert time.monotonic() - started < 10
        with anyio.fail_after(5):
            while processes_with(marker):
                await anyio.sleep(0.05)
        again = await responses(client, "still there?")
        assert again[-1].result == "after"


async def test_resume_continues_the_same_session_with_its_history(sandbox, fake_openai):
    env = sandbox.env(OPENAI_BASE_URL=fake_openai.base_url, OPENAI_API_KEY="test-key")
    fake_openai.mount(text_reply("remembered"))
    first = [m async for m in query(prompt="remember 42",
                                    options=sandbox.options("openai/fake-gpt", env=env))]
    session_id = first[-1].session_id

    fake_openai.mount(text_reply("it was 42"))
    second = [m async for m in query(prompt="what was it?",
                                     options=sandbox.options("openai/fake-gpt", env=env,
                                                             resume=session_id))]
    assert second[-1].session_id == session_id
    assert second[0].data["session_id"] == session_id
    sent = [m.get("content") for m in fake_openai.requests[1]["messages"]]
    assert "remember 42" in str(sent) and "remembered" in str(sent)

    fake_openai.mount(text_reply("forked"))
    forked = [m async for m in query(prompt="fork", options=sandbox.options(
        "openai/fake-gpt", env=env, resume=session_id, fork_session=True))]
    assert forked[-1].session_id != session_id
    assert "remember 42" in str(fake_openai.requests[2]["messages"])


async def test_resuming_an_unknown_session_fails_clearly(sandbox):
    model = sandbox.script(text("never"))
    with pytest.raises(Exception) as failure:
        [m async for m in query(prompt="hi", options=sandbox.options(
            model, resume=str(uuid.uuid4())))]
    assert "session" in str(failure.value).lower()


async def test_rewind_files_restores_the_state_before_a_message(sandbox):
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
        second = await responses(client, "write v2")
        checkpoint = next(m.uuid for m in second if isinstance(m, UserMessage) and m.uuid
                          and not isinstance(m.content, list))
        assert target.read_text() == "v2\n"
        preview = await client.rewind_files(checkpoint, dry_run=True)
        assert preview["canRewind"] and target.read_text() == "v2\n"
        done = await client.rewind_files(checkpoint)
        assert done["canRewind"] and done["filesChanged"] == [str(target)]
    assert target.read_text() == "v1\n"


async def test_model_server_failure_is_an_error_result_not_a_hang(sandbox, fake_openai):
    env = sandbox.env(OPENAI_BASE_URL=fake_openai.base_url, OPENAI_API_KEY="test-key")
    for _ in range(5):
        fake_openai.mount(error_reply(500, "upstream exploded"))
    options = sandbox.options("openai/fake-gpt", env=env,
                              extra_args={"max-model-request-retries": "0"})
    with anyio.fail_after(30):
        messages = [m async for m in query(prompt="hi", options=options)]
    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.is_error
    assert "500" in " ".join(result.errors or []) + (result.result or "")


async def test_disconnect_mid_turn_leaves_no_process_behind(sandbox):
    marker = f"ferrule-disconnect-{uuid.uuid4().hex}"
    model = sandbox.script(tool("Bash", {"command": f"sleep 60 # {marker}"}), text("never"))
    client = QoderSDKClient(options=sandbox.options(model, permission_mode="bypassPermissions"))
    await client.connect()
    await client.query("sleep")
    async for message in client.receive_messages():
        if isinstance(message, AssistantMessage) and any(
                isinstance(b, ToolUseBlock) for b in message.content):
            break
    with anyio.fail_after(5):
        while not processes_with(marker):
            await anyio.sleep(0.05)
    started = time.monotonic()
    await client.disconnect()
    assert time.monotonic() - started < 8
    with anyio.fail_after(5):
        while processes_with(marker):
            await anyio.sleep(0.05)
