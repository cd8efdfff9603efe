"""Check a dataset directory against its signed manifest: signature, signer, and every file.

The dataset may be a local folder or an object storage prefix (``s3://bucket/datasets/x``,
``wikipact.storage``): remote files are hashed and counted as they stream, never copied to disk.

:func:`verify_dataset` never stops at the first problem: it reports all of them, each with a
machine-readable ``kind`` and a message naming the file, so one run tells a partner everything
that is wrong with a delivery. The kinds:

=====================  ==========================================================================
``manifest_missing``   no ``manifest.json`` in the directory
``manifest_invalid``   ``manifest.json`` is not a manifest this version understands
``signature_missing``  no ``manifest.json.sig``
``signature_invalid``  the signature does not match the manifest's bytes (or cannot be read)
``key_mismatch``       signed by a key other than the pinned ``public_key``
``file_missing``       a listed file is absent (or not a regular file)
``size_mismatch``      a listed file has another size
``checksum_mismatch``  a listed file has the right size but another sha256
``count_mismatch``     a record file holds another number of records than listed
``unlisted_file``      a file in the directory that the manifest does not list
=====================  ==========================================================================

Besides problems the report says who signed: ``key_trust`` is ``"pinned"`` (the key given with
``public_key``), ``"local"`` (the key in the local signing directory: the publisher checking
their own build) or ``"unpinned"`` (a valid signature by a key this machine does not know: a
warning, since anyone can sign, but not a failure). It is None when there is no valid signature.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from wikipact import storage
from wikipact.datasets.manifest import (
    CHUNK_BYTES,
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    SIGNATURE_NAME,
    check_relpath,
    sha256_file,
)
from wikipact.datasets.signing import (
    check_signature,
    key_id,
    load_public_key,
    local_public_key,
    raw_public_key,
)
from wikipact.errors import ConfigError

ProblemKind = Literal[
    "manifest_missing",
    "manifest_invalid",
    "signature_missing",
    "signature_invalid",
    "key_mismatch",
    "file_missing",
    "size_mismatch",
    "checksum_mismatch",
    "count_mismatch",
    "unlisted_file",
]
KeyTrust = Literal["pinned", "local", "unpinned"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a dataset directory; ``file`` is relative to the dataset root."""

    kind: ProblemKind
    file: str
    message: str


@dataclass
class VerifyReport:
    """Everything ``verify_dataset`` found; ``ok`` when there is no problem."""

    root: Path | str  # a folder, or the URL of an object storage prefix
    problems: list[Problem] = field(default_factory=list)
    key_trust: KeyTrust | None = None
    key_id: str | None = None  # of the key that signed, when the signature file names one
    files_checked: int = 0  # listed files looked at

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: ProblemKind, file: str, message: str) -> None:
        self.problems.append(Problem(kind, file, message))


def verify_dataset(
    root: str | Path,
    *,
    public_key: str | Path | Ed25519PublicKey | None = None,
    trusted_dir: str | Path | None = None,
) -> VerifyReport:
    """Verify the dataset in ``root`` against its ``manifest.json`` and ``manifest.json.sig``.

    ``public_key`` pins the signer (a key, a PEM or base64 file, or a base64 string): a valid
    signature by any other key is a ``key_mismatch``. Without it, the signer is compared with the
    key in ``trusted_dir`` (default: the local signing directory, see
    :func:`wikipact.datasets.signing.signing_dir`) and otherwise reported as ``unpinned``.

    Raises ``ConfigError`` only for caller mistakes (``root`` is not a directory, the pinned key
    cannot be read); everything wrong with the dataset itself is a problem in the report.
    """
    root = storage.path_or_url(root)
    if isinstance(root, Path) and not root.is_dir():
        raise ConfigError(f"{root} is not a directory; give the dataset's root folder")
    pinned = (
        public_key
        if isinstance(public_key, Ed25519PublicKey) or public_key is None
        else load_public_key(public_key)
    )
    report = VerifyReport(root=root)
    try:
        data = storage.get_bytes(storage.join(root, MANIFEST_NAME))
    except FileNotFoundError:
        report.add("manifest_missing", MANIFEST_NAME, f"no {MANIFEST_NAME} in {root}")
        return report
    except OSError as exc:
        report.add("manifest_invalid", MANIFEST_NAME, f"cannot read it: {exc.strerror}")
        return report
    _check_signature(report, data, pinned, trusted_dir)
    files = _parse_manifest(report, data)
    if files is None:
        return report
    for entry in files:
        _check_file(report, entry)
        report.files_checked += 1
    listed = {entry["path"] for entry in files}
    for relpath in _walk(root):
        if relpath not in listed:
            report.add("unlisted_file", relpath, "in the directory but not in the manifest")
    return report


