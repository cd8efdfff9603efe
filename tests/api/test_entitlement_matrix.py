"""Every dimension of an agreement, on every channel: out of scope refused or filtered, in scope served.

The store holds the vendored English (enwiki: namespace 0) and Marathi (mrwiki: namespaces 0, 4,
6, 8, 10, 12, 14) samples, their change log, a passage index, a snapshot of each wiki's namespace
0, a snapshot of mrwiki's categories (namespace 14) and a dataset entry for mrwiki. One partner
per dimension has an agreement limited along that dimension only:

==========  ==============================================================================
partner     its only agreement
==========  ==============================================================================
projects    mrwiki, every channel and use
languages   every project, language ``mr``, every channel and use
namespaces  every project, namespace 0, every channel and use
channels    every project, on-demand only
uses        every project, every channel, use ``retrieval`` only (no search, no training)
dates       every project and channel, but it ended yesterday
future      every project and channel, but it starts tomorrow
==========  ==============================================================================

Channels: metadata (projects, languages, namespaces), on-demand, structured contents,
realtime (stream), batches (list and hour), search, snapshots (list, metadata, download, HEAD),
datasets (list, download).
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import auth

EVERY_CHANNEL = ["on-demand", "snapshots", "realtime", "search", "datasets"]
EVERY_USE = ["training", "retrieval", "grounding", "search"]
MARATHI_ARTICLE = "सांगली"  # namespace 0 of mrwiki
MARATHI_CATEGORY = "वर्ग:विज्ञान"  # namespace 14 of mrwiki
ENGLISH_ARTICLE = "Anarchism"

AGREEMENTS: dict[str, dict[str, Any]] = {
    "projects": {"projects": ["mrwiki"]},
    "languages": {"projects": ["*"], "languages": ["mr"]},
    "namespaces": {"projects": ["*"], "namespaces": [0]},
    "channels": {"projects": ["*"], "channels": ["on-demand"]},
    "uses": {"projects": ["*"], "uses": ["retrieval"]},
    "dates": {"projects": ["*"], "starts": "2026-01-01", "ends": "yesterday"},
    "future": {"projects": ["*"], "starts": "tomorrow"},
    "all": {"projects": ["*"]},
}


def _day(word: str) -> str:
    today = datetime.now(UTC).date()
    return {"yesterday": today - timedelta(days=1), "tomorrow": today + timedelta(days=1)}.get(
        word, word
    ).__str__()


@pytest.fixture(scope="module")
def world(sample_db: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from wikipact.api import create_app
    from wikipact.search import build_index
    from wikipact.snapshots import registry
    from wikipact.snapshots.create import create_snapshot

    folder = tmp_path_factory.mktemp("matrix")
    db = folder / "w.db"
    shutil.copy(sample_db, db)
    build_index(db)
    root = folder / "snapshots"
    snapshots = {
        "en0": create_snapshot(db, root, "enwiki", 0),
        "mr0": create_snapshot(db, root, "mrwiki", 0),
        "mr14": create_snapshot(db, root, "mrwiki", 14),
    }
    # a dataset entry for mrwiki namespace 0 (its file: a copy of the snapshot's)
    shutil.copy(root / snapshots["mr0"].path, root / "dataset_marathi_000000000000.tar.gz")
    snapshots["dataset"] = registry.register(
        db,
        registry.Snapshot(
            identifier="dataset_marathi_000000000000",
            kind="dataset",
            name="marathi",
            projects=("mrwiki",),
            namespace=0,
            in_language="mr",
            path="dataset_marathi_000000000000.tar.gz",
            size=snapshots["mr0"].size,
            sha256=snapshots["mr0"].sha256,
            records=snapshots["mr0"].records,
            date_modified=None,
            created_at=registry.now_iso(),
            change_cursor=None,
        ),
    )
    app = create_app(db, snapshots_root=root)
    access = app.state.services.access
    keys = {}
    for partner, terms in AGREEMENTS.items():
        access.add_partner(partner, partner.title(), actor="test")
        access.add_agreement(
            partner,
            name=partner,
            projects=terms["projects"],
            languages=terms.get("languages", ()),
            namespaces=terms.get("namespaces", ()),
            channels=terms.get("channels", EVERY_CHANNEL),
            uses=terms.get("uses", EVERY_USE),
            rate_limit=10_000,
            burst=10_000,
            starts=_day(terms.get("starts", "2026-01-01")),
            ends=_day(terms["ends"]) if "ends" in terms else None,
            actor="test",
        )
        keys[partner] = access.create_key(partner, label="main", actor="test")[1]
    with TestClient(app) as client:
        yield client, keys, snapshots


# -- what each channel delivers to a partner ------------------------------------------------


def metadata(client: TestClient, key: str) -> dict[str, Any]:
    get = lambda path: client.get(path, headers=auth(key))  # noqa: E731
    return {
        "projects": sorted(p["identifier"] for p in get("/v2/projects").json()),
        "languages": sorted(lang["identifier"] for lang in get("/v2/languages").json()),
        "namespaces": sorted(ns["identifier"] for ns in get("/v2/namespaces").json()),
    }


def on_demand(client: TestClient, key: str, route: str, name: str) -> tuple[int, list[str]]:
    response = client.get(f"/v2/{route}/{name}", headers=auth(key))
    if response.status_code != 200:
        return response.status_code, []
    return 200, sorted(a["is_part_of"]["identifier"] for a in response.json())


def realtime(client: TestClient, key: str) -> tuple[int, set[tuple[str, int]]]:
    """(status, the (project, namespace) pairs of every event from the start of the log)."""
    response = client.get(
        "/v2/realtime/articles",
        params={"cursor": "0", "timeout": "0.1"},
        headers=auth(key) | {"Accept": "application/x-ndjson"},
    )
    if response.status_code != 200:
        return response.status_code, set()
    events = [json.loads(line) for line in response.text.splitlines()]
    return 200, {(e["is_part_of"]["identifier"], e["namespace"]["identifier"]) for e in events}


def batches(client: TestClient, key: str) -> tuple[int, set[tuple[str, int]]]:
    listed = client.get("/v2/realtime/batches", headers=auth(key))
    if listed.status_code != 200:
        return listed.status_code, set()
    seen: set[tuple[str, int]] = set()
    for hour in listed.json():
        response = client.get(hour["url"], headers=auth(key))
        assert response.status_code == 200
        for line in response.text.splitlines():
            event = json.loads(line)
            seen.add((event["is_part_of"]["identifier"], event["namespace"]["identifier"]))
    return 200, seen


def search(client: TestClient, key: str, q: str) -> tuple[int, set[str]]:
    response = client.get("/v2/search", params={"q": q}, headers=auth(key))
    if response.status_code != 200:
        return response.status_code, set()
    return 200, {p["project"] for p in response.json()["passages"]}


def files(client: TestClient, key: str, snapshots: dict[str, Any]) -> dict[str, Any]:
    """Which snapshots and datasets are listed, and the status of each one's download."""
    listed = client.get("/v2/snapshots", headers=auth(key))
    names = {s.identifier: label for label, s in snapshots.items()}
    out: dict[str, Any] = {
        "listed": sorted(names[s["dated_identifier"]] for s in listed.json())
        if listed.status_code == 200
        else listed.status_code
    }
    for label, snapshot in snapshots.items():
        url = f"/v2/snapshots/{snapshot.identifier}/download"
        got = client.get(url, headers=auth(key) | {"Range": "bytes=0-99"})
        head = client.head(url, headers=auth(key))
        meta = client.get(f"/v2/snapshots/{snapshot.identifier}", headers=auth(key))
        out[label] = (got.status_code, head.status_code, meta.status_code)
    return out


