"""A dataset built in a local folder, published to object storage: objects first, manifest last.

``wikipact build --out s3://bucket/datasets/name`` builds in a local folder (``--work-dir``; by
default one per URL in the user's cache directory, so a rerun resumes there) and then uploads
it with ``storage.publish``: every file the manifest lists, then ``manifest.json``, then its
signature. The build's own work files (``.wikipact-build/``) stay local. An object already at
the URL with the same size and sha256 is not uploaded again, so publishing a finished build a
second time sends nothing. Files of an earlier build at that URL that this build does not list
are removed after the new manifest is in place (only under the names ``wikipact build`` writes:
``data/``, ``jsonl/``, ``plots/`` and its top-level files), so ``wikipact verify URL`` passes.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

from wikipact import storage
from wikipact.datasets.manifest import MANIFEST_NAME, SIGNATURE_NAME

OWN_FOLDERS = ("data/", "jsonl/", "plots/")
OWN_FILES = ("README.md", "exclusions.jsonl", "dedup-clusters.jsonl")


def staging_folder(url: str) -> Path:
    """Where a build for ``url`` is made when no ``--work-dir`` is given: one folder per URL
    in the user's cache directory (a rerun resumes there)."""
    from platformdirs import user_cache_dir

    name = hashlib.sha256(url.encode()).hexdigest()[:16]
    return Path(user_cache_dir("wikipact")) / "builds" / name


def publish_dataset(local: Path, url: str) -> storage.Published:
    """Upload the dataset in ``local`` to ``url`` (see the module docstring)."""
    files = _listed(local)
    with tempfile.TemporaryDirectory(prefix=".wikipact-publish-", dir=local) as view:
        # the manifest's files and the manifest: hard links, not copies (same file system)
        for name in [*files, MANIFEST_NAME, SIGNATURE_NAME]:
            source = local / name
            if source.exists():
                target = Path(view) / name
                target.parent.mkdir(parents=True, exist_ok=True)
                _link_or_copy(source, target)
        done = storage.publish(view, url, last=[MANIFEST_NAME, SIGNATURE_NAME])
    wanted = {*files, MANIFEST_NAME, SIGNATURE_NAME}
    for name in storage.list_tree(url):
        if name not in wanted and (name.startswith(OWN_FOLDERS) or name in OWN_FILES):
            storage.remove(storage.join(url, name))
            done.removed.append(name)
    return done


def _listed(local: Path) -> list[str]:
    import json

    manifest = json.loads((local / MANIFEST_NAME).read_bytes())
    return [entry["path"] for entry in manifest["files"]]


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        target.hardlink_to(source)
    except OSError:
        shutil.copyfile(source, target)
