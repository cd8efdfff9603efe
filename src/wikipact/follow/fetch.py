"""Fetching the revisions that change events point at, from the MediaWiki Action API.

Events say *that* a page changed; the content comes from ``action=query&prop=revisions`` with
``revids=`` (up to 50 a request for ordinary clients, 500 with ``apihighlimits``), asked for in
``formatversion=2`` and ``rvslots=main`` so that the answer has one shape::

    {"batchcomplete": true,
     "query": {"badrevids": {"999": {"revid": 999, "missing": true}},
               "pages": [{"pageid": 1, "ns": 0, "title": "Foo",
                          "revisions": [{"revid": 5, "parentid": 4, "minor": false,
                                         "user": "X", "userid": 7, "timestamp": "...Z",
                                         "size": 120, "sha1": "...", "comment": "...",
                                         "slots": {"main": {"contentmodel": "wikitext",
                                                            "contentformat": "text/x-wiki",
                                                            "content": "..."}}}]}]}}

Hidden parts of a revision come back as flags instead of values (``userhidden``,
``commenthidden``, ``sha1hidden``, ``slots.main.texthidden``); a revision whose content could
not be loaded has ``textmissing``. Revisions of deleted pages, and ids that never existed, are in
``badrevids``.

Being a good API citizen is part of the contract (API:Etiquette): a descriptive User-Agent, a
global request-rate cap, ``maxlag`` so that we back off when the databases lag, and retries with
backoff on 429/5xx and ``maxlag`` errors, honouring ``Retry-After``. A network problem never
raises: after ``retries`` tries the batch's ids are reported in :attr:`FetchResult.missing` with
the reason, and the caller decides whether to try again later.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from string import Formatter
from typing import Any, Protocol, TypeVar

import httpx

from wikipact.errors import ConfigError
from wikipact.follow.stream import Backoff, parse_retry_after

DEFAULT_API_URL = "https://{domain}/w/api.php"
RVPROP = "ids|timestamp|user|userid|comment|content|sha1|size|flags|contentmodel"
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
# API error codes that mean "slow down and try again", not "this request is wrong"
RETRYABLE_API_ERRORS = frozenset({"maxlag", "ratelimited"})
# past this many characters of query string, send the parameters as a POST form instead
_GET_URL_LIMIT = 1500
_DBNAME = re.compile(r"[a-z][a-z0-9_]*\Z")
_TEMPLATE_FIELDS = frozenset({"wiki", "lang", "domain"})
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FetchedRevision:
    """One revision as the API returned it.

    ``title`` is the page's prefixed title (the API's, with spaces). ``editor`` and
    ``editor_id`` are None when the editor is hidden (``editor_hidden``); ``editor_id`` is None
    for anonymous editors too. ``text`` is None when the content is hidden (``text_hidden``):
    whether such a revision may be used is the caller's decision. ``redirect`` is the page-level
    flag when the API gave one, else None.
    """

    wiki: str
    page_id: int
    title: str
    namespace: int
    revision_id: int
    parent_id: int | None
    timestamp: str
    editor: str | None
    editor_id: int | None
    editor_hidden: bool
    comment: str | None
    comment_hidden: bool
    minor: bool
    sha1: str | None
    size: int | None
    text: str | None
    text_hidden: bool
    content_model: str | None
    redirect: bool | None


@dataclass
class FetchResult:
    """What one :meth:`ContentSource.fetch` got: every asked id is in exactly one of the two.

    ``missing`` maps an id to why: ``badrevid`` (deleted, suppressed or never existed),
    ``textmissing`` (the wiki could not load the content), ``not returned``, an API error code,
    or a transport failure such as ``http 503 after 5 tries``.
    """

    found: dict[int, FetchedRevision] = field(default_factory=dict)
    missing: dict[int, str] = field(default_factory=dict)


class ContentSource(Protocol):
    """Where revision content comes from (the Action API here; a dump or a mirror elsewhere)."""

    def fetch(self, wiki: str, revision_ids: Sequence[int]) -> FetchResult: ...

    def close(self) -> None: ...


class RateLimiter:
    """A thread-safe token bucket: at most ``rate`` acquisitions a second on average, with
    bursts of up to ``burst``. Each caller reserves its slot under the lock and sleeps outside
    it, so threads are served in order and none holds the others up while waiting."""

    def __init__(
        self,
        rate: float,
        burst: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not rate > 0:
            raise ConfigError(f"the request rate must be positive requests/second (got {rate})")
        if not burst >= 1:
            raise ConfigError(f"the burst must be at least 1 request (got {burst})")
        self.rate = float(rate)
        self.burst = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._updated = clock()

    def acquire(self) -> float:
        """Take one token, sleeping until it is there; returns the seconds slept."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1.0
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait


