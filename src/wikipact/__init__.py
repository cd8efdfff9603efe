"""wikipact: Wikimedia content for AI developers, under formal agreements.

The public API is deliberately small; everything else is reached through its subpackage.
"""

from wikipact.dumps.reader import open_dump, read_pages
from wikipact.errors import (
    ConfigError,
    DamagedDumpError,
    DumpError,
    NotFoundError,
    PageError,
    StoreError,
    UnsafeXMLError,
    UnsupportedDumpError,
    WikipactError,
)
from wikipact.model import SCHEMA_VERSION, Article, RawPage, RawRevision, SiteInfo

__version__ = "0.1.0"

__all__ = [
    "SCHEMA_VERSION",
    "Article",
    "ConfigError",
    "DamagedDumpError",
    "DumpError",
    "NotFoundError",
    "PageError",
    "RawPage",
    "RawRevision",
    "SiteInfo",
    "StoreError",
    "UnsafeXMLError",
    "UnsupportedDumpError",
    "WikipactError",
    "__version__",
    "open_dump",
    "read_pages",
]
