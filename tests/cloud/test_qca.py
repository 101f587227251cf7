"""The qca-sdk (PyPI) against a live ferrule-server.

Run by crates/server/tests/suite/sdk.rs, which starts the server with a fake
OpenAI-compatible model whose replies are mounted in the order these tests
make model requests: (1) a text reply, (2) a Bash tool call, (3) a text
reply, (4) a text reply, (5) a text reply for the dream's agent.
Environment: QCA_BASE_URL, QCA_KEY.
"""

import os

import pytest
from qca import (
    AsyncManaged,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    Managed,
    NotFoundError,
)

BASE_URL = os.environ["QCA_BASE_URL"]
KEY = os.environ["QCA_KEY"]


@pytest.fixture(scope="module")
def client():
    # Strict validation: every field the SDK models must have its type.
    with Managed(pat=KEY, base_url=BASE_URL, _strict_response_validation=True) as c:
        yield c


def first_environment(client):
    return next(iter(client.environments.list())).id


def read_until_idle(stream):
    events = []
    for event in stream:
        events.append(event)
        if event.type == "session.status_idle":
            return events
        assert event.type not in ("session.error", "session.status_terminated"), event
    raise AssertionError("stream ended before session.status_idle")


def test_models_and_environments(client):
    model_ids = [m.id for m in client.models.list()]
    assert "ultimate" in model_ids
    default = client.environments.list().data[0]
    assert default.name == "default"
    env = client.environments.create(name="sdk-env", config={"type": "cloud", "networking": {"type": "limited"}}, metadata={"team": "a"})
    assert env.id.startswith("env_")
    assert env.config.networking.type == "limited"
    got = client.environments.retrieve(env.id)
    assert got.metadata == {"team": "a"}
    updated = client.environments.update(env.id, description="changed")
    assert updated.description == "changed"
    archived = client.environments.archive(env.id)
    assert archived.archived_at is not None
    deleted = client.environments.delete(env.id)
    assert deleted.type == "environment_deleted"
    with pytest.raises(NotFoundError):
        client.environments.retrieve(env.id)


def test_agents_versions_and_errors(client):
    agent = client.agents.create(name="sdk-agent", model={"id": "ultimate"}, system="Be brief.", tools=[{"type": "agent_toolset_20260401"}])
    assert agent.version == 1
    v2 = client.agents.update(agent.id, version=1, description="second")
    assert v2.version == 2 and v2.description == "second"
    with pytest.raises(ConflictError):
        client.agents.update(agent.id, version=1, description="stale")
    versions = [a.version for a in client.agents.versions.list(agent.id)]
    assert versions == [2, 1]
    assert client.agents.retrieve(agent.id, version=1).description == ""
    with pytest.raises(BadRequestError) as bad:
        client.agents.create(name="x", model="ultimate", tools=[{"type": "agent_toolset_20260401", "enabled_tools": ["Nope"]}])
    assert bad.value.request_id
    with pytest.raises(NotFoundError):
        client.agents.retrieve("agent_00000000000000000000000000000000")
    with Managed(pat="wrong", base_url=BASE_URL) as stranger:
        with pytest.raises(AuthenticationError):
            stranger.agents.list()
    # Auto-pagination walks every page via next_page.
    made = [client.agents.create(name=f"page-{i}", model="ultimate").id for i in range(5)]
    listed = [a.id for a in client.agents.list(limit=2)]
    assert all(i in listed for i in made)
    assert len(listed) == len(set(listed))
    client.agents.archive(made[0])
    assert made[0] not in [a.id for a in client.agents.list(limit=100)]


def test_sessions_lifecycle(client):
    agent = client.agents.create(name="life", model="ultimate")
    session = client.sessions.create(agent=agent.id, environment_id=first_environment(client), title="t", metadata={"k": "v"})
    assert session.status == "idle"
    assert session.agent.id == agent.id
    assert client.sessions.retrieve(session.id).title == "t"
    assert session.id in [s.id for s in client.sessions.list(agent_id=agent.id)]
    updated = client.sessions.update(session.id, title="renamed", metadata={"k": None, "j": "w"})
    assert updated.title == "renamed" and updated.metadata == {"j": "w"}
    cancel = client.sessions.cancel(session.id)
    assert cancel.status == "canceling"
    archived = client.sessions.archive(session.id)
    assert archived.archived_at is not None
    with pytest.raises(ConflictError):
        client.sessions.events.send(session.id, events=[{"type": "user.message", "content": [{"type": "text", "text": "hi"}]}])
    assert client.sessions.delete(session.id).type == "session_deleted"
    with pytest.raises(NotFoundError):
        client.sessions.retrieve(session.id)


