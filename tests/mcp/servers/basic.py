"""A small MCP server for ferrule-mcp's tests, on the official `mcp` package.

    basic.py stdio          # serve on stdin/stdout
    basic.py http PORT      # streamable HTTP on http://127.0.0.1:PORT/mcp
    basic.py sse PORT       # legacy HTTP+SSE on http://127.0.0.1:PORT/sse

Tools cover plain results, annotations, errors, a crash and a hang in the
middle of a call, environment variables, a large output and a tool list
that changes at run time. It also has one resource and one prompt.
"""

import asyncio
import os
import sys

from mcp.server.fastmcp import Context, FastMCP
from mcp.types import ToolAnnotations

mcp = FastMCP("basic", host="127.0.0.1", log_level="WARNING")


@mcp.tool(description="Echoes the text back.")
def echo(text: str) -> str:
    return f"echo: {text}"


@mcp.tool(description="Adds two integers.", annotations=ToolAnnotations(readOnlyHint=True))
def add(a: int, b: int) -> int:
    return a + b


@mcp.tool(description="Returns a string of n characters.")
def big(n: int) -> str:
    return "x" * n


@mcp.tool(description="Always fails.")
def fail() -> str:
    raise ValueError("this tool always fails")


@mcp.tool(description="Kills the server in the middle of the call.")
def crash() -> str:
    sys.stderr.write("basic.py: crashing on purpose\n")
    sys.stderr.flush()
    os._exit(3)


@mcp.tool(description="Sleeps for the given seconds, then answers.")
async def sleep(seconds: float) -> str:
    await asyncio.sleep(seconds)
    return "slept"


@mcp.tool(description="Reads an environment variable of the server process.")
def getenv(name: str) -> str:
    return os.environ.get(name, "<unset>")


@mcp.tool(description="Reports the process id of the server.")
def pid() -> int:
    return os.getpid()


@mcp.tool(description="Reports the working directory of the server process.")
def cwd() -> str:
    return os.getcwd()


def late() -> str:
    """A tool that only exists after add_tool was called."""
    return "late tool here"


@mcp.tool(description="Adds the tool `late` and tells the client the list changed.")
async def add_tool(ctx: Context) -> str:
    mcp.add_tool(late, name="late", description="Exists after add_tool.")
    await ctx.session.send_tool_list_changed()
    return "added"


@mcp.resource("memo://greeting", name="greeting", description="A greeting.", mime_type="text/plain")
def greeting() -> str:
    return "hello from a resource"


@mcp.prompt(name="review", description="Asks for a code review.")
def review(code: str, style: str = "brief") -> str:
    return f"Review this code ({style}):\n{code}"


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("http", "sse"):
        mcp.settings.port = int(sys.argv[2])
        mcp.run(transport="streamable-http" if sys.argv[1] == "http" else "sse")
    else:
        mcp.run()
