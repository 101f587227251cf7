//! MCP client and server on rmcp: config, connections, MCP tools as ferrule tools.