SERVED = (206, 200, 200)  # a range of the file, its HEAD, its metadata
HIDDEN = (404, 404, 404)  # out of scope: not found, as another partner's file


# -- the matrix -------------------------------------------------------------------------------


def test_everything_in_scope_is_served(world) -> None:  # type: ignore[no-untyped-def]
    """The unrestricted partner: the baseline every restricted one is compared to."""
    client, keys, snapshots = world
    key = keys["all"]
    everything = metadata(client, key)
    assert everything["projects"] == ["enwiki", "mrwiki"]
    assert everything["languages"] == ["en", "mr"]
    assert {0, 14} < set(everything["namespaces"])
    assert on_demand(client, key, "articles", ENGLISH_ARTICLE) == (200, ["enwiki"])
    assert on_demand(client, key, "articles", MARATHI_CATEGORY) == (200, ["mrwiki"])
    status, events = realtime(client, key)
    assert status == 200 and {p for p, _ in events} == {"enwiki", "mrwiki"}
    assert {ns for p, ns in events if p == "mrwiki"} > {0, 14}
    assert batches(client, key) == (200, events)
    assert search(client, key, "anarchism") == (200, {"enwiki"})
    got = files(client, key, snapshots)
    assert got["listed"] == ["dataset", "en0", "mr0", "mr14"]
    assert all(got[label] == SERVED for label in snapshots)


