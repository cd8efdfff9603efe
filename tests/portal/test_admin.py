"""The admin's pages in Chromium, signed in with the admin key: partners (and a new one through
the form), an agreement made, refused field by field, edited and ended (checked in the API
too), the audit log and its filter, usage and revenue against the statements (and its CSV),
operations; and a partner's key refused.

The fixture's partners (acme, beta, gone) are shared with other tests: they are only read here;
each test that changes something makes a partner of its own."""

from __future__ import annotations

import csv
import io
import re
import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from tests.portal.conftest import Site, check_page, sign_in

pytestmark = pytest.mark.timeout(300)


def _admin(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, site.keys.admin, expect="/portal/admin/")


def _api(site: Site, path: str) -> httpx.Response:
    response = httpx.get(
        site.base + path, headers={"Authorization": f"Bearer {site.keys.admin}"}, timeout=30
    )
    assert response.status_code == 200, response.text
    return response


def _new_partner(page, name: str) -> str:  # type: ignore[no-untyped-def]
    """A partner made through the form on the partners page (an id unique to this run)."""
    identifier = f"t-{secrets.token_hex(4)}"
    page.goto("/portal/admin/")
    page.get_by_label("Identifier").fill(identifier)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Contact").fill("ops@example.org")
    page.get_by_role("button", name="Add partner").click()
    page.wait_for_url(f"**/portal/admin/partners/{identifier}?done=partner-added")
    return identifier


