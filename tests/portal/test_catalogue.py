"""The partner's catalogue in Chromium: what acme may download (and not), an item's page, a
download whose bytes match the SHA-256 the page and the registry give and which is metered like
the API's, the same 404 for another partner's file and a missing one, and a dataset build whose
signature is verified against the installation's key, with its card.

The shared ``site`` server has no signing key, so the dataset builds are served by a second
``wikipact serve`` of this module (``signed``): a copy of the site's database, the builds
registered in it, and ``WIKIPACT_SIGNING_DIR`` pointing at the key that signed one of them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest

from tests.conftest import ENWIKI_MULTISTREAM
from tests.datasets.conftest import run_build
from tests.live import live_server
from tests.portal.conftest import Site, check_page, sign_in

pytestmark = pytest.mark.timeout(300)


@dataclass
class Signed:
    """The second server: its base URL, database, and the two dataset builds it serves."""

    base: str
    db: Path
    root: Path
    keys: Path  # the signing key directory the server was started with
    verified: str  # a build signed with that key
    tampered: str  # the same build, its manifest changed after signing


def _builds(folder: Path, keys: Path) -> tuple[Path, Path]:
    """A dataset build of the English sample signed with ``keys``, and a copy of it whose
    manifest was changed after it was signed (one count), so that its signature no longer
    matches."""
    built = folder / "build"
    run_build(built, keys, dumps=[ENWIKI_MULTISTREAM], workers=1)
    tampered = folder / "tampered"
    shutil.copytree(built, tampered, ignore=shutil.ignore_patterns(".wikipact-build"))
    manifest = json.loads((tampered / "manifest.json").read_bytes())
    manifest["counts"]["records_by_split"]["train"] -= 1
    text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    (tampered / "manifest.json").write_text(text, encoding="utf-8")
    return built, tampered


@pytest.fixture(scope="module")
def signed(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Signed]:
    from wikipact.datasets.signing import init_keys
    from wikipact.snapshots.create import register_dataset
    from wikipact.snapshots.registry import register

    folder = tmp_path_factory.mktemp("catalogue")
    keys = folder / "keys"
    init_keys(keys)
    db = folder / "w.db"
    with sqlite3.connect(site.db) as source, sqlite3.connect(db) as target:
        source.backup(target)  # consistent while the site's server has it open
    source.close()
    target.close()
    root = folder / "snapshots"
    root.mkdir()
    with ExitStack() as stack, ThreadPoolExecutor(1) as pool:
        building = pool.submit(_builds, folder, keys)  # while the server starts
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("WIKIPACT_SIGNING_DIR", str(keys))  # read when the server starts
            base = stack.enter_context(
                live_server(f"sqlite:///{db}", "--snapshots", str(root), workers=1)
            )
        built, tampered = building.result()
        first = register_dataset(db, built, root=root)
        second = register_dataset(db, tampered, root=root)
        # registered a day apart, so which is the newer does not depend on the clock's second
        register(db, replace(first, created_at="2026-03-01T09:00:00Z"))
        register(db, replace(second, created_at="2026-03-02T09:00:00Z"))
        yield Signed(base, db, root, keys, first.identifier, second.identifier)


def _listed(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator("tr[data-identifier]").evaluate_all(
        "rows => rows.map(r => r.dataset.identifier)"
    )


def _usage(base: str, key: str, channel: str) -> tuple[int, int]:
    """(requests, bytes) the API's /v2/usage shows for the key's partner on ``channel``."""
    answer = httpx.get(f"{base}/v2/usage", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200, answer.text
    rows = [r for r in answer.json()["usage"] if r["channel"] == channel]
    return sum(r["requests"] for r in rows), sum(r["bytes"] for r in rows)


def _download(page, link) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(the file name offered, the sha256 of the bytes the browser saved)."""
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.failure() is None
    return download.suggested_filename, hashlib.sha256(
        Path(download.path()).read_bytes()
    ).hexdigest()


