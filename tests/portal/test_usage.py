"""The usage page in Chromium: a period's numbers in charts and tables (equal to the API's
``GET /v2/usage`` and to the fixture's known deliveries), the period form and its quick choices,
the CSV download, the monthly statements (equal to ``GET /v2/statements/{period}``), one
partner never seeing another's usage, and a bad date shown next to its field."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.portal.conftest import Site, check_page, shoot, sign_in

pytestmark = pytest.mark.timeout(300)


def _today() -> date:
    return datetime.now(UTC).date()


def _last_month() -> tuple[date, date]:
    last = _today().replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def _api(site: Site, key: str, path: str, **params: str) -> dict:  # type: ignore[type-arg]
    answer = httpx.get(
        site.base + path, params=params, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _int(text: str) -> int:
    return int(text.replace(",", "").strip())


def _cells(page, selector: str) -> list[int]:  # type: ignore[no-untyped-def]
    """The requests, articles and bytes of a table row."""
    row = page.locator(selector)
    return [
        _int(row.locator(f"td.{name}").inner_text()) for name in ("requests", "articles", "bytes")
    ]


def _table(page, table: str) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    """A by-channel or by-project table: name -> [requests, articles, bytes]."""
    rows = page.locator(f"#{table} tbody tr")
    return {
        rows.nth(n).locator("th").inner_text(): _cells(page, f"#{table} tbody tr >> nth={n}")
        for n in range(rows.count())
    }


def _sums(rows: list[dict], key: str) -> dict[str, list[int]]:  # type: ignore[type-arg]
    sums: dict[str, list[int]] = {}
    for row in rows:
        into = sums.setdefault(row[key], [0, 0, 0])
        for n, name in enumerate(("requests", "articles", "bytes")):
            into[n] += row[name]
    return sums


def _period(site: Site, key: str, since: date, until: date) -> dict:  # type: ignore[type-arg]
    return _api(site, key, "/v2/usage", since=since.isoformat(), until=until.isoformat())


def test_a_period_in_charts_and_tables_and_the_form(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, site.keys.acme)
    page.goto("/portal/")
    page.get_by_role("link", name="statements").click()  # the overview's link
    page.wait_for_url("**/portal/usage#statements")
    today = _today()
    this_month = today.replace(day=1)
    assert page.get_by_label("From").input_value() == this_month.isoformat()
    assert page.get_by_label("To (inclusive)").input_value() == today.isoformat()

    # both months of the fixture's deliveries, typed into the form
    first, last = _last_month()
    page.get_by_label("From").fill(first.isoformat())
    page.get_by_label("To (inclusive)").fill(today.isoformat())
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**/portal/usage?since={first}&until={today}")
    expected = _period(site, site.keys.acme, first, today)
    totals = expected["totals"]
    assert _cells(page, "#by-day tfoot tr") == [
        totals[n] for n in ("requests", "articles", "bytes")
    ]
    assert _cells(page, "#by-project tfoot tr") == _cells(page, "#by-day tfoot tr")
    assert _table(page, "by-channel") == _sums(expected["usage"], "channel")
    assert (
        _table(page, "by-project")
        == _sums(expected["usage"], "project")
        == {"enwiki": [totals["requests"], totals["articles"], totals["bytes"]]}
    )
    assert page.locator("#by-day tbody tr").count() == len(
        {(r["day"], r["channel"]) for r in expected["usage"]}
    )
    assert page.locator("#total-requests").inner_text() == f"{totals['requests']:,}"

    # the charts: inline SVG, labelled by their title, a bar for each day and channel
    for chart in ("#day-chart", "#project-chart"):
        svg = page.locator(f"svg.chart{chart}")
        assert svg.get_attribute("role") == "img"
        title = page.locator("#" + svg.get_attribute("aria-labelledby")).text_content()
        assert title.startswith("Requests by") and str(first) in title
        assert svg.get_attribute("style") is None and svg.locator("[style]").count() == 0
    assert page.locator("#day-chart rect.bar").count() == page.locator("#by-day tbody tr").count()
    assert (
        page.get_by_role("img", name=f"Requests by day and channel, {first} to {today}").count()
        == 1
    )
    check_page(page, "usage")
    shoot(page, "usage", readme="portal-usage.png")

    # a quick choice: last month, only the fixture's deliveries then (nothing else is metered
    # in the past): 3 on-demand requests of 120 articles, 400 kB each, and a snapshot of 2 MB
    page.get_by_role("button", name="Last month").click()
    page.wait_for_url(f"**/portal/usage?since={first}&until={last}")
    assert page.get_by_label("From").input_value() == first.isoformat()
    assert _table(page, "by-channel") == {
        "on-demand": [3, 360, 1_200_000],
        "snapshots": [1, 1, 2_000_000],
    }
    assert _cells(page, "#by-day tfoot tr") == [4, 361, 3_200_000]
    assert _period(site, site.keys.acme, first, last)["totals"] == {
        "requests": 4, "articles": 361, "bytes": 3_200_000,
    }  # fmt: skip
    page.get_by_role("button", name="This month").click()
    page.wait_for_url(f"**/portal/usage?since={this_month}&until={today}")
    this = _period(site, site.keys.acme, this_month, today)  # other tests may meter more today
    assert _table(page, "by-channel") == _sums(this["usage"], "channel")


def test_the_csv_and_a_statement_download_match_the_page_and_the_api(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, site.keys.acme)
    first, _ = _last_month()
    today = _today()
    page.goto(f"/portal/usage?since={first}&until={today}")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename == f"wikipact-usage-acme-{first}-to-{today}.csv"
    with open(download.path(), newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == ["day", "channel", "project", "requests", "articles", "bytes"]
    sums = [sum(int(r[n]) for r in rows) for n in ("requests", "articles", "bytes")]
    assert sums == _cells(page, "#by-day tfoot tr")
    assert {r["project"] for r in rows} == {"enwiki"}

    # statements: this month and the last at least, each equal to the API's
    months = page.locator("#statements tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.period)"
    )
    previous = f"{first:%Y-%m}"
    assert months[:2] == [f"{today:%Y-%m}", previous]
    for month in months[:2]:
        api = _api(site, site.keys.acme, f"/v2/statements/{month}")
        cell = page.locator(f'#statements tr[data-period="{month}"] td.statement-total')
        assert cell.inner_text() == f"{float(api['total']):,.2f} {api['currency']}"
    with page.expect_download() as info:
        page.get_by_role("link", name=f"JSON statement for {first:%B %Y}").click()
    download = info.value
    assert download.suggested_filename == f"wikipact-statement-acme-{previous}.json"
    body = Path(download.path()).read_bytes()
    api = httpx.get(
        f"{site.base}/v2/statements/{previous}",
        headers={"Authorization": f"Bearer {site.keys.acme}"},
    )
    assert body == api.content and json.loads(body)["partner"] == "acme"
    # 1,000 flat + 3 on-demand requests at 2.50 per 1,000 + 3.2 MB at 0.10 per GB
    assert json.loads(body)["total"] == "1000.01"

    # the month's own page: its lines and total
    page.get_by_role("link", name=f"{first:%B %Y}", exact=True).click()
    page.wait_for_url(f"**/portal/statements/{previous}")
    assert page.locator("#statement-total").inner_text() == "1,000.01 USD"
    assert page.locator("#statement-lines tbody tr").count() == len(json.loads(body)["lines"])
    check_page(page, "statement")

    # a malformed month, one that does not exist, one that has not begun: not found
    upcoming = (today.replace(day=28) + timedelta(days=5)).strftime("%Y-%m")
    for name in ("2026-13.json", "2026-1.csv", "nonsense", f"{upcoming}.json", f"{previous}.xml"):
        response = page.goto(f"/portal/statements/{name}")
        assert response is not None and response.status == 404, name
        assert page.get_by_role("heading", level=1).inner_text() == "Not found"


def test_beta_sees_only_its_own_usage(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, site.keys.beta)
    first, _ = _last_month()
    today = _today()
    page.goto(f"/portal/usage?since={first}&until={today}")
    mine = _period(site, site.keys.beta, first, today)
    acme = _period(site, site.keys.acme, first, today)
    assert _table(page, "by-project") == _sums(mine["usage"], "project")
    assert set(_table(page, "by-project")) == {"mrwiki"}
    assert _cells(page, "#by-day tfoot tr")[0] == mine["totals"]["requests"] >= 3
    text = page.inner_text("main")
    assert "enwiki" not in text and _table(page, "by-channel") == _sums(mine["usage"], "channel")
    assert f"{acme['totals']['bytes']:,}" not in text
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    assert "-beta-" in info.value.suggested_filename
    with open(info.value.path(), newline="", encoding="utf-8") as file:
        assert {r["project"] for r in csv.DictReader(file)} == {"mrwiki"}
    # beta's statement (no fees), never acme's
    cell = page.locator(f'#statements tr[data-period="{today:%Y-%m}"] td.statement-total')
    assert cell.inner_text() == "0.00 USD"


def test_a_bad_date_is_shown_next_to_its_field(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, site.keys.acme)
    response = page.goto("/portal/usage?since=2026-02-31&until=2026-03-05")
    assert response is not None and response.status == 422
    since = page.get_by_label("From")
    assert since.get_attribute("aria-invalid") == "true"
    error = page.locator("#" + since.get_attribute("aria-describedby"))
    assert "'2026-02-31' is not a calendar day" in error.inner_text()
    assert page.get_by_label("To (inclusive)").input_value() == "2026-03-05"  # kept
    assert page.locator("#by-day").count() == 0 and page.locator("#statements").count() == 1
    check_page(page, "usage-bad-date")

    # through the form: an end before the start
    page.get_by_label("From").fill("2026-03-10")
    page.get_by_label("To (inclusive)").fill("2026-03-01")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Show").click()
    assert navigation.value is not None and navigation.value.status == 422
    until = page.get_by_label("To (inclusive)")
    assert until.get_attribute("aria-invalid") == "true" and until.input_value() == "2026-03-01"
    assert "before the start" in page.locator("#until-error").inner_text()
    assert page.get_by_label("From").input_value() == "2026-03-10"

    # the CSV of a refused period is the page with its error, not a file
    response = page.goto("/portal/usage.csv?since=2020-01-01&until=2026-01-01")
    assert response is not None and response.status == 422
    assert "at most 366 days" in page.locator("#since-error").inner_text()
