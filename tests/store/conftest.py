"""``store_url``: each store test once on SQLite and once on a throwaway PostgreSQL database
(skipped, saying why, where no PostgreSQL server can be started)."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, db_url: str) -> str:
    if request.param == "sqlite":
        return db_url
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(store_url: str):  # type: ignore[no-untyped-def]
    """The store at ``store_url``, closed after the test."""
    from wikipact.store import open_store

    opened = open_store(store_url)
    yield opened
    opened.close()