def _check_signature(
    report: VerifyReport,
    data: bytes,
    pinned: Ed25519PublicKey | None,
    trusted_dir: str | Path | None,
) -> None:
    try:
        raw = storage.get_bytes(storage.join(report.root, SIGNATURE_NAME))
    except FileNotFoundError:
        report.add(
            "signature_missing", SIGNATURE_NAME, f"no {SIGNATURE_NAME}: the manifest is unsigned"
        )
        return
    except OSError as exc:
        report.add("signature_invalid", SIGNATURE_NAME, f"cannot read it: {exc.strerror}")
        return
    try:
        envelope: Any = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        report.add("signature_invalid", SIGNATURE_NAME, f"not JSON: {exc}")
        return
    signer, reason = check_signature(data, envelope)
    if signer is not None:
        report.key_id = key_id(signer)
    if reason is not None:
        report.add("signature_invalid", SIGNATURE_NAME, f"{reason} in {MANIFEST_NAME}")
    if pinned is not None and signer is not None and not _same(signer, pinned):
        report.add(
            "key_mismatch",
            SIGNATURE_NAME,
            f"signed by key {key_id(signer)}, not by the pinned key {key_id(pinned)}",
        )
        return
    if reason is not None or signer is None:
        return
    if pinned is not None:
        report.key_trust = "pinned"
        return
    local = local_public_key(trusted_dir)
    report.key_trust = "local" if local is not None and _same(signer, local) else "unpinned"


def _same(a: Ed25519PublicKey, b: Ed25519PublicKey) -> bool:
    return raw_public_key(a) == raw_public_key(b)


def _parse_manifest(report: VerifyReport, data: bytes) -> list[dict[str, Any]] | None:
    """The manifest's file entries, checked; None (with a problem reported) if unusable."""

    def invalid(message: str) -> None:
        report.add("manifest_invalid", MANIFEST_NAME, message)

    try:
        manifest = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        invalid(f"not UTF-8 JSON: {exc}")
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        invalid(f"format is {found!r}, expected {MANIFEST_FORMAT!r}")
        return None
    files = manifest.get("files")
    if not isinstance(files, list):
        invalid("'files' is missing or not a list")
        return None
    seen: set[str] = set()
    for n, entry in enumerate(files):
        where = f"files[{n}]"
        if not isinstance(entry, dict):
            invalid(f"{where} is not an object")
            return None
        path, size, digest = entry.get("path"), entry.get("bytes"), entry.get("sha256")
        records = entry.get("records")
        if not isinstance(path, str) or check_relpath(path):
            reason = check_relpath(path) if isinstance(path, str) else "not a string"
            invalid(f"{where}.path {path!r}: {reason}")
            return None
        if path in seen or path in (MANIFEST_NAME, SIGNATURE_NAME):
            invalid(f"{where}.path {path!r} is listed twice, or is the manifest itself")
            return None
        seen.add(path)
        if not _is_count(size) or not isinstance(digest, str) or len(digest) != 64:
            invalid(f"{where} ({path}) needs 'bytes' (an integer) and 'sha256' (64 hex digits)")
            return None
        if records is not None and not _is_count(records):
            invalid(f"{where}.records ({path}) is not a non-negative integer")
            return None
    return files


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_file(report: VerifyReport, entry: dict[str, Any]) -> None:
    """Size, then sha256, then records: a file whose bytes differ is reported once, not thrice."""
    relpath: str = entry["path"]
    if isinstance(report.root, str):
        _check_object(report, entry, storage.join(report.root, relpath))
        return
    path = report.root / relpath
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        report.add("file_missing", relpath, "listed in the manifest but absent")
        return
    except OSError as exc:
        report.add("file_missing", relpath, f"cannot read it: {exc.strerror}")
        return
    if not path.is_file():
        report.add("file_missing", relpath, "listed in the manifest but not a regular file")
        return
    if size != entry["bytes"]:
        report.add(
            "size_mismatch", relpath, f"{size:,} bytes, the manifest says {entry['bytes']:,}"
        )
        return
    try:
        digest = sha256_file(path)
    except OSError as exc:
        report.add("file_missing", relpath, f"cannot read it: {exc.strerror}")
        return
    _check_content(report, entry, digest, path)


