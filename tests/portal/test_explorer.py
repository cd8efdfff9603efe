"""The article explorer in Chromium: a partner searches the vendored English sample, opens an
article from the results, and follows a claim's citation to its reference; the page is the
record the API delivers (compared with the JSON of its "as JSON" link). Entitlement: another
project's article is "not found" like a missing one; a partner entitled to it sees it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.portal.conftest import Site, check_page, shoot, sign_in

pytestmark = pytest.mark.timeout(300)

# an article of tests/data/sample-enwiki-pages-articles-multistream.xml.bz2 with an infobox, a
# lead of claims backed by references, and sentences that no reference backs
TITLE = "Royal Cinema"
WORD = "Levinsky"  # from its lead
MARATHI = "भारत"  # an article of the Marathi sample


def _api(site: Site, key: str, path: str) -> Any:
    response = httpx.get(site.base + path, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    return response.json()


def _requests(site: Site, partner: str, channel: str) -> int:
    """Metered requests of a partner on a channel, every day (what the usage page counts)."""
    from wikipact.access import Access

    access = Access(site.db)
    try:
        return sum(r.requests for r in access.usage(partner) if r.channel == channel)
    finally:
        access.close()


def test_a_partner_searches_opens_an_article_and_follows_a_claim_to_its_source(  # type: ignore[no-untyped-def]
    page, site: Site
) -> None:
    sign_in(page, site.keys.acme)
    page.goto("/portal/articles")
    assert page.locator("ol.results").count() == 0  # no query: the form and what it does
    assert "grounding search" in page.locator("p.explain").inner_text()

    searches = _requests(site, "acme", "search")
    page.get_by_label("Search words").fill(WORD)
    page.get_by_label("Project", exact=True).select_option("enwiki")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/portal/articles?q=*")
    first = page.locator("ol.results > li").first
    assert first.get_by_role("heading").inner_text() == TITLE
    assert WORD in first.locator(".snippet mark").first.inner_text()
    assert "enwiki" in first.inner_text()
    assert _requests(site, "acme", "search") == searches + 1  # metered as GET /v2/search
    # the passages and citations GET /v2/search gives for the same query
    (passage, *others) = _api(site, site.keys.acme, f"/v2/search?q={WORD}&project=enwiki")[
        "passages"
    ]
    assert page.locator("ol.results > li").count() == 1 + len(others)
    labels = first.locator(".citations li").all_inner_texts()
    assert labels == [c.get("title") or c.get("text") for c in passage["citations"]]
    check_page(page, "articles-search")

    deliveries = _requests(site, "acme", "on-demand")
    first.get_by_role("link", name=TITLE).click()
    page.wait_for_url("**/portal/articles/enwiki/Royal%20Cinema")
    assert _requests(site, "acme", "on-demand") == deliveries + 1  # as GET /v2/articles
    assert page.get_by_role("heading", level=1).inner_text() == TITLE
    # the record the page shows is the one its "as JSON" link delivers through the API
    href = page.get_by_role("link", name="as JSON").get_attribute("href")
    assert href == "/v2/articles/Royal%20Cinema?filters=is_part_of.identifier%3Aenwiki"
    (record,) = _api(site, site.keys.acme, href)
    assert page.locator("#revision").inner_text() == str(record["version"]["identifier"])
    assert page.locator("#revision-date").get_attribute("datetime") == record["date_modified"]

    # the abstract (the lead section), its text without the citation marks, and a section
    assert page.locator("#s-1").inner_text() == "Abstract"
    lead = page.evaluate(
        """() => [...document.querySelectorAll("section[aria-labelledby='s-1'] > p")].map(p => {
            const copy = p.cloneNode(true);
            copy.querySelectorAll(".cite-link").forEach(a => a.remove());
            return copy.textContent; }).join("\\n")"""
    )
    assert lead == record["abstract"]
    section = record["sections"][1]["name"]
    assert page.get_by_role("heading", level=2, name=section).is_visible()
    assert (
        page.locator("table.infobox caption").first.inner_text() == record["infoboxes"][0]["name"]
    )

    # every claim is highlighted once, in order, with exactly the record's text
    claims = record["claims"]
    shown = page.locator(".claim").evaluate_all("els => els.map(e => [e.id, e.textContent])")
    assert shown == [[f"claim-{n}", c["text"]] for n, c in enumerate(claims, 1)]
    # a sentence no reference backs is marked: as many as the record's signals count
    uncited = page.locator(".uncited")
    assert uncited.count() == record["signals"]["sentences_without_citation"] >= 1
    assert uncited.first.inner_text() not in {c["text"] for c in claims}

    # a claim's citation leads to its reference
    claim = claims[1]
    link = page.locator("#claim-2 + a.cite-link")
    number = int(link.get_attribute("href").removeprefix("#ref-"))
    reference = record["references"][number - 1]
    assert reference["identifier"] == claim["citations"][0]
    link.click()
    page.wait_for_url(f"**#ref-{number}")
    assert page.evaluate("document.querySelector(':target').id") == f"ref-{number}"
    target = page.locator(f"ol.references > li#ref-{number}")
    assert target.locator(".ref-text").inner_text() == reference["text"]["value"]
    assert target.get_by_role("link", name=reference["metadata"]["url"]).is_visible()
    assert target.is_visible()

    attribution = page.locator(".attribution #attribution-line")
    assert attribution.inner_text() == record["provenance"]["attribution"]
    check_page(page, "article")
    # the README's picture: the top of the article, its claims and their citations
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "article", readme="portal-article.png")


def test_another_project_is_not_found_unless_the_partner_receives_it(  # type: ignore[no-untyped-def]
    page, site: Site
) -> None:
    sign_in(page, site.keys.acme)  # acme receives enwiki only
    refused = page.goto(f"/portal/articles/mrwiki/{MARATHI}")
    assert refused is not None and refused.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Not found"
    alert = page.get_by_role("alert").inner_text()
    assert alert == f"No article “{MARATHI}” on mrwiki among the projects you receive."
    missing = page.goto("/portal/articles/enwiki/No such article here")
    assert missing is not None and missing.status == 404
    assert page.get_by_role("alert").inner_text() == alert.replace(
        MARATHI, "No such article here"
    ).replace("mrwiki", "enwiki")

    # a query longer than the API takes: said next to the field
    too_long = page.goto("/portal/articles?q=" + "x" * 2001)
    assert too_long is not None and too_long.status == 422
    field = page.get_by_label("Search words")
    assert field.get_attribute("aria-invalid") == "true"
    assert page.locator("#q-error").inner_text() == "Use at most 2,000 characters."

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/portal/login?reason=signed-out")
    sign_in(page, site.keys.beta)  # beta receives mrwiki on demand, and no search
    page.goto("/portal/articles")  # no search for beta: an article by its title
    assert "do not include grounding search" in page.locator("#no-search").inner_text()
    page.get_by_label("Title", exact=True).fill(MARATHI)
    page.get_by_label("Its project").select_option("mrwiki")
    page.get_by_role("button", name="Open").click()
    page.wait_for_url("**/portal/articles/mrwiki/*")
    assert page.get_by_role("heading", level=1).inner_text() == MARATHI
    assert page.locator("article.explorer").get_attribute("lang") == "mr"
    assert page.locator(".claim").count() >= 1
    searched = page.goto("/portal/articles?q=x")
    assert searched is not None and searched.status == 403
    assert "search" in page.get_by_role("alert").inner_text()
