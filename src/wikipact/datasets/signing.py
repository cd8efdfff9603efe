"""The Ed25519 key that signs dataset manifests: where it lives, how it is made, how it signs.

A publisher makes one key pair (``wikipact signing init``) and gives partners the public half;
every manifest the publisher writes is signed with the private half, and ``wikipact verify
--public-key`` proves a dataset came from that publisher unaltered.

The key pair lives in a directory: ``--dir`` / the ``directory`` argument, else
``$WIKIPACT_SIGNING_DIR``, else ``<user config dir>/wikipact/signing``. It holds

* ``ed25519.key``: the private key, PEM PKCS#8, unencrypted, mode 0600;
* ``ed25519.pub``: the public key, PEM SubjectPublicKeyInfo, what partners pin.

Ed25519 signatures are deterministic (RFC 8032): the same bytes signed with the same key give
the same signature, so a rebuilt dataset has a byte-identical ``manifest.json.sig``. Nothing here
adds a timestamp or a nonce.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from wikipact.errors import ConfigError
from wikipact.run.parse import fsync_replace

ALGORITHM = "ed25519"
ENV_VAR = "WIKIPACT_SIGNING_DIR"
PRIVATE_KEY_NAME = "ed25519.key"
PUBLIC_KEY_NAME = "ed25519.pub"
INIT_COMMAND = "wikipact signing init"


@dataclass(frozen=True)
class KeyInfo:
    """A key pair on disk: its id, its public half (base64 of the raw 32 bytes) and its files."""

    key_id: str
    public_key: str
    directory: Path
    private_key_path: Path
    public_key_path: Path


def signing_dir(directory: str | Path | None = None) -> Path:
    """The key directory: ``directory`` if given, else ``$WIKIPACT_SIGNING_DIR``, else the default.

    The default is ``platformdirs.user_config_dir("wikipact")/signing``.
    """
    if directory is not None:
        return Path(directory).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("wikipact", appauthor=False)) / "signing"


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 public key."""
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_b64(public_key: Ed25519PublicKey) -> str:
    """The public key as base64 of its raw 32 bytes: the form manifests and ``show`` print."""
    return base64.b64encode(raw_public_key(public_key)).decode("ascii")


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short name for a public key: the first 16 hex digits of sha256 of its raw 32 bytes."""
    return hashlib.sha256(raw_public_key(public_key)).hexdigest()[:16]


def init_keys(directory: str | Path | None = None, *, force: bool = False) -> KeyInfo:
    """Make a new key pair in the key directory (created with mode 0700 if needed).

    Refuses with ``ConfigError`` when a key is already there, unless ``force``: replacing a key
    means partners who pinned the old public key can no longer verify new datasets. Each file is
    written to a temp file in the same directory and moved into place (fsynced), so a crash never
    leaves half a key.
    """
    where = signing_dir(directory)
    private_path = where / PRIVATE_KEY_NAME
    public_path = where / PUBLIC_KEY_NAME
    existing = [p for p in (private_path, public_path) if p.exists()]
    if existing and not force:
        raise ConfigError(
            f"a signing key already exists at {existing[0]}; keep it, or replace it with "
            f"`{_command(INIT_COMMAND, directory)} --force` (datasets signed with the old key "
            "then no longer verify against the new one)"
        )
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the signing key directory {where}: {exc}") from exc
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    try:
        write_atomic(private_path, private_pem, mode=0o600)
        write_atomic(public_path, public_pem, mode=0o644)
    except OSError as exc:
        raise ConfigError(f"cannot write the signing key in {where}: {exc}") from exc
    return _info(key.public_key(), where)


def load_signing_key(directory: str | Path | None = None) -> Ed25519PrivateKey:
    """The private key of the key directory.

    Raises ``ConfigError`` naming the command that makes one when there is none, and when the
    file is not an unencrypted Ed25519 PEM key.
    """
    where = signing_dir(directory)
    path = where / PRIVATE_KEY_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"no signing key at {path}; make one with `{_command(INIT_COMMAND, directory)}` "
            f"(or point ${ENV_VAR} at the directory that holds {PRIVATE_KEY_NAME})"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the signing key {path}: {exc.strerror}") from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"{path} is not an unencrypted PEM private key ({exc}); replace it with "
            f"`{_command(INIT_COMMAND, directory)} --force`"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def show_key(directory: str | Path | None = None) -> KeyInfo:
    """The key pair of the key directory (the public half derived from the private key)."""
    key = load_signing_key(directory)
    return _info(key.public_key(), signing_dir(directory))


def local_public_key(directory: str | Path | None = None) -> Ed25519PublicKey | None:
    """The public key of the key directory, or None when there is no usable key there.

    Reads ``ed25519.key`` when it is readable (the public half cannot then disagree with it),
    else ``ed25519.pub``. Never raises: verification uses this only to say "signed by the local
    key", which is information, not a check.
    """
    where = signing_dir(directory)
    try:
        return load_signing_key(where).public_key()
    except ConfigError:
        pass
    try:
        return load_public_key(where / PUBLIC_KEY_NAME)
    except ConfigError:
        return None


def load_public_key(source: str | Path) -> Ed25519PublicKey:
    """A public key from a file (PEM, or base64 of the raw 32 bytes) or a base64 string.

    A ``Path`` is always read as a file; a ``str`` is read as a file when one exists at that
    path, else decoded as base64. Raises ``ConfigError`` when neither gives an Ed25519 key.
    """
    text: str
    if isinstance(source, Path) or Path(source).is_file():
        path = Path(source)
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read the public key {path}: {exc}") from exc
        where = str(path)
    else:
        text, where = source, "the public key given"
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode("ascii"))
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{where} is not a PEM public key: {exc}") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise ConfigError(f"{where} holds a {type(key).__name__}, not an Ed25519 key")
        return key
    key_from_raw = public_key_from_b64(text)
    if key_from_raw is None:
        raise ConfigError(
            f"{where} is neither a PEM public key nor base64 of a raw 32-byte Ed25519 key "
            f"(use the {PUBLIC_KEY_NAME} file `wikipact signing show` points to)"
        )
    return key_from_raw


def public_key_from_b64(text: str) -> Ed25519PublicKey | None:
    """The public key that ``text`` (base64 of the raw 32 bytes) encodes, or None if it does not."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 32:
        return None
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        return None