def language_of(wiki: str) -> str:
    """The language code of a Wikipedia's database name: ``enwiki`` -> ``en``,
    ``zh_yuewiki`` -> ``zh-yue``. Only meaningful for ``*wiki`` database names."""
    return wiki.removesuffix("wiki").replace("_", "-")


class ActionApiSource:
    """Revision content from the MediaWiki Action API.

    ``api_url`` is a template with any of ``{wiki}`` (the database name, ``enwiki``), ``{lang}``
    (its language code, ``en``; ``zh_yuewiki`` gives ``zh-yue``) and ``{domain}`` (``domains[wiki]``
    when given, else ``<lang>.wikipedia.org``). The default, ``https://{domain}/w/api.php``, is
    right for every Wikipedia; other projects (Commons, Wiktionary ...) need ``domains``.

    ``batch_size`` ids go in one request (50 is the API's limit with content for ordinary
    clients). ``max_requests_per_second`` caps requests across all wikis and threads;
    ``maxlag`` (seconds) asks the API to refuse us while its replicas lag that much; each batch
    is tried up to ``retries`` times. ``rate_limiter`` replaces the limiter (tests inject one
    with a fake clock); ``backoff`` carries the sleep between tries.
    """

    def __init__(
        self,
        api_url: str = DEFAULT_API_URL,
        *,
        user_agent: str,
        batch_size: int = 50,
        max_requests_per_second: float = 10.0,
        maxlag: int = 5,
        retries: int = 5,
        backoff: Backoff | None = None,
        timeout: float = 30.0,
        client: httpx.Client | None = None,
        domains: Mapping[str, str] | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        if not user_agent or not user_agent.strip():
            raise ConfigError(
                "a User-Agent is required by Wikimedia's policy: name the tool and a contact, "
                "e.g. 'wikipact/0.1 (https://example.org; ops@example.org)'"
            )
        fields = {name for _, name, _, _ in Formatter().parse(api_url) if name is not None}
        if fields - _TEMPLATE_FIELDS:
            raise ConfigError(
                f"the API URL {api_url!r} has unknown fields {sorted(fields - _TEMPLATE_FIELDS)}: "
                "only {wiki}, {lang} and {domain} are filled in"
            )
        if not 1 <= batch_size <= 500:
            raise ConfigError(f"batch_size must be 1 to 500 revision ids (got {batch_size})")
        if retries < 1:
            raise ConfigError(f"retries must be at least 1 try (got {retries})")
        self.api_url = api_url
        self.user_agent = user_agent
        self.batch_size = batch_size
        self.maxlag = maxlag
        self.retries = retries
        self.backoff = backoff or Backoff()
        self.timeout = timeout
        self.domains = dict(domains or {})
        self.limiter = rate_limiter or RateLimiter(max_requests_per_second)
        self._owns_client = client is None
        self._client = client or httpx.Client(follow_redirects=True)
        self.requests = 0  # HTTP requests sent, retries included

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> ActionApiSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def url_for(self, wiki: str) -> str:
        """The API endpoint of a wiki; raises :class:`ConfigError` for a wiki it cannot place."""
        if not _DBNAME.match(wiki):
            raise ConfigError(f"{wiki!r} is not a wiki database name (like enwiki)")
        domain = self.domains.get(wiki)
        needs_lang = "{lang}" in self.api_url or ("{domain}" in self.api_url and domain is None)
        if needs_lang and not wiki.endswith("wiki"):
            raise ConfigError(
                f"cannot tell the domain of {wiki!r} (not a Wikipedia database name): "
                "give it in domains, e.g. {'enwiktionary': 'en.wiktionary.org'}"
            )
        lang = language_of(wiki)
        return self.api_url.format(wiki=wiki, lang=lang, domain=domain or f"{lang}.wikipedia.org")

    def fetch(self, wiki: str, revision_ids: Sequence[int]) -> FetchResult:
        """Fetch these revisions of one wiki. Never raises for network or API trouble: every
        asked id ends up in ``found`` or, with the reason, in ``missing``."""
        result = FetchResult()
        wanted: list[int] = []
        for revid in dict.fromkeys(revision_ids):
            if isinstance(revid, bool) or not isinstance(revid, int) or revid <= 0:
                result.missing[revid] = "invalid revision id"
            else:
                wanted.append(revid)
        try:
            url = self.url_for(wiki)
        except ConfigError as error:
            result.missing.update(dict.fromkeys(wanted, f"unknown wiki: {error}"))
            return result
        for start in range(0, len(wanted), self.batch_size):
            self._fetch_batch(url, wiki, wanted[start : start + self.batch_size], result)
        return result

    # --- one batch -------------------------------------------------------------------------------

    def _fetch_batch(self, url: str, wiki: str, ids: list[int], result: FetchResult) -> None:
        pending = list(ids)
        while pending:
            data = self._request(url, pending, result)
            if data is None:
                return  # _request put the ids in missing
            before = len(result.found) + len(result.missing)
            asked = set(pending)
            try:
                self._read_query(data, wiki, asked, result)
            except _Malformed as error:
                for revid in pending:
                    if revid not in result.found:
                        result.missing.setdefault(revid, f"malformed API response: {error}")
                return
            pending = [i for i in pending if i not in result.found and i not in result.missing]
            progressed = len(result.found) + len(result.missing) > before
            if not pending:
                return
            if data.get("continue") is None or not progressed:
                # without 'continue' the API says it is done; a 'continue' that returned
                # nothing new would loop forever
                result.missing.update(dict.fromkeys(pending, "not returned"))
                return
            # 'continue': the answer hit the API's size limit; ask again for the rest

    def fetch_latest(self, wiki: str, page_ids: Sequence[int]) -> dict[int, FetchedRevision]:
        """The latest revision of each of these pages (``pageids=``), by page id; pages the wiki
        does not have, or that could not be fetched, are left out. For pages an event names
        without a revision: the redirect a move leaves behind."""
        found: dict[int, FetchedRevision] = {}
        try:
            url = self.url_for(wiki)
        except ConfigError:
            return found
        wanted = [p for p in dict.fromkeys(page_ids) if isinstance(p, int) and p > 0]
        for start in range(0, len(wanted), self.batch_size):
            ids = wanted[start : start + self.batch_size]
            data = self._request(url, ids, FetchResult(), key="pageids")
            query = data.get("query") if data else None
            pages = query.get("pages", []) if isinstance(query, Mapping) else []
            for page in pages if isinstance(pages, list) else []:
                revisions = page.get("revisions") if isinstance(page, Mapping) else None
                if not revisions or not isinstance(revisions, list):
                    continue
                with contextlib.suppress(_Malformed):
                    fetched = _revision(wiki, page, revisions[-1])
                    if fetched is not None and fetched.page_id in ids:
                        found[fetched.page_id] = fetched
        return found

    def _request(
        self, url: str, ids: list[int], result: FetchResult, *, key: str = "revids"
    ) -> dict[str, Any] | None:
        """The decoded answer for these ids, after retries; None (ids put in missing) when it
        could not be had."""
        params = {
            "action": "query",
            "prop": "revisions",
            key: "|".join(map(str, ids)),
            "rvprop": RVPROP,
            "rvslots": "main",
            "format": "json",
            "formatversion": "2",
            "maxlag": str(self.maxlag),
            "errorformat": "plaintext",
        }
        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        reason = "no try made"
        for attempt in range(1, self.retries + 1):
            retry_after: float | None = None
            self.limiter.acquire()
            self.requests += 1
            try:
                if len(params[key]) > _GET_URL_LIMIT:
                    response = self._client.post(
                        url, data=params, headers=headers, timeout=self.timeout
                    )
                else:
                    response = self._client.get(
                        url, params=params, headers=headers, timeout=self.timeout
                    )
            except httpx.HTTPError as error:
                reason = f"network error ({type(error).__name__})"
            else:
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                status = response.status_code
                if status in RETRYABLE_STATUSES:
                    reason = f"http {status}"
                elif status != 200:
                    result.missing.update(dict.fromkeys(ids, f"http {status}"))
                    return None
                else:
                    data = _json_object(response.content)
                    if data is None:
                        reason = "invalid JSON response"
                    else:
                        code, lag = _api_error(data)
                        if code is None:
                            return data
                        if code not in RETRYABLE_API_ERRORS:
                            result.missing.update(dict.fromkeys(ids, f"api error {code}"))
                            return None
                        reason = f"api error {code}"
                        if retry_after is None and lag is not None:
                            retry_after = lag
            if attempt < self.retries:
                self.backoff.wait(attempt, retry_after)
        tries = "try" if self.retries == 1 else "tries"
        result.missing.update(dict.fromkeys(ids, f"{reason} after {self.retries} {tries}"))
        return None

    def _read_query(
        self, data: Mapping[str, Any], wiki: str, asked: set[int], result: FetchResult
    ) -> None:
        query = data.get("query")
        if query is None:
            return
        if not isinstance(query, Mapping):
            raise _Malformed("'query' is not an object")
        for revid in _bad_revids(query.get("badrevids")):
            if revid in asked:
                result.missing[revid] = "badrevid"
        pages = query.get("pages", [])
        if isinstance(pages, Mapping):  # formatversion=1 shape, keyed by page id
            pages = list(pages.values())
        if not isinstance(pages, list):
            raise _Malformed("'query.pages' is not a list")
        for page in pages:
            if not isinstance(page, Mapping):
                raise _Malformed("a page is not an object")
            revisions = page.get("revisions")
            if page.get("missing") or page.get("invalid") or not revisions:
                continue
            if not isinstance(revisions, list):
                raise _Malformed("'revisions' is not a list")
            for revision in revisions:
                if not isinstance(revision, Mapping):
                    raise _Malformed("a revision is not an object")
                revid = revision.get("revid")
                if not isinstance(revid, int) or revid not in asked:
                    continue  # not one we asked for: ignored
                try:
                    fetched = _revision(wiki, page, revision)
                except _Malformed as error:
                    result.missing[revid] = f"malformed revision: {error}"
                    continue
                if fetched is None:
                    result.missing[revid] = "textmissing"
                else:
                    result.found[revid] = fetched
                    result.missing.pop(revid, None)


class _Malformed(Exception):
    """Part of an API answer is not of the documented shape."""


def _json_object(content: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(content)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _api_error(data: Mapping[str, Any]) -> tuple[str | None, float | None]:
    """The error code of an API answer and the lag it reports, if any. ``errorformat=bc`` gives
    ``{"error": {"code", "info", "lag"}}``; the others ``{"errors": [{"code", "text", "data"}]}``."""
    error = data.get("error")
    if isinstance(error, Mapping):
        return str(error.get("code", "unknown")), _number(error.get("lag"))
    errors = data.get("errors")
    if isinstance(errors, list) and errors:
        first = errors[0] if isinstance(errors[0], Mapping) else {}
        details = first.get("data")
        lag = _number(details.get("lag")) if isinstance(details, Mapping) else None
        return str(first.get("code", "unknown")), lag
    return None, None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _bad_revids(value: object) -> Iterable[int]:
    """Revision ids from ``badrevids``: an object keyed by id (formatversion=2 and 1) whose
    values are ``{"revid": n, "missing": true}``, or a list of such objects."""
    if isinstance(value, Mapping):
        for key, entry in value.items():
            revid = entry.get("revid") if isinstance(entry, Mapping) else None
            if isinstance(revid, int) and not isinstance(revid, bool):
                yield revid
            elif isinstance(key, str) and key.isascii() and key.isdigit():
                yield int(key)
    elif isinstance(value, list):
        for entry in value:
            revid = entry.get("revid") if isinstance(entry, Mapping) else entry
            if isinstance(revid, int) and not isinstance(revid, bool):
                yield revid


def _revision(
    wiki: str, page: Mapping[str, Any], revision: Mapping[str, Any]
) -> FetchedRevision | None:
    """A FetchedRevision, or None when the wiki could not load the content (textmissing)."""
    slots = revision.get("slots")
    if slots is not None and not isinstance(slots, Mapping):
        raise _Malformed("'slots' is not an object")
    main = slots.get("main") if slots else revision  # without rvslots the fields sit here
    if not isinstance(main, Mapping):
        raise _Malformed("'slots.main' is not an object")
    text_hidden = bool(main.get("texthidden") or revision.get("texthidden"))
    if (main.get("textmissing") or main.get("missing")) and not text_hidden:
        return None
    text = main.get("content", main.get("*"))
    if text is not None and not isinstance(text, str):
        raise _Malformed("the content is not a string")
    if text is None and not text_hidden:
        return None
    editor_hidden = bool(revision.get("userhidden"))
    comment_hidden = bool(revision.get("commenthidden"))
    userid = _opt(revision, "userid", int)
    sha1 = _opt(revision, "sha1", str)
    return FetchedRevision(
        wiki=wiki,
        page_id=_need(page, "pageid", int),
        title=_need(page, "title", str),
        namespace=_need(page, "ns", int),
        revision_id=_need(revision, "revid", int),
        parent_id=_opt(revision, "parentid", int) or None,  # 0: the page's first revision
        timestamp=_timestamp(_need(revision, "timestamp", str)),
        editor=None if editor_hidden else _opt(revision, "user", str),
        editor_id=None if editor_hidden else (userid or None),  # 0: anonymous
        editor_hidden=editor_hidden,
        comment=None if comment_hidden else _opt(revision, "comment", str),
        comment_hidden=comment_hidden,
        minor=bool(_opt(revision, "minor", bool)),
        sha1=sha1 or None,
        size=_opt(revision, "size", int),
        text=None if text_hidden else text,
        text_hidden=text_hidden,
        content_model=_opt(main, "contentmodel", str) or _opt(revision, "contentmodel", str),
        redirect=_opt(page, "redirect", bool),
    )


def _opt(record: Mapping[str, Any], key: str, kind: type[T]) -> T | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _Malformed(f"'{key}' is not {kind.__name__}: {value!r:.60}")
    return value


def _need(record: Mapping[str, Any], key: str, kind: type[T]) -> T:
    value = _opt(record, key, kind)
    if value is None:
        raise _Malformed(f"'{key}' is missing")
    return value


def _timestamp(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise _Malformed(f"'timestamp' is not ISO 8601: {value!r:.60}") from error
    try:
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
    except OverflowError as error:
        raise _Malformed(f"'timestamp' is out of range: {value!r:.60}") from error
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )
