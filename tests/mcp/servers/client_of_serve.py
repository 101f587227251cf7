"""Drives `ferrule mcp serve` with the official Python MCP client.

    client_of_serve.py FERRULE_BINARY PROJECT_DIR

Prints one JSON line: the tool names, the result of an allowed call and
the result of a denied one.
"""

import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


async def main() -> None:
    binary, project = sys.argv[1], sys.argv[2]
    params = StdioServerParameters(command=binary, args=["mcp", "serve"], cwd=project)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = await session.list_tools()
            read_result = await session.call_tool("Read", {"file_path": "notes.txt"})
            bash_result = await session.call_tool("Bash", {"command": "touch made.txt"})
            print(
                json.dumps(
                    {
                        "tools": sorted(t.name for t in tools.tools),
                        "read": {
                            "is_error": read_result.isError,
                            "text": "".join(c.text for c in read_result.content if c.type == "text"),
                        },
                        "bash": {
                            "is_error": bash_result.isError,
                            "text": "".join(c.text for c in bash_result.content if c.type == "text"),
                        },
                    }
                )
            )


asyncio.run(main())