def _check_object(report: VerifyReport, entry: dict[str, Any], url: str) -> None:
    """``_check_file`` for an object: size from a HEAD, sha256 and records as it streams."""
    relpath: str = entry["path"]
    try:
        size = storage.size(url)
    except FileNotFoundError:
        report.add("file_missing", relpath, "listed in the manifest but absent")
        return
    except ConfigError as exc:
        report.add("file_missing", relpath, f"cannot read it: {exc}")
        return
    if size != entry["bytes"]:
        report.add(
            "size_mismatch", relpath, f"{size:,} bytes, the manifest says {entry['bytes']:,}"
        )
        return
    try:
        digest = storage.sha256(url)
    except (OSError, ConfigError) as exc:
        report.add("file_missing", relpath, f"cannot read it: {exc}")
        return
    _check_content(report, entry, digest, url)


def _check_content(
    report: VerifyReport, entry: dict[str, Any], digest: str, location: Path | str
) -> None:
    relpath: str = entry["path"]
    if digest != entry["sha256"].lower():
        report.add(
            "checksum_mismatch",
            relpath,
            f"sha256 {digest[:16]}…, the manifest says {entry['sha256'][:16]}…",
        )
        return
    expected = entry.get("records")
    if expected is None:
        return
    try:
        counted = count_records(location)
    except Exception as exc:  # a damaged file: pyarrow, zstandard and OS errors alike
        report.add("count_mismatch", relpath, f"cannot count its records: {exc}")
        return
    if counted is not None and counted != expected:
        report.add(
            "count_mismatch", relpath, f"{counted:,} records, the manifest says {expected:,}"
        )


def count_records(path: Path | str) -> int | None:
    """Records in a record file (a path or URL), by name: Parquet rows (from the footer, no data
    read), lines of ``.jsonl``, lines of ``.jsonl.zst`` (streamed); None for any other kind of
    file.

    A last line without a newline counts as a line.
    """
    name = storage.name_of(path)
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        with storage.open_read(path) as fh, pq.ParquetFile(fh) as pf:
            return int(pf.metadata.num_rows)
    if name.endswith(".jsonl"):
        with storage.open_read(path) as fh:
            return _count_lines(fh)
    if name.endswith(".jsonl.zst"):
        import zstandard

        with (
            storage.open_read(path) as fh,
            zstandard.ZstdDecompressor().stream_reader(fh, read_across_frames=True) as reader,
        ):
            return _count_lines(reader)
    return None


def _count_lines(stream: Any) -> int:
    lines, last = 0, b"\n"
    while chunk := stream.read(CHUNK_BYTES):
        lines += chunk.count(b"\n")
        last = chunk[-1:]
    return lines + (last != b"\n")


def _walk(root: Path | str) -> list[str]:
    """Every file under ``root`` (relative, POSIX), except the manifest, its signature and what
    sits in hidden folders (``.wikipact-build/`` and the like); sorted."""
    if isinstance(root, str):
        return [
            name
            for name in storage.list_tree(root)
            if name not in (MANIFEST_NAME, SIGNATURE_NAME)
            and not any(part.startswith(".") for part in name.split("/")[:-1])
        ]
    out = []
    for here, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel = Path(here).relative_to(root)
        for name in files:
            relpath = (rel / name).as_posix()
            if relpath not in (MANIFEST_NAME, SIGNATURE_NAME):
                out.append(relpath)
        # symlinked folders are not walked (followlinks=False) but are content all the same
        out.extend((rel / d).as_posix() for d in dirs if os.path.islink(os.path.join(here, d)))
    return sorted(out)
