"""The ingest tests that use a store run on both backends (``store_url``, ``store``)."""

from __future__ import annotations

from tests.store.conftest import store, store_url

__all__ = ["store", "store_url"]
