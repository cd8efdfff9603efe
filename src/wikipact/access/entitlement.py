"""Entitlement: what a caller may receive, decided in one place for every channel.

An agreement grants content along six dimensions: its **dates** (UTC days, inclusive), its
**channels**, its **uses**, its **projects** (``*`` for all), its **languages** (empty: every
language of those projects) and its **namespaces** (empty: every namespace). A key adds its own
**scopes** (the channels it may use).

``entitle`` turns a caller, its agreements and a request into a ``Grant``, or refuses with a
``ForbiddenError`` saying which dimension is missing. Every delivery asks it, and then asks the
grant about each item it would send:

* a request for one thing (an article of a named project, a snapshot) is refused (403) unless an
  agreement covers it;
* lists and streams (metadata, search results, the realtime feed, batches, snapshot lists) keep
  only what ``Grant.allows`` admits.

Uses: a search asks for ``grounding`` or ``search`` and a dataset download for ``training``; the
other channels deliver content whatever the partner's permitted use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from wikipact.access.models import Agreement
from wikipact.errors import ForbiddenError

# The uses a channel's deliveries serve; a channel not listed serves any use.
CHANNEL_USES: dict[str, tuple[str, ...]] = {
    "search": ("grounding", "search"),
    "datasets": ("training",),
    "mcp": ("grounding", "search"),  # the MCP server's tools (wikipact.agents)
}

LanguageOf = Callable[[str], str | None]


@dataclass(frozen=True)
class Caller:
    """Who asks: the partner (None for an admin key) and the channels its key may use."""

    partner: str | None
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class Grant:
    """The agreements that let a caller receive content on one channel now.

    ``language_of`` gives a project's content language (from the store's site information);
    it is asked only when an agreement limits languages.
    """

    channel: str | None
    agreements: tuple[Agreement, ...]
    language_of: LanguageOf = field(repr=False, compare=False, default=lambda project: None)

    @property
    def agreement(self) -> Agreement:
        """The agreement that meters and rate-limits the request: the first that grants it."""
        return self.agreements[0]

    def covering(self, project: str, namespace: int | None = None) -> Agreement | None:
        """The first agreement that covers ``project`` (and ``namespace``, when given)."""
        language: str | None = None
        for agreement in self.agreements:
            if not agreement.grants_project(project):
                continue
            if agreement.languages:
                if language is None:
                    language = self.language_of(project) or ""
                if language not in agreement.languages:
                    continue
            if namespace is not None and not agreement.grants_namespace(namespace):
                continue
            return agreement
        return None

    def allows(self, project: str, namespace: int | None = None) -> bool:
        return self.covering(project, namespace) is not None

    def projects(self, candidates: Sequence[str]) -> list[str]:
        """The ``candidates`` this grant lets through (in any namespace it allows)."""
        return [p for p in candidates if self.allows(p)]

    def namespaces_of(self, project: str) -> frozenset[int] | None:
        """Namespaces of ``project`` the grant allows; None: all of them."""
        allowed: set[int] = set()
        language: str | None = None
        for agreement in self.agreements:
            if not agreement.grants_project(project):
                continue
            if agreement.languages:
                language = language if language is not None else self.language_of(project) or ""
                if language not in agreement.languages:
                    continue
            if not agreement.namespaces:
                return None
            allowed.update(agreement.namespaces)
        return frozenset(allowed)


def entitle(
    caller: Caller,
    agreements: Sequence[Agreement],
    *,
    channel: str | None,
    at: datetime,
    use: str | None = None,
    project: str | None = None,
    namespace: int | None = None,
    language_of: LanguageOf | None = None,
) -> Grant:
    """The caller's grant on ``channel`` at instant ``at``, or ``ForbiddenError`` with the reason.

    ``channel=None`` asks for every channel the key may use (metadata: what may I receive at
    all?). ``use`` defaults to the channel's uses (``CHANNEL_USES``): any of them will do.
    ``project`` and ``namespace`` narrow the request to one item, which must be covered.
    """
    if caller.partner is None:
        raise ForbiddenError("admin keys manage accounts; deliveries need a partner key")
    if channel is not None and channel not in caller.scopes:
        raise ForbiddenError(f"this key's scopes do not include the {channel} channel")
    day = at.date().isoformat()
    active = [a for a in agreements if a.active_on(day)]
    if not active:
        raise ForbiddenError("no active agreement")
    if channel is None:
        usable = [a for a in active if any(c in caller.scopes for c in a.channels)]
    else:
        usable = [a for a in active if channel in a.channels]
        if not usable:
            raise ForbiddenError(f"no active agreement grants the {channel} channel")
    uses = (use,) if use is not None else CHANNEL_USES.get(channel or "", ())
    if uses:
        usable = [a for a in usable if any(u in a.uses for u in uses)]
        if not usable:
            raise ForbiddenError(f"no active agreement permits use for {' or '.join(uses)}")
    grant = Grant(channel, tuple(usable), language_of or (lambda project: None))
    if project is not None:
        if not any(a.grants_project(project) for a in usable):
            raise ForbiddenError(f"no active agreement grants the project {project}")
        covering = grant.covering(project, namespace)
        if covering is None:
            if namespace is not None and grant.covering(project) is not None:
                raise ForbiddenError(
                    f"no active agreement grants namespace {namespace} of {project}"
                )
            raise ForbiddenError(f"no active agreement grants the language of {project}")
        rest = tuple(a for a in usable if a is not covering)
        grant = Grant(channel, (covering, *rest), grant.language_of)
    elif namespace is not None and not any(a.grants_namespace(namespace) for a in usable):
        raise ForbiddenError(f"no active agreement grants namespace {namespace}")
    return grant
