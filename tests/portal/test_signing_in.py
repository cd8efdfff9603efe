"""Signing in and out of the portal in Chromium, the session cookie's flags, the headers every page
carries, and what a session may not do: a POST without its CSRF token, another partner's pages,
admin pages with a partner's key, living on after its key is revoked."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.portal.conftest import Site, check_page, shoot, sign_in

pytestmark = pytest.mark.timeout(300)


def test_a_partner_signs_in_sees_the_overview_and_signs_out(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    page.goto("/portal/")
    page.wait_for_url("**/portal/login?next=%2Fportal%2F")  # no session: the sign-in form
    check_page(page, "login")
    sign_in(page, site.keys.acme)
    assert page.get_by_role("heading", level=1).inner_text() == "Acme AI"
    # the agreement as made in tests/api/conftest.py, its quota and its cost so far
    agreement = page.locator("section.agreement").first
    assert "everything on enwiki" in agreement.inner_text()
    assert "on-demand" in agreement.locator("table").inner_text()
    assert "1,000.00 USD a month" in agreement.inner_text()
    cost = page.locator("#cost-so-far").inner_text()
    assert cost.endswith("USD") and float(cost.split()[0].replace(",", "")) >= 1000
    check_page(page, "overview")

    cookie = next(c for c in page.context.cookies() if c["name"] == "wikipact_portal")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/portal" and cookie["expires"] > 0  # expires; not a browser session

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/portal/login?reason=signed-out")
    assert "You are signed out." in page.inner_text("main")
    assert not [c for c in page.context.cookies() if c["name"] == "wikipact_portal"]
    page.goto("/portal/")
    page.wait_for_url("**/portal/login?next=*")


def test_a_wrong_key_is_refused_with_the_reason(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    page.goto("/portal/login")
    page.get_by_label("API key").fill("wpk_000000000000_not-a-real-key")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    assert "not valid" in alert.inner_text()
    assert page.url.endswith("/portal/login")
    shoot(page, "login-refused")


def test_every_portal_response_carries_a_strict_policy(site: Site) -> None:
    for path in ("/portal/login", "/portal/static/portal.css", "/portal/no-such-page"):
        response = httpx.get(site.base + path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(site.base + "/portal/login").headers["cache-control"] == "no-store"


@contextmanager
def _session(site: Site, key: str) -> Iterator[httpx.Client]:
    """An HTTP client signed in through the form, as a browser is (its cookies)."""
    with httpx.Client(base_url=site.base) as client:
        yield _signed_in(client, key)


def _signed_in(client: httpx.Client, key: str) -> httpx.Client:
    form = client.get("/portal/login")
    csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    # Secure cookies are sent by browsers to http://127.0.0.1; httpx follows the flag, so the
    # test hands them over itself
    client.cookies.set("wikipact_portal_login", form.cookies["wikipact_portal_login"])
    done = client.post("/portal/login", data={"key": key, "csrf": csrf})
    assert done.status_code == 303, done.text
    client.cookies.set("wikipact_portal", done.cookies["wikipact_portal"])
    return client


def test_a_post_without_its_csrf_token_is_refused(site: Site) -> None:
    with _session(site, site.keys.acme) as client:
        page = client.get("/portal/")
        assert page.status_code == 200
        token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        for data in ({}, {"csrf": "forged"}, {"csrf": token[:-2] + "xx"}):
            refused = client.post("/portal/logout", data=data)
            assert refused.status_code == 403, data
            assert "security token" in refused.text
        assert client.post("/portal/logout", data={"csrf": token}).status_code == 303
    # the login form too: its token must match its cookie
    form = httpx.get(site.base + "/portal/login")
    refused = httpx.post(site.base + "/portal/login", data={"key": site.keys.acme, "csrf": "x"})
    assert refused.status_code == 403 and "wikipact_portal=" not in refused.headers.get(
        "set-cookie", ""
    )
    assert form.status_code == 200


def test_admin_pages_need_an_admin_key(site: Site) -> None:
    with _session(site, site.keys.acme) as client:
        refused = client.get("/portal/admin/")
        assert refused.status_code == 403 and "admin key" in refused.text
    with _session(site, site.keys.admin) as client:
        assert client.get("/portal/").headers["location"] == "/portal/admin/"


def test_a_session_ends_when_its_key_is_revoked(site: Site) -> None:
    from wikipact.access import Access

    access = Access(site.db)
    try:
        key, raw = access.create_key("acme", label="short-lived", actor="test")
        with _session(site, raw) as client:
            assert client.get("/portal/").status_code == 200
            access.revoke_key(key.identifier, actor="test")
            gone = client.get("/portal/")
            assert gone.status_code == 303 and gone.headers["location"].startswith("/portal/login")
    finally:
        access.close()


def test_signing_in_with_the_keyboard_alone(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    """Tab reaches the skip link first, then the key field; Enter signs in; the focused control
    shows a focus ring."""
    page.goto("/portal/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert ring not in ("none", ""), "the focused link shows no outline"
    page.keyboard.press("Enter")  # to the main content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "key"
    page.keyboard.type(site.keys.beta)
    page.keyboard.press("Enter")
    page.wait_for_url("**/portal/")
    assert page.get_by_role("heading", level=1).inner_text() == "Beta Labs"


def test_a_session_expires(site: Site) -> None:
    """A session's cookie is refused once its lifetime is over, even with a valid key."""
    from wikipact.access import Access
    from wikipact.errors import AuthenticationError
    from wikipact.portal import session as sessions

    access = Access(site.db)
    try:
        now = access.clock()
        _principal, cookie = sessions.open_session(access, site.keys.acme, now)
        assert sessions.read_session(access, cookie, now).partner == "acme"
        later = now + sessions.LIFETIME
        with pytest.raises(AuthenticationError, match="expired"):
            sessions.read_session(access, cookie, later)
        forged = cookie[:-4] + ("AAAA" if not cookie.endswith("AAAA") else "BBBB")
        with pytest.raises(AuthenticationError, match="not valid"):
            sessions.read_session(access, forged, now)
    finally:
        access.close()