@pytest.mark.parametrize(
    ("who", "reason"),
    [("projects", "grants the project enwiki"), ("languages", "grants the language of enwiki")],
)
def test_projects_and_languages(world, who: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    """Only mrwiki by name, or only Marathi among every project: the same content either way."""
    client, keys, snapshots = world
    key = keys[who]
    assert metadata(client, key)["projects"] == ["mrwiki"]
    assert metadata(client, key)["languages"] == ["mr"]
    for route in ("articles", "structured-contents"):
        assert on_demand(client, key, route, ENGLISH_ARTICLE)[0] == 404
        assert on_demand(client, key, route, MARATHI_ARTICLE) == (200, ["mrwiki"])
    explicit = client.get(
        f"/v2/articles/{ENGLISH_ARTICLE}",
        params={"filters": "is_part_of.identifier:enwiki"},
        headers=auth(key),
    )
    assert explicit.status_code == 403 and reason in explicit.json()["message"]
    status, events = realtime(client, key)
    assert status == 200 and events and {p for p, _ in events} == {"mrwiki"}
    assert batches(client, key) == (200, events)
    assert search(client, key, "anarchism") == (200, set())
    narrowed = client.get(
        "/v2/search", params={"q": "anarchism", "project": "enwiki"}, headers=auth(key)
    )
    assert narrowed.status_code == 403 and reason in narrowed.json()["message"]
    got = files(client, key, snapshots)
    assert got["listed"] == ["dataset", "mr0", "mr14"]
    assert got["en0"] == HIDDEN and got["mr0"] == SERVED and got["dataset"] == SERVED


def test_namespaces(world) -> None:  # type: ignore[no-untyped-def]
    client, keys, snapshots = world
    key = keys["namespaces"]
    assert metadata(client, key) == {
        "projects": ["enwiki", "mrwiki"],
        "languages": ["en", "mr"],
        "namespaces": [0],
    }
    assert on_demand(client, key, "articles", MARATHI_ARTICLE) == (200, ["mrwiki"])
    assert on_demand(client, key, "articles", MARATHI_CATEGORY)[0] == 404
    assert on_demand(client, key, "structured-contents", MARATHI_CATEGORY)[0] == 404
    status, events = realtime(client, key)
    assert status == 200 and {ns for _, ns in events} == {0}
    assert {p for p, _ in events} == {"enwiki", "mrwiki"}
    assert batches(client, key) == (200, events)
    asked = client.get(
        "/v2/realtime/articles",
        params={"cursor": "0", "timeout": "0.1", "namespace": "14"},
        headers=auth(key),
    )
    assert asked.status_code == 403 and "namespace" in asked.json()["message"]
    assert search(client, key, "anarchism") == (200, {"enwiki"})
    got = files(client, key, snapshots)
    assert got["listed"] == ["dataset", "en0", "mr0"]
    assert got["mr14"] == HIDDEN and got["mr0"] == SERVED


def test_channels(world) -> None:  # type: ignore[no-untyped-def]
    client, keys, snapshots = world
    key = keys["channels"]
    assert metadata(client, key)["projects"] == ["enwiki", "mrwiki"]
    assert on_demand(client, key, "articles", ENGLISH_ARTICLE) == (200, ["enwiki"])
    assert on_demand(client, key, "structured-contents", MARATHI_ARTICLE) == (200, ["mrwiki"])
    assert realtime(client, key)[0] == 403
    assert batches(client, key)[0] == 403
    assert search(client, key, "anarchism")[0] == 403
    got = files(client, key, snapshots)
    assert got["listed"] == []
    assert all(got[label] == HIDDEN for label in snapshots)


def test_uses(world) -> None:  # type: ignore[no-untyped-def]
    """Retrieval only: no search (grounding or search) and no dataset (training)."""
    client, keys, snapshots = world
    key = keys["uses"]
    assert on_demand(client, key, "articles", ENGLISH_ARTICLE) == (200, ["enwiki"])
    assert realtime(client, key)[0] == 200
    refused = client.get("/v2/search", params={"q": "anarchism"}, headers=auth(key))
    assert refused.status_code == 403 and "use" in refused.json()["message"]
    got = files(client, key, snapshots)
    assert got["listed"] == ["en0", "mr0", "mr14"]
    assert got["dataset"] == HIDDEN and got["en0"] == SERVED


@pytest.mark.parametrize("who", ["dates", "future"])
def test_dates(world, who: str) -> None:  # type: ignore[no-untyped-def]
    client, keys, snapshots = world
    key = keys[who]
    assert metadata(client, key) == {"projects": [], "languages": [], "namespaces": []}
    for route, name in (("articles", ENGLISH_ARTICLE), ("structured-contents", MARATHI_ARTICLE)):
        response = client.get(f"/v2/{route}/{name}", headers=auth(key))
        assert response.status_code == 403 and response.json()["message"] == "no active agreement"
    assert realtime(client, key)[0] == 403
    assert batches(client, key)[0] == 403
    assert search(client, key, "anarchism")[0] == 403
    got = files(client, key, snapshots)
    assert got["listed"] == []
    assert all(got[label] == HIDDEN for label in snapshots)