def _rows(page, selector: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The cells' text of a table's body rows."""
    return page.eval_on_selector_all(
        f"{selector} tbody tr",
        "rows => rows.map(r => Array.from(r.cells, c => c.innerText.trim()))",
    )


def test_the_partners_page_lists_them_and_adds_one(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    _admin(page, site)
    assert page.get_by_role("heading", level=1).inner_text() == "Partners"
    table = page.locator("#partners")
    for identifier, name in (("acme", "Acme AI"), ("beta", "Beta Labs"), ("gone", "Gone Inc")):
        row = table.locator(f"tr[data-partner='{identifier}']")
        assert name in row.inner_text()
    acme = table.locator("tr[data-partner='acme'] td")
    assert acme.nth(2).inner_text().startswith("1 ")  # one agreement in force
    assert acme.nth(6).inner_text().endswith("USD")  # this month's cost so far
    assert table.locator("tr[data-partner='gone'] td").nth(2).inner_text().startswith("0 ")
    assert re.fullmatch(r"\d+ of \d+", acme.nth(3).inner_text())  # keys that work, of all
    check_page(page, "admin-partners")

    # refused: the access layer's reason next to the field, what was typed kept
    page.get_by_label("Identifier").fill("Not A Slug")
    page.get_by_label("Name").fill("Delta <Labs>")
    page.get_by_role("button", name="Add partner").click()
    identifier = page.get_by_label("Identifier")
    assert identifier.get_attribute("aria-invalid") == "true"
    assert "lowercase letters" in page.locator("#p-identifier-error").inner_text()
    assert identifier.input_value() == "Not A Slug"
    assert page.get_by_label("Name").input_value() == "Delta <Labs>"
    # an identifier taken already
    page.get_by_label("Identifier").fill("acme")
    page.get_by_role("button", name="Add partner").click()
    assert "exists already" in page.locator("#p-identifier-error").inner_text()
    check_page(page, "admin-partners-refused")

    made = _new_partner(page, "Delta <Labs>")
    assert page.get_by_role("heading", level=1).inner_text() == "Delta <Labs>"
    assert "The partner was added" in page.get_by_role("status").inner_text()
    listed = {p["identifier"]: p for p in _api(site, "/v2/admin/partners").json()}
    assert listed[made]["name"] == "Delta <Labs>" and listed[made]["contact"] == "ops@example.org"

    # what does not exist is "not found", as in the API
    for path in ("/portal/admin/partners/nobody", "/portal/admin/agreements/999999/edit",
                 "/portal/admin/partners/nobody/statements/2026-01.json"):  # fmt: skip
        response = page.goto(path)
        assert response is not None and response.status == 404, path


def test_an_agreement_is_made_edited_ended_and_audited(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    _admin(page, site)
    partner = _new_partner(page, "Agreement Tests")
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    form = page.locator("form.agreement-form")
    form.get_by_label("Name", exact=True).fill("portal test agreement")
    form.get_by_label("Projects").fill("enwiki, mrwiki")
    form.get_by_label("Languages").fill("en")
    form.get_by_label("Namespaces").fill("0")
    for use in ("training", "retrieval"):
        form.locator("#f-uses").get_by_label(use).check()
    for channel in ("on-demand", "search"):
        form.locator("#f-channels").get_by_label(channel, exact=True).check()
    form.locator("#f-quota-0-channel").select_option("on-demand")
    form.locator("#f-quota-0-limit").fill("1k")  # not a number
    form.locator("#f-quota-1-channel").select_option("search")
    form.locator("#f-quota-1-period").select_option("month")
    form.locator("#f-quota-1-limit").fill("-5")  # below zero: the access layer refuses it
    form.get_by_label("Rate limit").fill("250")
    form.get_by_label("Burst").fill("50")
    form.get_by_label("Starts").fill("2025-02-30")  # no such day
    form.get_by_label("Currency").fill("EUR")
    form.get_by_label("Flat monthly").fill("100")
    form.get_by_label("Per GB").fill("0.5")
    form.locator("#f-per_1000-on-demand").fill("1.25")
    form.get_by_role("button", name="Add agreement").click()

    # every problem at once, each next to its field; everything typed is still there
    assert "2025-02-30" in page.locator("#f-starts-error").inner_text()
    assert page.locator("#f-starts").get_attribute("aria-invalid") == "true"
    assert "'1k': a whole number" in page.locator("#f-quota-0-error").inner_text()
    assert "limit -5: 0 or more" in page.locator("#f-quota-1-error").inner_text()
    assert page.locator("#f-quota-1-limit").get_attribute("aria-invalid") == "true"
    assert page.locator("#f-quota-2-limit").get_attribute("aria-invalid") is None
    assert page.locator("#f-name").input_value() == "portal test agreement"
    assert page.locator("#f-projects").input_value() == "enwiki, mrwiki"
    assert page.locator("#f-quota-1-limit").input_value() == "-5"
    assert page.locator("#f-quota-1-period").input_value() == "month"
    assert page.locator("#f-per_1000-on-demand").input_value() == "1.25"
    assert page.locator("#f-channels").get_by_label("search").is_checked()
    assert not page.locator("#f-channels").get_by_label("realtime").is_checked()
    assert page.locator("#f-currency").input_value() == "EUR"
    check_page(page, "admin-agreement-refused")

    page.locator("#f-quota-0-limit").fill("1000")
    page.locator("#f-quota-1-limit").fill("5000")
    page.locator("#f-starts").fill("2025-02-01")
    page.get_by_role("button", name="Add agreement").click()
    page.wait_for_url(f"**/portal/admin/partners/{partner}?done=agreement-added#agreement-*")
    [made] = _api(site, f"/v2/admin/partners/{partner}/agreements").json()
    number = made["identifier"]
    assert made["name"] == "portal test agreement"
    assert made["projects"] == ["enwiki", "mrwiki"] and made["languages"] == ["en"]
    assert made["namespaces"] == [0] and made["uses"] == ["training", "retrieval"]
    assert made["channels"] == ["on-demand", "search"]
    assert made["quotas"] == [
        {"channel": "on-demand", "period": "day", "limit": 1000},
        {"channel": "search", "period": "month", "limit": 5000},
    ]
    assert made["rate_limit"] == 250 and made["burst"] == 50
    assert made["starts"] == "2025-02-01" and made["ends"] is None
    assert made["fees"] == {
        "currency": "EUR", "flat_monthly": "100", "per_1000_requests": {"on-demand": "1.25"},
        "per_gb": "0.5", "per_snapshot": "0",
    }  # fmt: skip
    section = page.locator(f"#agreement-{number}")
    assert section.locator(".state").inner_text() == "active"
    assert "1,000 on-demand requests a day" in section.inner_text()
    check_page(page, "admin-partner")

    # edit: the same form, filled with the terms; the rate limit changed
    section.get_by_role("link", name="Edit").click()
    page.wait_for_url(f"**/portal/admin/agreements/{number}/edit")
    assert page.locator("#f-name").input_value() == "portal test agreement"
    assert page.locator("#f-rate_limit").input_value() == "250"
    assert page.locator("#f-quota-1-limit").input_value() == "5000"
    check_page(page, "admin-agreement-edit")
    page.locator("#f-rate_limit").fill("0")
    page.get_by_role("button", name="Save terms").click()
    assert "more than 0" in page.locator("#f-rate_limit-error").inner_text()
    page.locator("#f-rate_limit").fill("7.5")
    page.get_by_role("button", name="Save terms").click()
    page.wait_for_url(f"**/portal/admin/partners/{partner}?done=agreement-edited#*")
    assert "7.50 requests/s" in page.locator(f"#agreement-{number} .rate").inner_text()
    [edited] = _api(site, f"/v2/admin/partners/{partner}/agreements").json()
    assert edited["rate_limit"] == 7.5 and edited["quotas"] == made["quotas"]

    # end: a day before its start is refused next to the field; yesterday ends it
    page.on("dialog", lambda dialog: dialog.accept())  # the form's data-confirm
    ends = page.locator(f"#ends-{number}")
    ends.fill("2025-01-31")
    page.get_by_role("button", name=f"End agreement #{number}", exact=True).click()
    assert "not before the start" in page.locator(f"#ends-{number}-error").inner_text()
    assert page.locator(f"#ends-{number}").input_value() == "2025-01-31"
    page.locator(f"#ends-{number}").fill(yesterday)
    page.get_by_role("button", name=f"End agreement #{number}", exact=True).click()
    page.wait_for_url(f"**/portal/admin/partners/{partner}?done=agreement-ended#*")
    section = page.locator(f"#agreement-{number}")
    assert section.locator(".state").inner_text() == "ended"
    assert yesterday in section.locator(".ends").inner_text()
    [ended] = _api(site, f"/v2/admin/partners/{partner}/agreements").json()
    assert ended["ends"] == yesterday and ended["ended_at"] is not None

    # the audit log: these actions, newest first, and the filter narrows them
    page.goto("/portal/admin/audit")
    actions = [row[3] for row in _rows(page, "#audit")]
    assert actions[:4] == ["agreement.end", "agreement.edit", "agreement.add", "partner.add"]
    page.get_by_label("Object").fill(f"agreement:{number}")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/portal/admin/audit?*")
    rows = _rows(page, "#audit")
    assert [row[3] for row in rows] == ["agreement.end", "agreement.edit", "agreement.add"]
    assert all(row[4] == f"agreement:{number}" for row in rows)
    assert '"rate_limit"' in rows[1][5] and '"from": 250' in rows[1][5]  # details, readable
    page.get_by_label("Action starts with").fill("agreement.e")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/portal/admin/audit?*action=agreement.e*")
    assert [row[3] for row in _rows(page, "#audit")] == ["agreement.end", "agreement.edit"]
    assert "2 matching entries" in page.locator("#audit-count").inner_text()
    check_page(page, "admin-audit")


def test_usage_and_revenue_match_the_statements(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    from wikipact.access import Access

    month = datetime.now(UTC).strftime("%Y-%m")
    access = Access(site.db)
    try:
        expected = {p.identifier: access.statement(p.identifier, month) for p in access.partners()}
    finally:
        access.close()
    _admin(page, site)
    page.get_by_role("link", name="Usage & revenue").first.click()
    page.wait_for_url("**/portal/admin/usage")
    table = {row[0]: row for row in _rows(page, "#usage")}
    for partner in ("acme", "beta", "gone"):
        row = table[partner]
        assert Decimal(row[5].replace(",", "")) == Decimal(expected[partner].total)
        assert row[6] == expected[partner].currency
    assert int(table["acme"][2].replace(",", "")) == expected["acme"].requests
    assert int(table["acme"][4].replace(",", "")) == expected["acme"].bytes
    assert Decimal(table["acme"][5].replace(",", "")) >= 1000  # the flat fee at least
    check_page(page, "admin-usage")

    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download CSV").click()
    download = waiting.value
    assert download.suggested_filename == f"wikipact-usage-{month}.csv"
    lines = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8"))))
    assert [line["partner"] for line in lines[: len(table)]] == list(table)
    for line in lines[: len(table)]:
        row = table[line["partner"]]
        shown = [int(cell.replace(",", "")) for cell in row[2:5]]
        assert shown == [int(line["requests"]), int(line["articles"]), int(line["bytes"])]
        assert Decimal(row[5].replace(",", "")) == Decimal(line["amount"])
        assert line["currency"] == row[6] and line["period"] == month
    total = lines[len(table)]
    assert total["partner"] == "total"
    assert int(total["requests"]) == sum(int(line["requests"]) for line in lines[: len(table)])

    # a statement's JSON is the API's
    response = page.goto(f"/portal/admin/partners/acme/statements/{month}.json")
    assert response is not None and response.status == 200
    assert response.json() == _api(site, f"/v2/admin/partners/acme/statements/{month}").json()

    # another month (last month: acme's snapshot download and its on-demand requests)
    last = (datetime.now(UTC).date().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    page.goto(f"/portal/admin/usage?period={last}")
    assert page.locator("#period").input_value() == last
    acme = next(row for row in _rows(page, "#usage") if row[0] == "acme")
    statement = _api(site, f"/v2/admin/partners/acme/statements/{last}").json()
    assert Decimal(acme[5].replace(",", "")) == Decimal(statement["total"])
    page.goto("/portal/admin/usage?period=2026-13")
    assert "YYYY-MM" in page.locator("#period-error").inner_text()


def test_operations_shows_ingests_and_snapshots(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    _admin(page, site)
    page.goto("/portal/admin/operations")
    assert page.get_by_role("heading", level=1).inner_text() == "Operations"
    runs = _rows(page, "#ingests")
    assert runs and runs[-1][3].startswith("completed")  # the samples' ingest
    assert int(runs[-1][5].replace(",", "")) > 0  # pages
    files = " ".join(row[0] for row in _rows(page, "#files"))
    for identifier in site.snapshot_ids.values():
        assert identifier in files
    assert "No change stream has been followed" in page.inner_text("main")
    check_page(page, "admin-operations")


def test_a_partner_key_may_not_see_admin_pages(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, site.keys.acme)
    for path in ("/portal/admin/", "/portal/admin/partners/acme", "/portal/admin/usage"):
        response = page.goto(path)
        assert response is not None and response.status == 403
        assert "admin key" in page.get_by_role("alert").inner_text()
    check_page(page, "admin-refused")
