"""The signed manifest of a dataset directory: what was built, from what, and every file's hash.

``manifest.json`` is canonical JSON (sorted keys, 2-space indent, UTF-8, one trailing newline)
with this layout (``format`` names it; a change of layout gets a new number)::

    {
      "format": "wikipact-dataset-manifest/1",
      "name": "wikipedia",
      "wikipact_version": "0.1.0",
      "record_version": "1.0",
      "recipe": {... every recipe field, defaults filled in ...},
      "recipe_sha256": "<hex>",
      "tokenizer": {"name": "cl100k_base", "vocabulary_sha256": "<hex>"},
      "inputs": [{"kind": "dump", "name": "...", "bytes": 1, "sha256": "...", ...}],
      "counts": {
        "seen": 100, "kept": 80,
        "dropped": {"<reason>": 15, ...}, "clusters": {"<kind>": 3, ...},
        "records_by_split": {"train": 78, ...}, "records_by_language": {"en": 80},
        "tokens": 123456
      },
      "files": [{"path": "data/train-00000.parquet", "bytes": 1, "sha256": "<hex>",
                 "records": 78, "split": "train", "format": "parquet"}, ...]
    }

``None`` fields of inputs and files are left out; ``files`` is sorted by path and never lists
``manifest.json`` or ``manifest.json.sig``. There are no timestamps and no machine paths, so
the same build gives the same bytes, and (Ed25519 being deterministic) the same signature.
``manifest.json.sig`` is the JSON of :func:`wikipact.datasets.signing.sign` over those bytes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path, PurePosixPath
from typing import Any

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wikipact import crashpoints
from wikipact.datasets.record import RECORD_VERSION
from wikipact.datasets.signing import sign, write_atomic
from wikipact.datasets.stats import BuildStats, FileInfo, InputInfo
from wikipact.errors import ConfigError

MANIFEST_FORMAT = "wikipact-dataset-manifest/1"
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.json.sig"
CHUNK_BYTES = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MB chunks (shards can be far larger than memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def check_relpath(relpath: str) -> str | None:
    """Why ``relpath`` cannot name a file inside a dataset directory, or None when it can.

    A manifest path is relative, POSIX-style, without ``.`` or ``..`` parts, so a manifest can
    never point a verifier outside the directory it describes.
    """
    if not relpath or "\\" in relpath or "\x00" in relpath:
        return "an empty path, or one with a backslash or NUL"
    pure = PurePosixPath(relpath)
    if pure.is_absolute() or any(part in ("", ".", "..") for part in relpath.split("/")):
        return "not a plain relative path (absolute, or with '.', '..' or '//')"
    return None


def file_info(
    root: Path,
    relpath: str,
    *,
    records: int | None = None,
    split: str | None = None,
    format: str | None = None,
) -> FileInfo:
    """The manifest entry of ``root/relpath``: its size and sha256, plus what the caller knows.

    ``relpath`` is the POSIX path relative to the dataset root (``data/train-00000.parquet``);
    ``records``, ``split`` and ``format`` are given by the writer that made the file.
    """
    problem = check_relpath(relpath)
    if problem:
        raise ConfigError(f"dataset file path {relpath!r}: {problem}")
    path = Path(root) / relpath
    try:
        size = path.stat().st_size
        digest = sha256_file(path)
    except OSError as exc:
        raise ConfigError(f"cannot read the dataset file {path}: {exc.strerror}") from exc
    return FileInfo(
        path=relpath, bytes=size, sha256=digest, records=records, split=split, format=format
    )


def build_manifest(stats: BuildStats, *, name: str | None = None) -> dict[str, Any]:
    """The manifest of a finished build, as plain JSON data (layout in the module docstring).

    ``name`` defaults to the recipe's name. ``stats.files`` must already hold the ``FileInfo``
    of every file of the dataset except the manifest and its signature.
    """
    from wikipact import __version__

    paths = [f.path for f in stats.files]
    reserved = {MANIFEST_NAME, SIGNATURE_NAME} & set(paths)
    if reserved:
        raise ConfigError(f"the manifest cannot list itself: {sorted(reserved)} in stats.files")
    duplicates = sorted({p for p in paths if paths.count(p) > 1})
    if duplicates:
        raise ConfigError(f"stats.files lists these paths more than once: {duplicates}")
    for path in paths:
        problem = check_relpath(path)
        if problem:
            raise ConfigError(f"dataset file path {path!r}: {problem}")
    return {
        "format": MANIFEST_FORMAT,
        "name": name if name is not None else stats.recipe.name,
        "wikipact_version": __version__,
        "record_version": RECORD_VERSION,
        "recipe": msgspec.to_builtins(stats.recipe),
        "recipe_sha256": stats.recipe.sha256,
        "tokenizer": {"name": stats.tokenizer, "vocabulary_sha256": stats.tokenizer_sha256},
        "inputs": [_without_none(i) for i in stats.inputs],
        "counts": {
            "seen": stats.seen,
            "kept": stats.kept,
            "dropped": dict(sorted(stats.dropped.items())),
            "clusters": dict(sorted(stats.clusters.items())),
            "records_by_split": dict(sorted(stats.by_split().items())),
            "records_by_language": dict(sorted(stats.by_language().items())),
            "tokens": stats.total_tokens,
        },
        "files": [_without_none(f) for f in sorted(stats.files, key=lambda f: f.path)],
    }


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The canonical bytes of a manifest: sorted keys, 2-space indent, UTF-8, trailing newline.

    These bytes, not the parsed JSON, are what the signature covers.
    """
    text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def write_manifest(root: Path, manifest: dict[str, Any], key: Ed25519PrivateKey) -> None:
    """Write ``root/manifest.json`` and its signature ``root/manifest.json.sig``, atomically.

    Each file goes through a temp file in ``root``, fsync, ``os.replace`` and an fsync of the
    directory. The manifest is written first: a crash between the two leaves a signature that
    no longer matches (``wikipact verify`` says so) rather than a signature over a manifest
    that was never written. The same manifest and key give byte-identical files.
    """
    root = Path(root)
    data = manifest_bytes(manifest)
    envelope = sign(data, key)
    sig = (json.dumps(envelope, sort_keys=True, indent=2) + "\n").encode("ascii")
    try:
        write_atomic(root / MANIFEST_NAME, data)
        crashpoints.reached("manifest.unsigned")
        write_atomic(root / SIGNATURE_NAME, sig)
    except OSError as exc:
        raise ConfigError(f"cannot write the manifest in {root}: {exc}") from exc


def _without_none(info: FileInfo | InputInfo) -> dict[str, Any]:
    out = {k: v for k, v in dataclasses.asdict(info).items() if v is not None}
    if isinstance(out.get("revisions"), tuple):
        out["revisions"] = list(out["revisions"])
    return out
