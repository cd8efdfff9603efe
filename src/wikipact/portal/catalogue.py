"""The partner's catalogue (``/portal/catalogue``): the snapshots and dataset builds the partner
may download, with what each holds, its SHA-256, its signature, what changed since the previous
file of the same name, a dataset's card, and the download itself.

What a partner may see is decided by the API's own functions (``api.snapshots.visible_files``
and ``find_file``: the ``snapshots`` channel for snapshots, ``datasets`` for dataset builds, for
every project a file holds; another partner's private file is "not found"), and a download is
streamed and metered by the API's ``send_file`` (Range, If-Range and If-None-Match; a ``Meter``
on the file's channel), so the portal and ``/v2/snapshots/.../download`` cannot disagree about
who gets what or what it costs. A file the partner may not see and a file that does not exist
give the same 404 page.

Dataset builds: the packaged ``.tar.gz`` (``snapshots.create.register_dataset``) holds the
build's ``manifest.json``, ``manifest.json.sig`` and its files, the card (``README.md``) first.
The manifest's signature is checked against this installation's signing public key (the key
``wikipact build`` signs with: ``signing_dir`` in the settings, ``$WIKIPACT_SIGNING_DIR``, else
the per-user default; see ``datasets.signing``), as ``wikipact verify`` does. Those members are
read once per file (cached by its SHA-256; the file never changes under one); a package is
gzip, so reaching the manifest means reading through the data before it, which stops after
``SCAN_BYTES`` ("not checked": ``wikipact verify`` checks it after the download).

The card is rendered from its Markdown (CommonMark and tables, with markdown-it-py) with raw
HTML left out and escaped, images shown as their alt text (the card's plots are files of the
build, not of the portal), and headings moved two levels down under the page's own; its YAML
front matter is shown apart.
"""

from __future__ import annotations

import json
import tarfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import APIRouter, Request
from fastapi.responses import Response

from wikipact import storage
from wikipact.api import files
from wikipact.api.context import Services, services
from wikipact.api.snapshots import find_file, send_file, visible_files
from wikipact.datasets.card import CARD_NAME, SPLIT_ORDER
from wikipact.datasets.manifest import MANIFEST_NAME, SIGNATURE_NAME
from wikipact.datasets.signing import (
    check_signature,
    key_id,
    local_public_key,
    public_key_b64,
    raw_public_key,
)
from wikipact.errors import ConfigError, NotFoundError, StoreError
from wikipact.portal.guard import PartnerSession
from wikipact.portal.render import instant, number, render, size
from wikipact.portal.session import Session
from wikipact.snapshots import registry
from wikipact.snapshots.registry import Snapshot

router = APIRouter(prefix="/portal")

KINDS = ("snapshot", "structured", "dataset")  # never chunks: they are parts of a snapshot
KIND_LABELS = {
    "snapshot": "Snapshot",
    "structured": "Structured Contents snapshot",
    "dataset": "Dataset build",
}
SCAN_BYTES = 256 * 1024 * 1024  # data read through, at most, to reach a package's manifest
MEMBER_BYTES = 16 * 1024 * 1024  # the largest manifest, signature or card read into memory

VERIFIED = "verified"
NOT_SIGNED = "not signed"
MISMATCH = "signature does not match"
NO_KEY = "no public key configured"
NOT_CHECKED = "not checked"
TONES = {VERIFIED: "good", MISMATCH: "bad", NOT_SIGNED: "warn", NO_KEY: "warn", NOT_CHECKED: "warn"}


# -- a package's manifest, signature and card -------------------------------------------------


@dataclass(frozen=True)
class Package:
    """What a dataset build's package says of itself: its manifest's bytes, the signature and
    the card (each None when absent), or why they could not all be read."""

    manifest: bytes | None = None
    signature: bytes | None = None
    card: str | None = None
    problem: str | None = None

    def counts(self) -> dict[str, Any]:
        """The manifest's ``counts`` ({} when there is no readable manifest)."""
        try:
            found = json.loads(self.manifest or b"{}").get("counts")
        except (ValueError, AttributeError):
            return {}
        return found if isinstance(found, dict) else {}

    def records_by_split(self) -> dict[str, int]:
        found = self.counts().get("records_by_split")
        if not isinstance(found, dict):
            return {}
        return {str(k): int(v) for k, v in found.items() if isinstance(v, int)}


