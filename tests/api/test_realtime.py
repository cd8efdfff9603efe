"""The realtime feed (goal G14): resumed after 50 forced disconnects, nothing lost or repeated."""

from __future__ import annotations

import json
import random
from pathlib import Path

from fastapi.testclient import TestClient

from tests.api.conftest import auth, db_url
from tests.conftest import DATA


def _feed_key(access) -> str:  # type: ignore[no-untyped-def]
    access.add_partner("feed", "Feed", actor="test")
    access.add_agreement(
        "feed", name="all", projects=["*"], channels=["realtime"], rate_limit=10_000,
        burst=10_000, starts="2026-01-01", actor="test",
    )  # fmt: skip
    return access.create_key("feed", label="main", actor="test")[1]


def _read(client: TestClient, key: str, last: int | None, take: int | None) -> list[dict]:
    """Events after ``last`` (Last-Event-ID), closing the connection after ``take`` of them."""
    headers = auth(key) | ({"Last-Event-ID": str(last)} if last is not None else {})
    params = {"timeout": "0.2"} if last is not None else {"cursor": "0", "timeout": "0.2"}
    events: list[dict] = []
    with client.stream("GET", "/v2/realtime/articles", headers=headers, params=params) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        current: dict = {}
        for line in r.iter_lines():
            if line.startswith("id: "):
                current["id"] = int(line[4:])
            elif line.startswith("data: "):
                current["data"] = json.loads(line[6:])
            elif line == "" and current:
                events.append(current)
                current = {}
                if take is not None and len(events) >= take:
                    break  # the client hangs up mid-stream
    return events


def test_fifty_disconnects_lose_and_repeat_nothing(app, db: Path, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    from wikipact.run.ingest import IngestOptions, ingest
    from wikipact.store import open_store

    key = _feed_key(app.state.services.access)
    rng = random.Random(14)
    received: list[dict] = []
    last: int | None = None
    for round_ in range(50):
        if round_ == 25:  # new changes arrive while the consumer is reconnecting
            writer = open_store(db_url(db))
            ingest([DATA / "dewiki-20130602-id1.xml", DATA / "dewiki-20200801-id1.xml"], writer,
                   IngestOptions())  # fmt: skip
            writer.close()
        batch = _read(client, key, last if round_ else None, rng.randint(1, 60))
        received.extend(batch)
        if batch:
            last = batch[-1]["id"]
    received.extend(_read(client, key, last, None))  # drain
    store = app.state.services.store()
    produced = [c.cursor for c in store.changes(after=0, limit=1_000_000)]
    assert [e["id"] for e in received] == produced
    assert len(produced) > 1000
    kinds = {e["data"]["event"]["type"] for e in received}
    assert {"create", "update"} <= kinds  # the newer Alan Smithee revision is an update
    alan = [e["data"] for e in received if e["data"]["name"] == "Alan Smithee"]
    assert [a["version"]["identifier"] for a in alan] == [115887164, 200753430]


def test_the_feed_filters_by_entitlement_project_and_fields(
    app, client: TestClient, partners
) -> None:  # type: ignore[no-untyped-def]
    # beta is entitled to mrwiki only: no English event reaches it
    with client.stream(
        "GET", "/v2/realtime/articles", headers=auth(partners.beta) | {"Accept": "application/x-ndjson"},
        params={"cursor": "0", "limit": "5", "fields": "name,is_part_of.identifier,event.identifier"},
    ) as r:  # fmt: skip
        assert r.headers["content-type"].startswith("application/x-ndjson")
        rows = [json.loads(line) for line in r.iter_lines() if line]
    assert len(rows) == 5
    assert {row["is_part_of"]["identifier"] for row in rows} == {"mrwiki"}
    assert set(rows[0]) == {"name", "is_part_of", "event"}
    # since: a time after every change gives nothing new within the timeout
    with client.stream(
        "GET", "/v2/realtime/articles", headers=auth(partners.acme),
        params={"since": "2999-01-01T00:00:00Z", "timeout": "0.2"},
    ) as r:  # fmt: skip
        assert [line for line in r.iter_lines() if line.startswith("id:")] == []


def test_a_feed_without_the_channel_is_refused(client: TestClient, partners) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/v2/realtime/articles", headers=auth(partners.gone))
    assert response.status_code == 403


def test_hourly_batches_hold_each_hours_events(app, client: TestClient, partners) -> None:  # type: ignore[no-untyped-def]
    listing = client.get("/v2/realtime/batches", headers=auth(partners.acme)).json()
    store = app.state.services.store()
    english = [c for c in store.changes(after=0, limit=100_000) if c.project == "enwiki"]
    assert sum(h["events"] for h in listing) == len(english)
    for hour in listing:
        response = client.get(hour["url"], headers=auth(partners.acme))
        rows = [json.loads(line) for line in response.text.splitlines()]
        assert len(rows) == hour["events"]
        assert all(r["event"]["date_created"].startswith(hour["identifier"]) for r in rows)
        assert {r["is_part_of"]["identifier"] for r in rows} == {"enwiki"}


def test_since_is_an_instant_whatever_its_offset(app, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    """``since`` in UTC and the same instant at +05:30 start at the same event."""
    from datetime import datetime, timedelta, timezone

    key = _feed_key(app.state.services.access)
    changes = list(app.state.services.store().changes(after=0, limit=10_000))
    middle = changes[len(changes) // 2]
    moment = datetime.fromisoformat(middle.recorded_at.replace("Z", "+00:00"))
    forms = [
        moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        moment.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat(),
        moment.astimezone(timezone(timedelta(hours=-8))).isoformat(),
    ]
    firsts = []
    for since in forms:
        response = client.get(
            "/v2/realtime/articles",
            params={"since": since, "timeout": "0.1", "limit": "1"},
            headers=auth(key) | {"Accept": "application/x-ndjson"},
        )
        assert response.status_code == 200, (since, response.text)
        firsts.append(json.loads(response.text.splitlines()[0])["event"]["identifier"])
    expected = next(c.cursor for c in changes if c.recorded_at >= middle.recorded_at)
    assert firsts == [expected] * 3
