"""The partner's article explorer: grounding search (``/portal/articles``) and one article as
wikipact delivers it (``/portal/articles/{project}/{title}``), with every claim highlighted in
its text and linked to the references that back it.

Both pages deliver content, so they are metered exactly as the API's routes they mirror, with
the same functions: the search as ``GET /v2/search`` (channel ``search``,
``api.search.entitled_passages``), the article as ``GET /v2/articles/{name}`` (channel
``on-demand``, ``api.content.entitled_articles``: the very record the API returns). A project
the partner is not entitled to is "not found", with the same message as a missing title.

How claims are placed. A claim (``claims[]``) is a sentence of the record's ``text`` with its
character offsets (``text[start:end] == claim.text``). The ``sections`` tree holds the same
text as paragraphs and list items, in document order, each a verbatim slice of ``text``
(``wikitext.layout``): so each unit is found in ``text`` in order, and the claims inside its
span are cut out of it. The rest of the unit is split into sentences by the parser's own
splitter (``wikitext.sentences.split_sentences``, in the article's language): a sentence no
claim covers is one no reference backs (``.uncited``), so their number is the record's
``signals.sentences_without_citation``. Text is never marked safe: the page is built here as
lists of segments that the (autoescaped) template renders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from wikipact.api.content import ArticleQuery, entitled_articles
from wikipact.api.context import Meter, services
from wikipact.api.query import FilterItem
from wikipact.api.search import entitled_passages
from wikipact.enterprise.shapes import citation_marks
from wikipact.errors import ForbiddenError, LimitExceeded, NotFoundError, StoreError
from wikipact.portal.guard import PartnerSession
from wikipact.portal.render import render
from wikipact.portal.session import Session
from wikipact.search.records import Passage
from wikipact.wikitext.sentences import split_sentences

router = APIRouter(prefix="/portal")

MAX_QUERY = 2000  # as GET /v2/search
MAX_TITLE = 512  # as GET /v2/articles/{name}
RESULTS = 10
SNIPPET_OPEN, SNIPPET_CLOSE = "«", "»"  # how the search index marks matches in a snippet


# -- the article's text as segments ------------------------------------------------------------


@dataclass(frozen=True)
class Cite:
    """A link from a claim to a reference: its place in ``references`` (1-based: the page's
    ``#ref-<number>``) and its footnote mark as a reader sees it (``[3]``, ``[note 1]``)."""

    number: int
    mark: str
    identifier: str


@dataclass(frozen=True)
class Segment:
    """A run of an article's text: ``plain``, a ``claim`` (``number`` is its place in
    ``claims``, 1-based: ``#claim-<number>``; ``cites`` its references) or an ``uncited``
    sentence."""

    kind: str
    text: str
    number: int = 0
    cites: tuple[Cite, ...] = ()


@dataclass
class Block:
    """A paragraph (``items`` holds its one run of segments) or a list (one per item)."""

    kind: str  # paragraph | list
    items: list[list[Segment]]


@dataclass
class SectionView:
    """A section of the article in document order, its heading level on the page (h2 for the
    lead and top-level sections), its blocks and the tables the record places in it."""

    name: str
    anchor: str
    level: int
    blocks: list[Block] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)
    empty: bool = False  # nothing in it nor in its subsections: its heading is left out


@dataclass
class _Claims:
    """The record's claims, and which of them the page has placed."""

    claims: list[dict[str, Any]]
    cites: dict[str, Cite]
    placed: set[int] = field(default_factory=set)

    def segment(self, index: int) -> Segment:
        claim = self.claims[index]
        cites = tuple(self.cites[c] for c in claim.get("citations", ()) if c in self.cites)
        self.placed.add(index)
        return Segment("claim", claim["text"], index + 1, cites)


def _sentences(text: str, start: int, end: int, sentences: list[tuple[int, int]]) -> list[Segment]:
    """``text[start:end]`` (no claim in it) as plain runs and the sentences no reference backs
    (``sentences``: the spans of ``text``'s sentences, as the parser splits them)."""
    out: list[Segment] = []
    position = start
    for s, e in sentences:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        if e <= s or not text[s:e].strip():
            continue
        if s > position:
            out.append(Segment("plain", text[position:s]))
        out.append(Segment("uncited", text[s:e]))
        position = e
    if position < end:
        out.append(Segment("plain", text[position:end]))
    return out