def read_package(path: Path | str, identifier: str) -> Package:
    """The manifest, signature and card of the dataset package at ``path`` (members
    ``<identifier>/manifest.json`` ...), read in one pass that stops when it has all three, at
    the end, or after ``SCAN_BYTES`` of other members."""
    wanted = {MANIFEST_NAME, SIGNATURE_NAME, CARD_NAME}
    found: dict[str, bytes] = {}
    skipped = 0
    try:
        with storage.open_read(path) as fh, tarfile.open(fileobj=fh, mode="r|gz") as tar:
            for member in tar:
                relpath = member.name.removeprefix(f"{identifier}/")
                if relpath in wanted and member.isreg() and member.size <= MEMBER_BYTES:
                    content = tar.extractfile(member)
                    found[relpath] = content.read() if content is not None else b""
                    if len(found) == len(wanted):
                        break
                    continue
                skipped += member.size
                if skipped > SCAN_BYTES:
                    return _package(found, "the file is too large to check here")
    except (OSError, ConfigError, EOFError, tarfile.TarError, zlib.error):
        return _package(found, "the file could not be read")
    return _package(found, None)


def _package(found: dict[str, bytes], problem: str | None) -> Package:
    card = found.get(CARD_NAME)
    return Package(
        manifest=found.get(MANIFEST_NAME),
        signature=found.get(SIGNATURE_NAME),
        card=card.decode("utf-8", errors="replace") if card is not None else None,
        problem=problem,
    )


@lru_cache(maxsize=128)
def _cached_package(path: str, sha256: str, identifier: str) -> Package:
    """``read_package``, once per file: a registered file's bytes are its SHA-256's."""
    return read_package(storage.path_or_url(path), identifier)


def package_of(svc: Services, snapshot: Snapshot) -> Package:
    """The package of a dataset build (an empty one, with the reason, when its file is gone)."""
    try:
        path = registry.snapshot_file(svc.snapshots_root, snapshot)
    except (NotFoundError, StoreError, ConfigError):
        return Package(problem="the file is missing on the server")
    return _cached_package(str(path), snapshot.sha256, snapshot.identifier)


# -- signatures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    """A file's signature status (one of the module's statuses) and what it rests on."""

    status: str
    detail: str
    signer: str | None = None  # the key id that signed, when the signature names one

    @property
    def tone(self) -> str:
        """The badge's colour class: good, bad or warn."""
        return TONES[self.status]


UNSIGNED_SNAPSHOT = Signature(
    NOT_SIGNED, "Snapshots are not signed: compare the file's SHA-256 with the one shown here."
)


def installation_key(svc: Services) -> Ed25519PublicKey | None:
    """The public half of the key this installation signs dataset manifests with (None when
    there is none): the key ``wikipact signing init`` made in the settings' signing directory."""
    return local_public_key(svc.backends.settings.signing_dir)


def signature_of(package: Package, key: Ed25519PublicKey | None) -> Signature:
    """Is the package's manifest signed by ``key``, as ``wikipact verify --public-key`` asks."""
    if package.manifest is None:
        return Signature(NOT_CHECKED, f"The manifest was not read: {package.problem or 'absent'}.")
    if package.signature is None:
        return Signature(NOT_SIGNED, f"The package holds no {SIGNATURE_NAME}.")
    try:
        envelope = json.loads(package.signature)
    except (ValueError, UnicodeDecodeError):
        return Signature(MISMATCH, f"{SIGNATURE_NAME} is not a signature (not JSON).")
    signer, reason = check_signature(package.manifest, envelope)
    signer_id = key_id(signer) if signer is not None else None
    if key is None:
        return Signature(
            NO_KEY,
            "This installation has no signing key to check the signature against; "
            "ask your Wikimedia contact for the publisher's public key.",
            signer_id,
        )
    if reason is not None:
        return Signature(MISMATCH, f"The signature is not valid: {reason}.", signer_id)
    assert signer is not None  # a valid signature names its key
    if raw_public_key(signer) != raw_public_key(key):
        return Signature(
            MISMATCH,
            f"Signed by key {signer_id}, not by this installation's key {key_id(key)}.",
            signer_id,
        )
    return Signature(
        VERIFIED, f"The manifest is signed by this installation's key {signer_id}.", signer_id
    )


