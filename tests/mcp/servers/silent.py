"""An MCP server that never answers `initialize`: it reads stdin and says
nothing, so ferrule-mcp's startup timeout has to fire."""

import sys

for _line in sys.stdin:
    pass
