"""Options from the references: agents, set_model, continue, system prompt."""

import pytest
from qoder_agent_sdk import AgentDefinition, AssistantMessage, QoderSDKClient, query

from conftest import text, tool
from fake_openai import text_reply

pytestmark = pytest.mark.anyio


async def test_agents_are_listed_and_run_as_subagents(sandbox):
    model = sandbox.script(
        tool("Agent", {"description": "review", "prompt": "Review the code.",
                       "subagent_type": "reviewer"}),
        text("looks good"),
        text("the reviewer is happy"),
    )
    agents = {"reviewer": AgentDefinition(description="Reviews code.",
                                          prompt="You review code.", tools=["Read"])}
    async with QoderSDKClient(options=sandbox.options(model, agents=agents)) as client:
        info = await client.get_server_info()
        await client.query("get a review")
        messages = [m async for m in client.receive_response()]
    assert "reviewer" in [a["name"] for a in info["agents"]]
    inside = [m for m in messages if isinstance(m, AssistantMessage)
              and m.parent_tool_use_id == "call_1"]
    assert inside, "the subagent's answer carries the Agent call's id"
    assert messages[-1].result == "the reviewer is happy"


async def test_set_model_switches_the_model_for_the_next_turn(sandbox):
    first = sandbox.script(text("from the first model"))
    second = sandbox.script(text("from the second model"))
    async with QoderSDKClient(options=sandbox.options(first)) as client:
        await client.set_model(second)
        await client.query("who are you?")
        messages = [m async for m in client.receive_response()]
    assert messages[-1].result == "from the second model"


async def test_continue_conversation_picks_the_latest_session(sandbox):
    model = sandbox.script(text("one"))
    first = [m async for m in query(prompt="first", options=sandbox.options(model))]
    again = sandbox.script(text("two"))
    second = [m async for m in query(prompt="second", options=sandbox.options(
        again, continue_conversation=True))]
    assert second[-1].session_id == first[-1].session_id
    assert second[-1].result == "two"


async def test_system_prompt_and_append_reach_the_model(sandbox, fake_openai):
    env = sandbox.env(OPENAI_BASE_URL=fake_openai.base_url, OPENAI_API_KEY="test-key")
    fake_openai.mount(text_reply("arr"))
    fake_openai.mount(text_reply("aye"))
    [m async for m in query(prompt="hi", options=sandbox.options(
        "openai/fake-gpt", env=env, system_prompt="You are a pirate."))]
    [m async for m in query(prompt="hi", options=sandbox.options(
        "openai/fake-gpt", env=env,
        system_prompt={"type": "preset", "preset": "qodercli", "append": "Always say aye."}))]
    replaced = fake_openai.requests[0]["messages"][0]
    appended = fake_openai.requests[1]["messages"][0]
    assert replaced["role"] == "system" and replaced["content"].startswith("You are a pirate.")
    assert appended["role"] == "system" and "Always say aye." in appended["content"]
    assert not appended["content"].startswith("Always say aye.")


async def test_setting_sources_decide_which_settings_files_load(sandbox):
    import json

    (sandbox.project / ".qoder").mkdir()
    (sandbox.project / ".qoder" / "settings.json").write_text(
        json.dumps({"permissions": {"allow": ["Bash(touch:*)"]}}))
    for sources, created in (([], False), (["project"], True)):
        target = sandbox.project / f"made-{bool(sources)}.txt"
        model = sandbox.script(tool("Bash", {"command": f"touch {target.name}"}), text("ok"))
        [m async for m in query(prompt="touch", options=sandbox.options(
            model, setting_sources=sources))]
        assert target.exists() == created, sources


async def test_inline_settings_rules_apply(sandbox):
    model = sandbox.script(tool("Bash", {"command": "touch inline.txt"}), text("ok"))
    options = sandbox.options(model, settings='{"permissions": {"allow": ["Bash(touch:*)"]}}')
    [m async for m in query(prompt="touch", options=options)]
    assert (sandbox.project / "inline.txt").exists()