def unit_segments(
    value: str, offset: int | None, section: str, full: str, found: _Claims, language: str
) -> list[Segment]:
    """One paragraph or list item (``value``, at ``offset`` in the record's ``text``, or None
    when it was not found there) as segments: its claims, its uncited sentences, the rest."""
    spans: list[tuple[int, int, int]] = []  # (start, end) in value, claim index
    for index, claim in enumerate(found.claims):
        if index in found.placed:
            continue
        start, end = claim.get("start", -1), claim.get("end", -1)
        if (
            offset is not None
            and offset <= start <= end <= offset + len(value)
            and full[start:end] == claim["text"]
        ):
            spans.append((start - offset, end - offset, index))
            continue
        if offset is None and claim.get("section") == section:  # offsets unusable: by text
            at = value.find(claim["text"])
            if at >= 0 and claim["text"]:
                spans.append((at, at + len(claim["text"]), index))
    sentences = split_sentences(value, language)
    segments: list[Segment] = []
    position = 0
    for start, end, index in sorted(spans):
        if start < position:  # overlapping (never produced by the parser): leave it out
            continue
        segments += _sentences(value, position, start, sentences)
        segments.append(found.segment(index))
        position = end
    segments += _sentences(value, position, len(value), sentences)
    return segments


def _locate(full: str, value: str, cursor: int) -> int | None:
    """Where ``value`` starts in ``text`` at or after ``cursor`` on a line of its own (every
    block and list item starts a line); None when it is not there."""
    at = full.find(value, cursor)
    while at > 0 and full[at - 1] != "\n":
        at = full.find(value, at + 1)
    return at if at >= 0 else None


def article_sections(record: dict[str, Any], found: _Claims) -> list[SectionView]:
    """The record's ``sections`` tree, flattened in document order, as segments."""
    full = record.get("text") or ""
    language = (record.get("in_language") or {}).get("identifier") or "en"
    views: list[SectionView] = []
    cursor = 0

    def unit(value: str, section: str) -> list[Segment]:
        nonlocal cursor
        at = _locate(full, value, cursor) if value else None
        if at is not None:
            cursor = at + len(value)
        return unit_segments(value, at, section, full, found, language)

    def walk(part: dict[str, Any], depth: int) -> None:
        name = part.get("name") or ""
        view = SectionView(name, f"s-{len(views) + 1}", min(2 + depth, 6))
        views.append(view)
        children = []
        for child in part.get("has_parts") or ():
            kind = child.get("type")
            if kind == "section":
                children.append(child)
            elif kind == "paragraph":
                view.blocks.append(Block("paragraph", [unit(child.get("value") or "", name)]))
            elif kind == "list":
                items = [
                    unit(item.get("value") or "", name)
                    for item in child.get("has_parts") or ()
                    if item.get("type") == "list_item"
                ]
                view.blocks.append(Block("list", items))
        for child in children:
            walk(child, depth + 1)

    for top in record.get("sections") or ():
        walk(top, 0)
    return views


# -- the rest of the record ------------------------------------------------------------------

LINKABLE = ("http://", "https://")

REFERENCE_FIELDS = (
    ("title", "Title"),
    ("authors", "Authors"),
    ("work", "Work"),
    ("publisher", "Publisher"),
    ("date", "Date"),
    ("pages", "Pages"),
    ("doi", "DOI"),
    ("isbn", "ISBN"),
    ("language", "Language"),
    ("access_date", "Accessed"),
    ("archive_date", "Archived"),
)

SIGNALS = (  # (field, label); the record leaves out a field at its default value
    ("words", "Words"),
    ("sentences", "Sentences"),
    ("sentences_with_citation", "Sentences with a citation"),
    ("sentences_without_citation", "Sentences without a citation"),
    ("references", "References"),
    ("references_per_1000_words", "References per 1,000 words"),
    ("sections", "Sections"),
    ("infoboxes", "Infoboxes"),
    ("tables", "Tables"),
    ("lists", "Lists"),
    ("images", "Images"),
    ("citation_needed_count", "“Citation needed” tags"),
    ("pov_count", "Neutrality tags"),
    ("clarification_needed_count", "“Clarification needed” tags"),
    ("update_count", "“Update needed” tags"),
)

PROVENANCE = ("source", "stream_offset", "revision_identifier", "content_sha256")

