"""Fixtures of the SDK suite: the `ferrule` binary under test (FERRULE_BIN),
a sandbox per test (project dir, a home for FERRULE_HOME, scripted models)
and the fake OpenAI server."""

import json
import os
import pathlib

import pytest
from qoder_agent_sdk import QoderAgentOptions, access_token

from fake_openai import FakeOpenAI

FERRULE_BIN = os.environ.get("FERRULE_BIN", "ferrule")


@pytest.fixture
def anyio_backend():
    return "asyncio"


class Sandbox:
    def __init__(self, root: pathlib.Path):
        self.root = root
        self.project = root / "project"
        self.project.mkdir()
        self.home = root / "home"
        self.home.mkdir()
        self.stderr = []
        self.scripts = 0

    def script(self, *turns, **extra):
        """Writes a scripted-model file and returns its `--model` value."""
        self.scripts += 1
        path = self.root / f"script-{self.scripts}.json"
        path.write_text(json.dumps({"turns": list(turns), **extra}))
        return f"scripted/{path}"

    def env(self, **more):
        env = {"FERRULE_HOME": str(self.home), "HOME": str(self.home),
               "QODER_CONFIG_DIR": str(self.home)}
        env.update(more)
        return env

    def options(self, model, env=None, **kw):
        return QoderAgentOptions(
            cli_path=FERRULE_BIN,
            cwd=str(self.project),
            auth=access_token("dummy-token"),
            model=model,
            env=env or self.env(),
            stderr=self.stderr.append,
            **kw,
        )


@pytest.fixture
def sandbox(tmp_path):
    return Sandbox(tmp_path)


@pytest.fixture
def fake_openai():
    server = FakeOpenAI()
    yield server
    server.close()


def text(t):
    return {"blocks": [{"type": "text", "text": t}]}


def tool(name, input, id="call_1"):
    return {"blocks": [{"type": "tool_use", "id": id, "name": name, "input": input}]}
