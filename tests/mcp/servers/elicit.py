"""An MCP server that asks the client for input (elicitation), for
ferrule's elicitation tests. stdio only.

Tools:
- ask_name: a form elicitation for {"name": string}; answers with what came back.
- open_page: a url elicitation (id "page-1"), then the complete notification.
- capabilities: whether the client advertised the elicitation capability.
"""

from mcp.server.fastmcp import Context, FastMCP
from pydantic import BaseModel

mcp = FastMCP("elicit", log_level="WARNING")


class Name(BaseModel):
    name: str


@mcp.tool(description="Asks the user for a name and reports the answer.")
async def ask_name(ctx: Context) -> str:
    result = await ctx.elicit(message="What is your name?", schema=Name)
    if result.action == "accept":
        return f"accept: {result.data.name}"
    return result.action


@mcp.tool(description="Sends the user to a page and reports the answer.")
async def open_page(ctx: Context) -> str:
    result = await ctx.session.elicit_url(
        message="Open the login page",
        url="https://login.invalid/start",
        elicitation_id="page-1",
        related_request_id=ctx.request_id,
    )
    if result.action == "accept":
        await ctx.session.send_elicit_complete("page-1", related_request_id=ctx.request_id)
    return result.action


@mcp.tool(description="Whether the client can answer elicitations.")
async def capabilities(ctx: Context) -> str:
    caps = ctx.session.client_params.capabilities
    return "elicitation" if caps.elicitation is not None else "none"


if __name__ == "__main__":
    mcp.run("stdio")
