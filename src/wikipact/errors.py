"""The one exception tree of wikipact, chosen by what the caller should do.

    WikipactError                 root; never raised itself
    ├── ConfigError               bad option, missing extra, unusable path: fix and rerun (CLI exit 2)
    ├── DumpError                 a dump cannot be read (carries file, offset, stream, last good page)
    │   ├── UnsupportedDumpError  not a MediaWiki XML export, or a container we cannot open
    │   ├── UnsafeXMLError        DOCTYPE / entity declarations: refused, never expanded
    │   ├── DamagedDumpError      corrupt or truncated compression, malformed or cut XML
    │   └── PageError             one page is unusable (e.g. no <text>); its neighbours are fine
    ├── StoreError                the database refused an operation
    ├── NotFoundError             a page, title or object that does not exist
    └── AccessError               a partner may not do this (API: 401, 403 or 429)
        ├── AuthenticationError   no key, an unknown, expired or revoked key (401)
        ├── ForbiddenError        the agreements do not grant it (403, with the reason)
        └── LimitExceeded         a rate limit or quota is used up (429, with Retry-After)

Every error carries a message that names the thing and what to do about it. ``DumpError``
instances also carry a machine-readable ``kind`` (``xml_error``, ``bz2_truncated``,
``page_missing_text`` ...) so runs can count them by reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class WikipactError(Exception):
    """Root of every error wikipact raises on purpose."""


class ConfigError(WikipactError):
    """A setting, option or environment problem the user must fix before rerunning."""


class StoreError(WikipactError):
    """The store could not complete an operation."""


class NotFoundError(WikipactError):
    """The requested page or object does not exist."""


class AccessError(WikipactError):
    """A partner's request is not allowed; subclasses say why."""


class AuthenticationError(AccessError):
    """No API key, or one that is unknown, expired or revoked."""


class ForbiddenError(AccessError):
    """The caller's agreements do not grant this project, channel or use."""


class LimitExceeded(AccessError):
    """A rate limit or quota is used up; ``retry_after`` seconds until it frees up."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class DumpLocation:
    """Where in a dump something happened, as precisely as the reader knows it."""

    file: str
    compressed_offset: int | None = None  # byte offset in the file on disk
    xml_offset: int | None = None  # byte offset in the decompressed XML
    stream: int | None = None  # bz2 multistream: byte offset of the stream in the file
    last_good_page: str | None = None  # "Title (id 123)" of the last page read completely

    def describe(self) -> str:
        parts = [self.file]
        if self.stream is not None:
            parts.append(f"stream at byte {self.stream}")
        if self.compressed_offset is not None:
            parts.append(f"file byte {self.compressed_offset}")
        if self.xml_offset is not None:
            parts.append(f"XML byte {self.xml_offset}")
        parts.append(
            f"after page {self.last_good_page}" if self.last_good_page else "before the first page"
        )
        return ", ".join(parts)


@dataclass(eq=False)
class DumpError(WikipactError):
    """A dump (or part of one) could not be read."""

    kind: str
    detail: str
    location: DumpLocation
    hint: str = field(default="")

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.kind}: {self.detail} ({self.location.describe()})"
        return f"{text}. {self.hint}" if self.hint else text

    def __reduce__(self):  # keep the fields across process boundaries
        return (type(self), (self.kind, self.detail, self.location, self.hint))


class UnsupportedDumpError(DumpError):
    """The input is not something wikipact can read as a MediaWiki dump."""


class UnsafeXMLError(DumpError):
    """The XML declares a DOCTYPE or entities; MediaWiki exports never do, so it is refused."""


class DamagedDumpError(DumpError):
    """Compression or XML is broken; pages read before the damage are still delivered."""


class PageError(DumpError):
    """A single page is unusable; the rest of the dump is fine."""