def test_a_turn_streams_and_lists(client):
    agent = client.agents.create(name="talker", model="ultimate", system="Be brief.")
    session = client.sessions.create(agent=agent.id, environment_id=first_environment(client))
    sent = client.sessions.events.send(session.id, events=[{"type": "user.message", "content": [{"type": "text", "text": "Hello"}]}])
    assert sent.data[0].id.startswith("evt_")
    with client.sessions.events.stream(session.id, last_event_id=sent.data[0].id) as stream:
        events = read_until_idle(stream)
        last_id = stream.last_event_id
    messages = [e for e in events if e.type == "agent.message"]
    assert messages[0].content[0].text == "Hello from ferrule."
    assert events[-1].stop_reason.type == "end_turn"
    assert last_id == events[-1].id
    listed = [e.id for e in client.sessions.events.list(session.id, limit=2)]
    assert listed == [sent.data[0].id] + [e.id for e in events]


def test_tool_confirmation_round_trip(client):
    tools = [{"type": "agent_toolset_20260401", "enabled_tools": ["Bash"], "default_config": {"permission_policy": {"type": "always_ask"}}}]
    agent = client.agents.create(name="asker", model="ultimate", tools=tools)
    session = client.sessions.create(agent=agent.id, environment_id=first_environment(client))
    sent = client.sessions.events.send(session.id, events=[{"type": "user.message", "content": [{"type": "text", "text": "run echo"}]}])
    with client.sessions.events.stream(session.id, last_event_id=sent.data[0].id) as stream:
        events = read_until_idle(stream)
    tool_use = next(e for e in events if e.type == "agent.tool_use")
    assert tool_use.name == "Bash" and tool_use.evaluated_permission == "ask"
    assert events[-1].stop_reason.type == "requires_action"
    assert events[-1].stop_reason.event_ids == [tool_use.id]
    confirm = client.sessions.events.send(session.id, events=[{"type": "user.tool_confirmation", "tool_use_id": tool_use.id, "result": "allow"}])
    with client.sessions.events.stream(session.id, last_event_id=confirm.data[0].id) as stream:
        events = read_until_idle(stream)
    result = next(e for e in events if e.type == "agent.tool_result")
    assert result.tool_use_id == tool_use.id and not result.is_error
    assert "confirmed" in result.content[0].text
    assert events[-1].stop_reason.type == "end_turn"


def test_resumable_stream_replays_from_the_start():
    import asyncio

    async def main():
        async with AsyncManaged(pat=KEY, base_url=BASE_URL) as client:
            agent = await client.agents.create(name="async", model="ultimate")
            envs = await client.environments.list()
            session = await client.sessions.create(agent=agent.id, environment_id=envs.data[0].id)
            await client.sessions.events.send(session.id, events=[{"type": "user.message", "content": [{"type": "text", "text": "again"}]}])
            seen = []
            async with client.sessions.events.resumable_stream(session.id) as stream:
                async for event in stream:
                    seen.append(event.type)
                    if event.type == "session.status_idle":
                        break
            assert seen[0] == "user.message"
            assert "agent.message" in seen

    asyncio.run(main())


def test_deployments_runs_and_pause(client):
    # A self-hosted environment: the run's session waits for a worker, so
    # this test makes no model request.
    env = client.environments.create(name="sdk-dep-env", config={"type": "self_hosted"})
    agent = client.agents.create(name="deployed", model="ultimate")
    dep = client.deployments.create(
        name="nightly",
        agent=agent.id,
        environment_id=env.id,
        initial_events=[{"type": "user.message", "content": [{"type": "text", "text": "report"}]}],
        schedule={"type": "cron", "expression": "0 9 * * 1-5", "timezone": "Asia/Shanghai"},
        metadata={"team": "a"},
    )
    assert dep.id.startswith("dep_") and dep.status == "active"
    assert dep.agent.version == 1
    assert len(dep.schedule.upcoming_runs_at) == 5
    assert all(t.hour == 1 and t.minute == 0 for t in dep.schedule.upcoming_runs_at)
    assert client.deployments.retrieve(dep.id).name == "nightly"
    assert client.deployments.update(dep.id, description="weekdays").description == "weekdays"
    assert dep.id in [d.id for d in client.deployments.list(agent_id=agent.id)]
    run = client.deployments.run(dep.id)
    assert run.id.startswith("drun_") and run.trigger_context.type == "manual"
    assert run.session_id and run.error is None
    assert client.sessions.retrieve(run.session_id).deployment_id == dep.id
    assert [r.id for r in client.deployments.runs.list(dep.id)] == [run.id]
    assert client.deployments.runs.retrieve(run.id, deployment_id=dep.id).session_id == run.session_id
    assert client.deployment_runs.retrieve(run.id).deployment_id == dep.id
    assert run.id in [r.id for r in client.deployment_runs.list(trigger_type="manual")]
    paused = client.deployments.pause(dep.id)
    assert paused.status == "paused" and paused.paused_reason.type == "manual"
    with pytest.raises(ConflictError):
        client.deployments.run(dep.id)
    assert client.deployments.unpause(dep.id).status == "active"
    archived = client.deployments.archive(dep.id)
    assert archived.archived_at is not None and archived.schedule.upcoming_runs_at == []
    with pytest.raises(BadRequestError):
        client.deployments.create(name="bad", agent=agent.id, environment_id=env.id,
                                  initial_events=[{"type": "user.message", "content": "x"}],
                                  schedule={"type": "cron", "expression": "99 * * * *", "timezone": "UTC"})
    client.environments.archive(env.id)


