"""Grounding search over the API: entitled projects only, citations with every passage."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import auth, make_partners


@pytest.fixture(scope="module")
def indexed(sample_db: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    import shutil

    from wikipact.api import create_app
    from wikipact.search import build_index

    db = tmp_path_factory.mktemp("search-api") / "w.db"
    shutil.copy(sample_db, db)
    build_index(db)
    app = create_app(db)
    keys = make_partners(app.state.services.access)
    with TestClient(app) as client:
        yield client, keys


def test_passages_come_with_their_citations(indexed) -> None:  # type: ignore[no-untyped-def]
    client, keys = indexed
    response = client.get(
        "/v2/search", params={"q": "anarchism stateless societies"}, headers=auth(keys.acme)
    )
    assert response.status_code == 200
    passages = response.json()["passages"]
    assert passages[0]["title"] == "Anarchism"
    assert passages[0]["url"] == "https://en.wikipedia.org/wiki/Anarchism"
    assert passages[0]["revision_id"] > 0
    citations = passages[0]["citations"]
    assert citations and any(c.get("url") for c in citations)
    assert "stateless" in passages[0]["text"].lower()


def test_search_sees_only_entitled_projects(indexed) -> None:  # type: ignore[no-untyped-def]
    client, keys = indexed
    # beta has no search channel; acme's search is limited to enwiki
    assert client.get("/v2/search", params={"q": "x"}, headers=auth(keys.beta)).status_code == 403
    marathi = client.get(
        "/v2/search", params={"q": "वसंत पंचमी", "project": "mrwiki"}, headers=auth(keys.acme)
    )
    assert marathi.status_code == 403
    anywhere = client.get("/v2/search", params={"q": "वसंत पंचमी"}, headers=auth(keys.acme))
    assert anywhere.status_code == 200
    assert all(p["project"] == "enwiki" for p in anywhere.json()["passages"])


@pytest.mark.parametrize(
    "q",
    [
        '"',
        "*",
        "NEAR(a b)",
        "a AND",
        "title:x",
        "-",
        "(",
        "\x00",
        "'; DROP TABLE x; --",
        "é" * 2000,
    ],
)
def test_hostile_queries_never_fail(indexed, q: str) -> None:  # type: ignore[no-untyped-def]
    client, keys = indexed
    response = client.get("/v2/search", params={"q": q}, headers=auth(keys.acme))
    assert response.status_code == 200, response.text