VERIFICATION = (
    ("editor_kind", "Editor"),
    ("is_revert", "Reverts an edit"),
    ("reverts_to", "Reverts to revision"),
    ("seconds_since_previous_edit", "Seconds since the previous edit"),
    ("edits_last_24h", "Edits in the last 24 hours"),
)


def link_of(url: object) -> str | None:
    """``url`` when a browser may follow it (http or https), else None (shown as text)."""
    return url if isinstance(url, str) and url.lower().startswith(LINKABLE) else None


def references_view(record: dict[str, Any], found: _Claims) -> list[dict[str, Any]]:
    """Each reference with its number on the page, mark, text, parsed fields, URLs and the
    claims that cite it."""
    cited_by: dict[str, list[int]] = {}
    for index, claim in enumerate(found.claims):
        for identifier in dict.fromkeys(claim.get("citations", ())):
            cited_by.setdefault(identifier, []).append(index + 1)
    out = []
    for number, ref in enumerate(record.get("references") or (), 1):
        metadata = ref.get("metadata") or {}
        text = ref.get("text") or {}
        links = [link_of(link.get("url")) for link in text.get("links") or ()]
        url = metadata.get("url") or next((u for u in links if u), None)
        out.append(
            {
                "number": number,
                "identifier": ref["identifier"],
                "mark": found.cites[ref["identifier"]].mark,
                "text": text.get("value") or "",
                "type": ref.get("type") or "text",
                "uses": ref.get("uses", 1),
                "fields": [
                    (label, metadata[k]) for k, label in REFERENCE_FIELDS if metadata.get(k)
                ],
                "url": url,
                "url_link": link_of(url),
                "archive_url": link_of(metadata.get("archive_url")),
                "cited_by": [
                    n for n in cited_by.get(ref["identifier"], ()) if n - 1 in found.placed
                ],
            }
        )
    return out


