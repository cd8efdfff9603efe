"""The keys page in Chromium: a partner creates a key (its secret shown once, and working against
the API), rotates it with and without a grace period, revokes it; another partner's key is "not
found"; a form with an empty label comes back with the error next to the field and what was
typed kept.

Each test signs in with a key of its own (made through ``Access``), never the fixture's: other
tests share the live site."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from tests.portal.conftest import Site, check_page, sign_in
from wikipact.access import Access
from wikipact.access.keys import identifier_of

pytestmark = pytest.mark.timeout(300)


def _usage_status(site: Site, key: str) -> int:
    """The API's answer to the key: 200 when it authenticates, 401 when refused."""
    answer = httpx.get(site.base + "/v2/usage", headers={"Authorization": f"Bearer {key}"})
    return answer.status_code


def _own_key(site: Site, partner: str, label: str) -> tuple[str, str]:
    """(identifier, secret) of a new key of ``partner``, made outside the portal."""
    access = Access(site.db)
    try:
        key, raw = access.create_key(partner, label=label, actor="test")
    finally:
        access.close()
    return key.identifier, raw


def _secret(page) -> str:  # type: ignore[no-untyped-def]
    secret = page.locator(".secret code#new-secret").inner_text().strip()
    assert identifier_of(secret) is not None, secret
    assert "never shown again" in page.locator(".secret").inner_text()
    return secret


def _row(page, identifier: str):  # type: ignore[no-untyped-def]
    return page.locator(f'tr[data-key="{identifier}"]')


def test_a_partner_creates_rotates_and_revokes_a_key(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    session_id, session_key = _own_key(site, "acme", "keys page test")
    sign_in(page, session_key)
    page.goto("/portal/keys")
    assert "this session's key" in _row(page, session_id).inner_text()
    # the fixture's key was metered (tests/portal/conftest.py); this one never was
    fixture_row = _row(page, str(identifier_of(site.keys.acme)))
    assert fixture_row.locator(".last-used").inner_text().endswith("UTC")
    assert _row(page, session_id).locator(".last-used").inner_text() == "never"
    check_page(page, "keys")

    # create: label, two scopes, an expiry date; the secret is on the answer, not cached
    expiry = (date.today() + timedelta(days=400)).isoformat()
    page.get_by_label("Label").fill("ingest pipeline")
    page.get_by_label("on-demand").check()
    page.get_by_label("usage", exact=True).check()
    page.get_by_label("Expiry date").fill(expiry)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Create key").click()
    assert answer.value.status == 200
    assert answer.value.headers["cache-control"] == "no-store"
    first = _secret(page)
    assert page.locator("button[data-copy=new-secret]").is_visible()
    check_page(page, "keys-secret")
    assert _usage_status(site, first) == 200

    # the list: the new key and its settings, and its secret nowhere in the page
    page.goto("/portal/keys")
    first_id = str(identifier_of(first))
    row = _row(page, first_id)
    assert "ingest pipeline" in row.inner_text() and "on-demand, usage" in row.inner_text()
    assert expiry in row.inner_text() and row.get_attribute("data-status") == "active"
    assert first not in page.content() and first.rsplit("_", 1)[1] not in page.content()

    # rotate with an hour's grace: both keys work
    row.get_by_label("Old key works on for").select_option("1h")
    row.get_by_role("button", name="Rotate").click()
    second = _secret(page)
    assert "works on until" in page.locator("#rotated-note").inner_text()
    assert (_usage_status(site, first), _usage_status(site, second)) == (200, 200)
    page.goto("/portal/keys")
    assert _row(page, first_id).get_attribute("data-status") == "rotated"
    assert "works until" in _row(page, first_id).inner_text()

    # rotate the new one with no grace: the old one is refused at once
    second_id = str(identifier_of(second))
    _row(page, second_id).get_by_label("Old key works on for").select_option("none")
    _row(page, second_id).get_by_role("button", name="Rotate").click()
    third = _secret(page)
    assert "no longer works" in page.locator("#rotated-note").inner_text()
    assert (_usage_status(site, second), _usage_status(site, third)) == (401, 200)

    # revoke the third, after the confirmation: the API refuses it, the list says so
    page.goto("/portal/keys")
    third_id = str(identifier_of(third))
    page.once("dialog", lambda dialog: dialog.accept())
    _row(page, third_id).get_by_role("button", name="Revoke").click()
    page.wait_for_url(f"**/portal/keys?revoked={third_id}")
    assert third_id in page.get_by_role("status").inner_text()
    assert _row(page, third_id).get_attribute("data-status") == "revoked"
    assert _row(page, second_id).get_attribute("data-status") == "rotated"
    assert _usage_status(site, third) == 401
    assert _usage_status(site, first) == 200  # its grace period runs on


def test_another_partners_key_is_not_found_and_a_bad_form_is_kept(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    session_id, session_key = _own_key(site, "acme", "keys page test 2")
    beta_id, beta_key = _own_key(site, "beta", "beta's own")
    sign_in(page, session_key)
    page.goto("/portal/keys")
    assert beta_id not in page.content()

    # the revoke form, aimed at beta's key: not found, and beta's key still works
    form = _row(page, session_id).locator("form.revoke")
    form.evaluate("(f, id) => f.action = `/portal/keys/${id}/revoke`", beta_id)
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        form.get_by_role("button", name="Revoke").click()
    assert answer.value.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Not found"
    assert _usage_status(site, beta_key) == 200
    assert _usage_status(site, session_key) == 200

    # an empty label: the error next to the field, the scopes ticked kept
    page.goto("/portal/keys")
    page.get_by_label("search").check()
    page.get_by_label("mcp").check()
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Create key").click()
    assert answer.value.status == 422
    label = page.get_by_label("Label")
    assert label.get_attribute("aria-invalid") == "true"
    assert "label-error" in str(label.get_attribute("aria-describedby"))
    assert "give the key a label" in page.locator("#label-error").inner_text()
    ticked = [
        s for s in ("on-demand", "search", "mcp", "usage") if page.get_by_label(s).is_checked()
    ]
    assert ticked == ["search", "mcp"]
    check_page(page, "keys-invalid")

    # revoking the key of this very session signs it out at the next page
    page.once("dialog", lambda dialog: dialog.accept())
    _row(page, session_id).get_by_role("button", name="Revoke").click()
    page.wait_for_url("**/portal/login?next=*")
    assert _usage_status(site, session_key) == 401