def test_primary_thread_of_a_session(client):
    session = next(s for s in client.sessions.list() if client.sessions.threads.list(s.id).data)
    threads = client.sessions.threads.list(session.id).data
    assert len(threads) == 1
    thread = threads[0]
    assert thread.id.startswith("sthr_") and thread.parent_thread_id is None
    assert client.sessions.threads.retrieve(thread.id, session_id=session.id).status == session.status
    events = [e.id for e in client.sessions.threads.events.list(thread.id, session_id=session.id)]
    assert events == [e.id for e in client.sessions.events.list(session.id)]
    with pytest.raises(ConflictError):
        client.sessions.threads.archive(thread.id, session_id=session.id)


def test_a_dream_completes_on_a_clone(client):
    import time

    store = client.memory_stores.create(name="dream-input")
    client.memory_stores.memories.create(store.id, path="a.md", content="alpha")
    with pytest.raises(NotFoundError):
        client.dreams.create(inputs=[{"type": "memory_store", "memory_store_id": "memstore_missing"}], model="auto")
    dream = client.dreams.create(inputs=[{"type": "memory_store", "memory_store_id": store.id}], model="auto")
    assert dream.id.startswith("drm_") and dream.status == "pending"
    deadline = time.monotonic() + 30
    while dream.status in ("pending", "running"):
        assert time.monotonic() < deadline, dream
        time.sleep(0.05)
        dream = client.dreams.retrieve(dream.id)
    assert dream.status == "completed", dream
    output = dream.outputs[0]
    assert output.memory_store_id != store.id and output.files_touched == []
    assert [m.path for m in client.memory_stores.memories.list(output.memory_store_id)] == ["a.md"]
    assert dream.usage.input_tokens == 10
    with pytest.raises(BadRequestError):
        client.dreams.cancel(dream.id)
    assert client.dreams.archive(dream.id).archived_at is not None
    assert dream.id in [d.id for d in client.dreams.list(include_archived=True)]


SKILL_MD = "---\nname: sdk-skill\ndescription: Made through the SDK\n---\n# Steps\n1. Do it.\n"


def test_skills_and_their_versions(client):
    skill = client.skills.create(files=[("sdk-skill/SKILL.md", SKILL_MD.encode())], metadata={"team": "sdk"})
    assert skill.id.startswith("skill_") and skill.latest_version == "1"
    assert skill.display_title == "sdk-skill" and skill.metadata == {"team": "sdk"}
    assert client.skills.retrieve(skill.id).id == skill.id
    assert skill.id in [s.id for s in client.skills.list()]
    v2 = client.skills.versions.create(skill.id, files=[("sdk-skill/SKILL.md", SKILL_MD.replace("Made", "Remade").encode())])
    assert (v2.version, v2.name, v2.directory, v2.skill_id) == ("2", "sdk-skill", "sdk-skill", skill.id)
    assert [v.version for v in client.skills.versions.list(skill.id)] == ["2", "1"]
    assert client.skills.versions.retrieve("1", skill_id=skill.id).version == "1"
    assert client.skills.versions.download("1", skill_id=skill.id).read()[:2] == b"PK"
    assert client.skills.versions.delete("2", skill_id=skill.id).type == "skill_version_deleted"
    assert client.skills.retrieve(skill.id).latest_version == "1"
    with pytest.raises(BadRequestError):
        client.skills.create(files=[("x/README.md", b"no manifest here")])
    assert client.skills.delete(skill.id).type == "skill_deleted"
    with pytest.raises(NotFoundError):
        client.skills.retrieve(skill.id)


def test_file_resources_of_a_session(client):
    file = client.files.upload(file=("spec.md", b"# Spec\n", "text/markdown"))
    agent = client.agents.create(name="reader", model="ultimate")
    session = client.sessions.create(agent=agent.id, environment_id=first_environment(client))
    added = client.sessions.resources.add(session.id, type="file", file_id=file.id, mount_path="/data/spec.md")
    assert added.id.startswith("sesr_") and added.mount_path == "/data/spec.md" and added.file_id == file.id
    assert [r.id for r in client.sessions.resources.list(session.id)] == [added.id]
    assert client.sessions.resources.retrieve(added.id, session_id=session.id).file_id == file.id
    with pytest.raises(ConflictError):
        client.sessions.resources.add(session.id, type="file", file_id=file.id)
    with pytest.raises(ConflictError):
        client.files.delete(file.id)
    assert client.sessions.resources.delete(added.id, session_id=session.id).type == "session_resource_deleted"
    with pytest.raises(NotFoundError):
        client.sessions.resources.retrieve(added.id, session_id=session.id)
    assert client.files.delete(file.id).type == "file_deleted"
