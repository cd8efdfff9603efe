"""Wikimedia content for AI assistants and agents over the Model Context Protocol (MCP).

``server.build_server`` makes an MCP server whose tools (grounding search, articles, what to
credit) serve a partner under its agreements: the same keys, entitlements, rate limits, quotas
and metering as the HTTP API, on the agreement channel ``mcp``. It runs over stdio
(``wikipact mcp``) and over streamable HTTP at ``/mcp`` on the partner API (``create_app``).
"""

from wikipact.agents.server import (
    TOOLS,
    StreamableHTTPEndpoint,
    bearer_key,
    build_server,
)

__all__ = ["TOOLS", "StreamableHTTPEndpoint", "bearer_key", "build_server"]
