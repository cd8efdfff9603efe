"""Partners, agreements, API keys, rate limits, quotas, metering and statements (no web imports).

``Access`` (``service.py``) is the entry point; its parts are small modules over an
``AccessRepository`` (``repository.py``). On SQLite, everything lives in the store's file, in
tables of its own (``access_*``), so one ``--db`` serves the whole platform and several server
processes share counters.
"""

from wikipact.access.authentication import Principal
from wikipact.access.service import Access

__all__ = ["Access", "Principal"]