# -- what the pages show ----------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One file of the catalogue and its signature status."""

    file: Snapshot
    signature: Signature
    package: Package | None = None  # a dataset build's

    @property
    def url(self) -> str:
        return f"/portal/catalogue/{self.file.identifier}"

    @property
    def download_url(self) -> str:
        return f"{self.url}/download"

    @property
    def filename(self) -> str:
        return f"{self.file.identifier}.tar.gz"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.file.kind]

    @property
    def private(self) -> bool:
        return self.file.owner is not None

    @property
    def namespace(self) -> str:
        return "several" if self.file.namespace is None else str(self.file.namespace)

    @property
    def language(self) -> str:
        return self.file.in_language or "several"


@dataclass
class Group:
    """The files of one name and kind, newest first."""

    name: str
    kind: str
    entries: list[Entry] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


def entry_of(svc: Services, snapshot: Snapshot, key: Ed25519PublicKey | None) -> Entry:
    if snapshot.kind != "dataset":
        return Entry(snapshot, UNSIGNED_SNAPSHOT)
    package = package_of(svc, snapshot)
    return Entry(snapshot, signature_of(package, key), package)


def groups_of(svc: Services, found: list[Snapshot]) -> list[Group]:
    """``found`` (newest first within a name, as the registry lists) grouped by name and kind;
    the group with the newest file first."""
    key = installation_key(svc)
    groups: dict[tuple[str, str], Group] = {}
    for snapshot in found:
        group = groups.setdefault(
            (snapshot.name, snapshot.kind), Group(snapshot.name, snapshot.kind)
        )
        group.entries.append(entry_of(svc, snapshot, key))
    return sorted(
        groups.values(),
        key=lambda g: (g.entries[0].file.created_at, g.entries[0].file.identifier),
        reverse=True,
    )


def previous_of(svc: Services, session: Session, snapshot: Snapshot) -> Snapshot | None:
    """The file of the same name and kind registered before ``snapshot`` that the partner may
    see (None for the first)."""
    same = [
        s
        for s in visible_files(svc, session.principal, KINDS)
        if s.name == snapshot.name and s.kind == snapshot.kind
    ]
    for n, candidate in enumerate(same):  # newest first
        if candidate.identifier == snapshot.identifier:
            return same[n + 1] if n + 1 < len(same) else None
    return None


@dataclass(frozen=True)
class Change:
    """One row of "what changed": the previous file's value, this one's, and the difference."""

    label: str
    before: str
    after: str
    change: str


def _count_change(
    before: int | None, after: int | None, show: Callable[[int], str] = number
) -> str:
    if before is None or after is None:
        return "–" if before == after else "new" if before is None else "gone"
    delta = after - before
    if delta == 0:
        return "no change"
    return ("+" if delta > 0 else "−") + show(abs(delta))


def _date_change(before: str | None, after: str | None) -> str:
    if before == after:
        return "no change"
    if before is None or after is None:
        return "new" if before is None else "gone"
    return "later" if after > before else "earlier"


def changes(
    current: Snapshot,
    previous: Snapshot,
    now: Package | None = None,
    then: Package | None = None,
) -> list[Change]:
    """What differs between ``previous`` and ``current``: records, size, content date, change
    cursor, and (dataset builds whose manifests were read) the records of each split."""
    rows = [
        Change(
            "Records",
            number(previous.records),
            number(current.records),
            _count_change(previous.records, current.records),
        ),
        Change(
            "Size",
            size(previous.size),
            size(current.size),
            _count_change(previous.size, current.size, size),
        ),
        Change(
            "Content date",
            instant(previous.date_modified),
            instant(current.date_modified),
            _date_change(previous.date_modified, current.date_modified),
        ),
        Change(
            "Change cursor",
            number(previous.change_cursor),
            number(current.change_cursor),
            _count_change(previous.change_cursor, current.change_cursor),
        ),
    ]
    before = then.records_by_split() if then is not None else {}
    after = now.records_by_split() if now is not None else {}
    names = set(before) | set(after)
    ordered = [s for s in SPLIT_ORDER if s in names] + sorted(names - set(SPLIT_ORDER))
    for split in ordered:
        old, new = before.get(split), after.get(split)
        rows.append(
            Change(f"Records in {split}", number(old), number(new), _count_change(old, new))
        )
    return rows


@dataclass(frozen=True)
class Card:
    """A dataset card split into its YAML front matter and its Markdown text."""

    front_matter: str
    body: str

    @property
    def html(self) -> str:
        """The card's Markdown as HTML (safe: markdown-it escapes raw HTML and refuses
        ``javascript:`` and the like in links)."""
        return _markdown().render(self.body)


