"""G6: hostile XML is refused before libxml2 can expand, fetch or read anything.

Every attack is built around a real dump (a DOCTYPE prepended to it, entity references put inside
a real page's <text>), parsed in a fresh subprocess so its CPU time and peak memory can be measured
on their own (CPU time, not wall time: a busy machine makes the read slower, not costlier), while a loopback HTTP canary in this process records any attempt to fetch a DTD or an
entity.
"""

from __future__ import annotations

import base64
import bz2
import codecs
import gzip
import http.server
import json
import lzma
import os
import pyexpat
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import zstandard
from lxml import etree

from wikipact.dumps import open_dump
from wikipact.errors import DumpError, UnsafeXMLError, UnsupportedDumpError

HERE = Path(__file__).resolve()
CORPUS = HERE.parents[2].parent / "shared" / "corpus"
DATA = HERE.parents[1] / "data"
CORPUS_PATHS = {
    "article-pyrus.xml": "original/wikimedia+pywikibot/tests/data/xml/article-pyrus.xml",
    "sample-enwiki-pages-articles.xml": "assembled/sample-enwiki-pages-articles.xml",
    "sample-enwiki-pages-articles-multistream.xml.bz2": (
        "assembled/sample-enwiki-pages-articles-multistream.xml.bz2"
    ),
    "sample-enwiki-pages-articles-multistream-index.txt.bz2": (
        "assembled/sample-enwiki-pages-articles-multistream-index.txt.bz2"
    ),
}

MAX_CPU_SECONDS = 1.0
MAX_RSS_GROWTH_KIB = 100 * 1024
MARKER = "wikipact-canary:"  # put in front of every entity reference, to look for leaks
CANARY_PAYLOAD = "served-by-the-loopback-canary"


def real_file(name: str) -> Path:
    """A real input: the shared corpus when present, else the vendored copy in tests/data."""
    for candidate in (CORPUS / CORPUS_PATHS[name], DATA / name):
        if candidate.is_file():
            return candidate
    pytest.skip(f"{name} is neither in {CORPUS} nor in {DATA}")


# --------------------------------------------------------------------------------------------
# The loopback canary


