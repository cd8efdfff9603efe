"""``entitle``: the one decision every channel asks, dimension by dimension (no server needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from wikipact.access.entitlement import Caller, entitle
from wikipact.access.models import Agreement
from wikipact.errors import ForbiddenError

LANGUAGES = {"enwiki": "en", "dewiki": "de", "mrwiki": "mr"}
PARTNER = Caller("acme", ("on-demand", "realtime", "search", "snapshots", "datasets", "usage"))
NOON = datetime(2026, 6, 15, 12, tzinfo=UTC)


def agreement(**terms: object) -> Agreement:
    base: dict[str, object] = {
        "identifier": 1,
        "partner": "acme",
        "name": "test",
        "projects": ("*",),
        "channels": ("on-demand", "realtime", "search", "snapshots", "datasets"),
        "uses": ("training", "retrieval", "grounding", "search"),
        "starts": "2026-01-01",
    }
    return Agreement(**(base | terms))  # type: ignore[arg-type]


def grant(*agreements: Agreement, at: datetime = NOON, **request: object):  # type: ignore[no-untyped-def]
    return entitle(
        PARTNER,
        agreements,
        at=at,
        language_of=LANGUAGES.get,
        **{"channel": "on-demand", **request},  # type: ignore[arg-type]
    )


def test_dates_are_utc_days_inclusive_whatever_the_callers_offset() -> None:
    ending = agreement(ends="2026-06-15")
    last = datetime(2026, 6, 15, 23, 59, 59, tzinfo=UTC)
    assert grant(ending, at=last).agreements == (ending,)
    with pytest.raises(ForbiddenError, match="no active agreement"):
        grant(ending, at=last + timedelta(seconds=1))
    # 16 June 03:00 at +05:00 is still 15 June in UTC
    local = datetime(2026, 6, 16, 3, tzinfo=timezone(timedelta(hours=5)))
    assert grant(ending, at=local.astimezone(UTC)).agreements == (ending,)
    with pytest.raises(ForbiddenError, match="no active agreement"):
        grant(agreement(starts="2026-06-16"), at=last)


def test_channel_needs_the_agreement_and_the_key() -> None:
    with pytest.raises(ForbiddenError, match="realtime channel"):
        grant(agreement(channels=("on-demand",)), channel="realtime")
    narrow = Caller("acme", ("usage",))
    with pytest.raises(ForbiddenError, match="scopes"):
        entitle(narrow, [agreement()], channel="on-demand", at=NOON)
    with pytest.raises(ForbiddenError, match="partner key"):
        entitle(Caller(None, ("admin",)), [agreement()], channel="on-demand", at=NOON)


def test_uses_follow_the_channel() -> None:
    retrieval = agreement(uses=("retrieval",))
    assert grant(retrieval, channel="on-demand").agreements == (retrieval,)
    with pytest.raises(ForbiddenError, match="grounding or search"):
        grant(retrieval, channel="search")
    with pytest.raises(ForbiddenError, match="training"):
        grant(retrieval, channel="datasets")
    assert grant(agreement(uses=("grounding",)), channel="search").agreements


def test_projects_languages_and_namespaces_filter_and_refuse() -> None:
    german_articles = agreement(projects=("*",), languages=("de",), namespaces=(0,))
    g = grant(german_articles)
    assert g.projects(["enwiki", "dewiki", "mrwiki"]) == ["dewiki"]
    assert g.allows("dewiki", 0) and not g.allows("dewiki", 14) and not g.allows("enwiki", 0)
    assert g.namespaces_of("dewiki") == frozenset({0}) and g.namespaces_of("enwiki") == frozenset()
    with pytest.raises(ForbiddenError, match="language of enwiki"):
        grant(german_articles, project="enwiki")
    with pytest.raises(ForbiddenError, match="namespace 14 of dewiki"):
        grant(german_articles, project="dewiki", namespace=14)
    with pytest.raises(ForbiddenError, match="project frwiki"):
        grant(agreement(projects=("dewiki",)), project="frwiki")


def test_the_agreement_that_covers_the_request_is_the_one_metered() -> None:
    english = agreement(identifier=1, projects=("enwiki",))
    marathi = agreement(identifier=2, projects=("mrwiki",))
    assert grant(english, marathi, project="mrwiki").agreement is marathi
    both = grant(english, marathi)
    assert both.projects(["enwiki", "mrwiki", "dewiki"]) == ["enwiki", "mrwiki"]
    assert both.namespaces_of("enwiki") is None