@cache
def _markdown():  # type: ignore[no-untyped-def]
    from markdown_it import MarkdownIt
    from markdown_it.common.utils import escapeHtml

    md = MarkdownIt("commonmark", {"html": False}).enable("table")

    def heading_open(renderer, tokens, index, options, env):  # type: ignore[no-untyped-def]
        level = min(int(tokens[index].tag[1]) + 2, 6)
        return f"<h{level}>"

    def heading_close(renderer, tokens, index, options, env):  # type: ignore[no-untyped-def]
        level = min(int(tokens[index].tag[1]) + 2, 6)
        return f"</h{level}>\n"

    def image(renderer, tokens, index, options, env):  # type: ignore[no-untyped-def]
        alt = "".join(child.content for child in tokens[index].children or ())
        return f"<em>[{escapeHtml(alt)}]</em>" if alt else ""

    def table_cells(state):  # type: ignore[no-untyped-def]
        """No style attributes (the CSP allows none): a column's alignment becomes a class; an
        empty header cell becomes a data cell (a header must name something)."""
        tokens = state.tokens
        for i, token in enumerate(tokens):
            if token.type in ("th_open", "td_open"):
                style = str(token.attrs.pop("style", ""))
                if "right" in style:
                    token.attrSet("class", "num")
                elif "center" in style:
                    token.attrSet("class", "center")
                if token.type == "th_open" and not tokens[i + 1].content.strip():
                    token.tag = tokens[i + 2].tag = "td"

    md.core.ruler.push("table_cells", table_cells)
    md.add_render_rule("heading_open", heading_open)
    md.add_render_rule("heading_close", heading_close)
    md.add_render_rule("image", image)
    return md


def card_of(text: str) -> Card:
    """The card's front matter (between the leading ``---`` lines) apart from its text."""
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            return Card(text[4:end], text[end + 5 :].lstrip("\n"))
    return Card("", text)


def not_found(identifier: str) -> NotFoundError:
    """The one answer for a file that is missing and a file the partner may not see."""
    shown = identifier if len(identifier) <= 200 else identifier[:200] + "…"
    return NotFoundError(f"There is no file “{shown}” in your catalogue.")


def find(svc: Services, session: Session, identifier: str) -> Snapshot:
    """The file ``identifier`` (dated identifier, or a snapshot's stable name for its newest
    file) if the partner may download it; ``not_found`` otherwise."""
    try:
        found: Snapshot = find_file(svc, session.principal, identifier, KINDS)
    except NotFoundError:
        raise not_found(identifier) from None
    return found


# -- routes -----------------------------------------------------------------------------------


@router.get("/catalogue", include_in_schema=False)
def catalogue(request: Request, found: PartnerSession) -> Response:
    svc = services(request)
    groups = groups_of(svc, visible_files(svc, found.principal, KINDS))
    return render(request, "catalogue.html", groups=groups)


@router.get("/catalogue/{identifier}", include_in_schema=False)
def item(request: Request, found: PartnerSession, identifier: str) -> Response:
    svc = services(request)
    snapshot = find(svc, found, identifier)
    key = installation_key(svc)
    entry = entry_of(svc, snapshot, key)
    previous = previous_of(svc, found, snapshot)
    before = entry_of(svc, previous, key) if previous is not None else None
    package = entry.package
    return render(
        request,
        "catalogue_item.html",
        entry=entry,
        file=snapshot,
        previous=before,
        changes=changes(snapshot, before.file, package, before.package) if before else [],
        card=card_of(package.card) if package is not None and package.card is not None else None,
        splits=package.records_by_split() if package is not None else {},
        installation_key=key_id(key) if key is not None else None,
        installation_public_key=public_key_b64(key) if key is not None else None,
    )


@router.get("/catalogue/{identifier}/download", include_in_schema=False)
def download(
    request: Request,
    found: PartnerSession,
    identifier: str,
    range_: files.RangeHeader = None,
    if_range: files.IfRange = None,
    if_none_match: files.IfNoneMatch = None,
) -> Response:
    """The file, streamed and metered exactly as the API's download of it."""
    snapshot = find(services(request), found, identifier)
    headers = (range_, if_range, if_none_match)
    # a listed file gone from disk: send_file says so without the server's paths
    return send_file(request, found.principal, snapshot, snapshot.identifier, headers)