@dataclass
class Canary:
    """A loopback HTTP server that records every request made to it."""

    port: int
    hits: list[str] = field(default_factory=list)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    """Start the canary in a thread; prove it records a request, then hand it over empty."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            if self.path.endswith(".dtd"):
                body = f'<!ENTITY leak "{CANARY_PAYLOAD}">'.encode()
            else:
                body = CANARY_PAYLOAD.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    probe = Canary(port=server.server_address[1], hits=hits)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(probe.url("self-check"), timeout=5) as response:
        assert response.read() == CANARY_PAYLOAD.encode()
    assert hits == ["/self-check"], "the canary does not record requests"
    hits.clear()
    try:
        yield probe
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def quiet_canary(canary: Canary) -> Iterator[Canary]:
    """The canary, emptied before the test and checked for zero fetches after it."""
    canary.hits.clear()
    yield canary
    assert canary.hits == [], f"the reader fetched {canary.hits} from the loopback canary"


# --------------------------------------------------------------------------------------------
# Building attacks out of real dumps


def split_root(document: bytes) -> tuple[bytes, bytes]:
    """(XML declaration or b"", everything from the <mediawiki> root on) of a real dump."""
    root = document.index(b"<mediawiki")
    return document[:root], document[root:]


def inject_into_text(document: bytes, payload: bytes) -> bytes:
    """Put ``payload`` in the middle of the first real page's <text> (after a space)."""
    start = document.index(b">", document.index(b"<text")) + 1
    end = document.index(b"</text>", start)
    cut = document.find(b" ", (start + end) // 2, end)
    cut = end if cut < 0 else cut + 1
    return document[:cut] + payload + document[cut:]


def with_doctype(host: bytes, doctype: bytes, reference: bytes, *, prolog: bytes = b"") -> bytes:
    """The real ``host`` dump with ``prolog + doctype`` before its root and ``reference`` in a text."""
    _, root = split_root(host)
    body = inject_into_text(root, MARKER.encode() + reference) if reference else root
    return prolog + doctype + b"\n" + body


def billion_laughs() -> tuple[bytes, bytes]:
    """Ten levels of ten references each: 10**9 copies of "lol" if expanded."""
    lines = [b'<!ENTITY lol0 "lol">']
    for level in range(1, 10):
        lines.append(b'<!ENTITY lol%d "%s">' % (level, b"&lol%d;" % (level - 1) * 10))
    return b"<!DOCTYPE mediawiki [\n" + b"\n".join(lines) + b"\n]>", b"&lol9;"


def quadratic_blowup() -> tuple[bytes, bytes]:
    """One 50 KB entity (real wikitext) referenced 20,000 times: 1 GB if expanded."""
    source = real_file("sample-enwiki-pages-articles.xml").read_bytes()
    start = source.index(b">", source.index(b"<text")) + 1
    text = source[start : source.index(b"</text>", start)]
    value = bytes(b for b in text if b not in b'%&"<>')[: 50 * 1024]
    assert len(value) == 50 * 1024
    return b'<!DOCTYPE mediawiki [<!ENTITY a "' + value + b'">]>', b"&a;" * 20_000


def attacks(canary: Canary, host: bytes) -> dict[str, bytes]:
    """Every classic entity attack, as a complete document around the real ``host`` dump."""
    laughs, laughs_ref = billion_laughs()
    quadratic, quadratic_ref = quadratic_blowup()
    pe = canary.url("parameter-entity.dtd")
    ext = canary.url("external-subset.dtd")
    return {
        "billion_laughs": with_doctype(host, laughs, laughs_ref),
        "quadratic_blowup": with_doctype(host, quadratic, quadratic_ref),
        "xxe_file": with_doctype(
            host,
            b'<!DOCTYPE mediawiki [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>',
            b"&xxe;",
        ),
        "xxe_http": with_doctype(
            host,
            f'<!DOCTYPE mediawiki [<!ENTITY xxe SYSTEM "{canary.url("entity")}">]>'.encode(),
            b"&xxe;",
        ),
        "parameter_entity": with_doctype(
            host,
            f'<!DOCTYPE mediawiki [<!ENTITY % pe SYSTEM "{pe}"> %pe;]>'.encode(),
            b"&leak;",
        ),
        "external_dtd": with_doctype(
            host, f'<!DOCTYPE mediawiki SYSTEM "{ext}">'.encode(), b"&leak;"
        ),
        "external_dtd_public": with_doctype(
            host, f'<!DOCTYPE mediawiki PUBLIC "-//wikipact//canary//EN" "{ext}">'.encode(), b""
        ),
        "after_xml_declaration": with_doctype(
            host,
            b'<!DOCTYPE mediawiki [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>',
            b"&xxe;",
            prolog=b'<?xml version="1.0" encoding="utf-8"?>\n',
        ),
        "lowercase_doctype": with_doctype(
            host, b'<!doctype mediawiki [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>', b"&xxe;"
        ),
        "entity_without_doctype": with_doctype(
            host, b'<!ENTITY xxe SYSTEM "file:///etc/hostname">', b""
        ),
    }


# --------------------------------------------------------------------------------------------
# Reading in a subprocess, measured

_PROBE = r"""
import json, resource, sys, time
from wikipact.dumps import open_dump
from wikipact.errors import WikipactError

path, project, marker = sys.argv[1], sys.argv[2] or None, sys.argv[3]
def cpu():
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)

before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start, start_cpu = time.perf_counter(), cpu()
out = {"error": None, "kind": None, "message": "", "pages": 0, "leaks": [], "recorded": []}
errors = []
try:
    for page in open_dump(path, project=project).pages(on_error="skip", errors=errors):
        out["pages"] += 1
        for revision in page.revisions:
            at = revision.text.find(marker)
            if at >= 0:
                out["leaks"].append(revision.text[at : at + len(marker) + 80])
except WikipactError as exc:
    out.update(error=type(exc).__name__, kind=getattr(exc, "kind", None), message=str(exc))
out["recorded"] = [error.kind for error in errors]
out["cpu_seconds"] = cpu() - start_cpu
out["seconds"] = time.perf_counter() - start  # wall time, for the record: it depends on load
out["rss_growth_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps(out))
"""


def read_in_subprocess(path: Path, project: str = "") -> dict[str, object]:
    """Read ``path`` in a fresh interpreter without proxies; its outcome, CPU time and RSS growth."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["no_proxy"] = env["NO_PROXY"] = "*"
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(path), project, MARKER],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def hostname() -> str:
    try:
        return Path("/etc/hostname").read_text().strip()
    except OSError:
        return ""


def assert_harmless(outcome: dict[str, object]) -> None:
    """Fast, small, and nothing fetched or read from outside shows up in any page."""
    assert outcome["cpu_seconds"] < MAX_CPU_SECONDS, outcome
    assert outcome["rss_growth_kib"] < MAX_RSS_GROWTH_KIB, outcome
    for leak in outcome["leaks"]:  # type: ignore[union-attr]
        assert CANARY_PAYLOAD not in leak, outcome
        if hostname():
            assert f"{MARKER}{hostname()}" not in leak, outcome


ATTACKS = [
    "billion_laughs",
    "quadratic_blowup",
    "xxe_file",
    "xxe_http",
    "parameter_entity",
    "external_dtd",
    "external_dtd_public",
    "after_xml_declaration",
    "lowercase_doctype",
    "entity_without_doctype",
]


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("host_name", ["article-pyrus.xml", "sample-enwiki-pages-articles.xml"])
def test_entity_attacks_are_refused_fast_small_and_offline(
    tmp_path: Path, quiet_canary: Canary, attack: str, host_name: str
) -> None:
    """Each attack raises UnsafeXMLError(doctype_refused) naming the file, < 1 CPU-s, < 100 MB, 0 fetches."""
    host = real_file(host_name).read_bytes()
    target = tmp_path / f"{attack}-{host_name}"
    target.write_bytes(attacks(quiet_canary, host)[attack])
    outcome = read_in_subprocess(target, project="enwiki")
    assert outcome["error"] == "UnsafeXMLError", outcome
    assert outcome["kind"] == "doctype_refused", outcome
    assert target.name in outcome["message"], outcome
    assert outcome["pages"] == 0
    assert_harmless(outcome)


def test_the_quadratic_entity_is_50_kb_and_would_expand_to_a_gigabyte() -> None:
    """The quadratic-blowup payload really is what its name says (guards the test itself)."""
    doctype, references = quadratic_blowup()
    assert len(doctype) > 50 * 1024
    assert references.count(b"&a;") * 50 * 1024 >= 10**9


def test_parser_libraries_are_new_enough() -> None:
    """lxml >= 6.1 (iterparse no longer resolves external entities); expat >= 2.4.1 (amplification)."""
    assert etree.LXML_VERSION >= (6, 1, 0, 0), etree.LXML_VERSION
    assert pyexpat.version_info >= (2, 4, 1), pyexpat.version_info


def _inside_first_text(document: bytes, payload: bytes) -> bytes:
    end = document.index(b"</text>")
    return document[:end] + payload + document[end:]


def _first_text(document: bytes) -> bytes:
    start = document.index(b">", document.index(b"<text")) + 1
    return document[start : document.index(b"</text>", start)]


@pytest.mark.parametrize("limit", ["nesting 100,000 elements deep", "a 12 MB text node"])
def test_libxml2_resource_limits_stay_on(tmp_path: Path, quiet_canary: Canary, limit: str) -> None:
    """No huge_tree: absurd depth or a > 10 MB text node is an xml_error, fast and small."""
    document = real_file("sample-enwiki-pages-articles.xml").read_bytes()
    if limit.startswith("nesting"):
        payload = b"<div>" * 100_000 + b"</div>" * 100_000
    else:
        text = _first_text(document)
        payload = text * (12_000_000 // len(text) + 1)
    target = tmp_path / "limits-enwiki-pages-articles.xml"
    target.write_bytes(_inside_first_text(document, payload))
    outcome = read_in_subprocess(target)
    assert outcome["error"] is None, outcome
    assert outcome["recorded"] == ["xml_error"], outcome
    assert_harmless(outcome)


# --------------------------------------------------------------------------------------------
# DOCTYPE inside compressed and transcoded real dumps


def _utf16(data: bytes) -> bytes:
    return codecs.BOM_UTF16_LE + data.decode("utf-8").encode("utf-16-le")


WRAPPERS: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "bz2": (".xml.bz2", bz2.compress),
    "gzip": (".xml.gz", gzip.compress),
    "xz": (".xml.xz", lzma.compress),
    "zstd": (".xml.zst", zstandard.ZstdCompressor().compress),
    "utf16": (".xml", _utf16),
}


@pytest.mark.parametrize("wrapper", list(WRAPPERS))
def test_doctype_in_a_compressed_or_transcoded_real_dump_is_refused(
    tmp_path: Path, quiet_canary: Canary, wrapper: str
) -> None:
    """The container or encoding changes nothing: the DOCTYPE is refused and the file is named."""
    host = real_file("sample-enwiki-pages-articles.xml").read_bytes()
    suffix, wrap = WRAPPERS[wrapper]
    target = tmp_path / f"hostile-enwiki-pages-articles{suffix}"
    target.write_bytes(wrap(attacks(quiet_canary, host)["parameter_entity"]))
    with pytest.raises(UnsafeXMLError) as caught:
        list(open_dump(target).pages())
    assert caught.value.kind == "doctype_refused"
    assert caught.value.location.file == target.name
    assert target.name in str(caught.value)


def test_bz2_wrapped_billion_laughs_is_refused_fast_and_small(
    tmp_path: Path, quiet_canary: Canary
) -> None:
    """A bz2-compressed real dump with a billion-laughs DOCTYPE: refused in < 1 CPU-s, < 100 MB."""
    host = real_file("sample-enwiki-pages-articles.xml").read_bytes()
    target = tmp_path / "laughs-enwiki-pages-articles.xml.bz2"
    target.write_bytes(bz2.compress(attacks(quiet_canary, host)["billion_laughs"]))
    outcome = read_in_subprocess(target)
    assert (outcome["error"], outcome["kind"]) == ("UnsafeXMLError", "doctype_refused"), outcome
    assert target.name in outcome["message"]
    assert_harmless(outcome)


def _real_multistream() -> tuple[list[bytes], list[str]]:
    """The real multistream sample as its decompressed streams, and its index lines."""
    data = real_file("sample-enwiki-pages-articles-multistream.xml.bz2").read_bytes()
    streams: list[bytes] = []
    while data:
        decompressor = bz2.BZ2Decompressor()
        streams.append(decompressor.decompress(data))
        assert decompressor.eof
        data = decompressor.unused_data
    index = real_file("sample-enwiki-pages-articles-multistream-index.txt.bz2").read_bytes()
    return streams, bz2.decompress(index).decode("utf-8").splitlines()


def _write_multistream(
    tmp_path: Path, streams: list[bytes], lines: list[str], shift: int
) -> tuple[Path, Path]:
    dump = tmp_path / "hostile-enwiki-pages-articles-multistream.xml.bz2"
    dump.write_bytes(b"".join(bz2.compress(stream) for stream in streams))
    index = tmp_path / "hostile-enwiki-pages-articles-multistream-index.txt"
    shifted = []
    for line in lines:
        offset, rest = line.split(":", 1)
        shifted.append(f"{int(offset) + shift}:{rest}\n")
    index.write_text("".join(shifted), encoding="utf-8")
    return dump, index


def test_doctype_in_the_header_stream_of_a_multistream_dump_is_refused_on_open(
    tmp_path: Path, quiet_canary: Canary
) -> None:
    """A DOCTYPE in stream 1 (the one with <siteinfo>) is refused by open_dump itself."""
    streams, lines = _real_multistream()
    doctype = f'<!DOCTYPE mediawiki [<!ENTITY % pe SYSTEM "{quiet_canary.url("pe.dtd")}"> %pe;]>\n'
    hostile = [doctype.encode() + streams[0], *streams[1:]]
    shift = len(bz2.compress(hostile[0])) - len(bz2.compress(streams[0]))
    dump, index = _write_multistream(tmp_path, hostile, lines, shift)
    with pytest.raises(UnsafeXMLError) as caught:
        open_dump(dump, index=index)
    assert caught.value.kind == "doctype_refused"
    assert dump.name in str(caught.value)


def test_doctype_at_the_start_of_a_page_stream_is_refused_and_located(
    tmp_path: Path, quiet_canary: Canary
) -> None:
    """A DOCTYPE opening a page stream is refused; under skip it is recorded with its stream."""
    streams, lines = _real_multistream()
    doctype = f'<!DOCTYPE mediawiki SYSTEM "{quiet_canary.url("ext.dtd")}">\n'.encode()
    hostile = [streams[0], doctype + streams[1], *streams[2:]]
    dump, index = _write_multistream(tmp_path, hostile, lines, 0)
    with pytest.raises(UnsafeXMLError) as caught:
        list(open_dump(dump, index=index).pages())
    assert caught.value.kind == "doctype_refused"
    assert dump.name in str(caught.value)
    errors: list[DumpError] = []
    assert list(open_dump(dump, index=index).pages(on_error="skip", errors=errors)) == []
    assert [(type(e), e.kind) for e in errors] == [(UnsafeXMLError, "doctype_refused")]


def test_doctype_refused_in_a_page_stream_names_the_stream(
    tmp_path: Path, quiet_canary: Canary
) -> None:
    """The refusal of a DOCTYPE found in a page stream says which stream it was."""
    streams, lines = _real_multistream()
    doctype = f'<!DOCTYPE mediawiki SYSTEM "{quiet_canary.url("ext.dtd")}">\n'.encode()
    dump, index = _write_multistream(
        tmp_path, [streams[0], doctype + streams[1], *streams[2:]], lines, 0
    )
    stream_offset = int(lines[0].split(":", 1)[0])
    with pytest.raises(UnsafeXMLError) as caught:
        list(open_dump(dump, index=index).pages())
    assert caught.value.location.stream == stream_offset
    assert f"stream at byte {stream_offset}" in str(caught.value)


def test_a_utf7_doctype_in_the_prolog_is_refused(tmp_path: Path, quiet_canary: Canary) -> None:
    """A DOCTYPE whose "<" is UTF-7 encoded (+ADw-) is refused, not handed to libxml2."""
    host = real_file("article-pyrus.xml").read_bytes()
    target = tmp_path / "utf7-enwiki.xml"
    target.write_bytes(bypasses(quiet_canary, host)["utf7_doctype_in_the_prolog"])
    with pytest.raises((UnsafeXMLError, UnsupportedDumpError)) as caught:
        list(open_dump(target, project="enwiki").pages())
    assert target.name in str(caught.value)


# --------------------------------------------------------------------------------------------
# Ways around the prolog check (found while writing these tests)


def bypasses(canary: Canary, host: bytes) -> dict[str, bytes]:
    """DOCTYPEs the byte-level prolog check does not see, each around the real ``host``."""
    xxe = b'<!DOCTYPE mediawiki [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>'
    pe = f'<!DOCTYPE mediawiki [<!ENTITY % pe SYSTEM "{canary.url("pe.dtd")}"> %pe;]>'.encode()
    laughs, laughs_ref = billion_laughs()
    utf7_doctype = b'+ADw-!DOCTYPE mediawiki [+ADw-!ENTITY xxe SYSTEM "file:///etc/hostname">]>'
    # In UTF-7 a whole "--><!DOCTYPE ...><!--" fits in one base64 run: bytes that look like
    # the inside of a comment to a byte-level check, and close it, declare, reopen it for libxml2.
    smuggled = "--><!DOCTYPE mediawiki [<!ENTITY xxe SYSTEM 'file:///etc/hostname'>]><!--"
    run = base64.b64encode(smuggled.encode("utf-16-be")).rstrip(b"=")
    return {
        "comment_with_a_tag_then_xxe": with_doctype(
            host, xxe, b"&xxe;", prolog=b"<!-- <mediawiki> -->\n"
        ),
        "comment_with_a_tag_then_parameter_entity": with_doctype(
            host, pe, b"&leak;", prolog=b"<!-- <mediawiki> -->\n"
        ),
        "comment_with_a_tag_then_billion_laughs": with_doctype(
            host, laughs, laughs_ref, prolog=b"<!-- <mediawiki> -->\n"
        ),
        "processing_instruction_with_a_tag_then_xxe": with_doctype(
            host, xxe, b"&xxe;", prolog=b"<?wikipact <mediawiki ?>\n"
        ),
        "utf7_doctype_smuggled_in_a_comment": _utf7(host, b"<!-- +" + run + b"- -->"),
        "utf7_doctype_in_the_prolog": _utf7(host, utf7_doctype),
    }


def _utf7(host: bytes, prolog: bytes) -> bytes:
    """``host`` re-encoded as UTF-7 (declared), after ``prolog``, with &xxe; in its first text."""
    _, root = split_root(host)
    body = inject_into_text(root, MARKER.encode() + b"&xxe;").decode("utf-8").encode("utf-7")
    return b'<?xml version="1.0" encoding="UTF-7"?>\n' + prolog + b"\n" + body


BYPASSES = [
    "comment_with_a_tag_then_xxe",
    "comment_with_a_tag_then_parameter_entity",
    "comment_with_a_tag_then_billion_laughs",
    "processing_instruction_with_a_tag_then_xxe",
    "utf7_doctype_smuggled_in_a_comment",
]


@pytest.mark.parametrize("bypass", BYPASSES)
def test_doctype_hidden_from_the_prolog_check_is_still_refused(
    tmp_path: Path, quiet_canary: Canary, bypass: str
) -> None:
    """A DOCTYPE after a comment or PI that contains a tag, or in UTF-7, must still be refused.

    UTF-7 is refused before any markup is looked at: MediaWiki writes UTF-8 only.
    """
    host = real_file("article-pyrus.xml").read_bytes()
    target = tmp_path / f"{bypass}-enwiki.xml"
    target.write_bytes(bypasses(quiet_canary, host)[bypass])
    expected = (
        (UnsupportedDumpError, "unsupported_encoding")
        if bypass.startswith("utf7")
        else (UnsafeXMLError, "doctype_refused")
    )
    with pytest.raises(expected[0]) as caught:
        list(open_dump(target, project="enwiki").pages())
    assert caught.value.kind == expected[1]


@pytest.mark.parametrize("bypass", [*BYPASSES, "utf7_doctype_in_the_prolog"])
@pytest.mark.parametrize("host_name", ["article-pyrus.xml", "sample-enwiki-pages-articles.xml"])
def test_hidden_doctype_is_still_harmless(
    tmp_path: Path, quiet_canary: Canary, bypass: str, host_name: str
) -> None:
    """Second line of defence: even unrefused, no fetch, no file read, no expansion, < 1 CPU-s."""
    host = real_file(host_name).read_bytes()
    target = tmp_path / f"{bypass}-{host_name}"
    target.write_bytes(bypasses(quiet_canary, host)[bypass])
    outcome = read_in_subprocess(target, project="enwiki")
    refusals = ("UnsafeXMLError", "UnsupportedDumpError", "DamagedDumpError")
    assert outcome["error"] is None or outcome["error"] in refusals, outcome
    assert_harmless(outcome)
