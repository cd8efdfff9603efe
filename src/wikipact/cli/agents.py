"""``wikipact mcp``: the MCP server for a partner's AI assistants and agents, over stdio."""

from __future__ import annotations

import os

from wikipact.cli.common import DbOption
from wikipact.cli.progress import stderr

KEY_VARIABLE = "WIKIPACT_API_KEY"


def mcp_command(db: DbOption = None) -> None:
    """Serve the MCP tools (search_passages, get_article, get_attribution) over stdio, as the
    partner whose API key is in $WIKIPACT_API_KEY; the calls are metered on channel 'mcp'."""
    from wikipact.agents import build_server
    from wikipact.backends import open_backends

    key = os.environ.get(KEY_VARIABLE) or None
    if key is None:
        # stdout carries the protocol: the note goes to stderr, and every call answers the same
        stderr.print(f"warning: ${KEY_VARIABLE} is not set; every tool call will be refused")
    backends = open_backends(db)
    server = build_server(
        backends,
        key=lambda ctx: key,
        key_hint=f"set {KEY_VARIABLE} to the partner API key in the MCP client's configuration "
        "of this server (its env) and restart it",
    )
    try:
        server.run("stdio")
    finally:
        backends.close()