def infoboxes_view(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Each infobox: its template's name and its fields (name, clean value)."""
    out = []
    for box in record.get("infoboxes") or ():
        fields: list[tuple[str, str]] = []
        stack = list(box.get("has_parts") or ())
        while stack:
            part = stack.pop(0)
            if part.get("type") == "field" and part.get("value"):
                fields.append((str(part.get("name") or ""), str(part["value"])))
            stack[:0] = part.get("has_parts") or ()
        out.append({"name": box.get("name") or "Infobox", "fields": fields})
    return out


def place_tables(record: dict[str, Any], sections: list[SectionView]) -> list[dict[str, Any]]:
    """Put each table at the end of the section the record names for it; those whose section
    is unknown are returned (the page lists them apart)."""
    by_name: dict[str, SectionView] = {}
    for view in sections:
        by_name.setdefault(view.name, view)
    apart = []
    for number, table in enumerate(record.get("tables") or (), 1):
        shown = {
            "number": number,
            "caption": table.get("caption") or f"Table {number}",
            "headers": table.get("headers") or [],
            "rows": table.get("rows") or [],
        }
        home = by_name.get(table.get("section") or "")
        (home.tables if home is not None else apart).append(shown)
    return apart


def _label_value(source: dict[str, Any], labels: tuple[tuple[str, str], ...]) -> list[Any]:
    return [(label, source.get(key, 0)) for key, label in labels]


def article_view(record: dict[str, Any]) -> dict[str, Any]:
    """What the article page shows of a delivered record (Enterprise's shape, as
    ``GET /v2/articles/{name}`` returns it)."""
    references = record.get("references") or ()
    marks = citation_marks(references)
    cites = {
        ref["identifier"]: Cite(n, marks[ref["identifier"]], ref["identifier"])
        for n, ref in enumerate(references, 1)
    }
    found = _Claims(list(record.get("claims") or ()), cites)
    sections = article_sections(record, found)
    apart = place_tables(record, sections)
    _mark_empty(sections)
    unplaced = [
        found.segment(i) for i in range(len(found.claims)) if i not in found.placed
    ]  # placed last: never expected (the count of .claim stays the record's)
    lead_paragraphs = [
        "".join(s.text for s in block.items[0])
        for block in (sections[0].blocks if sections else ())
        if block.kind == "paragraph"
    ]
    abstract = record.get("abstract") or ""
    version = record.get("version") or {}
    provenance = record.get("provenance") or {}
    signals = record.get("signals") or {}
    project = (record.get("is_part_of") or {}).get("identifier", "")
    title = record.get("name", "")
    api = f"/v2/articles/{quote(title, safe='')}?" + urlencode(
        {"filters": f"is_part_of.identifier:{project}"}
    )
    return {
        "title": title,
        "project": project,
        "language": (record.get("in_language") or {}).get("identifier") or "",
        "direction": (record.get("in_language") or {}).get("direction") or "ltr",
        "url": link_of(record.get("url")),
        "revision": version.get("identifier"),
        "parent": version.get("parent_identifier"),
        "date_modified": record.get("date_modified"),
        "editor": (version.get("editor") or {}).get("name"),
        "comment": version.get("comment"),
        "api_url": api,
        "redirect": _redirect(record, project),
        "abstract": abstract,
        "abstract_differs": bool(abstract) and abstract != "\n".join(lead_paragraphs),
        "sections": sections,
        "tables_apart": apart,
        "infoboxes": infoboxes_view(record),
        "references": references_view(record, found),
        "claims": len(found.claims),
        "unplaced": unplaced,
        "signals": _label_value(signals, SIGNALS) if signals else [],
        "signals_version": signals.get("version"),
        "is_stub": bool(signals.get("is_stub")),
        "age_days": signals.get("last_revision_age_days"),
        "maintenance": version.get("maintenance_tags") or {},
        "verification": [
            (label, (version.get("verification") or {})[key])
            for key, label in VERIFICATION
            if key in (version.get("verification") or {})
        ],
        "warnings": record.get("parse_warnings") or [],
        "provenance": {key: provenance.get(key) for key in PROVENANCE},
        "attribution": provenance.get("attribution") or "",
        "licenses": [
            {"name": x.get("name") or x.get("identifier"), "url": link_of(x.get("url"))}
            for x in record.get("license") or ()
        ],
    }


def _mark_empty(sections: list[SectionView]) -> None:
    """Mark the sections with nothing to show, in them or in their subsections (the views
    after a section with deeper levels)."""
    for i, view in enumerate(sections):
        shown = bool(view.blocks or view.tables)
        for below in sections[i + 1 :]:
            if shown or below.level <= view.level:
                break
            shown = bool(below.blocks or below.tables)
        view.empty = not shown


def _redirect(record: dict[str, Any], project: str) -> dict[str, str] | None:
    target = record.get("redirect_target")
    if not target or not target.get("name"):
        return None
    return {"name": target["name"], "href": article_path(project, target["name"])}


def article_path(project: str, title: str) -> str:
    """The portal's page of an article."""
    return f"/portal/articles/{quote(project, safe='')}/{quote(title, safe='')}"


# -- search ------------------------------------------------------------------------------------


def snippet_segments(snippet: str) -> list[tuple[bool, str]]:
    """A search snippet as (is a match, text) runs: the index marks matches « like this »."""
    out: list[tuple[bool, str]] = []
    rest = snippet
    while rest:
        before, opened, after = rest.partition(SNIPPET_OPEN)
        if before:
            out.append((False, before))
        if not opened:
            break
        hit, _, rest = after.partition(SNIPPET_CLOSE)
        if hit:
            out.append((True, hit))
    return out


def shorten(text: str, limit: int = 200) -> str:
    """``text`` cut at a word to about ``limit`` characters (a quotation can fill a page)."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def result_view(passage: Passage) -> dict[str, Any]:
    """What a search result shows of a passage: where it is, its snippet, its citations."""
    return {
        "title": passage.title,
        "project": passage.project,
        "section": passage.section,
        "revision": passage.revision_id,
        "href": article_path(passage.project, passage.title),
        "snippet": snippet_segments(passage.snippet or passage.text),
        "citations": [
            {
                "label": shorten(c.title or c.text or c.identifier),
                "url": link_of(c.url),
                "doi": c.doi,
                "isbn": c.isbn,
            }
            for c in passage.citations
        ],
    }


def _projects(request: Request, found: Session, channel: str) -> list[str]:
    """The projects the partner may receive on ``channel`` (for the forms' choices)."""
    svc = services(request)
    grant = svc.listing_grant(found.principal, channel)
    return grant.projects(sorted(svc.store().projects())) if grant.agreements else []


def _search_page(
    request: Request,
    found: Session,
    *,
    q: str,
    project: str,
    status: int = 200,
    **context: Any,
) -> Response:
    defaults: dict[str, Any] = {
        "q": q,
        "project": project,
        "results": None,
        "message": "",
        "q_error": "",
        "title_error": "",
        "open_title": "",
        "open_project": "",
    }
    return render(
        request,
        "articles.html",
        status=status,
        search_projects=_projects(request, found, "search"),
        article_projects=_projects(request, found, "on-demand"),
        **(defaults | context),
    )


@router.get("/articles", include_in_schema=False)
def articles(
    request: Request,
    found: PartnerSession,
    q: Annotated[str, Query()] = "",
    project: Annotated[str, Query()] = "",
) -> Response:
    """The search form and, for a query, the passages that answer it (metered as
    ``GET /v2/search``: channel ``search``)."""
    q, project = q.strip(), project.strip()
    if not q:
        return _search_page(request, found, q="", project=project)
    if len(q) > MAX_QUERY or len(project) > 100:
        return _search_page(
            request, found, q=q[:MAX_QUERY], project=project[:100], status=422,
            q_error=f"Use at most {MAX_QUERY:,} characters." if len(q) > MAX_QUERY else "",
        )  # fmt: skip
    svc = services(request)
    try:
        meter = Meter(request, found.principal, channel="search", project=project or None,
                      namespace=0)  # fmt: skip
    except ForbiddenError as exc:
        return _search_page(
            request, found, q=q, project=project, status=403,
            message=f"You cannot search here: {exc}.",
        )  # fmt: skip
    except LimitExceeded as exc:
        return _search_page(
            request, found, q=q, project=project, status=429,
            message=f"Too many requests: {exc}. Try again in a moment.",
        )  # fmt: skip
    try:
        passages = entitled_passages(svc, meter.grant, q, project or None, RESULTS)
    except StoreError as exc:
        meter.finish(503, project=project)
        return _search_page(
            request, found, q=q, project=project, status=503,
            message=f"Search is not available: {exc}.",
        )  # fmt: skip
    response = _search_page(
        request, found, q=q, project=project, results=[result_view(p) for p in passages]
    )
    meter.finish(
        200,
        project=",".join(sorted({p.project for p in passages})) or project,
        articles=len(passages),
        bytes_sent=len(response.body),
    )
    return response


@router.get("/articles/open", include_in_schema=False)
def open_article(
    request: Request,
    found: PartnerSession,
    project: Annotated[str, Query(max_length=100)] = "",
    title: Annotated[str, Query()] = "",
) -> Response:
    """The "open an article by its title" form: to the article's page."""
    title = title.strip()
    if not title or len(title) > MAX_TITLE:
        problem = "Enter a title." if not title else f"Use at most {MAX_TITLE} characters."
        return _search_page(
            request, found, q="", project="", status=422,
            title_error=problem, open_title=title[:MAX_TITLE], open_project=project,
        )  # fmt: skip
    return RedirectResponse(article_path(project, title), status_code=303)


def not_found(project: str, title: str) -> NotFoundError:
    """The one answer for a missing title and for a project the partner may not receive."""
    return NotFoundError(f"No article “{title}” on {project} among the projects you receive.")


@router.get("/articles/{project}/{title:path}", include_in_schema=False)
def article(request: Request, found: PartnerSession, project: str, title: str) -> Response:
    """One article as ``GET /v2/articles/{title}`` delivers it from ``project`` (metered on
    ``on-demand``), claims highlighted and linked to their references."""
    if not title or len(title) > MAX_TITLE or len(project) > 100:
        raise not_found(project, title)
    try:
        meter = Meter(request, found.principal, channel="on-demand", project=project)
    except ForbiddenError:
        raise not_found(project, title) from None
    svc = services(request)
    query = ArticleQuery(
        filters=[FilterItem(field="is_part_of.identifier", value=project)], limit=1
    )
    delivered = entitled_articles(svc, meter.grant, title, query)
    if not delivered and "_" in title:  # a title as in a Wikipedia URL
        delivered = entitled_articles(svc, meter.grant, title.replace("_", " "), query)
    if not delivered:
        meter.finish(404, project=project)
        raise not_found(project, title)
    response = render(request, "article.html", article=article_view(delivered[0][1]))
    meter.finish(200, project=project, articles=1, bytes_sent=len(response.body))
    return response
