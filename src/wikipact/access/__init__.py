"""Partners, agreements, API keys, rate limits, quotas, metering and statements (no web imports).

Everything lives in the same SQLite file as the article store, in tables of its own
(``access_*``), so one ``--db`` serves the whole platform and several server processes share
counters. ``Access(db_path)`` is the entry point.
"""

from wikipact.access.service import Access, Principal

__all__ = ["Access", "Principal"]
