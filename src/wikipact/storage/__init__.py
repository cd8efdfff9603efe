"""One storage interface for local paths and object storage URLs (``s3://bucket/prefix``).

Inputs (dumps and their indexes) and outputs (a build's stage and dedup files, dataset shards,
manifests, snapshots) are named by a *location*: a local path, or a URL that fsspec knows
(``s3://`` needs the ``s3`` extra: ``pip install 'wikipact[s3]'``). S3 endpoint and
credentials come from the standard variables (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_REGION``), so the same command runs
against S3 or a local S3-compatible server.

Writes are whole or absent: a local file is written to a temp name, fsynced and renamed; an
object is one PUT (or a multipart upload completed on close), which S3 makes visible only when
it is whole. A set of files that belongs together (a dataset) is published objects first,
manifest last, so a reader that finds the manifest finds every object it names (``publish``).

Reads of remote objects are ranged GETs: ``open_read`` reads ahead ``READ_BLOCK`` bytes for a
front-to-back reader, and ``open_read(..., readahead=False)`` (a task that reads its own byte
ranges, a header) fetches exactly the bytes asked for, so a worker reading one span of a 20 GB
dump downloads that span, not the file.

A location that does not exist raises ``LocationNotFound``: a ``ConfigError`` (the user must
fix the path, URL or bucket) that is also a ``FileNotFoundError``, so code that catches the
latter treats a missing object as it treats a missing file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from wikipact import crashpoints
from wikipact.errors import ConfigError

Location = str | os.PathLike[str]

READ_BLOCK = 8 << 20  # bytes a sequential remote read fetches ahead (few GETs per GB)
WRITE_BLOCK = 16 << 20  # bytes buffered per part of a remote write (S3's minimum is 5 MiB)
HASH_CHUNK = 1 << 20  # bytes hashed at a time
SHA256_METADATA = "sha256"  # object metadata (x-amz-meta-sha256) that ``publish`` writes
S3_SCHEMES = ("s3", "s3a")


class LocationNotFound(ConfigError, FileNotFoundError):
    """A path, object or bucket that does not exist (the message says which, and what to do)."""


def is_url(location: Location) -> bool:
    """True for ``scheme://...`` other than ``file://`` (which is a local path)."""
    text = os.fspath(location)
    scheme, sep, _ = text.partition("://")
    return bool(sep) and scheme.isascii() and scheme.isalnum() and scheme != "file"


def local_path(location: Location) -> str:
    text = os.fspath(location)
    return text[len("file://") :] if text.startswith("file://") else text


def path_or_url(location: Location) -> Path | str:
    """A ``Path`` for a local location, the URL string for a remote one.

    Code that used ``pathlib.Path`` for its files keeps doing so locally, while a URL stays a
    string end to end (``Path("s3://b/k")`` would turn it into ``s3:/b/k``).
    """
    return os.fspath(location) if is_url(location) else Path(local_path(location))


def join(base: Location, *parts: str) -> str:
    """``base`` and ``parts`` joined with ``/`` (a URL) or the OS separator (a path)."""
    text = os.fspath(base)
    if is_url(text):
        return "/".join([text.rstrip("/"), *(p.strip("/") for p in parts)])
    return os.path.join(local_path(text), *parts)


def name_of(location: Location) -> str:
    """The last part of a path or URL (``enwiki-...-multistream.xml.bz2``)."""
    return os.fspath(location).rstrip("/").rsplit("/", 1)[-1].rsplit(os.sep, 1)[-1]


def sibling(location: Location, name: str) -> Path | str:
    """The location called ``name`` in the folder (or prefix) of ``location``: the index next
    to a dump, the signature next to a manifest. A ``Path`` locally, a URL string remotely."""
    if is_url(location):
        return os.fspath(location).rstrip("/").rsplit("/", 1)[0] + "/" + name
    return Path(local_path(location)).with_name(name)