def sign(data: bytes, key: Ed25519PrivateKey) -> dict[str, str]:
    """A detached signature of ``data``, as the ``manifest.json.sig`` object.

    ``{"algorithm": "ed25519", "key_id": ..., "public_key": <base64 raw>, "signature": <base64>}``.
    The public key is included so a verifier can check the signature without any key and then
    say whether the signer is one it trusts (pinned or local) or unknown.
    """
    public = key.public_key()
    return {
        "algorithm": ALGORITHM,
        "key_id": key_id(public),
        "public_key": public_key_b64(public),
        "signature": base64.b64encode(key.sign(data)).decode("ascii"),
    }


def check_signature(data: bytes, envelope: Any) -> tuple[Ed25519PublicKey | None, str | None]:
    """Check a ``sign()`` object against ``data``.

    Returns ``(public_key, None)`` when the signature is valid, else ``(public_key_or_None,
    reason)``. The public key is returned even for a bad signature when it could be decoded, so
    the caller can still compare it with a pinned key.
    """
    if not isinstance(envelope, dict):
        return None, "the signature file is not a JSON object"
    if envelope.get("algorithm") != ALGORITHM:
        return None, f"unknown signature algorithm {envelope.get('algorithm')!r}"
    encoded_key, encoded_sig = envelope.get("public_key"), envelope.get("signature")
    if not isinstance(encoded_key, str) or not isinstance(encoded_sig, str):
        return None, "the signature file lacks public_key or signature"
    public = public_key_from_b64(encoded_key)
    if public is None:
        return None, "public_key is not base64 of a raw 32-byte Ed25519 key"
    if envelope.get("key_id") != key_id(public):
        return public, f"key_id {envelope.get('key_id')!r} does not match public_key"
    try:
        signature = base64.b64decode(encoded_sig, validate=True)
    except (binascii.Error, ValueError):
        return public, "signature is not base64"
    try:
        public.verify(signature, data)
    except InvalidSignature:
        return public, "the signature does not match the manifest's bytes"
    return public, None


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` through a temp file in the same directory, fsynced, replaced.

    The temp file is created with mode 0600 and set to ``mode`` before it is moved into place,
    so a private key is never readable by others, not even for a moment.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            os.fchmod(fh.fileno(), mode)
        fsync_replace(tmp, str(path))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _info(public: Ed25519PublicKey, where: Path) -> KeyInfo:
    return KeyInfo(
        key_id=key_id(public),
        public_key=public_key_b64(public),
        directory=where,
        private_key_path=where / PRIVATE_KEY_NAME,
        public_key_path=where / PUBLIC_KEY_NAME,
    )


def _command(command: str, directory: str | Path | None) -> str:
    """``command`` with ``--dir`` when the caller named a directory (env and default need none)."""
    return f"{command} --dir {directory}" if directory is not None else command
