"""A stdio MCP server for the suite: one tool, `shout`."""

from mcp.server.fastmcp import FastMCP

server = FastMCP("echo")


@server.tool()
def shout(text: str) -> str:
    """Upper-cases text."""
    return text.upper()


if __name__ == "__main__":
    server.run()