def s3_options(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The s3fs options that the standard AWS variables ask for (only those that are set).

    botocore reads ``AWS_ENDPOINT_URL`` and the keys by itself, but fsspec caches a filesystem
    per set of constructor options: if the options did not carry the variables, a process
    whose variables change (a test, a long-lived service) would keep talking to the endpoint
    and with the keys of the first instance. Passing them makes a change a new instance.
    ``AWS_REGION`` (which botocore leaves to ``AWS_DEFAULT_REGION``) is honoured here too,
    and ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`` as botocore does. Listings are not
    cached: other processes (workers, another build) write the same prefixes.
    """
    env = os.environ if env is None else env
    options: dict[str, Any] = {"use_listings_cache": False}
    ignore_endpoint = env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true"
    for variable, option in (
        ("AWS_ENDPOINT_URL_S3", "endpoint_url"),
        ("AWS_ENDPOINT_URL", "endpoint_url"),
        ("AWS_ACCESS_KEY_ID", "key"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_SESSION_TOKEN", "token"),
        ("AWS_PROFILE", "profile"),
    ):
        if option == "endpoint_url" and ignore_endpoint:
            continue
        if env.get(variable) and option not in options:
            options[option] = env[variable]
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        options["client_kwargs"] = {"region_name": region}
    return options


def filesystem(location: Location) -> tuple[Any, str]:
    """The fsspec filesystem of ``location`` and the path within it."""
    import fsspec

    text = os.fspath(location)
    options = s3_options() if _is_s3(text) else {}
    try:
        return fsspec.core.url_to_fs(text, **options)
    except ImportError as exc:
        raise ConfigError(
            f"{text}: reading or writing this URL needs a package that is not installed "
            f"({exc}); for s3:// install the extra: pip install 'wikipact[s3]'"
        ) from None
    except ValueError as exc:
        raise ConfigError(f"{text}: not a location wikipact can use ({exc})") from None


@contextlib.contextmanager
def _remote(location: Location) -> Iterator[None]:
    """Turn what fsspec and botocore raise into errors that say what to fix."""
    text = os.fspath(location)
    try:
        yield
    except FileNotFoundError as exc:
        if isinstance(exc, LocationNotFound):
            raise
        raise _not_found(text) from None
    except PermissionError as exc:
        raise ConfigError(
            f"{text}: access denied ({_reason(exc)}); check AWS_ACCESS_KEY_ID and "
            f"AWS_SECRET_ACCESS_KEY (or the profile in use) and the bucket's policy"
            f"{_endpoint_note()}"
        ) from None
    except Exception as exc:
        if type(exc).__module__.split(".")[0] not in ("botocore", "aiobotocore"):
            raise
        raise ConfigError(
            f"{text}: the object store refused or could not be reached ({_reason(exc)}); check "
            f"the credentials and AWS_ENDPOINT_URL{_endpoint_note()}"
        ) from None


def _not_found(url: str) -> LocationNotFound:
    """Say whether the object or its whole bucket is missing (one more request, on failure)."""
    bucket = url.partition("://")[2].split("/", 1)[0]
    missing_bucket = False
    with contextlib.suppress(Exception):
        missing_bucket = not _bucket_exists(url)
    if missing_bucket:
        return LocationNotFound(
            f"{url}: the bucket {bucket!r} does not exist; create it or check the URL"
            f"{_endpoint_note()}"
        )
    return LocationNotFound(
        f"{url}: no such object; check the URL (list the prefix: aws s3 ls "
        f"{url.rsplit('/', 1)[0]}/){_endpoint_note()}"
    )


def _bucket_exists(url: str) -> bool:
    """Whether the bucket of ``url`` exists; a refusal (bad credentials, no permission) raises
    ``PermissionError`` rather than passing for a missing bucket (``fs.exists`` says False)."""
    fs, _ = filesystem(url)
    try:
        fs.info(url.partition("://")[2].split("/", 1)[0])
    except FileNotFoundError:
        return False
    return True


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _endpoint_note() -> str:
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    return f" (endpoint {endpoint})" if endpoint else ""


def _missing_local(location: Location, exc: OSError) -> ConfigError:
    text = os.fspath(location)
    if isinstance(exc, FileNotFoundError):
        return LocationNotFound(f"{text}: no such file or folder")
    if isinstance(exc, IsADirectoryError):
        return ConfigError(f"{text} is a folder; give a file")
    if isinstance(exc, PermissionError):
        return ConfigError(f"{text}: permission denied")
    return ConfigError(f"{text}: {exc.strerror or exc}")


def open_read(location: Location, *, readahead: bool = True) -> IO[bytes]:
    """A seekable binary file; remote objects are read by byte ranges as the reader seeks.

    ``readahead`` suits a reader that goes front to back: each remote GET fetches
    ``READ_BLOCK`` bytes more than asked. A reader of known byte ranges passes False: each
    read fetches exactly its bytes. Locally it is a plain file either way.
    """
    if not is_url(location):
        return _open_local(location)
    fs, path = filesystem(location)
    with _remote(location):
        return fs.open(  # type: ignore[no-any-return]
            path,
            "rb",
            block_size=READ_BLOCK,
            cache_type="readahead" if readahead else "none",
        )


def _open_local(location: Location) -> IO[bytes]:
    """``open(..., "rb")``, a missing file raising ``LocationNotFound`` as a missing object does
    (still a ``FileNotFoundError``); the caller closes it."""
    try:
        return open(local_path(location), "rb")
    except FileNotFoundError:
        raise LocationNotFound(f"{os.fspath(location)}: no such file") from None


def read_range(location: Location, start: int, end: int) -> bytes:
    """Bytes ``[start, end)`` (fewer at the end of the file): one ranged GET remotely."""
    if not is_url(location):
        with _open_local(location) as fh:
            fh.seek(start)
            return fh.read(max(0, end - start))
    fs, path = filesystem(location)
    with _remote(location):
        return bytes(fs.cat_file(path, start=start, end=end))


def get_bytes(location: Location) -> bytes:
    with open_read(location) as fh:
        return fh.read()


def put_bytes(location: Location, data: bytes) -> None:
    """Write ``data`` whole: temp file + fsync + rename locally, one PUT remotely."""
    with open_write(location) as fh:
        fh.write(data)


@contextlib.contextmanager
def open_write(location: Location) -> Iterator[IO[bytes]]:
    """A binary file whose content appears at ``location`` whole, when the block ends.

    Locally the bytes go to a temp file in the same folder, which is fsynced and renamed over
    ``location`` (folders are made as needed). Remotely they go to an upload that S3 makes
    visible only when it completes on close: one PUT, or a multipart upload past
    ``WRITE_BLOCK`` bytes. If the block raises, nothing is left behind: the temp file is
    deleted, the multipart upload aborted, and whatever was at ``location`` stays as it was.
    """
    if is_url(location):
        with _remote_write(location) as fh:
            yield fh
        return
    with _local_write(Path(local_path(location))) as fh:
        yield fh


@contextlib.contextmanager
def _local_write(target: Path) -> Iterator[IO[bytes]]:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o644)  # as any other file we write (mkstemp makes it 0600)
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        crashpoints.reached("replace.before")
        os.replace(tmp, target)
        crashpoints.reached("replace.after")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(target.parent)


def _fsync_folder(folder: Path) -> None:
    """The rename is durable only once the folder's entry is on disk."""
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextlib.contextmanager
def _remote_write(location: Location) -> Iterator[IO[bytes]]:
    fs, path = filesystem(location)
    with _remote(location):
        fh = fs.open(path, "wb", block_size=WRITE_BLOCK)
    try:
        yield fh
    except BaseException:
        # Abort what close() would commit: the multipart upload if one began (fsspec's
        # ``discard``), and the one-shot PUT of a small file, by marking it closed unsent.
        with contextlib.suppress(Exception):
            fh.discard()
        fh.closed = True
        raise
    with _remote(location):
        fh.close()


def exists(location: Location) -> bool:
    if not is_url(location):
        return os.path.exists(local_path(location))
    fs, path = filesystem(location)
    with _remote(location):
        return bool(fs.exists(path))


def listdir(location: Location) -> list[str]:
    """Names of the files and folders directly in a folder (or under a prefix), sorted.

    An object store has no empty folders: a prefix that names no object lists as empty rather
    than missing (a destination not yet published to). A missing bucket, or a missing local
    folder, raises ``LocationNotFound``.
    """
    if not is_url(location):
        try:
            return sorted(os.listdir(local_path(location)))
        except OSError as exc:
            raise _missing_local(location, exc) from None
    fs, path = filesystem(location)
    path = path.rstrip("/")
    with _remote(location):
        if not _bucket_exists(os.fspath(location)):
            raise _not_found(os.fspath(location))
        try:
            entries = fs.ls(path, detail=False, refresh=True)
        except FileNotFoundError:
            return []
    prefix = path + "/"
    return sorted({name_of(e) for e in entries if e.rstrip("/").startswith(prefix)})


def remove(location: Location) -> None:
    """Delete a file or object; one that is not there is fine (the outcome is the same)."""
    if not is_url(location):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(local_path(location))
        return
    fs, path = filesystem(location)
    with _remote(location):
        fs.rm_file(path)


def remove_tree(location: Location) -> None:
    """Delete a folder or every object under a prefix; none there is fine."""
    if not is_url(location):
        shutil.rmtree(local_path(location), ignore_errors=True)
        return
    for name in list_tree(location):
        remove(join(location, name))


def _info(location: Location) -> dict[str, Any]:
    """The remote object's details (size, ETag, LastModified); a prefix is not a file."""
    fs, path = filesystem(location)
    with _remote(location):
        info: dict[str, Any] = fs.info(path, refresh=True)
    if info.get("type") != "file":
        raise ConfigError(f"{os.fspath(location)} is a folder (a prefix); give an object's URL")
    return info


def _stat(location: Location) -> os.stat_result:
    try:
        result = os.stat(local_path(location))
    except OSError as exc:
        raise _missing_local(location, exc) from None
    if not os.path.isfile(local_path(location)):
        raise ConfigError(f"{os.fspath(location)} is a folder; give a file")
    return result


def size(location: Location) -> int:
    """Bytes in the file or object."""
    if not is_url(location):
        return _stat(location).st_size
    return int(_info(location)["size"])


def identity(location: Location) -> str:
    """What tells a resumed run that an input did not change since it started.

    Locally ``<resolved path>|<size>|<mtime in ns>`` (what ``run.ingest.input_key`` has always
    stored, so runs started before keep resuming); remotely ``<url>|<size>|<ETag>``, or the
    last-modified time if the store gives no ETag. Any rewrite of an object gives it a new
    ETag (and a new last-modified time), even with the same bytes: like a touched file, that
    counts as changed, which is the safe side.
    """
    if not is_url(location):
        stat = _stat(location)
        return f"{Path(local_path(location)).resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    info = _info(location)
    version = str(info.get("ETag") or "").strip('"') or str(info.get("LastModified") or "")
    return f"{os.fspath(location).rstrip('/')}|{info['size']}|{version}"


def presign(location: Location, seconds: int, *, filename: str | None = None) -> str:
    """A URL that lets anyone holding it GET the object for ``seconds`` (an S3 presigned URL,
    signed with the credentials in use); ``filename`` is what the download offers to save as.

    Only for object storage: a local path raises ``ConfigError``."""
    if not _is_s3(location):
        raise ConfigError(f"{os.fspath(location)}: only s3:// objects have presigned URLs")
    fs, path = filesystem(location)
    options = (
        {"ResponseContentDisposition": f'attachment; filename="{filename}"'} if filename else {}
    )
    with _remote(location):
        return str(fs.sign(path, expiration=seconds, **options))


def sha256(location: Location) -> str:
    """Hex sha256 of the content, read in ``HASH_CHUNK`` pieces (shards outgrow memory)."""
    digest = hashlib.sha256()
    if not is_url(location):
        _stat(location)
    with open_read(location) as fh, _remote(location):
        while chunk := fh.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Published:
    """What ``publish`` did, each list in the order it happened."""

    uploaded: list[str] = field(default_factory=list)  # names relative to the folder
    unchanged: list[str] = field(default_factory=list)  # already there, same size and sha256
    removed: list[str] = field(default_factory=list)  # ``last`` files taken down first


PublishStep = Callable[[str, str], None]  # ("uploaded" | "unchanged" | "removed", name)


def publish(
    local_dir: Location,
    url: Location,
    *,
    last: list[str],
    on_step: PublishStep | None = None,
) -> Published:
    """Upload every file under ``local_dir`` to ``url``, the names in ``last`` after all others.

    A reader that finds the first of ``last`` (the manifest) must find every object it names,
    whole: objects go first, then ``last`` in the order given (``["manifest.json",
    "manifest.json.sig"]``). When anything must be uploaded, the ``last`` files already at
    ``url`` are removed first, so an old manifest never stands beside objects being
    replaced: during a republish the dataset is absent, never wrong. Names in ``last`` that
    ``local_dir`` lacks are not uploaded (and removed from ``url``). Other objects at ``url``
    that ``local_dir`` lacks are left (no manifest names them).

    A file is skipped when ``url`` already has it with the same size and sha256. Remotely the
    sha256 is the one ``publish`` stored in the object's metadata (``x-amz-meta-sha256``) when
    it uploaded it; an object without it (written by another tool) is uploaded again. The
    ETag cannot stand in: it is an MD5 only for single-part, unencrypted uploads. Locally the
    file at ``url`` is hashed. ``on_step(action, name)`` is called after each step.
    """
    names = _tree(local_dir)
    order = [n for n in names if n not in last] + [n for n in last if n in names]
    there = _existing(url)
    digests = {n: sha256(join(local_dir, n)) for n in order}
    sizes = {n: size(join(local_dir, n)) for n in order}
    changed = [n for n in order if not _same(url, n, sizes[n], digests[n], there)]
    stale = [n for n in last if n in there and n not in names]  # a signature no longer made
    done = Published()
    step = on_step or (lambda action, name: None)
    if not changed and not stale:
        done.unchanged = order
        for name in order:
            step("unchanged", name)
        return done
    for name in last:
        if name in there:
            remove(join(url, name))
            done.removed.append(name)
            step("removed", name)
    for name in order:
        if name in changed or name in last:
            _upload(join(local_dir, name), join(url, name), digests[name])
            done.uploaded.append(name)
            step("uploaded", name)
        else:
            done.unchanged.append(name)
            step("unchanged", name)
    return done


def list_tree(location: Location) -> list[str]:
    """Relative POSIX names of every file under a folder or prefix, sorted (none if empty or
    absent: an object store has no empty folders)."""
    return sorted(_existing(location))


def _tree(local_dir: Location) -> list[str]:
    """Relative POSIX names of the files under a local folder, sorted."""
    root = Path(local_path(local_dir))
    if not root.is_dir():
        raise LocationNotFound(f"{os.fspath(local_dir)}: no such folder to publish")
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _existing(url: Location) -> dict[str, int]:
    """Sizes of the files already under ``url``, by relative name (none if it is empty)."""
    if not is_url(url):
        root = Path(local_path(url))
        if not root.is_dir():
            return {}
        return {
            p.relative_to(root).as_posix(): p.stat().st_size for p in root.rglob("*") if p.is_file()
        }
    fs, path = filesystem(url)
    path = path.rstrip("/")
    with _remote(url):
        try:
            found = fs.find(path, detail=True)
        except FileNotFoundError:
            return {}
    prefix = path + "/"
    return {
        name[len(prefix) :]: int(info["size"])
        for name, info in found.items()
        if name.startswith(prefix) and info.get("type") == "file"
    }


def _same(url: Location, name: str, local_size: int, digest: str, there: dict[str, int]) -> bool:
    """Is ``name`` at ``url`` already this content (same size, same sha256)?"""
    if there.get(name) != local_size:
        return False
    target = join(url, name)
    if not is_url(url):
        return sha256(target) == digest
    fs, path = filesystem(target)
    with _remote(target):
        stored = fs.metadata(path).get(SHA256_METADATA)
    return bool(stored == digest)


def _upload(source: str, target: str, digest: str) -> None:
    """One file, whole or absent, with its sha256 in the object's metadata remotely."""
    if not is_url(target):
        with open(source, "rb") as src, open_write(target) as dst:
            while chunk := src.read(HASH_CHUNK):
                dst.write(chunk)
        return
    fs, path = filesystem(target)
    options = {"Metadata": {SHA256_METADATA: digest}} if _is_s3(target) else {}
    with _remote(target):
        fs.put_file(source, path, **options)


def _is_s3(location: Location) -> bool:
    return is_url(location) and os.fspath(location).partition("://")[0].lower() in S3_SCHEMES
