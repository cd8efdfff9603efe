"""The portal in a real browser: a live ``wikipact serve`` over the vendored samples (English and
Marathi), with the partners of ``tests/api`` (acme, beta, gone, an admin), snapshots, a dataset
build and metered usage; and headless Chromium from the system (Debian's ``chromium`` package,
or ``$WIKIPACT_CHROMIUM``) driven by Playwright. No browser is downloaded.

Every page a test visits can be saved as a screenshot (``shoot``) under ``test-artifacts/portal``
(``$WIKIPACT_TEST_ARTIFACTS`` overrides the folder); with ``WIKIPACT_UPDATE_SCREENSHOTS=1`` the
README's pictures in ``docs/images`` are taken again.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.api.conftest import Partners, make_partners, sample_db  # noqa: F401 - a fixture
from tests.live import live_server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str | None:
    for candidate in (os.environ.get("WIKIPACT_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


@dataclass
class Site:
    """The live portal: its base URL, the database and snapshots folder it serves, the keys."""

    base: str
    db: Path
    snapshots: Path
    keys: Partners
    snapshot_ids: dict[str, str]  # "english", "marathi", "acme_private", "beta_private"


def _usage(access, keys: Partners) -> None:  # type: ignore[no-untyped-def]
    """Metered deliveries for acme and beta on fixed days of this month and the last."""
    now = datetime.now(UTC)
    this_month = now.replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    rows = [
        ("acme", last_month.replace(day=3), "on-demand", 120, 400_000),
        ("acme", last_month.replace(day=9), "snapshots", 1, 2_000_000),
        ("acme", this_month, "on-demand", 40, 150_000),
        ("acme", this_month, "search", 12, 30_000),
        ("acme", this_month.replace(day=2) if now.day >= 2 else this_month, "realtime", 7, 20_000),
        ("beta", this_month, "on-demand", 5, 9_000),
    ]
    for n, (who, moment, channel, articles, size) in enumerate(rows):
        principal = access.authenticate(getattr(keys, who), now)
        agreement = access.agreements(who)[0]
        project = "enwiki" if who == "acme" else "mrwiki"
        for i in range(3 if channel == "on-demand" else 1):
            access.record(
                f"portal-fixture-{n}-{i}", principal, channel=channel, project=project,
                articles=articles, bytes_sent=size, status=200, agreement=agreement, now=moment,
            )  # fmt: skip


@pytest.fixture(scope="session")
def site(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:  # noqa: F811
    from wikipact.access import Access
    from wikipact.search import build_index
    from wikipact.snapshots.create import create_snapshot

    folder = tmp_path_factory.mktemp("portal")
    db = folder / "w.db"
    shutil.copy(sample_db, db)
    root = folder / "snapshots"
    access = Access(db)
    try:
        keys = make_partners(access)
        _usage(access, keys)
    finally:
        access.close()
    build_index(db)  # grounding search, for the article explorer
    ids = {
        "english": create_snapshot(db, root, "enwiki", 0).identifier,
        "marathi": create_snapshot(db, root, "mrwiki", 0).identifier,
        "acme_private": create_snapshot(db, root, "enwiki", 0, owner="acme", force=True).identifier,
        "beta_private": create_snapshot(db, root, "mrwiki", 0, owner="beta", force=True).identifier,
    }
    with live_server(f"sqlite:///{db}", "--snapshots", str(root), workers=1) as base:
        yield Site(base, db, root, keys, ids)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium for one test module. Not for the session: Playwright's sync API keeps an asyncio
    loop running in this thread while it lives, and a test of another folder run after the
    portal's (``asyncio.run`` in tests/api/test_login.py) would fail under it."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium: apt-get install chromium (or set WIKIPACT_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser, site: Site, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A fresh browser context (no cookies) at laptop width, downloads accepted."""
    context = browser.new_context(
        viewport=LAPTOP, accept_downloads=True, base_url=site.base, locale="en-GB"
    )
    context.set_default_timeout(30_000)  # a ceiling for a busy machine, not a measurement
    opened = context.new_page()
    errors: list[str] = []

    def console(message) -> None:  # type: ignore[no-untyped-def]
        # a page's own status (401 for a refused sign-in, 404) is the test's to check; what
        # is reported here is a script error, a CSP violation or a sub-resource that failed
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def response(answer) -> None:  # type: ignore[no-untyped-def]
        if answer.status >= 400 and answer.request.resource_type not in ("document", "fetch"):
            errors.append(f"{answer.status} for {answer.url}")

    opened.on("console", console)
    opened.on("response", response)
    opened.on("pageerror", lambda e: errors.append(str(e)))
    yield opened
    context.close()
    assert errors == [], f"the browser reported errors (a CSP violation?): {errors}"


def artifacts() -> Path:
    folder = Path(os.environ.get("WIKIPACT_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "portal"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shoot(page, name: str, *, readme: str | None = None) -> Path:  # type: ignore[no-untyped-def]
    """A full-page screenshot of ``page`` as a test artefact (and as the README's picture
    ``docs/images/<readme>`` when ``WIKIPACT_UPDATE_SCREENSHOTS=1``)."""
    path = artifacts() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if readme and os.environ.get("WIKIPACT_UPDATE_SCREENSHOTS") == "1":
        target = ROOT / "docs" / "images" / readme
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target), type="png")  # the viewport only
        from PIL import Image

        with Image.open(target) as shot:  # 64 colours: a third of the bytes, text stays sharp
            small = shot.convert("RGB").quantize(
                64, Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
            )
        small.save(target, optimize=True)
    return path


def sign_in(page, key: str, *, expect: str = "/portal/") -> None:  # type: ignore[no-untyped-def]
    """Sign in through the login form, as a person would."""
    page.goto("/portal/login")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{expect}*")


def check_page(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """The checks every page passes: axe-core finds no violation, nothing overflows sideways at a
    phone's width, and its screenshots (laptop and phone) are saved."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    shoot(page, name)
    page.set_viewport_size(PHONE)
    # the new width applied before it is measured (a condition, not a delay)
    page.wait_for_function(f"document.documentElement.clientWidth <= {PHONE['width']}")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{name}: {overflow}px wider than a phone's screen"
    shoot(page, f"{name}-phone")
    page.set_viewport_size(LAPTOP)
