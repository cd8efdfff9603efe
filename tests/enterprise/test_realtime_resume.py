"""The realtime stream read with Enterprise's SDK through 20 dropped connections: the client
resumes each time from its own ``offsets`` (the last offset it processed in each partition,
plus one) and ``since``, and in the end has every event once, in order within each partition.

The connections are cut by a proxy at points fixed by the bytes (half way through an event's
line), not by time."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.enterprise.conftest import Enterprise
from tests.enterprise.cutting_proxy import cutting_proxy

DISCONNECTS = 20


def _expected(sdk: Enterprise) -> list[tuple[int, int]]:
    """(partition, offset) of every mrwiki event since the Marathi hour, from the store."""
    from wikipact.enterprise.shapes import partition_of
    from wikipact.store import open_store, records

    store = open_store(sdk.url, readonly=True)
    try:
        start = store.cursor_before(records.stamp(sdk.hours[1]))
        out = []
        while changes := list(store.changes(after=start, limit=1000)):
            out += [
                (partition_of(c.project, c.page_id), c.cursor)
                for c in changes
                if c.project == "mrwiki"
            ]
            start = changes[-1].cursor
    finally:
        store.close()
    return out


def test_twenty_dropped_connections_lose_and_repeat_nothing(sdk: Enterprise) -> None:
    from modules.api.api_client import Client, Request
    from modules.api.exceptions import APIRequestError

    expected = _expected(sdk)
    assert len(expected) > 40 * DISCONNECTS
    step = len(expected) // (DISCONNECTS + 2)
    cuts = [step + (k % 3) for k in range(DISCONNECTS)]  # half way through an event's line
    target = urlsplit(sdk.base)
    received: list[tuple[int, int]] = []
    last: dict[int, int] = {}

    def on_article(article: Any) -> bool:
        key = (article.event.partition, article.event.offset)
        received.append(key)
        last[key[0]] = key[1]
        return len(received) < len(expected)

    with cutting_proxy((target.hostname, target.port), b'"event":{', cuts) as proxy:
        base = f"http://127.0.0.1:{proxy.port}/"
        client = Client(base_url=base, realtime_url=base, access_token=sdk.keys.beta)
        dropped = 0
        while len(received) < len(expected):
            request = Request(
                since=sdk.hours[1],
                fields=["name", "identifier", "event.*"],
                offsets={p: offset + 1 for p, offset in last.items()},
            )
            try:
                client.stream_articles(request, on_article)
            except APIRequestError:
                dropped += 1
            assert dropped <= DISCONNECTS, "more drops than the proxy makes"
        client.http_client.close()
    assert proxy.cut == dropped == DISCONNECTS
    assert len(received) == len(set(received)) == len(expected)  # none repeated
    by_partition: dict[int, list[int]] = {}
    for partition, offset in received:
        by_partition.setdefault(partition, []).append(offset)
    assert all(offsets == sorted(offsets) for offsets in by_partition.values())
    assert sorted(received, key=lambda e: e[1]) == expected  # none lost


@pytest.mark.parametrize("parts", [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]])
def test_parts_split_the_partitions(sdk: Enterprise, parts: list[int]) -> None:
    from modules.api.api_client import Request

    wanted = {p for part in parts for p in range(part * 5, part * 5 + 5)}
    expected = [e for e in _expected(sdk) if e[0] in wanted]
    received: list[tuple[int, int]] = []

    def on_article(article: Any) -> bool:
        received.append((article.event.partition, article.event.offset))
        return len(received) < len(expected)

    client = sdk.client(sdk.keys.beta)
    request = Request(since=sdk.hours[1], fields=["event.*"], parts=parts)
    client.stream_articles(request, on_article)
    client.http_client.close()
    assert received == expected
