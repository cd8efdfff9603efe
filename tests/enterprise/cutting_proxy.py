"""A TCP proxy that drops connections at chosen points of what the server sends.

Connection *i* (counting from 0) is cut right after the server's bytes contain the marker for
the ``cuts[i]``-th time: the proxy forwards the bytes up to and including that marker, then
closes both sides, so the client holds half a line. The points depend only on the bytes, never
on timing. Connections after the last entry of ``cuts`` are not cut.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class CuttingProxy:
    def __init__(self, target: tuple[str, int], marker: bytes, cuts: list[int]) -> None:
        self.target, self.marker, self.cuts = target, marker, list(cuts)
        self.connections = 0
        self.cut = 0  # connections cut so far
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._closed = False

    def serve(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                index = self.connections
                self.connections += 1
            limit = self.cuts[index] if index < len(self.cuts) else None
            thread = threading.Thread(target=self._relay, args=(client, limit), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _relay(self, client: socket.socket, limit: int | None) -> None:
        server = socket.create_connection(self.target)
        upstream = threading.Thread(target=_pump, args=(client, server), daemon=True)
        upstream.start()
        seen, tail = 0, b""
        try:
            while True:
                data = server.recv(65536)
                if not data:
                    break
                if limit is None:
                    client.sendall(data)
                    continue
                window = tail + data
                found, start = [], 0
                while (at := window.find(self.marker, start)) >= 0:
                    found.append(at + len(self.marker) - len(tail))
                    start = at + 1
                if seen + len(found) >= limit:
                    end = found[limit - seen - 1]
                    client.sendall(data[: max(end, 0)])
                    with self._lock:
                        self.cut += 1
                    break
                seen += len(found)
                tail = window[-(len(self.marker) - 1) :]
                client.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (client, server):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def close(self) -> None:
        self._listener.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Client to server; when the client goes away, so does the server's connection."""
    with suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with suppress(OSError):
        sink.shutdown(socket.SHUT_RDWR)


@contextmanager
def cutting_proxy(
    target: tuple[str, int], marker: bytes, cuts: list[int]
) -> Iterator[CuttingProxy]:
    proxy = CuttingProxy(target, marker, cuts)
    thread = threading.Thread(target=proxy.serve, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.close()
        thread.join(timeout=10)
