"""Stream <page> elements out of MediaWiki export XML (schema 0.3 to 0.11), safely.

The parser is lxml's pull parser, fed chunk by chunk, so memory stays flat however large the dump
is and the reader always knows how far it got. Safety rules, all enforced before libxml2 sees a
byte of markup:

* a DOCTYPE or ENTITY declaration anywhere in the prolog is refused (MediaWiki never writes one),
  so entity expansion, external entities and DTD fetching cannot happen;
* the parser is built with ``resolve_entities=False, no_network=True, load_dtd=False`` anyway, and
  lxml must be 6.1 or newer (older ``iterparse`` resolved external entities);
* libxml2's default limits stay on (no ``huge_tree``): a single text node over 10 MB is an error.

Bare ``<page>`` fragments without a ``<mediawiki>`` root (cut from a dump by hand, or one stream of
a multistream dump) are wrapped in a synthetic root. A document that ends inside a page raises
``DamagedDumpError`` after every complete page before it has been yielded.

Completeness is checked here, not left to the XML library: ``EndTags`` counts the ``</page>`` and
``</siteinfo>`` end tags in the bytes actually fed, and a page (or site info) is yielded only when
its end tag is among them. When the input ends early, libxml2 may raise, or (lxml 6.2 and newer)
also report the open elements as ended with whatever they held so far; either way a page whose
``</page>`` never arrived is damage (``xml_truncated``), never a page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import ClassVar

from lxml import etree

from wikipact.errors import (
    DamagedDumpError,
    DumpError,
    DumpLocation,
    PageError,
    UnsafeXMLError,
    UnsupportedDumpError,
)
from wikipact.model.raw import Contributor, Namespace, RawPage, RawRevision, SiteInfo, SourceRef

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_PROLOG_LIMIT = 1 << 16  # bytes allowed before the first element
_FIRST_TAG = re.compile(rb"<([A-Za-z_][\w.\-]*(?::[\w.\-]+)?)")
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*\?>")


class EndTags:
    """Counts the ``</page>`` and ``</siteinfo>`` end tags in a byte stream fed chunk by chunk.

    Only markup counts: ``<`` in text and attribute values is always escaped, and comments and
    CDATA sections (which MediaWiki never writes, but a hand-made file might) are skipped, so a
    ``</page>`` inside them is not taken for the end of a page. A tag split between two chunks is
    counted once, when its ``>`` arrives.
    """

    _TOKEN = re.compile(
        rb"<!--|<!\[CDATA\[|<\?|</(?:[A-Za-z_][\w.\-]*:)?(page|siteinfo)[ \t\r\n]*>"
    )
    _CLOSERS: ClassVar[dict[bytes, bytes]] = {b"<!--": b"-->", b"<![CDATA[": b"]]>", b"<?": b"?>"}
    _CARRY_LIMIT = 4096  # a longer unfinished tag can only be under-counted: reported as damage

    def __init__(self) -> None:
        self.pages = 0
        self.siteinfo = 0
        self._carry = b""
        self._closer: bytes | None = None  # inside a comment or CDATA section: what ends it

    def feed(self, chunk: bytes) -> None:
        data = self._carry + chunk if self._carry else chunk
        pos = 0
        while True:
            if self._closer is not None:
                end = data.find(self._closer, pos)
                if end < 0:
                    self._carry = data[max(pos, len(data) - len(self._closer) + 1) :]
                    return
                pos = end + len(self._closer)
                self._closer = None
            match = self._TOKEN.search(data, pos)
            if match is None:
                break
            pos = match.end()
            name = match.group(1)
            if name is None:
                self._closer = self._CLOSERS[match.group(0)]
            elif name == b"page":
                self.pages += 1
            else:
                self.siteinfo += 1
        # keep a markup construct that may go on in the next chunk: a '<' with no '>' after it
        last = data.rfind(b"<", pos)
        self._carry = data[last:] if last >= 0 and data.find(b">", last) < 0 else b""
        if len(self._carry) > self._CARRY_LIMIT:
            self._carry = self._carry[-self._CARRY_LIMIT :]


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


@dataclass
class Header:
    """What the document prolog and root element say before the first page."""

    fragment: bool  # True when the document is bare <page> elements without a root


_ALLOWED_ENCODINGS = {"utf-8", "utf8", "us-ascii", "ascii"}
_DECLARED = re.compile(rb"""encoding\s*=\s*["']([^"']*)["']""")
_NOT_MEDIAWIKI_HINT = "Pass a MediaWiki XML export (pages-articles, pages-meta-current ...)."


def _check_prolog(buffer: bytes, location: DumpLocation) -> Header | None:
    """Walk the prolog token by token; ``None`` if more bytes are needed to decide.

    Only whitespace, the XML declaration, processing instructions and comments may come before
    the first element. Any other ``<!`` construct (DOCTYPE, ENTITY ...) is refused, wherever a
    comment or instruction tries to hide it, and so is any declared encoding other than UTF-8
    (the reader has already turned UTF-16 into UTF-8; MediaWiki writes nothing else).
    """
    pos = 0
    size = len(buffer)
    while True:
        while pos < size and buffer[pos] in b" \t\r\n":
            pos += 1
        if pos >= size:
            return _need_more(size, location)
        if buffer.startswith(b"<?", pos):
            end = buffer.find(b"?>", pos + 2)
            if end < 0:
                return _need_more(size, location)
            _check_declaration(buffer[pos : end + 2], location)
            pos = end + 2
        elif buffer.startswith(b"<!--", pos):
            end = buffer.find(b"-->", pos + 4)
            if end < 0:
                return _need_more(size, location)
            pos = end + 3
        elif size - pos < 4 and b"<!--".startswith(buffer[pos:]):
            return _need_more(size, location)
        elif buffer.startswith(b"<!", pos):
            raise UnsafeXMLError(
                "doctype_refused",
                "the document declares a DOCTYPE or entities; MediaWiki exports never do, and "
                "wikipact refuses them rather than risk entity expansion or external fetches",
                _at(location, pos),
                hint="If this really is a MediaWiki dump, remove the DOCTYPE line.",
            )
        elif buffer.startswith(b"<", pos):
            if size - pos < 2:
                return _need_more(size, location)
            match = _FIRST_TAG.match(buffer, pos)
            if match is None:
                break
            if match.end() >= size:  # the name may go on in the next chunk
                return _need_more(size, location)
            tag = match.group(1).decode("ascii", "replace").rpartition(":")[2]
            if tag == "mediawiki":
                return Header(fragment=False)
            if tag in ("page", "siteinfo"):
                return Header(fragment=True)
            raise UnsupportedDumpError(
                "not_mediawiki_xml",
                f"the first element is <{tag}>, expected <mediawiki> or <page>",
                _at(location, pos),
                hint=_NOT_MEDIAWIKI_HINT,
            )
        else:
            break
    raise UnsupportedDumpError(
        "not_mediawiki_xml",
        "the file does not start like XML (text before the first element)",
        _at(location, pos),
        hint=_NOT_MEDIAWIKI_HINT,
    )


def _need_more(size: int, location: DumpLocation) -> None:
    if size > _PROLOG_LIMIT:
        raise UnsupportedDumpError(
            "not_mediawiki_xml",
            f"no XML element in the first {_PROLOG_LIMIT} bytes",
            location,
            hint=_NOT_MEDIAWIKI_HINT,
        )
    return None


def _check_declaration(instruction: bytes, location: DumpLocation) -> None:
    if not instruction.startswith(b"<?xml"):
        return
    match = _DECLARED.search(instruction)
    if match and match.group(1).decode("ascii", "replace").lower() not in _ALLOWED_ENCODINGS:
        raise UnsupportedDumpError(
            "unsupported_encoding",
            f"the XML declares encoding {match.group(1).decode('ascii', 'replace')!r}; "
            "MediaWiki dumps are UTF-8 (UTF-16 files are converted)",
            location,
            hint="Convert the file to UTF-8 first (e.g. with iconv).",
        )


def _at(location: DumpLocation, offset: int) -> DumpLocation:
    return DumpLocation(
        file=location.file,
        compressed_offset=location.compressed_offset,
        stream=location.stream,
        xml_offset=offset,
        last_good_page=location.last_good_page,
    )


def _new_parser() -> etree.XMLPullParser:
    return etree.XMLPullParser(
        events=("end",),
        tag=("{*}page", "{*}siteinfo"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        remove_blank_text=False,
        huge_tree=False,
    )


def parse_siteinfo(element: etree._Element, root_attrs: dict[str, str]) -> dict[str, object]:
    """Fields of <siteinfo> (and the root's language/version) as plain values."""
    out: dict[str, object] = {}
    namespaces: list[Namespace] = []
    for child in element:
        tag = _local(child.tag)
        if tag == "namespaces":
            for ns in child:
                if _local(ns.tag) != "namespace":
                    continue
                key = _int(ns.get("key"))
                if key is None:
                    continue
                namespaces.append(
                    Namespace(key=key, name=(ns.text or "").strip(), case=ns.get("case"))
                )
        elif tag in ("sitename", "dbname", "base", "generator", "case"):
            out[tag] = (child.text or "").strip()
    out["namespaces"] = tuple(namespaces)
    if root_attrs.get("lang"):
        out["language"] = root_attrs["lang"]
    if root_attrs.get("version"):
        out["export_version"] = root_attrs["version"]
    return out


class PageBuilder:
    """Turns a <page> element into a ``RawPage``; knows every export schema's quirks."""

    def __init__(self, site: SiteInfo | None, source: SourceRef | None) -> None:
        self.site = site
        self.source = source

    def build(self, element: etree._Element, location: Callable[[], DumpLocation]) -> RawPage:
        title = None
        ns: int | None = None
        page_id: int | None = None
        redirect: str | None = None
        has_redirect_flag = False
        revisions: list[RawRevision] = []
        for child in element:
            tag = _local(child.tag)
            if tag == "title":
                title = child.text or ""
            elif tag == "ns":
                ns = _int(child.text)
            elif tag == "id":
                page_id = _int(child.text)
            elif tag == "redirect":
                has_redirect_flag = True
                redirect = child.get("title") or None
            elif tag == "revision":
                revisions.append(self._revision(child, title, location))
        if title is None or page_id is None:
            missing = "title" if title is None else "id"
            raise PageError(
                f"page_missing_{missing}",
                f"a <page> has no <{missing}>",
                location(),
            )
        if not revisions:
            raise PageError(
                "page_missing_revision",
                f"page {title!r} (id {page_id}) has no <revision>",
                location(),
            )
        if ns is None:  # export 0.3-0.5 have no <ns>: derive it from the title prefix
            ns = self.site.namespace_of_title(title) if self.site else 0
        if has_redirect_flag and redirect is None:
            redirect = redirect_target_of(max(revisions, key=lambda r: r.identifier).text)
        return RawPage(
            title=title,
            namespace=ns,
            identifier=page_id,
            revisions=tuple(revisions),
            redirect_title=redirect,
            source=self.source,
        )

    def _revision(
        self, element: etree._Element, title: str | None, location: Callable[[], DumpLocation]
    ) -> RawRevision:
        fields: dict[str, object] = {}
        text: str | None = None
        text_deleted = False
        for child in element:
            tag = _local(child.tag)
            if tag == "text":
                if child.get("deleted") is not None:
                    text_deleted = True
                    text = ""
                else:
                    text = child.text or ""
            elif tag == "id":
                fields["identifier"] = _int(child.text)
            elif tag == "parentid":
                fields["parent_identifier"] = _int(child.text)
            elif tag == "timestamp":
                fields["timestamp"] = (child.text or "").strip()
            elif tag == "contributor":
                fields["contributor"] = _contributor(child)
            elif tag == "minor":
                fields["minor"] = True
            elif tag == "comment":
                if child.get("deleted") is None:
                    fields["comment"] = child.text or ""
            elif tag in ("model", "format", "sha1"):
                fields[tag] = (child.text or "").strip() or None
        if text is None:
            raise PageError(
                "page_missing_text",
                f"a revision of page {title!r} has no <text> element",
                location(),
                hint="The page is skipped; the pages around it are kept.",
            )
        if fields.get("identifier") is None:
            raise PageError(
                "revision_missing_id", f"a revision of page {title!r} has no <id>", location()
            )
        return RawRevision(
            text=text,
            text_deleted=text_deleted,
            timestamp=str(fields.pop("timestamp", "")),
            **fields,  # type: ignore[arg-type]
        )


def _contributor(element: etree._Element) -> Contributor:
    if element.get("deleted") is not None:
        return Contributor(deleted=True)
    values = {_local(c.tag): (c.text or "").strip() for c in element}
    return Contributor(
        identifier=_int(values.get("id")),
        name=values.get("username") or None,
        ip=values.get("ip") or None,
    )


def _int(text: str | None) -> int | None:
    """An integer field, or ``None`` when it is absent or not a plain decimal number."""
    if text is None:
        return None
    text = text.strip()
    if not text.isascii():
        return None
    try:
        return int(text)
    except ValueError:
        return None


# "#" or, as jawiki's ＃転送, a full-width "＃": every Wikipedia's redirect words have this form
# (tests/wikitext/test_site_tables.py checks them all, from wikitext/sites.py's tables)
_REDIRECT = re.compile(r"^\s*[#＃][^\s\[]+\s*:?\s*\[\[([^\]|#]*)", re.UNICODE)


def redirect_target_of(wikitext: str) -> str | None:
    """Target of ``#REDIRECT [[Target]]`` (any localised magic word: ``#WEITERLEITUNG``,
    ``#đổi``, ``＃転送``), for old exports."""
    match = _REDIRECT.match(wikitext[:512])
    return match.group(1).strip().replace("_", " ") or None if match else None


class PageStream:
    """Incremental parser: feed UTF-8 chunks, get site info and pages as they complete.

    ``on_error="stop"`` raises the first error (after every complete page before it was
    yielded); ``"skip"`` records page-level errors in ``errors`` and goes on. Damage to the XML
    itself always ends the document: nothing after it can be trusted.

    ``offset`` is for a stream fed one range of a larger document (a plain dump read by ranges):
    the document's byte offset of the first byte fed, so that errors give XML offsets in the
    whole document, as a front-to-back read would, rather than in the range.
    """

    def __init__(
        self,
        *,
        name: str,
        site: SiteInfo | None = None,
        source: SourceRef | None = None,
        on_error: str = "stop",
        location_hint: Callable[[], DumpLocation] | None = None,
        offset: int | None = None,
    ) -> None:
        self.name = name
        self.site = site
        self.on_error = on_error
        self.errors: list[DumpError] = []
        self.siteinfo_fields: dict[str, object] | None = None
        self.root_attrs: dict[str, str] = {}
        self.header: Header | None = None
        self.pages_read = 0
        self.last_good: str | None = None
        self._builder = PageBuilder(site, source)
        self._parser = _new_parser()
        self._prolog = b""
        self._fed = 0
        self._added = 0  # bytes fed that are not the input's: the synthetic root of a fragment
        self._offset = offset
        self._lines = 1
        self.error_line: int | None = None
        self._location_hint = location_hint
        self._end_tags = EndTags()  # what the input really closed (see the module docstring)
        self._pages_ended = 0  # pages the parser reported ended, whole or not
        self._siteinfo_ended = 0
        self._ended = False  # close() was called: the input is over

    def location(self) -> DumpLocation:
        base = self._location_hint() if self._location_hint else DumpLocation(file=self.name)
        return DumpLocation(
            file=base.file,
            compressed_offset=base.compressed_offset,
            stream=base.stream,
            xml_offset=self._xml_offset(),
            last_good_page=self.last_good,
        )

    def _xml_offset(self) -> int:
        """Bytes fed so far; for a range of a document, the document's offset reached."""
        if self._offset is None:
            return self._fed
        return self._offset + self._fed - self._added

    def set_site(self, site: SiteInfo) -> None:
        self.site = site
        self._builder.site = site

    def feed(self, chunk: bytes) -> Iterator[RawPage]:
        if self.header is None:
            self._prolog += chunk
            header = _check_prolog(self._prolog, self.location())
            if header is None:
                return
            self.header = header
            chunk, self._prolog = self._prolog, b""
            if header.fragment:
                wrapped = b"<mediawiki>" + _XML_DECL.sub(b"", chunk, count=1)
                self._added = len(wrapped) - len(chunk)
                chunk = wrapped
        self._end_tags.feed(chunk)
        try:
            self._parser.feed(chunk)
        except etree.XMLSyntaxError as exc:
            self._fed += len(chunk)
            self._lines += chunk.count(b"\n")
            self.error_line = exc.position[0] if exc.position else None
            yield from self._drain()
            raise self._xml_error(exc) from None
        self._fed += len(chunk)
        self._lines += chunk.count(b"\n")
        yield from self._drain()

    def truncated_instead(self, error: DumpError) -> DumpError:
        """Call when the input has ended: an XML error on its very last line is a cut, not junk."""
        if error.kind != "xml_error" or self.error_line is None:
            return error
        if self.error_line < self._lines + (1 if self.header and self.header.fragment else 0):
            return error
        return DamagedDumpError(
            "xml_truncated",
            f"the XML ends in the middle of the document (the dump was cut short): {error.detail}",
            error.location,
            hint="Every complete page before the cut was read.",
        )

    def close(self, *, ends_document: bool | None = None) -> Iterator[RawPage]:
        """The input has ended: finish the document and yield its last pages.

        A whole document (``ends_document=None``) needs its root closed only when it is a bare
        fragment, whose root was made up here. A range cut from a larger document is told
        whether the document ends with it: if not (``False``), its open root, real or made up,
        is closed for it; if so (``True``), it must close the root itself, so that a dump
        missing its ``</mediawiki>`` is reported as cut short whether read whole or by ranges.
        """
        if self.header is None:
            if not self._prolog.strip():
                raise UnsupportedDumpError(
                    "empty_dump", "the file holds no XML at all", DumpLocation(file=self.name)
                )
            raise UnsupportedDumpError(
                "not_mediawiki_xml",
                "the file holds no XML element",
                DumpLocation(file=self.name),
                hint="Pass a MediaWiki XML export (pages-articles, pages-meta-current ...).",
            )
        closes_root = self.header.fragment if ends_document is None else not ends_document
        # an element ended now without its end tag is a cut, unless the document goes on after
        self._ended = ends_document is not False
        try:
            if closes_root:
                self._parser.feed(b"</mediawiki>")
            self._parser.close()
        except etree.XMLSyntaxError as exc:
            yield from self._drain()
            if ends_document is False:  # the document goes on: this is damage, not a cut
                raise DamagedDumpError(
                    "xml_error",
                    "malformed XML: an element is still open where this part of the dump ends "
                    f"(at the next <page>); libxml2 says: {exc}",
                    self.location(),
                    hint="Every complete page before this point was read.",
                ) from None
            # Everything was fed and parsed as far as it went: what fails now is the end.
            raise DamagedDumpError(
                "xml_truncated",
                "the XML ends in the middle of the document (the dump was cut short); "
                f"libxml2 says: {exc}",
                self.location(),
                hint="Every complete page before the cut was read.",
            ) from None
        yield from self._drain()

    def _xml_error(self, exc: etree.XMLSyntaxError) -> DamagedDumpError:
        return DamagedDumpError(
            "xml_error",
            f"malformed XML: {exc}",
            self.location(),
            hint="Every complete page before this point was read.",
        )

    def _drain(self) -> Iterator[RawPage]:
        for _event, element in self._parser.read_events():
            tag = _local(element.tag)
            parent = element.getparent()
            if parent is not None and not self.root_attrs:
                self.root_attrs = {
                    "lang": parent.get(XML_LANG) or "",
                    "version": parent.get("version") or "",
                }
            if tag == "siteinfo":
                self._siteinfo_ended += 1
                if self._siteinfo_ended > self._end_tags.siteinfo:
                    raise self._unfinished(element, "<siteinfo>")
                self.siteinfo_fields = parse_siteinfo(element, self.root_attrs)
                _release(element)
                continue
            self._pages_ended += 1
            if self._pages_ended > self._end_tags.pages:
                raise self._unfinished(element, "page")
            try:
                page = self._builder.build(element, self.location)
            except PageError as exc:
                _release(element)
                if self.on_error == "stop":
                    raise
                self.errors.append(exc)
                continue
            _release(element)
            self.pages_read += 1
            self.last_good = page.label
            yield page

    def _unfinished(self, element: etree._Element, what: str) -> DamagedDumpError:
        """The parser ended an element whose end tag was never read: the input stopped in it."""
        title = element.findtext("{*}title") if what == "page" else None
        name = f"page {title!r}" if title is not None else what
        if self._ended:
            kind = "xml_truncated"
            detail = f"the XML ends inside {name}, before its closing tag (the dump was cut short)"
        else:
            kind = "xml_error"
            detail = f"malformed XML: {name} is not closed where this part of the dump ends"
        error = DamagedDumpError(
            kind,
            f"{detail}; the part of it that was read is not kept",
            self.location(),
            hint="Every complete page before this point was read.",
        )
        _release(element)
        return error


def _release(element: etree._Element) -> None:
    """Free a finished element and everything before it, keeping memory flat."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]