def test_the_catalogue_lists_what_the_partner_may_download(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    from wikipact.snapshots.registry import get_snapshot

    sign_in(page, site.keys.acme)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalogue").click()
    page.wait_for_url("**/portal/catalogue")
    ids = site.snapshot_ids
    listed = _listed(page)
    # the English snapshot and acme's own; not beta's private one, not Marathi (no agreement)
    assert ids["english"] in listed and ids["acme_private"] in listed
    assert ids["beta_private"] not in listed and ids["marathi"] not in listed
    # one name, newest first: acme's private file was registered after the public one
    assert listed.index(ids["acme_private"]) < listed.index(ids["english"])
    english = get_snapshot(site.db, ids["english"])
    assert english is not None
    row = page.locator(f'tr[data-identifier="{ids["english"]}"]')
    assert row.locator("code.sha").inner_text() == english.sha256
    assert f"{english.records:,}" in row.inner_text() and "enwiki" in row.inner_text()
    assert row.locator(".signature").inner_text() == "not signed"  # snapshots are not signed
    private = page.locator(f'tr[data-identifier="{ids["acme_private"]}"]')
    assert "private to you" in private.inner_text()
    check_page(page, "catalogue")


def test_an_item_downloads_its_file_metered_and_matching_its_checksum(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    from wikipact.snapshots.registry import get_snapshot

    ids = site.snapshot_ids
    sign_in(page, site.keys.acme)
    page.goto("/portal/catalogue")
    page.get_by_role("link", name=ids["acme_private"], exact=True).click()
    page.wait_for_url(f"**/portal/catalogue/{ids['acme_private']}")
    assert page.get_by_role("heading", level=1).inner_text() == ids["acme_private"]
    shown = page.locator("#sha256").inner_text()
    registered = get_snapshot(site.db, ids["acme_private"])
    assert registered is not None and shown == registered.sha256
    # the previous file of the name acme may see: the public English snapshot
    changes = page.locator("#changes")
    assert ids["english"] in changes.locator("caption").inner_text()
    assert "Records" in changes.inner_text() and "Change cursor" in changes.inner_text()
    check_page(page, "catalogue-item")

    before = _usage(site.base, site.keys.acme, "snapshots")
    name, digest = _download(page, page.locator("#download"))
    assert name == f"{ids['acme_private']}.tar.gz"
    assert digest == shown == registered.sha256
    after = _usage(site.base, site.keys.acme, "snapshots")
    assert after == (before[0] + 1, before[1] + registered.size)  # one whole download, metered


def test_a_file_the_partner_may_not_see_is_not_found_like_a_missing_one(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    ids = site.snapshot_ids
    sign_in(page, site.keys.acme)
    chunk = f"{ids['english']}_chunk_0"  # a chunk is part of a snapshot, not a catalogue file
    for identifier in (ids["beta_private"], ids["marathi"], "enwiki_namespace_0_19990101", chunk):
        for path in (f"/portal/catalogue/{identifier}", f"/portal/catalogue/{identifier}/download"):
            answer = page.goto(path)
            assert answer is not None and answer.status == 404, path
            assert page.get_by_role("heading", level=1).inner_text() == "Not found"
            message = page.get_by_role("alert").inner_text()
            assert message == f"There is no file “{identifier}” in your catalogue.", path


def test_a_signed_dataset_build_is_verified_and_shows_its_card(
    page, site: Site, signed: Signed
) -> None:  # type: ignore[no-untyped-def]
    from wikipact.snapshots.registry import get_snapshot

    page.goto(f"{signed.base}/portal/login")
    page.get_by_label("API key").fill(site.keys.acme)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{signed.base}/portal/")
    page.goto(f"{signed.base}/portal/catalogue")
    listed = _listed(page)
    assert listed.index(signed.tampered) < listed.index(signed.verified)  # newest first
    status = {i: page.locator(f'tr[data-identifier="{i}"] .signature').inner_text() for i in listed}
    assert status[signed.verified] == "verified"
    assert status[signed.tampered] == "signature does not match"

    page.get_by_role("link", name=signed.verified, exact=True).click()
    page.wait_for_url(f"**/portal/catalogue/{signed.verified}")
    assert page.locator("#signature").inner_text() == "verified"
    card = page.locator("#card").inner_text()
    assert card.startswith("wikipact-sample") and "Counts per language and split" in card
    # rendered: the card's headings under the page's own, its tables as tables, no raw HTML
    assert page.locator("#card h3").first.inner_text() == "wikipact-sample"
    assert page.locator("#card h4", has_text="Counts per language and split").count() == 1
    assert page.locator("#card table").count() >= 1
    front_matter = page.locator("details.front-matter")
    front_matter.get_by_text("Card metadata").click()  # opens it
    assert "license: cc-by-sa-4.0" in front_matter.inner_text()
    assert page.locator("#no-previous").is_visible()  # the first build of its name
    check_page(page, "catalogue-dataset")

    build = get_snapshot(signed.db, signed.verified)
    assert build is not None
    before = _usage(signed.base, site.keys.acme, "datasets")
    name, digest = _download(page, page.locator("#download"))
    assert name == f"{signed.verified}.tar.gz" and digest == build.sha256
    assert _usage(signed.base, site.keys.acme, "datasets") == (
        before[0] + 1,
        before[1] + build.size,
    )

    # the tampered build: what changed since the signed one, split by split
    page.goto(f"{signed.base}/portal/catalogue/{signed.tampered}")
    assert page.locator("#signature").inner_text() == "signature does not match"
    train = page.locator("#changes tr", has_text="Records in train")
    assert train.locator("td").all_inner_texts() == ["50", "49", "−1"]


def test_the_signature_statuses_of_packages(signed: Signed, tmp_path: Path) -> None:
    """The statuses the pages show, on the real packages: checked against this installation's
    key, another key, no key; and a package without its signature."""
    import tarfile

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from wikipact.datasets.signing import local_public_key
    from wikipact.portal.catalogue import read_package, signature_of

    package = read_package(signed.root / f"{signed.verified}.tar.gz", signed.verified)
    assert package.card is not None and package.records_by_split() == {"train": 50}
    key = local_public_key(signed.keys)
    other = Ed25519PrivateKey.generate().public_key()
    assert signature_of(package, key).status == "verified"
    assert signature_of(package, other).status == "signature does not match"
    assert signature_of(package, None).status == "no public key configured"
    tampered = read_package(signed.root / f"{signed.tampered}.tar.gz", signed.tampered)
    assert signature_of(tampered, key).status == "signature does not match"
    # the same members without manifest.json.sig
    unsigned = tmp_path / "unsigned.tar.gz"
    with (
        tarfile.open(signed.root / f"{signed.verified}.tar.gz", "r:gz") as source,
        tarfile.open(unsigned, "w:gz") as target,
    ):
        for member in source:
            if not member.name.endswith("manifest.json.sig"):
                target.addfile(member, source.extractfile(member))
    assert signature_of(read_package(unsigned, signed.verified), key).status == "not signed"
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(unsigned.read_bytes()[:2000])
    assert signature_of(read_package(broken, signed.verified), key).status == "not checked"
