"""G14: a realtime client that stops reading is let go, through a real server and socket."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from tests.api.conftest import make_partners


@pytest.mark.timeout(120)
def test_a_client_that_stops_reading_is_disconnected(db: Path) -> None:
    import uvicorn

    from tests.api.conftest import sqlite_only

    db = sqlite_only(db)  # reads the change log and the ledger from the file

    from wikipact.api import create_app

    app = create_app(db)
    app.state.slow_client_seconds = 1.0  # 30 s in service; short here
    keys = make_partners(app.state.services.access)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect(("127.0.0.1", port))
    client.sendall(
        f"GET /v2/realtime/articles?cursor=0 HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {keys.beta}\r\n\r\n".encode()
    )  # ... and never reads a byte
    total = (
        sqlite3.connect(db)
        .execute("SELECT COUNT(*) FROM changes WHERE project='mrwiki'")
        .fetchone()[0]
    )
    finished = None
    deadline = time.monotonic() + 30
    while finished is None and time.monotonic() < deadline:
        time.sleep(0.5)
        conn = sqlite3.connect(db)
        finished = conn.execute(
            "SELECT articles, status FROM access_usage WHERE partner='beta' AND channel='realtime'"
        ).fetchone()
        conn.close()
    client.close()
    server.should_exit = True
    thread.join(10)
    assert finished is not None, "the server still holds the stream of a client that stopped"
    articles, status = finished
    assert status == 200 and 0 < articles < total  # it was cut off part-way, and metered
