"""The manifest signing key: where it lives, how it is made and protected, how it signs."""

from __future__ import annotations

import base64
import hashlib
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wikipact.datasets import signing
from wikipact.datasets.signing import (
    check_signature,
    init_keys,
    key_id,
    load_public_key,
    load_signing_key,
    local_public_key,
    show_key,
    sign,
    signing_dir,
)
from wikipact.errors import ConfigError


@pytest.fixture
def keydir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The signing directory, via the environment, so no test touches the user's config dir."""
    where = tmp_path / "keys"
    monkeypatch.setenv(signing.ENV_VAR, str(where))
    return where


def test_init_writes_a_private_key_only_its_owner_can_read(keydir: Path) -> None:
    info = init_keys()
    assert info.directory == keydir
    assert info.private_key_path == keydir / "ed25519.key"
    assert stat.S_IMODE(info.private_key_path.stat().st_mode) == 0o600
    assert info.private_key_path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert info.public_key_path.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert sorted(p.name for p in keydir.iterdir()) == ["ed25519.key", "ed25519.pub"]  # no temps
    key = load_signing_key()
    assert key_id(key.public_key()) == info.key_id
    assert load_public_key(info.public_key_path) == key.public_key()
    assert base64.b64decode(info.public_key) == key.public_key().public_bytes_raw()


def test_init_refuses_to_overwrite_a_key_unless_forced(keydir: Path) -> None:
    first = init_keys()
    before = first.private_key_path.read_bytes()
    with pytest.raises(ConfigError, match="--force"):
        init_keys()
    assert first.private_key_path.read_bytes() == before
    second = init_keys(force=True)
    assert second.key_id != first.key_id
    assert first.private_key_path.read_bytes() != before
    assert stat.S_IMODE(second.private_key_path.stat().st_mode) == 0o600
    assert show_key().key_id == second.key_id


def test_init_refuses_when_only_the_public_key_is_there(keydir: Path) -> None:
    keydir.mkdir()
    (keydir / "ed25519.pub").write_text("someone's key\n")
    with pytest.raises(ConfigError, match="already exists"):
        init_keys()
    assert not (keydir / "ed25519.key").exists()


def test_directory_argument_beats_the_environment(keydir: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    info = init_keys(other)
    assert info.private_key_path.parent == other
    assert not keydir.exists()
    assert signing_dir(other) == other
    assert signing_dir() == keydir
    with pytest.raises(ConfigError, match=r"wikipact signing init`"):
        load_signing_key()  # the environment's directory has no key
    assert key_id(load_signing_key(other).public_key()) == info.key_id


def test_default_directory_is_in_the_user_config_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    from platformdirs import user_config_dir

    monkeypatch.delenv(signing.ENV_VAR, raising=False)
    assert signing_dir() == Path(user_config_dir("wikipact", appauthor=False)) / "signing"


def test_missing_key_names_the_command_that_makes_one(keydir: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_signing_key()
    assert "`wikipact signing init`" in str(exc.value) and str(keydir) in str(exc.value)
    with pytest.raises(ConfigError, match=r"`wikipact signing init --dir .*elsewhere`"):
        load_signing_key(tmp_path / "elsewhere")
    assert local_public_key() is None


def test_a_key_that_is_not_ed25519_pem_is_a_config_error(keydir: Path) -> None:
    keydir.mkdir()
    (keydir / "ed25519.key").write_text("not a key\n")
    with pytest.raises(ConfigError, match="not an unencrypted PEM private key"):
        load_signing_key()


def test_key_id_is_the_start_of_sha256_of_the_raw_public_key() -> None:
    public = Ed25519PrivateKey.generate().public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert len(raw) == 32
    assert key_id(public) == hashlib.sha256(raw).hexdigest()[:16]


def test_signatures_are_deterministic_and_bound_to_the_bytes() -> None:
    key = Ed25519PrivateKey.generate()
    one, two = sign(b"manifest bytes", key), sign(b"manifest bytes", key)
    assert one == two
    assert set(one) == {"algorithm", "key_id", "public_key", "signature"}
    assert one["algorithm"] == "ed25519" and one["key_id"] == key_id(key.public_key())
    key.public_key().verify(base64.b64decode(one["signature"]), b"manifest bytes")
    assert check_signature(b"manifest bytes", one) == (key.public_key(), None)
    public, reason = check_signature(b"manifest bytez", one)
    assert public == key.public_key() and reason and "does not match" in reason
    forged = {**one, "key_id": "0" * 16}
    assert "key_id" in (check_signature(b"manifest bytes", forged)[1] or "")
    assert check_signature(b"manifest bytes", {**one, "algorithm": "rsa"})[1]
    assert check_signature(b"manifest bytes", ["not", "an", "object"])[1]


def test_public_keys_load_from_pem_files_and_base64(keydir: Path, tmp_path: Path) -> None:
    info = init_keys()
    expected = load_signing_key().public_key()
    assert load_public_key(info.public_key_path) == expected
    assert load_public_key(str(info.public_key_path)) == expected
    assert load_public_key(info.public_key) == expected
    b64_file = tmp_path / "partner.b64"
    b64_file.write_text(info.public_key + "\n")
    assert load_public_key(b64_file) == expected
    for bad in ("not base64!", base64.b64encode(b"short").decode()):
        with pytest.raises(ConfigError, match="neither a PEM public key"):
            load_public_key(bad)
    with pytest.raises(ConfigError, match="not a PEM public key"):
        load_public_key("-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----\n")
